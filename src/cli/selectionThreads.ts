// The command line's selection workers: Node threads running worker/selection.ts (through tsx), so that a build on
// the command line selects chunks beside the backbone and splits its last selection over every core, as the app
// does in the browser (worker/selectionPool.ts).
import { CORESET_START_POINTS, type EngineConfig } from '../patchcore/config';
import { SelectionPool, type SelectionWorker } from '../worker/selectionPool';
import { nodeThread } from './threads';

/** A Node thread running worker/selection.ts (the pool terminates it when it closes, which every build does). */
export function nodeSelectionWorker(): SelectionWorker {
  return nodeThread(new URL('./selection.node-worker.mjs', import.meta.url));
}

/** A pool for one build with `config` on `threads` cores: chunks on all but one, the last selection on all. */
export function nodeSelectionPool(config: EngineConfig, threads: number): SelectionPool {
  const params = { projectionDim: config.projectionDim, seed: config.seed, startPoints: CORESET_START_POINTS };
  return new SelectionPool(Math.max(1, threads - 1), params, undefined, Math.max(1, threads), nodeSelectionWorker);
}
