// Exact nearest-neighbour search of sec. 3.3: the patch score is the L2 distance of a patch feature to its nearest
// memory vector (eq. 6), and eq. 7 needs the b nearest memory vectors of m*. Brute force, blocked for the cache.
import type { Matrix, NearestResult } from '../types';
import { dot4x4 } from './dot';

/** Squared L2 norm of every row, in double precision. */
export function rowNorms(m: Matrix): Float64Array {
  const { data, rows, cols } = m;
  const out = new Float64Array(rows);
  for (let r = 0; r < rows; r++) {
    let s = 0;
    const o = r * cols;
    for (let k = 0; k < cols; k++) s += data[o + k] * data[o + k];
    out[r] = s;
  }
  return out;
}

/** Bank rows per tile: 128 rows of 184-1536 floats stay in L2 while every query block passes over them. */
const BANK_TILE = 128;

/**
 * 1-NN of every query row among the bank rows. The search minimises |b|^2 - 2 q.b in double precision (the
 * expanded form anomalib uses; |q|^2 is a per-query constant); ties go to the lowest bank index. The reported
 * distance is sqrt(max(0, |q|^2 + that minimum)), rounded to fp32.
 */
export function nearest(queries: Matrix, bank: Matrix): NearestResult {
  const d = queries.cols;
  if (bank.cols !== d) throw new Error(`Queries have ${d} dimensions but the memory bank has ${bank.cols}`);
  const nq = queries.rows, nb = bank.rows;
  if (nb === 0) throw new Error('The memory bank is empty');
  const Q = queries.data, B = bank.data;
  const bn = rowNorms(bank);
  const best = new Float64Array(nq).fill(Infinity);
  const bestIdx = new Uint32Array(nq);
  const s = new Float64Array(16);
  for (let t0 = 0; t0 < nb; t0 += BANK_TILE) {
    const t1 = Math.min(nb, t0 + BANK_TILE);
    for (let q = 0; q < nq; q += 4) {
      // A short last block repeats its final query; only real queries are written back.
      const qa = q, qb = Math.min(q + 1, nq - 1), qc = Math.min(q + 2, nq - 1), qd = Math.min(q + 3, nq - 1);
      const q0 = qa * d, q1 = qb * d, q2 = qc * d, q3 = qd * d;
      let m0 = best[qa], m1 = best[qb], m2 = best[qc], m3 = best[qd];
      let i0 = bestIdx[qa], i1 = bestIdx[qb], i2 = bestIdx[qc], i3 = bestIdx[qd];
      for (let b = t0; b < t1; b += 4) {
        // A short last block repeats the tile's final row under its own index, which never wins a tie.
        const ba = b, bb = Math.min(b + 1, t1 - 1), bc = Math.min(b + 2, t1 - 1), bd = Math.min(b + 3, t1 - 1);
        dot4x4(Q, q0, q1, q2, q3, B, ba * d, bb * d, bc * d, bd * d, d, s);
        const n0 = bn[ba], n1 = bn[bb], n2 = bn[bc], n3 = bn[bd];
        let v: number;
        v = n0 - 2 * s[0]; if (v < m0) { m0 = v; i0 = ba; }
        v = n1 - 2 * s[1]; if (v < m0) { m0 = v; i0 = bb; }
        v = n2 - 2 * s[2]; if (v < m0) { m0 = v; i0 = bc; }
        v = n3 - 2 * s[3]; if (v < m0) { m0 = v; i0 = bd; }
        v = n0 - 2 * s[4]; if (v < m1) { m1 = v; i1 = ba; }
        v = n1 - 2 * s[5]; if (v < m1) { m1 = v; i1 = bb; }
        v = n2 - 2 * s[6]; if (v < m1) { m1 = v; i1 = bc; }
        v = n3 - 2 * s[7]; if (v < m1) { m1 = v; i1 = bd; }
        v = n0 - 2 * s[8]; if (v < m2) { m2 = v; i2 = ba; }
        v = n1 - 2 * s[9]; if (v < m2) { m2 = v; i2 = bb; }
        v = n2 - 2 * s[10]; if (v < m2) { m2 = v; i2 = bc; }
        v = n3 - 2 * s[11]; if (v < m2) { m2 = v; i2 = bd; }
        v = n0 - 2 * s[12]; if (v < m3) { m3 = v; i3 = ba; }
        v = n1 - 2 * s[13]; if (v < m3) { m3 = v; i3 = bb; }
        v = n2 - 2 * s[14]; if (v < m3) { m3 = v; i3 = bc; }
        v = n3 - 2 * s[15]; if (v < m3) { m3 = v; i3 = bd; }
      }
      // Write back in reverse so a repeated final query keeps the value of its real slot (identical anyway).
      best[qd] = m3; bestIdx[qd] = i3;
      best[qc] = m2; bestIdx[qc] = i2;
      best[qb] = m1; bestIdx[qb] = i1;
      best[qa] = m0; bestIdx[qa] = i0;
    }
  }
  const qn = rowNorms(queries);
  const distances = new Float32Array(nq);
  for (let q = 0; q < nq; q++) distances[q] = Math.sqrt(Math.max(0, qn[q] + best[q]));
  return { distances, indices: bestIdx };
}

/**
 * The k nearest bank rows of one query, sorted by ascending distance, ties by lower index (eq. 7's N_b(m*)).
 * Same distance form as `nearest`; k is clamped to the bank size.
 */
export function kNearest(query: Float32Array, bank: Matrix, k: number): NearestResult {
  const d = bank.cols, nb = bank.rows, B = bank.data;
  if (query.length < d) throw new Error(`The query has ${query.length} dimensions but the memory bank has ${d}`);
  const kk = Math.max(0, Math.min(k, nb));
  let qn = 0;
  for (let j = 0; j < d; j++) qn += query[j] * query[j];
  // Keep the kk best in a small sorted list (insertion): kk is 9 in practice.
  const vals = new Float64Array(kk + 1).fill(Infinity);
  const idx = new Uint32Array(kk + 1);
  let worst = Infinity;
  for (let r = 0; r < nb; r++) {
    const o = r * d;
    let dot = 0, nrm = 0;
    for (let j = 0; j < d; j++) {
      const b = B[o + j];
      dot += query[j] * b;
      nrm += b * b;
    }
    const v = nrm - 2 * dot;
    if (kk === 0 || !(v < worst)) continue;
    let p = kk - 1;
    while (p > 0 && vals[p - 1] > v) {
      vals[p] = vals[p - 1];
      idx[p] = idx[p - 1];
      p--;
    }
    vals[p] = v;
    idx[p] = r;
    worst = vals[kk - 1];
  }
  const distances = new Float32Array(kk);
  for (let i = 0; i < kk; i++) distances[i] = Math.sqrt(Math.max(0, qn + vals[i]));
  return { distances, indices: idx.slice(0, kk) };
}
