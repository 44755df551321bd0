// Algorithm 1 on every core. The points are dealt round-robin into shares (CoresetShare), one per thread; the
// threads read the features and their projection from SharedArrayBuffers and meet once per farthest-first step at
// a barrier, where each publishes its share's best point and all take the best of them (`bestOf`): the argmax one
// loop over all points would take. So the indices equal greedyCoreset's (and the naive loop's) for any number of
// threads. Cancelling is terminating the threads; none of this touches a DOM or a GPU.
import { projectionMatrix, startIndices } from '../random';
import type { CoresetOptions, ProgressFn } from '../types';
import { CoresetShare, bestOf, projectRows, transpose } from './coreset';

/** What a team selects: the features' shape and Algorithm 1's options, and how many threads share the work. */
export interface TeamJob extends Pick<CoresetOptions, 'count' | 'projectionDim' | 'seed' | 'startPoints'> {
  rows: number;
  cols: number;
  shares: number;
}

/** The memory the threads share. */
export interface TeamBuffers {
  /** rows x cols float32. */
  features: SharedArrayBuffer;
  /** rows x projectionDim float32, written by the threads (each a block of rows); null without a projection. */
  projected: SharedArrayBuffer | null;
  /** Int32 barrier state: arrived, generation, failed. */
  control: SharedArrayBuffer;
  /** Float64 (value, row) of each share's best, in two slots that alternate step by step. */
  bests: SharedArrayBuffer;
  /** The selected rows, uint32, written by share 0. */
  out: SharedArrayBuffer;
}

const ARRIVED = 0;
const GENERATION = 1;
const FAILED = 2;
/** Barrier polls before sleeping: a step's work is milliseconds, so most waits are short. */
const SPINS = 2000;
const PROGRESS_MS = 100;

/** Buffers for a team selection over `features` (copied in). */
export function teamBuffers(job: TeamJob, features: Float32Array): TeamBuffers {
  const f = new SharedArrayBuffer(job.rows * job.cols * 4);
  new Float32Array(f).set(features.subarray(0, job.rows * job.cols));
  return {
    features: f,
    projected: job.projectionDim > 0 ? new SharedArrayBuffer(job.rows * job.projectionDim * 4) : null,
    control: new SharedArrayBuffer(3 * 4),
    bests: new SharedArrayBuffer(2 * job.shares * 2 * 8),
    out: new SharedArrayBuffer(Math.max(1, job.count) * 4),
  };
}

/** Waits until every share has arrived. Throws when another share failed (its thread then stops too). */
function arrive(ctl: Int32Array, shares: number): void {
  const gen = Atomics.load(ctl, GENERATION);
  if (Atomics.add(ctl, ARRIVED, 1) === shares - 1) {
    Atomics.store(ctl, ARRIVED, 0);
    Atomics.add(ctl, GENERATION, 1);
    Atomics.notify(ctl, GENERATION);
  } else {
    let spins = 0;
    while (Atomics.load(ctl, GENERATION) === gen) {
      if (++spins > SPINS) Atomics.wait(ctl, GENERATION, gen);
    }
  }
  if (Atomics.load(ctl, FAILED)) throw new Error('Another thread of the selection failed');
}

/** Marks the team failed and wakes every waiting share, so that none waits forever. */
export function failTeam(b: TeamBuffers): void {
  const ctl = new Int32Array(b.control);
  Atomics.store(ctl, FAILED, 1);
  Atomics.add(ctl, GENERATION, 1);
  Atomics.notify(ctl, GENERATION);
}

/**
 * One thread's part of a team selection: projects its block of rows, then runs its share of every farthest-first
 * step. Share 0 writes the selected rows to `b.out` and reports progress. Blocks between steps (Atomics.wait), so
 * it runs in a worker, never on a page's main thread.
 */
export async function runShare(b: TeamBuffers, job: TeamJob, share: number, onProgress?: ProgressFn): Promise<void> {
  const ctl = new Int32Array(b.control);
  try {
    const { rows, cols, count, shares } = job;
    const features = { data: new Float32Array(b.features), rows, cols };
    let X = features;
    if (job.projectionDim > 0) {
      const P = projectionMatrix(job.seed, cols, job.projectionDim);
      const data = new Float32Array(b.projected!);
      const lo = Math.floor((rows * share) / shares);
      const hi = Math.floor((rows * (share + 1)) / shares);
      // Rows past `hi` are another thread's: the view ends there, so the 4-row blocks never write into them.
      if (hi > lo) projectRows({ ...features, rows: hi }, transpose(P), job.projectionDim, lo, hi, data);
      X = { data, rows, cols: job.projectionDim };
    }
    arrive(ctl, shares);
    const mine = await CoresetShare.create(X, startIndices(job.seed, rows, job.startPoints), count, share, shares);
    const bests = new Float64Array(b.bests);
    const out = new Uint32Array(b.out);
    const values = new Float64Array(shares);
    const rowsOf = new Float64Array(shares);
    let lastReport = performance.now();
    for (let j = 0; j < count; j++) {
      const slot = (j & 1) * shares * 2;
      bests[slot + 2 * share] = mine.bestValue();
      bests[slot + 2 * share + 1] = mine.bestRow();
      arrive(ctl, shares);
      for (let p = 0; p < shares; p++) {
        values[p] = bests[slot + 2 * p];
        rowsOf[p] = bests[slot + 2 * p + 1];
      }
      const sel = bestOf(values, rowsOf);
      if (share === 0) out[j] = sel;
      if (j + 1 < count) mine.add(sel);
      if (onProgress && performance.now() - lastReport >= PROGRESS_MS) {
        lastReport = performance.now();
        onProgress({ stage: 'coreset', done: j + 1, total: count });
      }
    }
    onProgress?.({ stage: 'coreset', done: count, total: count });
  } catch (e) {
    failTeam(b);
    throw e;
  }
}
