// Seeded test matrices shared by the kernels' and the selections' tests.
import { rng } from './random';
import type { Matrix } from './types';

/** rows x cols values uniform in [lo, hi). */
export function uniform(rows: number, cols: number, seed: number, lo = 0, hi = 1): Matrix {
  const r = rng(seed);
  return { data: Float32Array.from({ length: rows * cols }, () => lo + (hi - lo) * r()), rows, cols };
}

/**
 * Gaussian-ish blobs of different spreads around `k` centres (shifted by `offset`: large norms, small distances, the
 * fp32 cancellation case): the case where cluster pruning matters.
 */
export function blobs(n: number, d: number, k: number, seed: number, offset = 0): Matrix {
  const r = rng(seed);
  const centres = Array.from({ length: k }, () => Array.from({ length: d }, () => offset + r() * 8));
  const data = new Float32Array(n * d);
  for (let i = 0; i < n; i++) {
    const c = centres[Math.floor(r() * k)];
    const s = 0.05 + r();
    for (let j = 0; j < d; j++) data[i * d + j] = c[j] + (r() + r() + r() - 1.5) * s;
  }
  return { data, rows: n, cols: d };
}
