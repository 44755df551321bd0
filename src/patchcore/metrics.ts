// Evaluation metrics of the paper and the MVTec protocol: image / pixel AUROC, ROC points, F1-max and AUPRO.
// Framework-free and exact (sort-based); used by the eval harness in the browser and by node scripts.
import type { AnomalyMap } from './types';

/** A ground-truth mask, row-major; any non-zero value marks a defective pixel. */
export interface BinaryMask {
  data: Uint8Array;
  width: number;
  height: number;
}

type Chunks<T> = T | readonly T[];
const asList = <T extends ArrayLike<unknown>>(c: Chunks<T>): readonly T[] =>
  Array.isArray(c) ? (c as readonly T[]) : [c as T];

interface Split<A extends Float32Array | Float64Array> {
  /** Scores of positives, ascending. */
  pos: A;
  /** Scores of negatives, ascending. */
  neg: A;
}

/** Splits scores by label and sorts both halves: one extra copy of the scores, no index arrays. */
function splitSorted<A extends Float32Array | Float64Array>(
  scores: readonly ArrayLike<number>[],
  labels: readonly ArrayLike<number>[],
  make: (n: number) => A,
): Split<A> {
  if (scores.length !== labels.length) throw new Error(`${scores.length} score arrays but ${labels.length} label arrays`);
  let nPos = 0, nAll = 0;
  scores.forEach((s, c) => {
    const l = labels[c];
    if (s.length !== l.length) throw new Error(`Score array ${c} has ${s.length} values but its labels have ${l.length}`);
    for (let i = 0; i < l.length; i++) if (l[i]) nPos++;
    nAll += l.length;
  });
  const pos = make(nPos), neg = make(nAll - nPos);
  let p = 0, q = 0;
  scores.forEach((s, c) => {
    const l = labels[c];
    for (let i = 0; i < l.length; i++) {
      if (l[i]) pos[p++] = s[i];
      else neg[q++] = s[i];
    }
  });
  pos.sort();
  neg.sort();
  return { pos, neg };
}

/** Mann-Whitney U / (n+ n-): P(positive scores above negative), ties counted half. Null for a single class. */
function aucOfSplit({ pos, neg }: Split<Float32Array | Float64Array>): number | null {
  if (pos.length === 0 || neg.length === 0) return null;
  let u = 0, i = 0;
  for (let p = 0; p < pos.length; ) {
    const v = pos[p];
    let g = p;
    while (g < pos.length && pos[g] === v) g++;
    while (i < neg.length && neg[i] < v) i++;
    let j = i;
    while (j < neg.length && neg[j] === v) j++;
    u += (g - p) * (i + 0.5 * (j - i));
    i = j;
    p = g;
  }
  return u / (pos.length * neg.length);
}

/** Exact ROC AUC (trapezoid over all distinct thresholds = Mann-Whitney with ties counted half). */
export function auroc(scores: ArrayLike<number>, labels: ArrayLike<number>): number | null {
  return aucOfSplit(splitSorted([scores], [labels], (n) => new Float64Array(n)));
}

/**
 * Exact pixel AUROC for tens of millions of pixels: scores as fp32 (one array or one per image), labels 0/1.
 * Memory: one fp32 copy of all scores (4 bytes per pixel), sorted in place.
 */
export function pixelAuroc(scores: Chunks<Float32Array>, labels: Chunks<Uint8Array>): number | null {
  return aucOfSplit(splitSorted(asList(scores), asList(labels), (n) => new Float32Array(n)));
}

export interface RocPoint {
  fpr: number;
  tpr: number;
  /** Predicted defective when score >= threshold (Infinity for the (0, 0) corner). */
  threshold: number;
}

/**
 * Walks distinct scores from the highest down; calls `at` with the cumulative counts at or above each one, that
 * score, and the next lower distinct score (-Infinity after the lowest).
 */
function sweep(
  split: Split<Float32Array | Float64Array>,
  at: (tp: number, fp: number, score: number, nextBelow: number) => void,
): void {
  const { pos, neg } = split;
  let p = pos.length - 1, q = neg.length - 1;
  const top = () => Math.max(p >= 0 ? pos[p] : -Infinity, q >= 0 ? neg[q] : -Infinity);
  while (p >= 0 || q >= 0) {
    const v = top();
    while (p >= 0 && pos[p] === v) p--;
    while (q >= 0 && neg[q] === v) q--;
    at(pos.length - 1 - p, neg.length - 1 - q, v, top());
  }
}

/**
 * ROC curve for plotting: real curve points from (0, 0) to (1, 1), thinned so that consecutive kept points are at
 * least 2 / maxPoints apart in fpr + tpr (so at most about maxPoints + 2 points). Empty for a single class.
 */
export function rocCurve(scores: ArrayLike<number>, labels: ArrayLike<number>, maxPoints = 500): RocPoint[] {
  const split = splitSorted([scores], [labels], (n) => new Float64Array(n));
  const nPos = split.pos.length, nNeg = split.neg.length;
  if (nPos === 0 || nNeg === 0) return [];
  const step = 2 / Math.max(1, maxPoints);
  const out: RocPoint[] = [{ fpr: 0, tpr: 0, threshold: Infinity }];
  let lastKey = 0;
  let pending: RocPoint | null = null;
  sweep(split, (tp, fp, threshold) => {
    const pt = { fpr: fp / nNeg, tpr: tp / nPos, threshold };
    if (pt.fpr + pt.tpr - lastKey >= step) {
      out.push(pt);
      lastKey = pt.fpr + pt.tpr;
      pending = null;
    } else pending = pt;
  });
  if (pending) out.push(pending);
  return out;
}

/**
 * Largest F1 over all thresholds, with the threshold that gives it under the app's verdict (isFail: defective when
 * score > threshold): midway between the lowest score flagged and the next lower one (just below the lowest score
 * when all are flagged), so a rerun's small score changes keep the verdicts. On equal F1 the highest threshold
 * (fewest flagged) wins. Null when there is no positive. The F1 value does not depend on where the threshold sits.
 */
export function f1Max(scores: ArrayLike<number>, labels: ArrayLike<number>): { f1: number; threshold: number } | null {
  const split = splitSorted([scores], [labels], (n) => new Float64Array(n));
  const nPos = split.pos.length;
  if (nPos === 0) return null;
  let best = { f1: -1, threshold: Infinity };
  sweep(split, (tp, fp, lowestFlagged, nextBelow) => {
    const f1 = (2 * tp) / (2 * tp + fp + (nPos - tp));
    if (f1 <= best.f1) return;
    const below = nextBelow > -Infinity ? nextBelow : lowestFlagged - 1e-6;
    const mid = (lowestFlagged + below) / 2;
    best = { f1, threshold: mid < lowestFlagged ? mid : below }; // adjacent doubles: the midpoint rounds up
  });
  return best;
}

/** 8-connected components of a mask: a label per pixel (0 = background, 1..n) and each component's size. */
export function connectedComponents(mask: BinaryMask): { labels: Int32Array; sizes: number[] } {
  const { width: w, height: h, data } = mask;
  const labels = new Int32Array(w * h);
  const sizes: number[] = [0];
  const stack = new Int32Array(w * h);
  for (let start = 0; start < w * h; start++) {
    if (!data[start] || labels[start]) continue;
    const id = sizes.length;
    let top = 0, size = 0;
    stack[top++] = start;
    labels[start] = id;
    while (top > 0) {
      const i = stack[--top];
      size++;
      const y = (i / w) | 0, x = i - y * w;
      for (let dy = -1; dy <= 1; dy++) {
        const yy = y + dy;
        if (yy < 0 || yy >= h) continue;
        for (let dx = -1; dx <= 1; dx++) {
          const xx = x + dx;
          if (xx < 0 || xx >= w) continue;
          const k = yy * w + xx;
          if (data[k] && !labels[k]) {
            labels[k] = id;
            stack[top++] = k;
          }
        }
      }
    }
    sizes.push(size);
  }
  return { labels, sizes };
}

/**
 * MVTec AD's AUPRO: the per-region overlap (8-connected ground-truth components, averaged over all regions of all
 * images) against the false-positive rate over all normal pixels, at every distinct threshold; the area up to
 * fprLimit (trapezoid, the curve interpolated at exactly fprLimit) divided by fprLimit. The curve starts at
 * (0, 0) and ends at (1, 1) as in the MVTec evaluation code. Null without a defective region or a normal pixel.
 */
export function pro(maps: readonly AnomalyMap[], masks: readonly BinaryMask[], fprLimit = 0.3): number | null {
  if (maps.length !== masks.length) throw new Error(`${maps.length} anomaly maps but ${masks.length} masks`);
  let nNormal = 0, nDefect = 0, nRegions = 0;
  const comps = masks.map((m, i) => {
    const a = maps[i];
    if (a.width !== m.width || a.height !== m.height) {
      throw new Error(`Anomaly map ${i} is ${a.width}x${a.height} but its mask is ${m.width}x${m.height}`);
    }
    const c = connectedComponents(m);
    for (let s = 1; s < c.sizes.length; s++) nDefect += c.sizes[s];
    nNormal += m.width * m.height;
    nRegions += c.sizes.length - 1;
    return c;
  });
  nNormal -= nDefect;
  if (nRegions === 0 || nNormal === 0) return null;

  const normal = new Float32Array(nNormal);
  const defect = new Float32Array(nDefect);
  const weight = new Float64Array(nDefect); // 1 / size of the pixel's region
  let a = 0, b = 0;
  comps.forEach(({ labels, sizes }, i) => {
    const s = maps[i].data;
    for (let k = 0; k < labels.length; k++) {
      const l = labels[k];
      if (l) {
        defect[b] = s[k];
        weight[b++] = 1 / sizes[l];
      } else normal[a++] = s[k];
    }
  });
  normal.sort();
  const order = new Uint32Array(nDefect);
  for (let k = 0; k < nDefect; k++) order[k] = k;
  order.sort((x, y) => defect[x] - defect[y]);

  let p = nDefect - 1, q = nNormal - 1;
  let overlap = 0;
  let px = 0, py = 0, area = 0;
  const add = (x: number, y: number): boolean => {
    x = Math.min(x, 1);
    y = Math.min(y, 1);
    if (x <= fprLimit) {
      area += 0.5 * (py + y) * (x - px);
      px = x;
      py = y;
      return false;
    }
    if (px < fprLimit) {
      const yAt = py + ((y - py) * (fprLimit - px)) / (x - px);
      area += 0.5 * (yAt + py) * (fprLimit - px);
    }
    return true;
  };
  let done = false;
  while (!done && (p >= 0 || q >= 0)) {
    const v = Math.max(p >= 0 ? defect[order[p]] : -Infinity, q >= 0 ? normal[q] : -Infinity);
    while (p >= 0 && defect[order[p]] === v) overlap += weight[order[p--]];
    while (q >= 0 && normal[q] === v) q--;
    done = add((nNormal - 1 - q) / nNormal, overlap / nRegions);
  }
  if (!done) add(1, 1);
  return area / fprLimit;
}
