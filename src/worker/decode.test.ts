// Reading an image file's kind, size and orientation from its first bytes, and the messages for files that are
// not images at all (those never reach the browser's decoder, so they run here in node).
import { describe, expect, it } from 'vitest';
import { decodeImage, exifOrientation, headerSize, ImageInputError, sniffKind } from './decode';

const u8 = (...parts: (number[] | string)[]) => new Uint8Array(parts.flatMap((p) => (typeof p === 'string' ? [...p].map((c) => c.charCodeAt(0)) : p)));
const be32 = (n: number) => [(n >>> 24) & 255, (n >>> 16) & 255, (n >>> 8) & 255, n & 255];
const be16 = (n: number) => [(n >> 8) & 255, n & 255];
const le32 = (n: number) => [n & 255, (n >>> 8) & 255, (n >>> 16) & 255, (n >>> 24) & 255];
const le16 = (n: number) => [n & 255, (n >> 8) & 255];

const PNG_SIG = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
const png = (w: number, h: number) => u8(PNG_SIG, be32(13), 'IHDR', be32(w), be32(h), [16, 2, 0, 0, 0]);
/** SOI, optional segments, then a SOFn with the given size and component count. */
const jpeg = (w: number, h: number, { sof = 0xc0, components = 3, before = [] as number[][] } = {}) =>
  u8([0xff, 0xd8], ...before, [0xff, sof], be16(8 + 3 * components), [8], be16(h), be16(w), [components], ...Array.from({ length: components }, (_, i) => [i + 1, 0x11, 0]));
const segment = (marker: number, body: number[]) => [0xff, marker, ...be16(body.length + 2), ...body];
const exifBE = (orientation: number) =>
  segment(0xe1, [...u8('Exif', [0, 0], 'MM', [0, 0x2a], be32(8), be16(1), be16(0x0112), be16(3), be32(1), be16(orientation), [0, 0], be32(0))]);
const exifLE = (orientation: number) =>
  segment(0xe1, [...u8('Exif', [0, 0], 'II', [0x2a, 0], le32(8), le16(2), le16(0x010f), le16(2), le32(4), le32(0), le16(0x0112), le16(3), le32(1), le16(orientation), [0, 0], le32(0))]);

describe('sniffKind', () => {
  it('recognises each format by its signature, not its name', () => {
    expect(sniffKind(png(1, 1))).toBe('png');
    expect(sniffKind(jpeg(1, 1))).toBe('jpeg');
    expect(sniffKind(u8('RIFF', le32(100), 'WEBPVP8 '))).toBe('webp');
    expect(sniffKind(u8('BM', le32(70), [0, 0, 0, 0], le32(54)))).toBe('bmp');
    expect(sniffKind(u8('GIF89a', le16(10), le16(5)))).toBe('gif');
  });

  it('rejects text, other containers and signatures cut short', () => {
    expect(sniffKind(u8('Shift notes: line 3 stopped'))).toBeNull();
    expect(sniffKind(u8('RIFF', le32(100), 'WAVEfmt '))).toBeNull(); // a WAV is RIFF too
    expect(sniffKind(u8([0x89, 0x50, 0x4e]))).toBeNull(); // 3 bytes of a PNG signature
    expect(sniffKind(u8([0xff, 0xd8]))).toBeNull();
    expect(sniffKind(new Uint8Array(0))).toBeNull();
  });
});

describe('headerSize', () => {
  it('reads PNG width and height from IHDR, up to 32-bit sizes', () => {
    expect(headerSize(png(12000, 9000), 'png')).toEqual({ width: 12000, height: 9000 });
    expect(headerSize(png(70000, 3), 'png')).toEqual({ width: 70000, height: 3 });
  });

  it('finds the JPEG frame header after APP segments and for progressive frames, skipping DHT', () => {
    const app0 = segment(0xe0, [...u8('JFIF', [0, 1, 1, 0, 0, 1, 0, 1, 0, 0])]);
    const dht = segment(0xc4, new Array(20).fill(0)); // 0xC4 is in the SOF range but is a Huffman table
    expect(headerSize(jpeg(4000, 3000, { before: [app0, dht] }), 'jpeg')).toEqual({ width: 4000, height: 3000 });
    expect(headerSize(jpeg(640, 480, { sof: 0xc2 }), 'jpeg')).toEqual({ width: 640, height: 480 });
    expect(headerSize(jpeg(128, 96, { components: 4 }), 'jpeg')).toEqual({ width: 128, height: 96 });
  });

  it('finds a JPEG frame header behind a large EXIF block', () => {
    const bigExif = segment(0xe1, [...u8('Exif', [0, 0]), ...new Array(60_000).fill(0x20)]);
    expect(headerSize(jpeg(6000, 4000, { before: [bigExif] }), 'jpeg')).toEqual({ width: 6000, height: 4000 });
  });

  it('reads BMP (negative height = top-down) and GIF sizes', () => {
    const bmp = u8('BM', le32(0), le32(0), le32(54), le32(40), le32(300), le32(-200 >>> 0));
    expect(headerSize(bmp, 'bmp')).toEqual({ width: 300, height: 200 });
    expect(headerSize(u8('GIF89a', le16(320), le16(240)), 'gif')).toEqual({ width: 320, height: 240 });
  });

  it('gives up (null) on headers cut short or formats without a cheap size', () => {
    expect(headerSize(png(10, 10).slice(0, 20), 'png')).toBeNull();
    expect(headerSize(jpeg(10, 10).slice(0, 8), 'jpeg')).toBeNull();
    expect(headerSize(u8('RIFF', le32(100), 'WEBPVP8 '), 'webp')).toBeNull();
  });
});

describe('exifOrientation', () => {
  it('reads the orientation tag in big- and little-endian EXIF', () => {
    expect(exifOrientation(jpeg(3000, 1000, { before: [exifBE(6)] }))).toBe(6);
    expect(exifOrientation(jpeg(3000, 1000, { before: [exifLE(8)] }))).toBe(8);
    expect(exifOrientation(jpeg(3000, 1000, { before: [exifBE(3)] }))).toBe(3);
  });

  it('is 1 without EXIF, with an out-of-range value, or when the EXIF comes after the image data', () => {
    expect(exifOrientation(jpeg(10, 10))).toBe(1);
    expect(exifOrientation(jpeg(10, 10, { before: [exifBE(42)] }))).toBe(1);
    expect(exifOrientation(u8([0xff, 0xd8], segment(0xda, [0]), exifBE(6)))).toBe(1);
    expect(exifOrientation(jpeg(10, 10, { before: [exifBE(6)] }).slice(0, 20))).toBe(1);
  });
});

describe('decodeImage refuses what is not an image, naming the file', () => {
  it('an empty file', async () => {
    await expect(decodeImage(new Blob([]), 'empty.png')).rejects.toThrow(new ImageInputError('empty.png is empty (0 bytes), so it is not an image'));
  });

  it('a text file with an image name', async () => {
    const text = 'Shift notes: line 3 stopped at 14:02.';
    await expect(decodeImage(new Blob([text]), 'notes.png')).rejects.toThrow(
      `notes.png is not an image: its contents are not PNG, JPEG, WebP, BMP or GIF (${text.length} bytes)`,
    );
    await expect(decodeImage(new Blob([new Uint8Array(3000)]), 'zeros.jpg')).rejects.toThrow('zeros.jpg is not an image: its contents are not PNG, JPEG, WebP, BMP or GIF (3 kB)');
  });
});
