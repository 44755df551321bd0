// Seeded randomness shared by the WGSL path and its TypeScript twin, so both select the same coreset.
import type { Matrix } from './types';

/** mulberry32: small, fast, good enough for projections and start points; same sequence everywhere. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Random projection for coreset distances, as the authors' torch.nn.Linear(d, outDim, bias=False) is
 * initialised: uniform in [-1/sqrt(d), 1/sqrt(d)]. Shape: inDim rows x outDim cols, so that
 * projected = features (n x inDim) @ P (inDim x outDim).
 */
export function projectionMatrix(seed: number, inDim: number, outDim: number): Matrix {
  const r = rng(seed ^ 0x9e3779b9);
  const bound = 1 / Math.sqrt(inDim);
  const data = new Float32Array(inDim * outDim);
  for (let i = 0; i < data.length; i++) data[i] = (r() * 2 - 1) * bound;
  return { data, rows: inDim, cols: outDim };
}

/** `count` distinct indices in [0, n), drawn with the seed (the authors' random start points). */
export function startIndices(seed: number, n: number, count: number): Uint32Array {
  const r = rng(seed ^ 0x85ebca6b);
  const k = Math.min(count, n);
  const chosen = new Set<number>();
  while (chosen.size < k) chosen.add(Math.floor(r() * n));
  return Uint32Array.from(chosen);
}
