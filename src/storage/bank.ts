// The memory bank at rest: fp32 as is, or fp16 (IEEE 754 binary16, round to nearest even) at half the size.
import type { MemoryBank } from '../patchcore/types';
import type { BankPrecision } from './model';

/** A bank as stored and exported: fp32 values, or fp16 bit patterns in a Uint16Array. */
export interface StoredBank {
  precision: BankPrecision;
  rows: number;
  cols: number;
  data: Float32Array | Uint16Array;
}

export const BYTES_PER_VALUE: Record<BankPrecision, number> = { fp32: 4, fp16: 2 };

export function storedBankBytes(rows: number, cols: number, precision: BankPrecision): number {
  return rows * cols * BYTES_PER_VALUE[precision];
}

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** One fp32 value to fp16 bits. Overflow goes to infinity, underflow through subnormals to signed zero. */
export function toHalfBits(x: number): number {
  f32[0] = x;
  const b = u32[0];
  const sign = (b >>> 16) & 0x8000;
  const exp = (b >>> 23) & 0xff;
  let mant = b & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 | (mant >>> 13) : 0);
  const e = exp - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign;
    mant |= 0x800000;
    const shift = 14 - e;
    let half = mant >>> shift;
    const rest = mant & ((1 << shift) - 1);
    const halfway = 1 << (shift - 1);
    if (rest > halfway || (rest === halfway && half & 1)) half++;
    return sign | half;
  }
  let half = (e << 10) | (mant >>> 13);
  const rest = mant & 0x1fff;
  // A carry out of the mantissa correctly bumps the exponent (and rounds the largest values to infinity).
  if (rest > 0x1000 || (rest === 0x1000 && half & 1)) half++;
  return sign | half;
}

let halfTable: Float32Array | null = null;

/** All 65536 fp16 values as fp32, built once: decoding a bank is then one table look-up per value. */
function halfToFloatTable(): Float32Array {
  if (halfTable) return halfTable;
  const t = new Float32Array(65536);
  for (let h = 0; h < 65536; h++) {
    const sign = h & 0x8000 ? -1 : 1;
    const exp = (h >>> 10) & 0x1f;
    const mant = h & 0x3ff;
    if (exp === 0) t[h] = sign * mant * 2 ** -24;
    else if (exp === 0x1f) t[h] = mant ? NaN : sign * Infinity;
    else t[h] = sign * (1 + mant / 1024) * 2 ** (exp - 15);
  }
  return (halfTable = t);
}

export function halfBitsToFloat(h: number): number {
  return halfToFloatTable()[h & 0xffff];
}

export function toFp16(values: Float32Array): Uint16Array {
  const out = new Uint16Array(values.length);
  for (let i = 0; i < values.length; i++) out[i] = toHalfBits(values[i]);
  return out;
}

export function fromFp16(bits: Uint16Array): Float32Array {
  const t = halfToFloatTable();
  const out = new Float32Array(bits.length);
  for (let i = 0; i < bits.length; i++) out[i] = t[bits[i]];
  return out;
}

/** The bank as it will be stored. fp32 keeps the caller's array (IndexedDB and export copy it anyway). */
export function encodeBank(bank: MemoryBank, precision: BankPrecision): StoredBank {
  const data = precision === 'fp16' ? toFp16(bank.data) : bank.data;
  return { precision, rows: bank.rows, cols: bank.cols, data };
}

export function decodeBank(stored: StoredBank): MemoryBank {
  const data = stored.precision === 'fp16' ? fromFp16(stored.data as Uint16Array) : (stored.data as Float32Array);
  return { data, rows: stored.rows, cols: stored.cols };
}

/** The stored values as little-endian bytes (a view, no copy, on little-endian machines). */
export function bankBytes(stored: StoredBank): Uint8Array {
  const view = new Uint8Array(stored.data.buffer, stored.data.byteOffset, stored.data.byteLength);
  return LITTLE_ENDIAN ? view : swapBytes(view, stored.data.BYTES_PER_ELEMENT);
}

/** Little-endian bytes back to a StoredBank (copies, so the result is aligned and owns its buffer). */
export function bankFromBytes(bytes: Uint8Array, precision: BankPrecision, rows: number, cols: number): StoredBank {
  const size = BYTES_PER_VALUE[precision];
  // new Uint8Array(view), not view.slice(): on a Node Buffer slice() is a view of the whole file's memory.
  const copy = LITTLE_ENDIAN ? new Uint8Array(bytes) : swapBytes(bytes, size);
  const data = precision === 'fp16' ? new Uint16Array(copy.buffer) : new Float32Array(copy.buffer);
  return { precision, rows, cols, data };
}

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

function swapBytes(bytes: Uint8Array, size: number): Uint8Array {
  const out = new Uint8Array(bytes.length);
  for (let i = 0; i < bytes.length; i += size) for (let j = 0; j < size; j++) out[i + j] = bytes[i + size - 1 - j];
  return out;
}
