// A pool of selection workers for the streamed memory bank (patchcore/memory.ts). Chunk selections of one build run
// side by side, one per core the backbone does not need (`select`); the selections that run alone (a build's last
// one, an exact pass) are split over every core (`selectAll`: one share per worker, patchcore/cpu/coresetTeam.ts).
// Cancelling terminates the workers at once.
import type { Matrix, ProgressFn, SelectionTiming } from '../patchcore/types';
import type { SelectRows } from '../patchcore/memory';
import { abortError } from '../patchcore/patchcore';
import { teamBuffers, type TeamJob } from '../patchcore/cpu/coresetTeam';
import type { SelectionRequest, SelectionResponse } from './selection';
import type { PoolThread } from './thread';

interface Task {
  /** One request for a single worker, or one per share of a team selection. */
  reqs: SelectionRequest[];
  /** Shares still running. */
  running: number;
  resolve(): void;
  reject(e: Error): void;
  onProgress?: ProgressFn;
  indices?: Uint32Array;
  /** Filled from a single worker's answer. */
  timing?: SelectionTiming;
}

/** A selection worker: a Web Worker, or an adapter over a Node thread (cli/selectionThreads.ts). */
export type SelectionWorker = PoolThread<SelectionRequest, SelectionResponse>;

/** The browser's selection worker (the URL must be written here, in full, for the bundler to find it). */
const webWorker = (): SelectionWorker =>
  new Worker(new URL('./selection.worker.ts', import.meta.url), { type: 'module' }) as unknown as SelectionWorker;

interface Slot {
  w: SelectionWorker;
  task: Task | null;
}

/** Whether threads can share memory here (a cross-origin isolated page or worker). */
export function canShareMemory(): boolean {
  return typeof SharedArrayBuffer !== 'undefined' && typeof Atomics !== 'undefined' && (globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated !== false;
}

/**
 * How much faster a selection split over `threads` workers runs than in one, for time estimates: each added thread
 * was measured to add about half a thread's speed (1.5x on two cores: the steps wait at a barrier for the slowest
 * share, and the shares repeat a little work; docs/speed.md).
 */
export function teamSpeedup(threads: number): number {
  return 1 + 0.5 * Math.max(0, threads - 1);
}

export class SelectionPool {
  private readonly workers: Slot[] = [];
  private readonly queue: Task[] = [];
  private nextId = 1;
  private closed: Error | null = null;

  /**
   * `size`: selections that run at once; `teamSize`: threads a selection that runs alone is split over (1: none,
   * or where memory cannot be shared).
   */
  constructor(
    readonly size: number,
    private readonly params: { projectionDim: number; seed: number; startPoints: number },
    signal?: AbortSignal,
    readonly teamSize = 1,
    private readonly startWorker: () => SelectionWorker = webWorker,
  ) {
    signal?.addEventListener('abort', () => this.close(abortError()));
  }

  /** A selection in one of the pool's workers, at most `size` at once; the rest wait in order. */
  readonly select: SelectRows = (m: Matrix, count: number, onProgress?: ProgressFn, timing?: SelectionTiming) => {
    // A copy the worker owns (m may be a view into a larger buffer that keeps changing).
    const data = m.data.slice(0, m.rows * m.cols);
    const req: SelectionRequest = { kind: 'one', id: this.nextId++, data, rows: m.rows, cols: m.cols, count, ...this.params, progress: !!onProgress };
    return this.enqueue([req], onProgress, timing);
  };

  /**
   * A selection split over `teamSize` workers, once the selections before it are done: for the ones that run
   * alone. The same indices as `select`.
   */
  readonly selectAll: SelectRows = (m: Matrix, count: number, onProgress?: ProgressFn) => {
    const shares = Math.min(this.teamSize, m.rows);
    if (shares < 2 || !canShareMemory()) return this.select(m, count, onProgress);
    const job: TeamJob = { rows: m.rows, cols: m.cols, count: Math.min(count, m.rows), ...this.params, shares };
    const buffers = teamBuffers(job, m.data);
    const id = this.nextId++;
    const reqs: SelectionRequest[] = Array.from({ length: shares }, (_, share) => ({ kind: 'share', id, buffers, job, share, progress: share === 0 && !!onProgress }));
    return this.enqueue(reqs, onProgress).then(() => new Uint32Array(buffers.out).slice(0, job.count));
  };

  /** What PatchCore's fit and extend take to run their selections here. */
  selector(): { select: SelectRows; parallel: number; selectAll: SelectRows; selectAllSpeedup: number } {
    return { select: this.select, parallel: this.size, selectAll: this.selectAll, selectAllSpeedup: teamSpeedup(this.teamSize) };
  }

  /** Stops every worker; running and queued selections reject with `reason`. */
  close(reason: Error = new Error('The selection pool was closed')): void {
    if (this.closed) return;
    this.closed = reason;
    const running = new Set<Task>();
    for (const slot of this.workers) {
      slot.w.terminate();
      if (slot.task) running.add(slot.task);
    }
    for (const t of running) t.reject(reason);
    this.workers.length = 0;
    for (const t of this.queue.splice(0)) t.reject(reason);
  }

  private enqueue(reqs: SelectionRequest[], onProgress?: ProgressFn, timing?: SelectionTiming): Promise<Uint32Array> {
    return new Promise<Uint32Array>((resolve, reject) => {
      if (this.closed) return reject(this.closed);
      const task: Task = { reqs, running: reqs.length, onProgress, reject, timing, resolve: () => resolve(task.indices ?? new Uint32Array(0)) };
      this.queue.push(task);
      this.pump();
    });
  }

  private pump(): void {
    while (this.queue.length) {
      const task = this.queue[0];
      let slots: Slot[];
      if (task.reqs.length > 1) {
        // A team starts when every worker is free, with one worker per share.
        if (this.workers.some((s) => s.task)) return;
        while (this.workers.length < task.reqs.length) this.spawn();
        slots = this.workers.slice(0, task.reqs.length);
      } else {
        let slot = this.workers.find((s) => !s.task);
        if (!slot && this.workers.length < this.size) slot = this.spawn();
        if (!slot) return;
        slots = [slot];
      }
      this.queue.shift();
      slots.forEach((slot, i) => {
        slot.task = task;
        const req = task.reqs[i];
        slot.w.postMessage(req, req.kind === 'one' ? [req.data.buffer] : []);
      });
    }
  }

  private spawn(): Slot {
    const w = this.startWorker();
    const slot: Slot = { w, task: null };
    w.onmessage = (e) => {
      const msg = e.data;
      const task = slot.task;
      if (!task || task.reqs[0].id !== msg.id) return;
      if (msg.type === 'progress') return task.onProgress?.({ stage: 'coreset', done: msg.done, total: msg.total });
      slot.task = null;
      if (msg.type === 'error') {
        // A team's other shares stop at their next barrier (runShare marks the team failed).
        task.running = 0;
        task.reject(new Error(msg.message));
      } else {
        if (task.reqs.length === 1) {
          task.indices = msg.indices;
          if (task.timing && msg.timing) Object.assign(task.timing, msg.timing);
        }
        if (--task.running === 0) task.resolve();
      }
      this.pump();
    };
    w.onerror = (e) => this.close(new Error(`A selection worker stopped unexpectedly: ${e.message || 'worker error'}`));
    this.workers.push(slot);
    return slot;
  }
}
