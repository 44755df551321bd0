import { describe, expect, it } from 'vitest';
import { rng } from '../patchcore/random';
import { bankFromBytes, decodeBank, encodeBank, fromFp16, halfBitsToFloat, toFp16, toHalfBits } from './bank';

/** Reference rounding: binary search over the (monotone) positive half bit patterns, ties to the even pattern. */
function referenceHalf(x: number): number {
  const sign = x < 0 || Object.is(x, -0) ? 0x8000 : 0;
  const a = Math.abs(x);
  if (a >= 65520) return sign | 0x7c00;
  let lo = 0;
  let hi = 0x7bff;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (halfBitsToFloat(mid) <= a) lo = mid;
    else hi = mid - 1;
  }
  if (lo === 0x7bff) return sign | lo;
  const below = halfBitsToFloat(lo);
  const above = halfBitsToFloat(lo + 1);
  if (a - below < above - a) return sign | lo;
  if (a - below > above - a) return sign | (lo + 1);
  return sign | (lo % 2 === 0 ? lo : lo + 1);
}

describe('fp16 bank precision', () => {
  it('keeps every fp16 value exactly through fp32 and back', () => {
    for (let h = 0; h < 65536; h++) {
      const f = halfBitsToFloat(h);
      if (Number.isNaN(f)) expect(Number.isNaN(halfBitsToFloat(toHalfBits(f)))).toBe(true);
      else expect(toHalfBits(f)).toBe(h);
    }
  });

  it('rounds fp32 to the nearest fp16, ties to even, through subnormals and overflow', () => {
    expect(toHalfBits(1 + 2 ** -11)).toBe(0x3c00); // tie -> even (1.0)
    expect(toHalfBits(1 + 3 * 2 ** -11)).toBe(0x3c02); // tie -> even (1 + 2^-9)
    expect(toHalfBits(65504)).toBe(0x7bff);
    expect(toHalfBits(65520)).toBe(0x7c00);
    expect(toHalfBits(-Infinity)).toBe(0xfc00);
    expect(toHalfBits(2 ** -24)).toBe(0x0001);
    expect(toHalfBits(2 ** -25)).toBe(0x0000);
    expect(toHalfBits(1.5 * 2 ** -25)).toBe(0x0001);
    expect(toHalfBits(-0)).toBe(0x8000);
    const r = rng(7);
    const f32 = new Float32Array(1);
    for (let i = 0; i < 20000; i++) {
      f32[0] = (r() - 0.5) * 2 ** Math.floor(r() * 44 - 28);
      expect(toHalfBits(f32[0])).toBe(referenceHalf(f32[0]));
    }
  });

  it('encodes a bank at half the bytes and decodes it within fp16 precision', () => {
    const r = rng(3);
    const data = Float32Array.from({ length: 64 * 32 }, () => r() * 4);
    const stored = encodeBank({ data, rows: 64, cols: 32 }, 'fp16');
    expect(stored.data.byteLength).toBe(data.byteLength / 2);
    const back = decodeBank(stored);
    expect(back.rows).toBe(64);
    for (let i = 0; i < data.length; i++)
      expect(Math.abs(back.data[i] - data[i])).toBeLessThanOrEqual(data[i] * 2 ** -11 + 2 ** -25);
    expect(toFp16(fromFp16(stored.data as Uint16Array))).toEqual(stored.data);
  });

  it('reads a bank out of a larger Node Buffer (a whole file read from disk) as just its own values', () => {
    const values = Float32Array.of(1.5, -2, 3.25, 4);
    const file = Buffer.alloc(64);
    Buffer.from(values.buffer).copy(file, 16);
    const stored = bankFromBytes(file.subarray(16, 32), 'fp32', 2, 2);
    expect(stored.data.length).toBe(4);
    expect(Array.from(stored.data)).toEqual(Array.from(values));
  });
});
