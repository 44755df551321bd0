// What the engine's pools need of a thread (selectionPool.ts, searchPool.ts): a Web Worker in the browser, or an
// adapter over a Node thread on the command line (src/cli/threads.ts). Requests in, responses out.
export interface PoolThread<Req, Res> {
  postMessage(msg: Req, transfer?: Transferable[]): void;
  terminate(): void;
  onmessage: ((e: { data: Res }) => void) | null;
  onerror: ((e: { message?: string }) => void) | null;
}
