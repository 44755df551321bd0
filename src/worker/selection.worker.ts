// One greedy coreset selection (Algorithm 1, the TypeScript loop) off the engine worker, so that several run at
// once on a multi-core machine (see selectionPool.ts). Speaks: { id, data, rows, cols, count, projectionDim, seed,
// startPoints } in; progress, then { id, indices } or { id, error } out.
import { greedyCoreset } from '../patchcore/cpu/coreset';

export interface SelectionRequest {
  id: number;
  data: Float32Array;
  rows: number;
  cols: number;
  count: number;
  projectionDim: number;
  seed: number;
  startPoints: number;
  /** Report progress (the final selection of a build; chunk selections stay quiet). */
  progress: boolean;
}

export type SelectionResponse =
  | { id: number; type: 'progress'; done: number; total: number }
  | { id: number; type: 'done'; indices: Uint32Array }
  | { id: number; type: 'error'; message: string };

const post = (msg: SelectionResponse, transfer: Transferable[] = []) => (self as unknown as Worker).postMessage(msg, transfer);

self.onmessage = async (e: MessageEvent<SelectionRequest>) => {
  const r = e.data;
  try {
    const indices = await greedyCoreset(
      { data: r.data, rows: r.rows, cols: r.cols },
      {
        count: r.count,
        projectionDim: r.projectionDim,
        seed: r.seed,
        startPoints: r.startPoints,
        onProgress: r.progress ? (p) => post({ id: r.id, type: 'progress', done: p.done, total: p.total }) : undefined,
      },
    );
    post({ id: r.id, type: 'done', indices }, [indices.buffer]);
  } catch (err) {
    post({ id: r.id, type: 'error', message: (err as Error)?.message ?? String(err) });
  }
};
