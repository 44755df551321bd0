// The checksums against published test vectors: a wrong CRC breaks every ZIP and PNG, a wrong hash every model match.
import { describe, expect, it } from 'vitest';
import { crc32, sha256Hex } from './hash';

describe('hashes', () => {
  it('CRC-32 is the ZIP/PNG one', () => {
    expect(crc32(new TextEncoder().encode('123456789'))).toBe(0xcbf43926);
    expect(crc32(new Uint8Array(0))).toBe(0);
  });

  it('SHA-256 is lowercase hex, from bytes or a buffer', async () => {
    const abc = new TextEncoder().encode('abc');
    const want = 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad';
    expect(await sha256Hex(abc)).toBe(want);
    expect(await sha256Hex(abc.buffer)).toBe(want);
    const inside = new Uint8Array([0, 0x61, 0x62, 0x63, 0]).subarray(1, 4);
    expect(await sha256Hex(inside)).toBe(want);
  });
});
