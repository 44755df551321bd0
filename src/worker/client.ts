// Main-thread side of the engine worker: promises per request, progress callbacks, cancel. The UI and the
// harness use this and never touch the GPU or ORT themselves.
import type { Progress } from '../patchcore/types';
import type { RequestMap, RequestType, WorkerRequest, WorkerResponse } from './protocol';

export interface Job<T> {
  id: number;
  promise: Promise<T>;
  cancel(): void;
}

interface Pending {
  resolve(v: unknown): void;
  reject(e: Error): void;
  onProgress?: (p: Progress) => void;
}

export class EngineClient {
  private worker: Worker;
  private nextId = 1;
  private pending = new Map<number, Pending>();

  constructor(worker?: Worker) {
    this.worker = worker ?? new Worker(new URL('./engine.worker.ts', import.meta.url), { type: 'module' });
    this.worker.onmessage = (e: MessageEvent<WorkerResponse>) => this.receive(e.data);
    this.worker.onerror = (e) => {
      const err = new Error(`The engine stopped unexpectedly: ${e.message || 'worker error'}`);
      for (const p of this.pending.values()) p.reject(err);
      this.pending.clear();
    };
  }

  request<K extends RequestType>(
    type: K,
    args: RequestMap[K]['args'],
    onProgress?: (p: Progress) => void,
    transfer: Transferable[] = [],
  ): Job<RequestMap[K]['result']> {
    const id = this.nextId++;
    const promise = new Promise<RequestMap[K]['result']>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject, onProgress });
    });
    this.worker.postMessage({ id, type, args } as WorkerRequest, transfer);
    return { id, promise, cancel: () => this.cancel(id) };
  }

  cancel(target: number): void {
    if (this.pending.has(target)) this.worker.postMessage({ id: this.nextId++, type: 'cancel', target } satisfies WorkerRequest);
  }

  terminate(): void {
    this.worker.terminate();
    for (const p of this.pending.values()) p.reject(new DOMException('The engine was shut down', 'AbortError'));
    this.pending.clear();
  }

  private receive(msg: WorkerResponse): void {
    const p = this.pending.get(msg.id);
    if (!p) return;
    if (msg.type === 'progress') p.onProgress?.(msg.progress);
    else {
      this.pending.delete(msg.id);
      if (msg.type === 'done') p.resolve(msg.result);
      else {
        if (msg.error.name === 'AbortError') p.reject(new DOMException(msg.error.message, 'AbortError'));
        else {
          const err = new Error(msg.error.message);
          err.name = msg.error.name;
          p.reject(err);
        }
      }
    }
  }
}

export function isAbort(e: unknown): boolean {
  return e instanceof DOMException ? e.name === 'AbortError' : (e as Error)?.name === 'AbortError';
}
