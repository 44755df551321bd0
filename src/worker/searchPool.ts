// The search helpers of the engine (patchcore/cpu/searchTeam.ts): threads that each hold a copy of the model's
// bank index and search a share of every inspection's patches beside the engine's own thread, and make a share of
// each large image's backbone input. Started on the first index, kept for the engine's life (an index is a few
// megabytes per helper), stopped by close(). A helper that fails is never asked again: its shares are done by the
// engine's thread, with the same answers.
import type { BankIndex, SearchStats } from '../patchcore/cpu/bankIndex';
import type { PreprocessShare, SearchTeam } from '../patchcore/cpu/searchTeam';
import type { Matrix, NearestResult } from '../patchcore/types';
import type { SearchRequest, SearchResponse } from './search';
import type { PoolThread } from './thread';

/** A search helper: a Web Worker, or an adapter over a Node thread (cli/threads.ts). */
export type SearchWorker = PoolThread<SearchRequest, SearchResponse>;

/** The browser's search worker (the URL must be written here, in full, for the bundler to find it). */
const webWorker = (): SearchWorker =>
  new Worker(new URL('./search.worker.ts', import.meta.url), { type: 'module' }) as unknown as SearchWorker;

/** Helpers worth starting on a machine with `cores`: one per core beside the engine's, at most 3 (docs/speed.md). */
export function searchHelpersFor(cores: number): number {
  return Math.max(0, Math.min(3, Math.floor(cores) - 1));
}

type Answer = NearestResult & { stats: SearchStats };

interface Helper {
  w: SearchWorker;
  /** Keys of the indexes it can search now. */
  holds: Set<number>;
  /** Keys whose adopt it has answered (held or refused), and who waits on which. */
  answered: Set<number>;
  waiting: Map<number, (() => void)[]>;
  broken: boolean;
  pending: Map<number, { resolve(r: Answer | Float32Array): void; reject(e: Error): void }>;
}

export class SearchPool implements SearchTeam {
  private readonly helpers: Helper[] = [];
  private readonly keys = new WeakMap<BankIndex, number>();
  private nextKey = 1;
  private nextId = 1;
  private closed = false;

  constructor(
    readonly size: number,
    private readonly startWorker: () => SearchWorker = webWorker,
  ) {}

  adopt(index: BankIndex): void {
    if (this.closed || this.size < 1 || this.keys.has(index)) return;
    const key = this.nextKey++;
    this.keys.set(index, key);
    while (this.helpers.length < this.size) this.spawn();
    const { bank, stored } = index;
    for (const h of this.helpers) {
      if (h.broken) continue;
      // Each helper gets its own copies (structured clone): the engine keeps its bank.
      h.w.postMessage({ type: 'adopt', key, bank: bank.data.subarray(0, bank.rows * bank.cols), rows: bank.rows, cols: bank.cols, stored });
    }
  }

  /** Resolves once every working helper has answered the adopt of this index; true when all of them hold it. */
  async whenReady(index: BankIndex): Promise<boolean> {
    const key = this.keys.get(index);
    if (key === undefined) return false;
    await Promise.all(
      this.helpers.map((h) =>
        h.broken || h.answered.has(key) ? undefined : new Promise<void>((done) => h.waiting.set(key, [...(h.waiting.get(key) ?? []), done])),
      ),
    );
    return this.helpers.every((_, i) => this.ready(i, index));
  }

  ready(h: number, index: BankIndex): boolean {
    const helper = this.helpers[h];
    const key = this.keys.get(index);
    return !!helper && !helper.broken && key !== undefined && helper.holds.has(key);
  }

  nearest(h: number, index: BankIndex, queries: Matrix, gridW: number): Promise<Answer> {
    const helper = this.helpers[h];
    const key = this.keys.get(index);
    if (!helper || helper.broken || key === undefined) return Promise.reject(new Error(`Search helper ${h} cannot search this index`));
    const id = this.nextId++;
    const data = queries.data.slice(0, queries.rows * queries.cols);
    return new Promise<Answer>((resolve, reject) => {
      helper.pending.set(id, { resolve: resolve as (r: Answer | Float32Array) => void, reject });
      helper.w.postMessage({ type: 'nearest', id, key, queries: data, rows: queries.rows, cols: queries.cols, gridW }, [data.buffer]);
    });
  }

  alive(h: number): boolean {
    const helper = this.helpers[h];
    return !!helper && !helper.broken;
  }

  preprocess(h: number, share: PreprocessShare): Promise<Float32Array> {
    const helper = this.helpers[h];
    if (!helper || helper.broken) return Promise.reject(new Error(`Helper ${h} is not running`));
    const id = this.nextId++;
    return new Promise<Float32Array>((resolve, reject) => {
      helper.pending.set(id, { resolve: resolve as (r: Answer | Float32Array) => void, reject });
      helper.w.postMessage({ type: 'preprocess', id, ...share }, [share.image.data.buffer]);
    });
  }

  /** Stops every helper; searches still running reject (their callers search those shares themselves). */
  close(): void {
    this.closed = true;
    for (const h of this.helpers) this.fail(h, new Error('The search helpers were closed'));
  }

  private fail(h: Helper, e: Error): void {
    h.broken = true;
    h.holds.clear();
    h.w.terminate();
    for (const p of h.pending.values()) p.reject(e);
    h.pending.clear();
    for (const w of h.waiting.values()) w.forEach((done) => done());
    h.waiting.clear();
  }

  private spawn(): void {
    const h: Helper = { w: this.startWorker(), holds: new Set(), answered: new Set(), waiting: new Map(), broken: false, pending: new Map() };
    h.w.onmessage = (e) => {
      const msg = e.data;
      if (msg.type === 'adopted') {
        h.holds = new Set(msg.holds);
        h.answered.add(msg.key);
        h.waiting.get(msg.key)?.forEach((done) => done());
        h.waiting.delete(msg.key);
        if (msg.message) console.warn(`A search helper could not take the bank index (${msg.message}); the engine searches its share itself.`);
        return;
      }
      const p = h.pending.get(msg.id);
      if (!p) return;
      h.pending.delete(msg.id);
      if (msg.type === 'done') p.resolve({ distances: msg.distances, indices: msg.indices, stats: msg.stats });
      else if (msg.type === 'preprocessed') p.resolve(msg.data);
      else p.reject(new Error(msg.message));
    };
    h.w.onerror = (e) => this.fail(h, new Error(`A search helper stopped unexpectedly: ${e.message || 'worker error'}`));
    this.helpers.push(h);
  }
}
