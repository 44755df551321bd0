// Image file -> RGBA pixels in Node, with sharp (libvips), as the app's worker does with createImageBitmap
// (src/worker/decode.ts): EXIF orientation applied, colour converted to sRGB, the longest side capped at 2048 px
// (high-quality downscale), and messages a user can act on. The pixels then go through the same preprocess().
import { jpegColourTransform } from '../lib/icc';
import { readFile } from 'node:fs/promises';
import sharp from 'sharp';
import { formatBytes } from '../lib/format';
import { ImageInputError, MAX_DECODE_SIDE, sniffKind, type DecodedImage } from '../worker/decode';

// The worker's cap, error type and sniffing, so the command line refuses and names files exactly as the app does.
export { ImageInputError, MAX_DECODE_SIDE, type DecodedImage };

/** The image kinds as the app names them in messages. */
const LABEL = { png: 'PNG', jpeg: 'JPEG', webp: 'WebP', bmp: 'BMP', gif: 'GIF' } as const;

function kindOf(b: Uint8Array): string | null {
  const k = sniffKind(b);
  return k ? LABEL[k] : null;
}

/**
 * The file gamma of a PNG that declares one (gAMA) without an sRGB or ICC chunk, else null. Browsers colour-manage
 * such a file (pure power-law transfer -> sRGB) and libvips does not; MVTec's PNGs all carry gAMA 1/2.2, which
 * shifts dark values by up to 8 levels if left alone (docs/server.md).
 */
export function pngGamma(b: Uint8Array): number | null {
  if (kindOf(b) !== 'PNG') return null;
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  let gamma: number | null = null;
  for (let i = 8; i + 8 <= b.length; ) {
    const len = dv.getUint32(i);
    const type = String.fromCharCode(b[i + 4], b[i + 5], b[i + 6], b[i + 7]);
    if (type === 'IDAT' || type === 'IEND') break;
    if (type === 'sRGB' || type === 'iCCP') return null;
    if (type === 'gAMA' && i + 12 <= b.length) gamma = dv.getUint32(i + 8) / 100000;
    i += 12 + len;
  }
  return gamma && gamma > 0 ? gamma : null;
}

/** 8-bit lookup table: a value encoded with file gamma g (v = linear^g) re-encoded with the sRGB curve. */
function gammaToSrgb(g: number): Uint8Array {
  const lut = new Uint8Array(256);
  for (let v = 0; v < 256; v++) {
    const lin = Math.pow(v / 255, 1 / g);
    const s = lin <= 0.0031308 ? 12.92 * lin : 1.055 * Math.pow(lin, 1 / 2.4) - 0.055;
    lut[v] = Math.round(255 * Math.min(1, Math.max(0, s)));
  }
  return lut;
}

/** Decodes image bytes to RGBA; `name` is used in error messages. */
export async function decodeBytes(bytes: Uint8Array, name: string, maxSide = MAX_DECODE_SIDE): Promise<DecodedImage> {
  if (bytes.byteLength === 0) throw new ImageInputError(`${name} is empty (0 bytes), so it is not an image`);
  const kind = kindOf(bytes);
  if (!kind) throw new ImageInputError(`${name} is not an image: its contents are not PNG, JPEG, WebP, BMP or GIF (${formatBytes(bytes.byteLength)})`);
  if (kind === 'BMP') throw new ImageInputError(`${name} is a BMP file, which the command line's decoder (sharp) does not read: convert it to PNG`);
  try {
    // A JPEG with a non-sRGB profile: its own values, converted by lib/icc.ts exactly as the browser's engine
    // converts them (libvips' and Chromium's own conversions round differently).
    const colour = kind === 'JPEG' ? jpegColourTransform(bytes.subarray(0, 256 * 1024)) : null;
    // failOn 'error': a truncated or corrupt file is an error, not a half-grey picture.
    const img = sharp(bytes, { failOn: 'error', ignoreIcc: !!colour }).autoOrient();
    const meta = await img.metadata();
    const turned = (meta.orientation ?? 1) >= 5;
    const width = turned ? meta.height : meta.width;
    const height = turned ? meta.width : meta.height;
    let pipe = img;
    if (Math.max(width, height) > maxSide) {
      const s = maxSide / Math.max(width, height);
      pipe = pipe.resize({ width: Math.max(1, Math.round(width * s)), height: Math.max(1, Math.round(height * s)), fit: 'fill' });
    }
    const { data, info } = await pipe.toColourspace('srgb').ensureAlpha().raw({ depth: 'uchar' }).toBuffer({ resolveWithObject: true });
    if (info.channels !== 4) throw new Error(`${info.channels} channels after conversion to RGBA`);
    colour?.(new Uint8ClampedArray(data.buffer, data.byteOffset, data.byteLength));
    const gamma = pngGamma(bytes);
    if (gamma !== null) {
      const lut = gammaToSrgb(gamma);
      for (let i = 0; i < data.length; i += 4) {
        data[i] = lut[data[i]];
        data[i + 1] = lut[data[i + 1]];
        data[i + 2] = lut[data[i + 2]];
      }
    }
    return {
      name,
      data: new Uint8ClampedArray(data.buffer, data.byteOffset, data.byteLength),
      width: info.width,
      height: info.height,
      originalWidth: width,
      originalHeight: height,
    };
  } catch (e) {
    if (e instanceof ImageInputError) throw e;
    const why = (e as Error).message.split('\n')[0];
    throw new ImageInputError(`${name} looks like a ${kind} file but could not be decoded: it may be truncated or corrupt (${formatBytes(bytes.byteLength)}; ${why})`);
  }
}

export async function decodeFile(file: string, name: string, maxSide = MAX_DECODE_SIDE): Promise<DecodedImage> {
  let bytes: Uint8Array;
  try {
    bytes = await readFile(file);
  } catch (e) {
    throw new ImageInputError(`${name} could not be read: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  return decodeBytes(bytes, name, maxSide);
}
