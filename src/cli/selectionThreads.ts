// The command line's selection workers: Node threads running worker/selection.ts (through tsx), so that a build on
// the command line selects chunks beside the backbone and splits its last selection over every core, as the app
// does in the browser (worker/selectionPool.ts).
import { Worker } from 'node:worker_threads';
import { CORESET_START_POINTS, type EngineConfig } from '../patchcore/config';
import { SelectionPool, type SelectionWorker } from '../worker/selectionPool';

/** A Node thread behind the pool's worker interface. */
export function nodeSelectionWorker(): SelectionWorker {
  const w = new Worker(new URL('./selection.node-worker.mjs', import.meta.url));
  const adapter: SelectionWorker = {
    postMessage: (msg, transfer) => w.postMessage(msg, transfer as never),
    terminate: () => void w.terminate(),
    onmessage: null,
    onerror: null,
  };
  w.on('message', (data) => adapter.onmessage?.({ data }));
  w.on('error', (e: Error) => adapter.onerror?.({ message: e.message }));
  // Not unref'd: while a selection runs, these threads are all that keeps Node's event loop alive (the command
  // would otherwise exit mid-build). The pool terminates them when it closes, which every build does in `finally`.
  return adapter;
}

/** A pool for one build with `config` on `threads` cores: chunks on all but one, the last selection on all. */
export function nodeSelectionPool(config: EngineConfig, threads: number): SelectionPool {
  const params = { projectionDim: config.projectionDim, seed: config.seed, startPoints: CORESET_START_POINTS };
  return new SelectionPool(Math.max(1, threads - 1), params, undefined, Math.max(1, threads), nodeSelectionWorker);
}
