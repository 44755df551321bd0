// Image files written byte by byte in node for the bad-input spec: PNG at any bit depth (zlib from node) and a
// DC-only baseline JPEG encoder (flat 8x8 blocks) that can write grey, YCbCr or Adobe CMYK files.
import { deflateSync } from 'node:zlib';
import { crc32 } from '../../src/lib/hash';

/** One PNG chunk: length, type, data, CRC-32 of type + data. */
export function pngChunk(type: string, data: Buffer): Buffer {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const td = Buffer.concat([Buffer.from(type, 'latin1'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(td));
  return Buffer.concat([len, td, crc]);
}

export interface PngSpec {
  width: number;
  height: number;
  /** 0 grey, 2 RGB, 6 RGBA. */
  colorType: 0 | 2 | 6;
  bitDepth: 8 | 16;
  /** Sample value (0..1) of channel c at (x, y). */
  sample(x: number, y: number, c: number): number;
  /** When every row is the same, the row is computed once (the 12000 x 12000 file). */
  sameRows?: boolean;
}

export function encodePng(spec: PngSpec): Buffer {
  const { width: w, height: h, colorType, bitDepth } = spec;
  const channels = colorType === 0 ? 1 : colorType === 2 ? 3 : 4;
  const bps = bitDepth / 8;
  const stride = w * channels * bps + 1;
  const max = bitDepth === 16 ? 65535 : 255;
  const raw = Buffer.alloc(stride * h);
  const writeRow = (y: number) => {
    const o = y * stride;
    raw[o] = 0;
    for (let x = 0; x < w; x++) {
      for (let c = 0; c < channels; c++) {
        const v = Math.round(Math.min(1, Math.max(0, spec.sample(x, y, c))) * max);
        const p = o + 1 + (x * channels + c) * bps;
        if (bps === 2) raw.writeUInt16BE(v, p);
        else raw[p] = v;
      }
    }
  };
  writeRow(0);
  for (let y = 1; y < h; y++) {
    if (spec.sameRows) raw.copy(raw, y * stride, 0, stride);
    else writeRow(y);
  }
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(w, 0);
  ihdr.writeUInt32BE(h, 4);
  ihdr[8] = bitDepth;
  ihdr[9] = colorType;
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    pngChunk('IHDR', ihdr),
    pngChunk('IDAT', deflateSync(raw, { level: 1 })),
    pngChunk('IEND', Buffer.alloc(0)),
  ]);
}

export interface JpegSpec {
  width: number;
  height: number;
  /** 1 grey, 3 YCbCr (JFIF), 4 CMYK (Adobe APP14, no transform). */
  components: 1 | 3 | 4;
  /** Value 0..255 of component c for the 8x8 block at block coordinates (bx, by). */
  block(bx: number, by: number, c: number): number;
  /** EXIF orientation tag (1..8) written in an APP1 segment, as phones do. */
  exifOrientation?: number;
}

/**
 * Baseline JPEG where every 8x8 block is flat: quantisation 1, only DC coefficients, each AC run an immediate EOB.
 * Huffman tables: DC categories 0..11 all 4-bit codes; AC has the single symbol EOB, code '0'.
 */
export function encodeJpeg(spec: JpegSpec): Buffer {
  const { width: w, height: h, components: nc } = spec;
  const seg = (marker: number, body: number[] | Buffer) => {
    const b = Buffer.from(body);
    const head = Buffer.from([0xff, marker, (b.length + 2) >> 8, (b.length + 2) & 0xff]);
    return Buffer.concat([head, b]);
  };
  const parts: Buffer[] = [Buffer.from([0xff, 0xd8])];
  if (nc === 4) {
    // "Adobe", version 100, flags 0, 0, transform 0 (CMYK stored as is).
    parts.push(seg(0xee, [0x41, 0x64, 0x6f, 0x62, 0x65, 0, 100, 0, 0, 0, 0, 0]));
  } else {
    parts.push(seg(0xe0, [0x4a, 0x46, 0x49, 0x46, 0, 1, 1, 0, 0, 1, 0, 1, 0, 0]));
  }
  if (spec.exifOrientation) {
    // "Exif\0\0", big-endian TIFF, IFD0 at 8 with one entry: 0x0112 Orientation, SHORT, 1 value.
    const o = spec.exifOrientation;
    parts.push(seg(0xe1, [0x45, 0x78, 0x69, 0x66, 0, 0, 0x4d, 0x4d, 0, 0x2a, 0, 0, 0, 8, 0, 1, 0x01, 0x12, 0, 3, 0, 0, 0, 1, 0, o, 0, 0, 0, 0, 0, 0]));
  }
  parts.push(seg(0xdb, [0x00, ...new Array(64).fill(1)]));
  const sof: number[] = [8, h >> 8, h & 0xff, w >> 8, w & 0xff, nc];
  for (let c = 0; c < nc; c++) sof.push(c + 1, 0x11, 0);
  parts.push(seg(0xc0, sof));
  // DC table 0: 12 codes of length 4 for categories 0..11.
  const dcCounts = new Array(16).fill(0);
  dcCounts[3] = 12;
  parts.push(seg(0xc4, [0x00, ...dcCounts, ...Array.from({ length: 12 }, (_, i) => i)]));
  // AC table 0: one code of length 1 for EOB (0x00).
  const acCounts = new Array(16).fill(0);
  acCounts[0] = 1;
  parts.push(seg(0xc4, [0x10, ...acCounts, 0x00]));
  const sos: number[] = [nc];
  for (let c = 0; c < nc; c++) sos.push(c + 1, 0x00);
  sos.push(0, 63, 0);
  parts.push(seg(0xda, sos));

  // Entropy-coded data: MCU = one block per component (no subsampling).
  const out = Buffer.alloc(Math.ceil(w / 8) * Math.ceil(h / 8) * nc * 4 + 1024);
  let n = 0, acc = 0, bits = 0;
  const put = (value: number, len: number) => {
    for (let i = len - 1; i >= 0; i--) {
      acc = (acc << 1) | ((value >> i) & 1);
      if (++bits === 8) {
        out[n++] = acc;
        if (acc === 0xff) out[n++] = 0;
        acc = 0;
        bits = 0;
      }
    }
  };
  const prev = new Array(nc).fill(0);
  const bw = Math.ceil(w / 8), bh = Math.ceil(h / 8);
  for (let by = 0; by < bh; by++) {
    for (let bx = 0; bx < bw; bx++) {
      for (let c = 0; c < nc; c++) {
        const dc = 8 * (Math.round(Math.min(255, Math.max(0, spec.block(bx, by, c)))) - 128);
        const diff = dc - prev[c];
        prev[c] = dc;
        const cat = diff === 0 ? 0 : Math.floor(Math.log2(Math.abs(diff))) + 1;
        put(cat, 4);
        if (cat) put(diff >= 0 ? diff : diff + (1 << cat) - 1, cat);
        put(0, 1); // EOB
      }
    }
  }
  if (bits) put(0x7f, 8 - bits); // pad with ones
  parts.push(out.subarray(0, n), Buffer.from([0xff, 0xd9]));
  return Buffer.concat(parts);
}
