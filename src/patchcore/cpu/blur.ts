// Gaussian smoothing of the anomaly map (sec. 3.3), as scipy.ndimage.gaussian_filter does it for the authors:
// separable, radius floor(4 * sigma + 0.5) (truncate = 4), normalised weights, 'reflect' border (d c b a | a b c d).
import type { AnomalyMap, AxisMapping, GridMapping } from '../types';
import { linearTaps } from './resize';

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

/**
 * One axis of the map's upsampling followed by its blur, as one banded matrix: output sample o is
 * sum_j weights[o * taps + j] * cell[start[o] + j]. Both steps are linear, so their product is exact algebra; only
 * the rounding differs from running them one after the other.
 */
function upsampleBlurTaps(cells: number, size: number, k: Float64Array, mapping?: AxisMapping) {
  const t = linearTaps(cells, size, mapping);
  const r = (k.length - 1) / 2;
  const dense = new Float64Array(cells);
  const start = new Int32Array(size);
  const count = new Int32Array(size);
  const rows: Float64Array[] = [];
  let taps = 1;
  for (let o = 0; o < size; o++) {
    let lo = cells, hi = -1;
    for (let i = -r; i <= r; i++) {
      const s = reflectIndex(o + i, size);
      const w1 = t.w1[s];
      dense[t.i0[s]] += k[i + r] * (1 - w1);
      dense[t.i1[s]] += k[i + r] * w1;
      lo = Math.min(lo, t.i0[s]);
      hi = Math.max(hi, t.i1[s]);
    }
    start[o] = lo;
    count[o] = hi - lo + 1;
    rows.push(dense.slice(lo, hi + 1));
    taps = Math.max(taps, hi - lo + 1);
    dense.fill(0, lo, hi + 1);
  }
  const weights = new Float64Array(size * taps);
  rows.forEach((w, o) => weights.set(w, o * taps));
  return { start, count, weights, taps };
}

/**
 * The anomaly map of sec. 3.3 in one pass: patch scores (gridW x gridH) upsampled bilinearly to width x height and
 * blurred with the Gaussian of sigmaPx, as bilinearResize then gaussianBlur give it (equal up to fp32 rounding), but
 * through the cells: each axis's upsampling and blur are one banded matrix of ~(8 sigma + 2 x stride) / stride
 * cells, so a 672 x 448 map costs ~2 M multiply-adds instead of ~20 M. The CPU kernels' map (the GPU blurs
 * the upsampled map with its WGSL kernel, whose twin is gaussianBlur).
 */
export function upsampleBlur(patchScores: AnomalyMap, width: number, height: number, sigmaPx: number, mapping?: GridMapping): AnomalyMap {
  const { width: gw, height: gh, data: S } = patchScores;
  if (gw < 1 || gh < 1) throw new Error(`Cannot resize an empty ${gw}x${gh} map`);
  const k = sigmaPx > 0 ? gaussianKernel(sigmaPx) : Float64Array.of(1);
  const tx = upsampleBlurTaps(gw, width, k, mapping?.x);
  const ty = upsampleBlurTaps(gh, height, k, mapping?.y);
  // Along x, on the cells' rows: gh x width.
  const T = new Float64Array(gh * width);
  for (let gy = 0; gy < gh; gy++) {
    const row = gy * gw;
    for (let x = 0; x < width; x++) {
      const s0 = row + tx.start[x], w0 = x * tx.taps;
      let s = 0;
      for (let j = 0; j < tx.count[x]; j++) s += tx.weights[w0 + j] * S[s0 + j];
      T[gy * width + x] = s;
    }
  }
  // Along y: each output row a weighted sum of a few of those rows.
  const out = new Float32Array(width * height);
  const acc = new Float64Array(width);
  for (let y = 0; y < height; y++) {
    acc.fill(0);
    for (let j = 0; j < ty.count[y]; j++) {
      const w = ty.weights[y * ty.taps + j];
      const from = (ty.start[y] + j) * width;
      for (let x = 0; x < width; x++) acc[x] += w * T[from + x];
    }
    out.set(acc, y * width);
  }
  return { data: out, width, height };
}
