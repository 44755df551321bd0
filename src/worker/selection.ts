// Greedy coreset selections (Algorithm 1) off the engine's thread (see selectionPool.ts): what a selection worker
// does with a request, wherever it runs (a Web Worker, selection.worker.ts; a Node thread for the command line,
// selection.node-worker.mjs). A request is either a whole selection in this thread ('one': several run at once,
// one per worker, for the chunks of a streamed build) or this thread's share of one selection split over every
// core ('share': the threads meet at a barrier each step through SharedArrayBuffers, patchcore/cpu/coresetTeam.ts).
// Progress, then { id, indices } or { id, error } out.
import { greedyCoreset } from '../patchcore/cpu/coreset';
import { runShare, type TeamBuffers, type TeamJob } from '../patchcore/cpu/coresetTeam';
import type { SelectionTiming } from '../patchcore/types';

interface Common {
  id: number;
  /** Report progress (the final selection of a build; chunk selections stay quiet). */
  progress: boolean;
}

export type SelectionRequest =
  | (Common & { kind: 'one'; data: Float32Array; rows: number; cols: number; count: number; projectionDim: number; seed: number; startPoints: number })
  | (Common & { kind: 'share'; buffers: TeamBuffers; job: TeamJob; share: number });

export type SelectionResponse =
  | { id: number; type: 'progress'; done: number; total: number }
  | { id: number; type: 'done'; indices: Uint32Array; timing?: SelectionTiming }
  | { id: number; type: 'error'; message: string };

/** Runs one request; `post` sends progress and the answer back to the pool. */
export async function handleSelection(r: SelectionRequest, post: (msg: SelectionResponse, transfer?: Transferable[]) => void): Promise<void> {
  const onProgress = r.progress ? (p: { done: number; total: number }) => post({ id: r.id, type: 'progress', done: p.done, total: p.total }) : undefined;
  try {
    if (r.kind === 'share') {
      await runShare(r.buffers, r.job, r.share, onProgress);
      // The indices are in the shared buffer (share 0 writes them).
      post({ id: r.id, type: 'done', indices: new Uint32Array(0) });
      return;
    }
    const timing: SelectionTiming = { setupSeconds: 0, stepSeconds: 0 };
    const indices = await greedyCoreset(
      { data: r.data, rows: r.rows, cols: r.cols },
      { count: r.count, projectionDim: r.projectionDim, seed: r.seed, startPoints: r.startPoints, onProgress, timing },
    );
    post({ id: r.id, type: 'done', indices, timing }, [indices.buffer]);
  } catch (err) {
    post({ id: r.id, type: 'error', message: (err as Error)?.message ?? String(err) });
  }
}
