// Turning a dropped file into RGBA pixels off the main thread, with messages a user can act on. Image sizes are
// read from the file header first, so a 12000 x 12000 photo is decoded straight to a safe size instead of
// allocating half a gigabyte.
import { jpegColourTransform } from '../lib/icc';
import { formatBytes } from '../lib/format';
import type { RgbaImage } from '../patchcore/preprocess';

/** Longest side kept after decoding; the backbone sees 224 px, the map is shown at this size at most. */
export const MAX_DECODE_SIDE = 2048;

export interface DecodedImage extends RgbaImage {
  name: string;
  /** Size of the file's image before any downscaling. */
  originalWidth: number;
  originalHeight: number;
}

export class ImageInputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ImageInputError';
  }
}

type Kind = 'png' | 'jpeg' | 'webp' | 'bmp' | 'gif' | null;

export function sniffKind(head: Uint8Array): Kind {
  const b = head;
  if (b.length >= 8 && b[0] === 0x89 && b[1] === 0x50 && b[2] === 0x4e && b[3] === 0x47) return 'png';
  if (b.length >= 3 && b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff) return 'jpeg';
  if (b.length >= 12 && b[0] === 0x52 && b[1] === 0x49 && b[2] === 0x46 && b[3] === 0x46 && b[8] === 0x57 && b[9] === 0x45 && b[10] === 0x42 && b[11] === 0x50) return 'webp';
  if (b.length >= 2 && b[0] === 0x42 && b[1] === 0x4d) return 'bmp';
  if (b.length >= 4 && b[0] === 0x47 && b[1] === 0x49 && b[2] === 0x46) return 'gif';
  return null;
}

/** Width and height from the header where the format makes that cheap (PNG, JPEG SOF, BMP, GIF). */
export function headerSize(b: Uint8Array, kind: Kind): { width: number; height: number } | null {
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  try {
    if (kind === 'png' && b.length >= 24) return { width: dv.getUint32(16), height: dv.getUint32(20) };
    if (kind === 'bmp' && b.length >= 26) return { width: Math.abs(dv.getInt32(18, true)), height: Math.abs(dv.getInt32(22, true)) };
    if (kind === 'gif' && b.length >= 10) return { width: dv.getUint16(6, true), height: dv.getUint16(8, true) };
    if (kind === 'jpeg') {
      let i = 2;
      while (i + 9 < b.length) {
        if (b[i] !== 0xff) { i++; continue; }
        const marker = b[i + 1];
        if (marker === 0xd8 || marker === 0x01 || (marker >= 0xd0 && marker <= 0xd7)) { i += 2; continue; }
        const len = dv.getUint16(i + 2);
        if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) {
          return { height: dv.getUint16(i + 5), width: dv.getUint16(i + 7) };
        }
        i += 2 + len;
      }
    }
  } catch {
    return null;
  }
  return null;
}

/**
 * EXIF orientation (1..8) of a JPEG, 1 when there is none. 5..8 turn the image a quarter, so the header's width
 * and height swap once the browser applies it.
 */
export function exifOrientation(b: Uint8Array): number {
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  let i = 2;
  while (i + 4 < b.length && b[i] === 0xff) {
    const marker = b[i + 1];
    if (marker === 0xda || marker === 0xd9) break; // image data: no EXIF after this
    const len = dv.getUint16(i + 2);
    const exif = i + 4;
    if (marker === 0xe1 && exif + 14 <= b.length && dv.getUint32(exif) === 0x45786966 && dv.getUint16(exif + 4) === 0) {
      const tiff = exif + 6;
      const le = dv.getUint16(tiff) === 0x4949;
      const ifd = tiff + dv.getUint32(tiff + 4, le);
      if (ifd + 2 > b.length) return 1;
      const n = dv.getUint16(ifd, le);
      for (let k = 0; k < n && ifd + 2 + 12 * (k + 1) <= b.length; k++) {
        const e = ifd + 2 + 12 * k;
        if (dv.getUint16(e, le) === 0x0112) {
          const o = dv.getUint16(e + 8, le);
          return o >= 1 && o <= 8 ? o : 1;
        }
      }
      return 1;
    }
    i += 2 + len;
  }
  return 1;
}

/**
 * What a file's first bytes say: its format, its size as shown (EXIF orientation applied: createImageBitmap turns
 * the image before resizing, so a resize target must be the turned size, or a portrait phone photo comes out
 * squashed into landscape) where the header holds it, and the EXIF orientation (1 when none).
 */
async function readHeader(blob: Blob): Promise<{ kind: Kind; size: { width: number; height: number } | null; orientation: number; head: Uint8Array }> {
  // JPEG SOF can sit after large EXIF blocks; 256 KB of header is plenty.
  const head = new Uint8Array(await blob.slice(0, 256 * 1024).arrayBuffer());
  const kind = sniffKind(head);
  const size = kind && headerSize(head, kind);
  const orientation = kind === 'jpeg' ? exifOrientation(head) : 1;
  if (size && orientation >= 5) [size.width, size.height] = [size.height, size.width];
  return { kind, size: size || null, orientation, head };
}

/** A decoded image as a bitmap of at most maxSide on its longest side, and the file's own size. */
export interface BoundedBitmap {
  bitmap: ImageBitmap;
  /** Size of the file's image before any downscaling (EXIF orientation applied). */
  originalWidth: number;
  originalHeight: number;
  /**
   * Only with `ownColour`: the conversion to sRGB still to apply to the bitmap's pixels (a JPEG with a non-sRGB
   * profile, decoded without the browser's colour management; lib/icc.ts).
   */
  colour?: (rgba: Uint8ClampedArray) => void;
}

/**
 * Decodes an image file to a bitmap whose longest side is at most maxSide, honouring EXIF orientation, without
 * holding the full-size pixels where the browser allows: a large JPEG goes through WebCodecs' ImageDecoder at a
 * reduced DCT scale (libjpeg decodes 1/8 .. 8/8 of the size directly), the smallest that still covers maxSide. A
 * 12000 x 12000 JPEG then costs the tab ~85 MB instead of ~760 MB (docs/speed.md, "Decoding large images").
 * Other formats (and rotated JPEGs) decode at full size first, then shrink: their codecs cannot decode smaller.
 */
export async function decodeBitmap(blob: Blob, name: string, maxSide = MAX_DECODE_SIDE, opts: { ownColour?: boolean } = {}): Promise<BoundedBitmap> {
  if (blob.size === 0) throw new ImageInputError(`${name} is empty (0 bytes), so it is not an image`);
  const { kind, size, orientation, head } = await readHeader(blob);
  if (!kind) {
    throw new ImageInputError(`${name} is not an image: its contents are not PNG, JPEG, WebP, BMP or GIF (${formatBytes(blob.size)})`);
  }
  let resize: { resizeWidth: number; resizeHeight: number } | undefined;
  if (size && Math.max(size.width, size.height) > maxSide) {
    const s = maxSide / Math.max(size.width, size.height);
    resize = { resizeWidth: Math.max(1, Math.round(size.width * s)), resizeHeight: Math.max(1, Math.round(size.height * s)) };
  }
  const fail = () =>
    new ImageInputError(`${name} looks like a ${kind.toUpperCase()} file but could not be decoded: it may be truncated or corrupt (${formatBytes(blob.size)})`);
  // The engine's pixels of a JPEG with a non-sRGB profile: the file's own values, converted by lib/icc.ts as the
  // command line converts them, not by the browser (whose rounding differs from libvips').
  const colour = opts.ownColour && kind === 'jpeg' ? jpegColourTransform(head) : null;
  const colorSpaceConversion: ColorSpaceConversion = colour ? 'none' : 'default';
  let bitmap: ImageBitmap;
  try {
    const scaled = resize && size && kind === 'jpeg' && orientation === 1 ? await decodeJpegScaled(blob, size, maxSide, colorSpaceConversion) : null;
    const source: ImageBitmapSource = scaled ?? blob;
    try {
      bitmap = await createImageBitmap(source, {
        imageOrientation: 'from-image',
        colorSpaceConversion,
        premultiplyAlpha: 'none',
        ...(resize ? { ...resize, resizeQuality: 'high' as const } : {}),
      });
    } finally {
      scaled?.close();
    }
  } catch {
    throw fail();
  }
  return { bitmap, originalWidth: size?.width ?? bitmap.width, originalHeight: size?.height ?? bitmap.height, ...(colour ? { colour } : {}) };
}

/**
 * A large JPEG decoded by ImageDecoder at the smallest DCT scale n/8 whose image still covers maxSide; null where
 * WebCodecs is missing (the caller decodes at full size). Chromium picks the largest scale that fits the desired
 * size, so the desired size is that of scale n.
 */
async function decodeJpegScaled(
  blob: Blob,
  size: { width: number; height: number },
  maxSide: number,
  colorSpaceConversion: ColorSpaceConversion,
): Promise<VideoFrame | null> {
  if (typeof ImageDecoder === 'undefined') return null;
  const n = Math.min(8, Math.ceil((8 * maxSide) / Math.max(size.width, size.height)));
  const decoder = new ImageDecoder({
    type: 'image/jpeg',
    data: blob.stream(),
    colorSpaceConversion,
    desiredWidth: Math.ceil((size.width * n) / 8),
    desiredHeight: Math.ceil((size.height * n) / 8),
  });
  try {
    return (await decoder.decode()).image;
  } finally {
    decoder.close();
  }
}

/** Decodes an image file to RGBA, honouring EXIF orientation and capping the longest side at maxSide. */
export async function decodeImage(blob: Blob, name: string, maxSide = MAX_DECODE_SIDE): Promise<DecodedImage> {
  const { bitmap, originalWidth, originalHeight, colour } = await decodeBitmap(blob, name, maxSide, { ownColour: true });
  try {
    let { width, height } = bitmap;
    if (Math.max(width, height) > maxSide) {
      // Header size unknown (e.g. WebP): downscale after decoding.
      const s = maxSide / Math.max(width, height);
      width = Math.max(1, Math.round(width * s));
      height = Math.max(1, Math.round(height * s));
    }
    const canvas = new OffscreenCanvas(width, height);
    const ctx = canvas.getContext('2d', { willReadFrequently: true });
    if (!ctx) throw new ImageInputError(`Could not get a 2D canvas to read ${name}`);
    ctx.drawImage(bitmap, 0, 0, width, height);
    const pixels = ctx.getImageData(0, 0, width, height);
    colour?.(pixels.data);
    return { name, data: pixels.data, width, height, originalWidth, originalHeight };
  } finally {
    bitmap.close();
  }
}

/**
 * An image file's width and height as shown (EXIF orientation applied), from its header where the format allows,
 * else by decoding it; null when it is not a readable image.
 */
export async function imageFileSize(blob: Blob): Promise<{ width: number; height: number } | null> {
  const { kind, size } = await readHeader(blob);
  if (!kind) return null;
  if (size) return size;
  try {
    const bitmap = await createImageBitmap(blob);
    const r = { width: bitmap.width, height: bitmap.height };
    bitmap.close();
    return r;
  } catch {
    return null;
  }
}
