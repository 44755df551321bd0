// A pool of selection workers for the streamed memory bank (patchcore/memory.ts): chunk selections of one build
// run side by side, one per core the backbone does not need. Cancelling terminates the workers at once.
import type { Matrix, ProgressFn } from '../patchcore/types';
import type { SelectRows } from '../patchcore/memory';
import { abortError } from '../patchcore/patchcore';
import type { SelectionRequest, SelectionResponse } from './selection.worker';

interface Task {
  req: SelectionRequest;
  resolve(v: Uint32Array): void;
  reject(e: Error): void;
  onProgress?: ProgressFn;
}

export class SelectionPool {
  private readonly workers: { w: Worker; task: Task | null }[] = [];
  private readonly queue: Task[] = [];
  private nextId = 1;
  private closed: Error | null = null;

  constructor(
    readonly size: number,
    private readonly params: { projectionDim: number; seed: number; startPoints: number },
    signal?: AbortSignal,
  ) {
    signal?.addEventListener('abort', () => this.close(abortError()));
  }

  /** Selections in the pool's workers, at most `size` at once; the rest wait in order. */
  readonly select: SelectRows = (m: Matrix, count: number, onProgress?: ProgressFn) =>
    new Promise<Uint32Array>((resolve, reject) => {
      if (this.closed) return reject(this.closed);
      // A copy the worker owns (m may be a view into a larger buffer that keeps changing).
      const data = m.data.slice(0, m.rows * m.cols);
      const req: SelectionRequest = { id: this.nextId++, data, rows: m.rows, cols: m.cols, count, ...this.params, progress: !!onProgress };
      this.queue.push({ req, resolve, reject, onProgress });
      this.pump();
    });

  /** Stops every worker; running and queued selections reject with `reason`. */
  close(reason: Error = new Error('The selection pool was closed')): void {
    if (this.closed) return;
    this.closed = reason;
    for (const slot of this.workers) {
      slot.w.terminate();
      slot.task?.reject(reason);
    }
    this.workers.length = 0;
    for (const t of this.queue.splice(0)) t.reject(reason);
  }

  private pump(): void {
    while (this.queue.length) {
      let slot = this.workers.find((s) => !s.task);
      if (!slot && this.workers.length < this.size) slot = this.spawn();
      if (!slot) return;
      const task = this.queue.shift()!;
      slot.task = task;
      slot.w.postMessage(task.req, [task.req.data.buffer]);
    }
  }

  private spawn(): { w: Worker; task: Task | null } {
    const w = new Worker(new URL('./selection.worker.ts', import.meta.url), { type: 'module' });
    const slot: { w: Worker; task: Task | null } = { w, task: null };
    w.onmessage = (e: MessageEvent<SelectionResponse>) => {
      const msg = e.data;
      const task = slot.task;
      if (!task || task.req.id !== msg.id) return;
      if (msg.type === 'progress') return task.onProgress?.({ stage: 'coreset', done: msg.done, total: msg.total });
      slot.task = null;
      if (msg.type === 'done') task.resolve(msg.indices);
      else task.reject(new Error(msg.message));
      this.pump();
    };
    w.onerror = (e) => this.close(new Error(`A selection worker stopped unexpectedly: ${e.message || 'worker error'}`));
    this.workers.push(slot);
    return slot;
  }
}
