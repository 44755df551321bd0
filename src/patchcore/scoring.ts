// Image-level anomaly score (sec. 3.3): the largest patch score s*, re-weighted by eq. 7 as anomalib does it.
import { kNearestWith, type BankIndex } from './cpu/bankIndex';
import type { Matrix } from './types';

export interface ImageScore {
  /** Eq. 7 score w * s* (s* itself when re-weighting is off or the bank has fewer than 2 vectors). */
  score: number;
  /** Row (patch cell) of the test patch m_test,* with the largest score; the first one on ties. */
  maxPatch: number;
  /** s*: the plain largest patch score. */
  rawMax: number;
}

/**
 * Eq. 7: w = 1 - softmax(d(m_test,*, N_b(m*)))[0], where m* is the nearest memory vector of the max patch and
 * N_b(m*) its b nearest memory vectors (m* itself first, at distance 0, as anomalib's support set). Distances are
 * L2, the softmax is computed stably (max subtracted). b <= 1 or a bank of fewer than 2 vectors returns s*. `index`:
 * the bank's nearest-neighbour index, if it has one.
 */
export function imageScore(patchScores: Float32Array, nnIndex: Uint32Array, testFeatures: Matrix, bank: Matrix, b: number, index: BankIndex | null = null): ImageScore {
  const n = patchScores.length;
  if (n === 0) throw new Error('There are no patch scores to take the maximum of');
  let maxPatch = 0;
  for (let i = 1; i < n; i++) if (patchScores[i] > patchScores[maxPatch]) maxPatch = i;
  const rawMax = patchScores[maxPatch];
  if (b <= 1 || bank.rows < 2) return { score: rawMax, maxPatch, rawMax };

  const d = bank.cols;
  const mStar = bank.data.subarray(nnIndex[maxPatch] * d, (nnIndex[maxPatch] + 1) * d);
  // Through the bank's index when it has one (the same neighbours, found without scanning the bank).
  const support = kNearestWith(index && index.bank.data === bank.data ? index : null, mStar, bank, Math.min(b, bank.rows)).indices;
  const query = testFeatures.data.subarray(maxPatch * testFeatures.cols, (maxPatch + 1) * testFeatures.cols);
  const dist = new Float64Array(support.length);
  for (let s = 0; s < support.length; s++) {
    const o = support[s] * d;
    let sum = 0;
    for (let k = 0; k < d; k++) {
      const t = query[k] - bank.data[o + k];
      sum += t * t;
    }
    dist[s] = Math.sqrt(sum);
  }
  let top = -Infinity;
  for (const v of dist) if (v > top) top = v;
  let z = 0;
  for (const v of dist) z += Math.exp(v - top);
  const w = 1 - Math.exp(dist[0] - top) / z;
  return { score: w * rawMax, maxPatch, rawMax };
}
