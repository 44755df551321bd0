// The command line's decoder (sharp) hands the engine what the browser's does: EXIF orientation applied, grey
// images as RGBA, the 2048 px cap, PNG gamma colour-managed to sRGB as Chromium does, and readable refusals.
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { decodeBytes, pngGamma } from './decode';

const raw = (w: number, h: number, f: (x: number, y: number) => [number, number, number]) => {
  const px = Buffer.alloc(w * h * 3);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) px.set(f(x, y), (y * w + x) * 3);
  return sharp(px, { raw: { width: w, height: h, channels: 3 } });
};

describe('decoding on the command line', () => {
  it('turns a JPEG by its EXIF orientation, as the browser does', async () => {
    const jpeg = await raw(40, 20, (x) => (x < 20 ? [250, 0, 0] : [0, 0, 250])).jpeg({ quality: 95 }).withMetadata({ orientation: 6 }).toBuffer();
    const img = await decodeBytes(jpeg, 'phone.jpg');
    expect([img.width, img.height]).toEqual([20, 40]);
    expect([img.originalWidth, img.originalHeight]).toEqual([20, 40]);
    // Orientation 6 turns the image a quarter clockwise: the red left half ends on top.
    expect(img.data[0]).toBeGreaterThan(200);
    expect(img.data[(39 * 20) * 4 + 2]).toBeGreaterThan(200);
  });

  it('gives grey images as RGBA and caps the longest side at 2048 px', async () => {
    const grey = await raw(3000, 10, () => [90, 90, 90]).greyscale().png().toBuffer();
    const img = await decodeBytes(grey, 'grey.png');
    expect([img.width, img.height, img.originalWidth]).toEqual([2048, 7, 3000]);
    expect(img.data.length).toBe(2048 * 7 * 4);
    expect(Array.from(img.data.subarray(0, 4))).toEqual([90, 90, 90, 255]);
  });

  it('says why a file is not an image', async () => {
    await expect(decodeBytes(new Uint8Array(0), 'a.png')).rejects.toThrow('a.png is empty (0 bytes), so it is not an image');
    await expect(decodeBytes(new TextEncoder().encode('hello'), 'b.png')).rejects.toThrow(/b\.png is not an image/);
    await expect(decodeBytes(Uint8Array.of(0x42, 0x4d, 1, 2), 'c.bmp')).rejects.toThrow(/BMP file.*convert it to PNG/);
    const png = await raw(64, 64, (x, y) => [x * 4, y * 4, 0]).png().toBuffer();
    await expect(decodeBytes(png.subarray(0, 80), 'd.png')).rejects.toThrow(/d\.png looks like a PNG file but could not be decoded/);
  });

  const mvtec = resolve(process.env.PATCHCORE_DATA ?? resolve(import.meta.dirname, '..', '..', '..', 'shared', 'data'), 'hazelnut_small', 'train', 'good', '000.png');
  it.skipIf(!existsSync(mvtec))('colour-manages a PNG with a gAMA chunk (MVTec\'s 1/2.2) to sRGB, as Chromium does', async () => {
    const bytes = readFileSync(mvtec);
    expect(pngGamma(bytes)).toBeCloseTo(0.45455, 5);
    const img = await decodeBytes(bytes, '000.png');
    const plain = await sharp(bytes).ensureAlpha().raw().toBuffer();
    // Every channel value v goes through pure gamma 2.2 -> sRGB; the darks move down (sRGB's linear toe).
    const srgb = (v: number) => {
      const lin = Math.pow(v / 255, 1 / 0.45455);
      return Math.round(255 * (lin <= 0.0031308 ? 12.92 * lin : 1.055 * Math.pow(lin, 1 / 2.4) - 0.055));
    };
    let moved = 0, wrong = 0;
    for (let i = 0; i < plain.length; i++) {
      if (i % 4 === 3) continue;
      if (img.data[i] !== srgb(plain[i])) wrong++;
      if (img.data[i] !== plain[i]) moved++;
    }
    expect(wrong).toBe(0);
    expect(moved).toBeGreaterThan(plain.length / 8);
  });
});
