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

/**
 * `rows` queries near bank rows, as test patches lie near the good ones: query i is bank row (i * step + seed) mod
 * the bank's rows, plus seeded uniform noise of width `scale` on every value.
 */
export function nearRows(bank: Matrix, rows: number, seed: number, scale: number, step = 7919): Matrix {
  const out = new Float32Array(rows * bank.cols);
  let s = seed;
  for (let i = 0; i < rows; i++) {
    const r = (i * step + seed) % bank.rows;
    for (let j = 0; j < bank.cols; j++) {
      s = (s * 1103515245 + 12345) >>> 0;
      out[i * bank.cols + j] = bank.data[r * bank.cols + j] + (s / 2 ** 32 - 0.5) * scale;
    }
  }
  return { data: out, rows, cols: bank.cols };
}
