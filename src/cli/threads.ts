// Node threads behind the engine pools' thread interface (worker/thread.ts): the command line's selection workers
// (selectionThreads.ts) and search helpers (worker/searchPool.ts), each a small .mjs that loads the TypeScript
// handler through tsx, as bin/patchcore-web.mjs does for the command line itself.
import { Worker } from 'node:worker_threads';
import type { PoolThread } from '../worker/thread';

/**
 * A Node thread running `script`. Not unref'd: while a request runs, these threads can be all that keeps Node's
 * event loop alive (the command would otherwise exit mid-job); their pools terminate them when they close.
 */
export function nodeThread<Req, Res>(script: URL): PoolThread<Req, Res> {
  const w = new Worker(script);
  const adapter: PoolThread<Req, Res> = {
    postMessage: (msg, transfer) => w.postMessage(msg, transfer as never),
    terminate: () => void w.terminate(),
    onmessage: null,
    onerror: null,
  };
  w.on('message', (data: Res) => adapter.onmessage?.({ data }));
  w.on('error', (e: Error) => adapter.onerror?.({ message: e.message }));
  return adapter;
}
