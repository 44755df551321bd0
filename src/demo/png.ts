// A minimal PNG writer (8-bit RGB, no interlace) for where no canvas exists: node tests and old workers.
// Compresses with the platform's CompressionStream when there is one, else falls back to stored deflate blocks.
import { crc32 } from '../lib/hash';

/** Encodes opaque RGBA pixels as an RGB PNG; the alpha channel is dropped. */
export async function encodePng(rgba: ArrayLike<number>, width: number, height: number): Promise<Uint8Array<ArrayBuffer>> {
  const raw = filterRows(rgba, width, height);
  const z = typeof CompressionStream === 'function' ? await deflateStream(raw) : zlibStored(raw);
  return assemble(width, height, z);
}

/** Same file format without any compression: synchronous, and readable by `inflateStored`. */
export function encodePngStored(rgba: ArrayLike<number>, width: number, height: number): Uint8Array<ArrayBuffer> {
  return assemble(width, height, zlibStored(filterRows(rgba, width, height)));
}

/** Scanlines with the "Sub" filter: cheap, and it makes smooth metal compress about twice as well as none. */
function filterRows(rgba: ArrayLike<number>, width: number, height: number): Uint8Array<ArrayBuffer> {
  if (rgba.length !== width * height * 4) {
    throw new Error(`PNG encoder got ${rgba.length} bytes for a ${width}x${height} RGBA image (needs ${width * height * 4})`);
  }
  const stride = width * 3 + 1;
  const out = new Uint8Array(stride * height);
  for (let y = 0; y < height; y++) {
    const o = y * stride;
    out[o] = 1;
    let pr = 0, pg = 0, pb = 0;
    for (let x = 0; x < width; x++) {
      const i = (y * width + x) * 4;
      const r = rgba[i], g = rgba[i + 1], b = rgba[i + 2];
      const j = o + 1 + x * 3;
      out[j] = (r - pr) & 255;
      out[j + 1] = (g - pg) & 255;
      out[j + 2] = (b - pb) & 255;
      pr = r;
      pg = g;
      pb = b;
    }
  }
  return out;
}

function assemble(width: number, height: number, idat: Uint8Array): Uint8Array<ArrayBuffer> {
  const ihdr = new Uint8Array(13);
  const dv = new DataView(ihdr.buffer);
  dv.setUint32(0, width);
  dv.setUint32(4, height);
  ihdr.set([8, 2, 0, 0, 0], 8); // 8-bit depth, colour type 2 (RGB), deflate, adaptive filtering, no interlace
  const chunks = [chunk('IHDR', ihdr), chunk('IDAT', idat), chunk('IEND', new Uint8Array(0))];
  const out = new Uint8Array(8 + chunks.reduce((n, c) => n + c.length, 0));
  out.set([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a], 0);
  let o = 8;
  for (const c of chunks) {
    out.set(c, o);
    o += c.length;
  }
  return out;
}

function chunk(type: string, data: Uint8Array): Uint8Array {
  const out = new Uint8Array(12 + data.length);
  const dv = new DataView(out.buffer);
  dv.setUint32(0, data.length);
  for (let i = 0; i < 4; i++) out[4 + i] = type.charCodeAt(i);
  out.set(data, 8);
  dv.setUint32(8 + data.length, crc32(out.subarray(4, 8 + data.length)));
  return out;
}

async function deflateStream(data: Uint8Array<ArrayBuffer>): Promise<Uint8Array> {
  // 'deflate' is the zlib wrapper (RFC 1950), exactly what IDAT holds.
  const stream = new Blob([data]).stream().pipeThrough(new CompressionStream('deflate'));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

/** zlib stream of stored (uncompressed) deflate blocks, at most 65535 bytes each. */
function zlibStored(data: Uint8Array): Uint8Array {
  const blocks = Math.max(1, Math.ceil(data.length / 65535));
  const out = new Uint8Array(2 + data.length + blocks * 5 + 4);
  out[0] = 0x78;
  out[1] = 0x01;
  let o = 2;
  for (let b = 0; b < blocks; b++) {
    const start = b * 65535;
    const len = Math.min(65535, data.length - start);
    out[o] = b === blocks - 1 ? 1 : 0;
    out[o + 1] = len & 255;
    out[o + 2] = len >>> 8;
    out[o + 3] = ~len & 255;
    out[o + 4] = (~len >>> 8) & 255;
    out.set(data.subarray(start, start + len), o + 5);
    o += 5 + len;
  }
  new DataView(out.buffer).setUint32(o, adler32(data));
  return out;
}

function adler32(data: Uint8Array): number {
  let a = 1, b = 0;
  for (let i = 0; i < data.length; ) {
    const end = Math.min(data.length, i + 5552); // largest run before the sums can overflow 2^32
    for (; i < end; i++) {
      a += data[i];
      b += a;
    }
    a %= 65521;
    b %= 65521;
  }
  return ((b << 16) | a) >>> 0;
}
