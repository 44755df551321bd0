import { describe, expect, it } from 'vitest';
import { rng } from '../random';
import { gaussianBlur, gaussianKernel, reflectIndex, upsampleBlur } from './blur';
import { bilinearResize } from './resize';

describe('bilinear resize (torch align_corners=False)', () => {
  it('upsamples [[1,2],[3,4]] to 4x4 exactly as F.interpolate does', () => {
    const out = bilinearResize({ data: Float32Array.from([1, 2, 3, 4]), width: 2, height: 2 }, 4, 4);
    expect(Array.from(out.data)).toEqual([
      1, 1.25, 1.75, 2,
      1.5, 1.75, 2.25, 2.5,
      2.5, 2.75, 3.25, 3.5,
      3, 3.25, 3.75, 4,
    ]);
  });

  it('keeps a map of the same size unchanged and a constant map constant', () => {
    const r = rng(3);
    const data = Float32Array.from({ length: 35 }, () => r());
    expect(bilinearResize({ data, width: 7, height: 5 }, 7, 5).data).toEqual(data);
    const c = bilinearResize({ data: new Float32Array(12).fill(2.5), width: 4, height: 3 }, 9, 13);
    expect(c.data.every((v) => v === 2.5)).toBe(true);
  });

  it('downsamples by two as the mean of each 2x2 block', () => {
    const out = bilinearResize({ data: Float32Array.from([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16]), width: 4, height: 4 }, 2, 2);
    expect(Array.from(out.data)).toEqual([3.5, 5.5, 11.5, 13.5]);
  });
});

describe('gaussian blur (scipy gaussian_filter, truncate 4, reflect)', () => {
  it('uses radius floor(4 sigma + 0.5) and normalised weights', () => {
    expect(gaussianKernel(4).length).toBe(33);
    expect(gaussianKernel(1).length).toBe(9);
    expect(gaussianKernel(0.6).length).toBe(5);
    expect(gaussianKernel(4).reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
  });

  it('reflects half-sample symmetric, also beyond one period', () => {
    expect([-3, -2, -1, 0, 1, 2, 3, 4, 5, 6].map((i) => reflectIndex(i, 3))).toEqual([2, 1, 0, 0, 1, 2, 2, 1, 0, 0]);
    expect([-1, 0, 1, 5].map((i) => reflectIndex(i, 1))).toEqual([0, 0, 0, 0]);
  });

  it('matches scipy gaussian_filter1d([1,2,3,4,5], sigma) for sigma 1 and 4', () => {
    const row = { data: Float32Array.from([1, 2, 3, 4, 5]), width: 5, height: 1 };
    const s1 = gaussianBlur(row, 1).data;
    [1.42704095, 2.06782203, 3, 3.93217797, 4.57295905].forEach((v, i) => expect(s1[i]).toBeCloseTo(v, 6));
    const s4 = gaussianBlur(row, 4).data;
    [2.91948343, 2.95023502, 3, 3.04976498, 3.08051657].forEach((v, i) => expect(s4[i]).toBeCloseTo(v, 6));
  });

  it('equals a direct 2-D convolution with reflect borders', () => {
    const r = rng(11);
    for (const [w, h, sigma] of [[13, 9, 1.5], [6, 4, 2], [20, 17, 4]] as const) {
      const data = Float32Array.from({ length: w * h }, () => r() * 10);
      const k = gaussianKernel(sigma);
      const rad = (k.length - 1) / 2;
      const out = gaussianBlur({ data, width: w, height: h }, sigma).data;
      for (let y = 0; y < h; y++) {
        for (let x = 0; x < w; x++) {
          let s = 0;
          for (let dy = -rad; dy <= rad; dy++) {
            for (let dx = -rad; dx <= rad; dx++) {
              s += k[dy + rad] * k[dx + rad] * data[reflectIndex(y + dy, h) * w + reflectIndex(x + dx, w)];
            }
          }
          expect(out[y * w + x]).toBeCloseTo(s, 4);
        }
      }
    }
  });
});

describe('the anomaly map in one pass (upsampleBlur)', () => {
  const grid = (w: number, h: number, seed: number) => {
    let s = seed;
    return { data: Float32Array.from({ length: w * h }, () => ((s = (s * 1103515245 + 12345) >>> 0) / 2 ** 32) * 5), width: w, height: h };
  };
  const close = (a: Float32Array, b: Float32Array) => {
    let worst = 0, top = 0;
    for (let i = 0; i < a.length; i++) {
      worst = Math.max(worst, Math.abs(a[i] - b[i]));
      top = Math.max(top, Math.abs(b[i]));
    }
    return worst / top;
  };
  it.each([
    ['a 672 x 448 map from 84 x 56 patches, sigma 4', 84, 56, 672, 448, 4, undefined],
    ['a map smaller than the kernel (reflected several times)', 3, 2, 20, 9, 4, undefined],
    ['no blur', 7, 5, 56, 40, 0, undefined],
    ['cells at receptive-field centres', 28, 28, 224, 224, 4, { x: { scale: 1 / 8, offset: -1.9 }, y: { scale: 1 / 8, offset: -1.9 } }],
  ] as const)('equals the upsampling then the blur: %s', (_, gw, gh, w, h, sigma, mapping) => {
    const p = grid(gw, gh, gw * 31 + gh);
    const want = gaussianBlur(bilinearResize(p, w, h, mapping), sigma);
    const got = upsampleBlur(p, w, h, sigma, mapping);
    expect(got.width).toBe(w);
    expect(got.height).toBe(h);
    // The same sums in another order: equal to a few fp32 roundings.
    expect(close(got.data, want.data)).toBeLessThan(1e-6);
  });
});
