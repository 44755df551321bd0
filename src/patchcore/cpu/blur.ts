// Gaussian smoothing of the anomaly map (sec. 3.3), as scipy.ndimage.gaussian_filter does it for the authors:
// separable, radius floor(4 * sigma + 0.5) (truncate = 4), normalised weights, 'reflect' border (d c b a | a b c d).
import type { AnomalyMap } from '../types';

/** Normalised 1-D Gaussian weights for offsets -radius..radius. */
export function gaussianKernel(sigmaPx: number): Float64Array {
  const radius = Math.floor(4 * sigmaPx + 0.5);
  const w = new Float64Array(2 * radius + 1);
  let sum = 0;
  for (let i = -radius; i <= radius; i++) {
    const v = Math.exp((-0.5 * i * i) / (sigmaPx * sigmaPx));
    w[i + radius] = v;
    sum += v;
  }
  for (let i = 0; i < w.length; i++) w[i] /= sum;
  return w;
}

/** scipy 'reflect' (half-sample symmetric) index for any offset, also when the kernel is wider than the map. */
export function reflectIndex(i: number, n: number): number {
  const period = 2 * n;
  let m = i % period;
  if (m < 0) m += period;
  return m < n ? m : period - 1 - m;
}

/**
 * Blurs along y, then along x (scipy's axis order); the intermediate is stored in fp32 as scipy does for an fp32
 * input. sigmaPx <= 0 returns a copy.
 */
export function gaussianBlur(map: AnomalyMap, sigmaPx: number): AnomalyMap {
  const { width: w, height: h } = map;
  if (!(sigmaPx > 0)) return { data: map.data.slice(0, w * h), width: w, height: h };
  const k = gaussianKernel(sigmaPx);
  const r = (k.length - 1) / 2;
  const src = map.data;
  const tmp = new Float32Array(w * h);
  // Along y: rows of the output are weighted sums of whole source rows, which keeps the inner loop contiguous.
  const acc = new Float64Array(w);
  for (let y = 0; y < h; y++) {
    acc.fill(0);
    for (let t = -r; t <= r; t++) {
      const kw = k[t + r];
      const row = reflectIndex(y + t, h) * w;
      for (let x = 0; x < w; x++) acc[x] += kw * src[row + x];
    }
    tmp.set(acc, y * w);
  }
  // Along x: pad each row by reflection once, then convolve.
  const out = new Float32Array(w * h);
  const padded = new Float64Array(w + 2 * r);
  const idx = new Int32Array(w + 2 * r);
  for (let i = 0; i < idx.length; i++) idx[i] = reflectIndex(i - r, w);
  for (let y = 0; y < h; y++) {
    const o = y * w;
    for (let i = 0; i < idx.length; i++) padded[i] = tmp[o + idx[i]];
    for (let x = 0; x < w; x++) {
      let s = 0;
      for (let t = 0; t < k.length; t++) s += k[t] * padded[x + t];
      out[o + x] = s;
    }
  }
  return { data: out, width: w, height: h };
}
