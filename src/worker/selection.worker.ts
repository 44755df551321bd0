// Greedy coreset selections (Algorithm 1) off the engine worker (see selectionPool.ts). A request is either a whole
// selection in this thread ('one': several run at once, one per worker, for the chunks of a streamed build) or
// this thread's share of one selection split over every core ('share': the threads meet at a barrier each step
// through SharedArrayBuffers, patchcore/cpu/coresetTeam.ts). Progress, then { id, indices } or { id, error } out.
import { greedyCoreset } from '../patchcore/cpu/coreset';
import { runShare, type TeamBuffers, type TeamJob } from '../patchcore/cpu/coresetTeam';

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
  | { id: number; type: 'done'; indices: Uint32Array }
  | { id: number; type: 'error'; message: string };

const post = (msg: SelectionResponse, transfer: Transferable[] = []) => (self as unknown as Worker).postMessage(msg, transfer);

self.onmessage = async (e: MessageEvent<SelectionRequest>) => {
  const r = e.data;
  const onProgress = r.progress ? (p: { done: number; total: number }) => post({ id: r.id, type: 'progress', done: p.done, total: p.total }) : undefined;
  try {
    if (r.kind === 'share') {
      await runShare(r.buffers, r.job, r.share, onProgress);
      // The indices are in the shared buffer (share 0 writes them).
      post({ id: r.id, type: 'done', indices: new Uint32Array(0) });
      return;
    }
    const indices = await greedyCoreset(
      { data: r.data, rows: r.rows, cols: r.cols },
      { count: r.count, projectionDim: r.projectionDim, seed: r.seed, startPoints: r.startPoints, onProgress },
    );
    post({ id: r.id, type: 'done', indices }, [indices.buffer]);
  } catch (err) {
    post({ id: r.id, type: 'error', message: (err as Error)?.message ?? String(err) });
  }
};
