// Locally aware patch features (paper eq. 1-3): a p x p neighbourhood mean of each backbone map, the stride-16
// map resampled bilinearly onto the stride-8 grid, optional adaptive average pooling of channels, concatenation.
// A backbone with one tap (a transformer's patch tokens) gives one map: its neighbourhood means are the features.
import type { FeatureMap } from '../../backbone/types';
import type { AggregateOptions, PatchFeatures } from '../types';
import { linearTaps } from './resize';

/**
 * p x p mean, stride 1, zero padding, divisor always p*p (torch AvgPool2d count_include_pad / the authors'
 * unfold + mean). The window of cell x is [x - floor(p/2), x - floor(p/2) + p), so the grid keeps its size
 * (for odd p exactly the authors' padding (p-1)/2). Returns the map channels last: [h][w][c].
 */
export function localAverage(map: FeatureMap, p: number): Float32Array {
  const { channels: c, height: h, width: w, data } = map;
  if (data.length < c * h * w) throw new Error(`Feature map holds ${data.length} values, expected ${c}x${h}x${w}`);
  const out = new Float32Array(h * w * c);
  const lo = -Math.floor(p / 2);
  const inv = 1 / (p * p);
  const rowSum = new Float64Array(h * w); // horizontal window sums of one channel
  for (let ch = 0; ch < c; ch++) {
    const plane = ch * h * w;
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        let s = 0;
        const a = Math.max(0, x + lo), b = Math.min(w, x + lo + p);
        for (let xx = a; xx < b; xx++) s += data[plane + y * w + xx];
        rowSum[y * w + x] = s;
      }
    }
    for (let y = 0; y < h; y++) {
      const a = Math.max(0, y + lo), b = Math.min(h, y + lo + p);
      for (let x = 0; x < w; x++) {
        let s = 0;
        for (let yy = a; yy < b; yy++) s += rowSum[yy * w + x];
        out[(y * w + x) * c + ch] = s * inv;
      }
    }
  }
  return out;
}

/** One averaged map (channels last) as patch features, its channels pooled to layerDim and then targetDim. */
function single(a1: Float32Array, m1: FeatureMap, opts: AggregateOptions): PatchFeatures {
  const cells = m1.height * m1.width;
  const c = m1.channels;
  const d = opts.layerDim === 'native' ? c : opts.layerDim;
  const dOut = opts.targetDim === 'none' ? d : opts.targetDim;
  const grid = { rows: cells, gridH: m1.height, gridW: m1.width };
  if (d === c && dOut === d) return { data: a1, cols: c, ...grid };
  const bins = d === c ? null : adaptiveBins(c, d);
  const binsOut = dOut === d ? null : adaptiveBins(d, dOut);
  const mid = new Float32Array(d);
  const out = new Float32Array(cells * dOut);
  for (let i = 0; i < cells; i++) {
    const v = bins ? (poolInto(a1, i * c, mid, 0, bins), mid) : a1.subarray(i * c, (i + 1) * c);
    if (binsOut) poolInto(v, 0, out, i * dOut, binsOut);
    else out.set(v, i * dOut);
  }
  return { data: out, cols: dOut, ...grid };
}

/**
 * Every row scaled to unit length (rows of zeros stay zero, as torch's F.normalize with eps 1e-12): the cosine
 * distance option. Euclidean distance between unit vectors is sqrt(2 - 2 cos), so the coreset, the nearest-neighbour
 * search and eq. 7 rank by cosine without changing. In place; returns `m`.
 */
export function normaliseRows<M extends { data: Float32Array; rows: number; cols: number }>(m: M): M {
  const { data, rows, cols } = m;
  for (let r = 0; r < rows; r++) {
    const o = r * cols;
    let s = 0;
    for (let k = 0; k < cols; k++) s += data[o + k] * data[o + k];
    const inv = 1 / Math.max(Math.sqrt(s), 1e-12);
    for (let k = 0; k < cols; k++) data[o + k] *= inv;
  }
  return m;
}

/** Bins of torch adaptive_avg_pool1d from `inDim` to `outDim`: bin i covers [floor(i*C/D), ceil((i+1)*C/D)). */
export function adaptiveBins(inDim: number, outDim: number): { start: Int32Array; end: Int32Array } {
  const start = new Int32Array(outDim);
  const end = new Int32Array(outDim);
  for (let i = 0; i < outDim; i++) {
    start[i] = Math.floor((i * inDim) / outDim);
    end[i] = Math.ceil(((i + 1) * inDim) / outDim);
  }
  return { start, end };
}

/** Adaptive average pooling of the vector at src[srcOff...] into dst[dstOff...], over the given bins. */
function poolInto(src: Float32Array | Float64Array, srcOff: number, dst: Float32Array, dstOff: number, bins: { start: Int32Array; end: Int32Array }): void {
  const n = bins.start.length;
  for (let i = 0; i < n; i++) {
    const a = bins.start[i], b = bins.end[i];
    let s = 0;
    for (let k = a; k < b; k++) s += src[srcOff + k];
    dst[dstOff + i] = s / (b - a);
  }
}

/**
 * Eq. 1-3 for one image. maps[0] is the stride-8 map and defines the grid; maps[1] (stride 16) is averaged on its
 * own grid first, then resampled bilinearly (opts.layer2, default align_corners=False). Per-layer pooling to `layerDim` happens before
 * the concatenation [layer 1, layer 2]; `targetDim` pools the concatenated vector. One map alone: its average, pooled.
 */
export function aggregate(maps: readonly FeatureMap[], opts: AggregateOptions): PatchFeatures {
  const [m1, m2] = maps;
  const p = opts.patchSize;
  if (!(p >= 1)) throw new Error(`patchSize must be at least 1, got ${p}`);
  if (maps.length !== 1 && maps.length !== 2) throw new Error(`aggregate takes one or two feature maps, got ${maps.length}`);
  const a1 = localAverage(m1, p);
  if (!m2) return single(a1, m1, opts);
  const a2 = localAverage(m2, p);
  const gh = m1.height, gw = m1.width;
  const c1 = m1.channels, c2 = m2.channels;
  const d1 = opts.layerDim === 'native' ? c1 : opts.layerDim;
  const d2 = opts.layerDim === 'native' ? c2 : opts.layerDim;
  const dCat = d1 + d2;
  const dOut = opts.targetDim === 'none' ? dCat : opts.targetDim;
  const bins1 = d1 === c1 ? null : adaptiveBins(c1, d1);
  const bins2 = d2 === c2 ? null : adaptiveBins(c2, d2);
  const binsOut = dOut === dCat ? null : adaptiveBins(dCat, dOut);

  const ty = linearTaps(m2.height, gh, opts.layer2?.y);
  const tx = linearTaps(m2.width, gw, opts.layer2?.x);
  const cells = gh * gw;
  const out = new Float32Array(cells * dOut);
  const cat = binsOut ? new Float32Array(dCat) : null;
  const up = new Float64Array(c2); // layer-2 vector at one cell of the stride-8 grid
  for (let y = 0; y < gh; y++) {
    const r0 = ty.i0[y] * m2.width, r1 = ty.i1[y] * m2.width, wy = ty.w1[y], vy = 1 - wy;
    for (let x = 0; x < gw; x++) {
      const cell = y * gw + x;
      const x0 = tx.i0[x], x1 = tx.i1[x], wx = tx.w1[x], vx = 1 - wx;
      const o00 = (r0 + x0) * c2, o01 = (r0 + x1) * c2, o10 = (r1 + x0) * c2, o11 = (r1 + x1) * c2;
      for (let k = 0; k < c2; k++) {
        up[k] = vy * (vx * a2[o00 + k] + wx * a2[o01 + k]) + wy * (vx * a2[o10 + k] + wx * a2[o11 + k]);
      }
      const dst = cat ?? out;
      const base = cat ? 0 : cell * dOut;
      if (bins1) poolInto(a1, cell * c1, dst, base, bins1);
      else dst.set(a1.subarray(cell * c1, (cell + 1) * c1), base);
      if (bins2) poolInto(up, 0, dst, base + d1, bins2);
      else for (let k = 0; k < c2; k++) dst[base + d1 + k] = up[k];
      if (cat && binsOut) poolInto(cat, 0, out, cell * dOut, binsOut);
    }
  }
  return { data: out, rows: cells, cols: dOut, gridH: gh, gridW: gw };
}
