// Backbone input preparation: shapes, normalisation, area-averaging when shrinking, the aspect-keeping 'fit', and
// the centre-crop protocol.
import { describe, expect, it } from 'vitest';
import { geometryOf, imageWindow, inputGeometry, preprocess, preprocessRows, sourceRows, type RgbaImage } from './preprocess';
import { padReflect } from './placement';

function image(w: number, h: number, f: (x: number, y: number) => [number, number, number]): RgbaImage {
  const data = new Uint8ClampedArray(w * h * 4);
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++) {
      const [r, g, b] = f(x, y);
      data.set([r, g, b, 255], (y * w + x) * 4);
    }
  return { data, width: w, height: h };
}
const norm = { mean: [0.5, 0.5, 0.5] as const, std: [0.5, 0.5, 0.5] as const, inputSize: 224 };
const raw = { mean: [0, 0, 0] as const, std: [1, 1, 1] as const, inputSize: 224 };

describe('preprocess', () => {
  it('a flat colour stays flat and is normalised per channel into NCHW', () => {
    const out = preprocess(image(300, 200, () => [255, 0, 51]), norm, { workingSize: 32 }).data;
    expect(out.length).toBe(3 * 32 * 32);
    expect(Math.min(...out.subarray(0, 1024))).toBeCloseTo(1, 5);
    expect(Math.max(...out.subarray(1024, 2048))).toBeCloseTo(-1, 5);
    expect(out[2048 + 500]).toBeCloseTo(51 / 255 / 0.5 - 1, 5);
  });

  it('same-size input passes through unchanged', () => {
    const img = image(16, 16, (x, y) => [x * 16, y * 16, (x + y) * 8]);
    const out = preprocess(img, raw, { workingSize: 16 }).data;
    expect(out[5 * 16 + 7] * 255).toBeCloseTo(7 * 16, 3);
    expect(out[256 + 5 * 16 + 7] * 255).toBeCloseTo(5 * 16, 3);
  });

  it('shrinking a fine checkerboard averages it to grey (antialiased, no aliasing)', () => {
    const img = image(448, 448, (x, y) => ((x + y) % 2 ? [255, 255, 255] : [0, 0, 0]));
    const out = preprocess(img, raw, { workingSize: 224 / 4 }).data;
    for (const v of out) expect(Math.abs(v - 0.5)).toBeLessThan(0.02);
  });

  it('centreCrop resizes to round(S/0.875) and keeps the middle: a centred square fills it', () => {
    // 256 px image with a 224 px white square in the middle: after resize to 256 and crop 224, all white.
    const img = image(256, 256, (x, y) => (x >= 16 && x < 240 && y >= 16 && y < 240 ? [255, 255, 255] : [0, 0, 0]));
    const cropped = preprocess(img, raw, { framing: 'crop' }).data;
    expect(Math.min(...cropped.subarray(0, 224 * 224))).toBeCloseTo(1, 5);
    const whole = preprocess(img, raw).data;
    expect(whole[0]).toBeLessThan(0.01); // the black border survives without the crop
  });

  it("'fit' keeps the aspect ratio: shorter side = size, longer side a multiple of the backbone's, capped", () => {
    // KolektorSDD's 320 x 805 strips, a cookie's 320 x 427 photo, a square bottle, a 10:1 sliver.
    expect(inputGeometry(320, 805, 224, 'fit', 16)).toMatchObject({ width: 224, height: 560 });
    expect(inputGeometry(427, 320, 224, 'fit', 16)).toMatchObject({ width: 304, height: 224 });
    expect(inputGeometry(320, 320, 224, 'fit', 16)).toMatchObject({ width: 224, height: 224 });
    expect(inputGeometry(2000, 200, 224, 'fit', 16, 3)).toMatchObject({ width: 672, height: 224 });
    // A backbone that only takes its square squashes instead.
    expect(inputGeometry(320, 805, 224, 'fit')).toMatchObject({ width: 224, height: 224 });
    expect(inputGeometry(320, 805, 224, 'squash', 16)).toMatchObject({ width: 224, height: 224 });
  });

  it('reports the window of the image the input covers: all of it, or the centre crop', () => {
    expect(imageWindow(inputGeometry(320, 805, 224, 'fit', 16))).toEqual({ x: 0, y: 0, w: 1, h: 1 });
    expect(imageWindow(inputGeometry(320, 805, 224, 'squash', 16))).toEqual({ x: 0, y: 0, w: 1, h: 1 });
    // 256 x 256 -> resized to 256, centre 224: 16 px off each side.
    expect(imageWindow(inputGeometry(256, 256, 224, 'crop'))).toEqual({ x: 16 / 256, y: 16 / 256, w: 224 / 256, h: 224 / 256 });
    // Landscape 512 x 256 -> 512 x 256, centre 224 x 224.
    const w = imageWindow(inputGeometry(512, 256, 224, 'crop'));
    expect(w).toEqual({ x: 144 / 512, y: 16 / 256, w: 224 / 512, h: 224 / 256 });
    // preprocess reports the same window with its input.
    const img = image(512, 256, () => [0, 0, 0]);
    expect(preprocess(img, raw, { framing: 'crop' }).window).toEqual(w);
  });

  it("'fit' output is NCHW at the fitted size: a left-to-right ramp keeps its shape instead of being squeezed", () => {
    const img = image(448, 224, (x) => [Math.round((x / 447) * 255), 0, 0]);
    const fit = preprocess(img, { ...raw, inputMultiple: 16 }, { framing: 'fit' });
    expect([fit.width, fit.height]).toEqual([448, 224]);
    expect(fit.data.length).toBe(3 * 448 * 224);
    expect(fit.data[10 * 448 + 224] * 255).toBeCloseTo((224 / 447) * 255, 0); // the middle column is half way
    const squash = preprocess(img, raw, { framing: 'squash' });
    expect([squash.width, squash.height]).toEqual([224, 224]);
  });

  it('makes any band of input rows from only the source rows it reads, as the whole makes them, and says when rows are missing', () => {
    const img = image(500, 330, (x, y) => [(x * 7 + y * 3) % 256, (x * y) % 256, (x + 5 * y) % 256]);
    const norm = { ...raw, inputMultiple: 16 };
    const whole = preprocess(img, norm, { framing: 'fit', workingSize: 160 });
    const g = geometryOf(img, norm, { framing: 'fit', workingSize: 160 });
    const [first, end] = sourceRows(img.height, g, 50, 90);
    expect(first).toBeGreaterThan(0);
    expect(end).toBeLessThan(img.height);
    const band = preprocessRows({ ...img, data: img.data.slice(first * 500 * 4, end * 500 * 4) }, norm, g, 50, 90, first);
    const W = g.width, H = g.height;
    for (let c = 0; c < 3; c++)
      expect(Array.from(band.subarray(c * W * 40, (c + 1) * W * 40))).toEqual(Array.from(whole.data.subarray(c * W * H + 50 * W, c * W * H + 90 * W)));
    expect(() => preprocessRows({ ...img, data: img.data.slice(first * 500 * 4, (end - 1) * 500 * 4) }, norm, g, 50, 90, first)).toThrow(
      /rows 50-90 read source rows \d+-\d+, but only \d+ bytes from row \d+ were given/,
    );
  });
});

describe('padReflect', () => {
  it('mirrors without repeating the edge, per channel, and folds back on inputs narrower than the pad', () => {
    // One row per channel: [1 2 3] -> pad 2 -> [3 2 | 1 2 3 | 2 1] (numpy 'reflect').
    const input = { data: Float32Array.from([1, 2, 3, 10, 20, 30, 100, 200, 300]), width: 3, height: 1 };
    const out = padReflect(input, 2);
    expect([out.width, out.height]).toEqual([7, 5]);
    expect(Array.from(out.data.subarray(2 * 7, 3 * 7))).toEqual([3, 2, 1, 2, 3, 2, 1]);
    expect(Array.from(out.data.subarray(35 + 2 * 7, 35 + 3 * 7))).toEqual([30, 20, 10, 20, 30, 20, 10]);
    // A single row mirrors onto itself vertically.
    expect(Array.from(out.data.subarray(0, 7))).toEqual([3, 2, 1, 2, 3, 2, 1]);
    // Pad wider than the input: 1 2 3 2 1 2 3 ... both ways.
    expect(Array.from(padReflect(input, 4).data.subarray(4 * 11, 5 * 11))).toEqual([1, 2, 3, 2, 1, 2, 3, 2, 1, 2, 3]);
    expect(padReflect(input, 0)).toBe(input);
  });
});
