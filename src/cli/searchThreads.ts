// The command line's search helpers: Node threads running worker/search.ts, so that `inspect` splits each image's
// nearest-neighbour search over the cores as the app does in the browser (worker/searchPool.ts).
import { SearchPool, searchHelpersFor, type SearchWorker } from '../worker/searchPool';
import { nodeThread } from './threads';

export function nodeSearchWorker(): SearchWorker {
  return nodeThread(new URL('./search.node-worker.mjs', import.meta.url));
}

/** Helpers for an engine on `threads` cores (started with the first model's index; close() stops them). */
export function nodeSearchPool(threads: number): SearchPool {
  return new SearchPool(searchHelpersFor(threads), nodeSearchWorker);
}
