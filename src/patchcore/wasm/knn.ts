// Exact 1-NN (eq. 6) on onnxruntime-web's WASM backend: the bank lives in a session as initializers, a multi-threaded
// MatMul ranks candidates in fp32, and the few candidates per query are re-scored in double exactly as the twin
// (cpu/knn.ts) scores them, so distances are the twin's and indices differ only on fp32-level near-ties. A bank
// whose model handed over its index (cpu/bankIndex.ts) is searched through it wherever it is faster than the MatMul.
import type * as ort from 'onnxruntime-web/webgpu';
import { gridWidth } from '../cpu';
import { AdaptiveNearest, type BankIndex } from '../cpu/bankIndex';
import type { SearchTeam } from '../cpu/searchTeam';
import { rowNorms } from '../cpu/knn';
import type { Matrix, NearestResult } from '../types';
import { knnGraph, type KnnChunk } from './graphs';
import type { KernelRuntime } from './runtime';

export interface WasmKnnOptions {
  /** Bank rows per MatMul: bounds the [queries, chunk] intermediate (784 x 16384 fp32 = 51 MB). */
  chunkRows?: number;
  /** fp32 candidates kept per query and chunk before the exact double re-scoring. */
  candidates?: number;
}

interface BankSession {
  data: Float32Array;
  rows: number;
  cols: number;
  session: ort.InferenceSession;
  chunks: KnnChunk[];
  shift: Float32Array;
  norms: Float64Array;
}

/**
 * A bank-keyed session cache: the same bank (same Float32Array object and shape) reuses its session; another bank
 * releases it. A bank must not be mutated in place between calls (a new bank is a new array, as PatchCore builds them).
 */
export class WasmNearest {
  private current: BankSession | null = null;
  private queue: Promise<unknown> = Promise.resolve();
  private readonly chunkRows: number;
  private readonly k: number;

  constructor(
    private readonly runtime: KernelRuntime,
    opts: WasmKnnOptions = {},
    /** Threads that search shares of an indexed bank's calls beside this one (none: this thread alone). */
    private readonly team: SearchTeam | null = null,
  ) {
    this.chunkRows = Math.max(1, opts.chunkRows ?? 16384);
    this.k = Math.max(1, opts.candidates ?? 4);
  }

  /** The index of the model's bank, and how it shares the work with the MatMul; by bank array. */
  private readonly indexed = new WeakMap<Float32Array, AdaptiveNearest>();
  /** What the last call on an indexed bank did (for the bench and the tests). */
  lastAdaptive: AdaptiveNearest | null = null;

  /** Searches the index's bank through it from now on, where it is faster. */
  adopt(index: BankIndex): void {
    const bank = index.bank;
    this.indexed.set(bank.data, new AdaptiveNearest(index, (rows) => this.run(rows, bank), this.team));
  }

  /** Calls run one at a time: a bank switch must not release a session another call is still running. */
  nearest(queries: Matrix, bank: Matrix): Promise<NearestResult> {
    const adaptive = this.indexed.get(bank.data);
    const usable = adaptive && adaptive.index.bank.rows === bank.rows && adaptive.index.bank.cols === bank.cols;
    this.lastAdaptive = usable ? adaptive : null;
    const job = this.queue.then(() => (usable ? adaptive.nearest(queries, gridWidth(queries)) : this.run(queries, bank)));
    this.queue = job.catch(() => undefined);
    return job;
  }

  async release(): Promise<void> {
    await this.queue;
    const s = this.current;
    this.current = null;
    await s?.session.release();
  }

  private async sessionFor(bank: Matrix): Promise<BankSession> {
    const c = this.current;
    if (c && c.data === bank.data && c.rows === bank.rows && c.cols === bank.cols) return c;
    this.current = null;
    await c?.session.release();
    // Shifting both sides by the bank mean leaves distances alone but shrinks |b|^2 and so the fp32 cancellation.
    const { data, rows, cols } = bank;
    const mean = new Float64Array(cols);
    for (let r = 0; r < rows; r++) for (let j = 0; j < cols; j++) mean[j] += data[r * cols + j];
    const shift = Float32Array.from(mean, (s) => s / rows);
    const { bytes, chunks } = knnGraph(bank, shift, this.chunkRows, this.k);
    const session = await this.runtime.open(bytes, `nearest-neighbour search over the memory bank (${rows} x ${cols})`);
    this.current = { data, rows, cols, session, chunks, shift, norms: rowNorms(bank) };
    return this.current;
  }

  private async run(queries: Matrix, bank: Matrix): Promise<NearestResult> {
    const d = queries.cols;
    if (bank.cols !== d) throw new Error(`Queries have ${d} dimensions but the memory bank has ${bank.cols}`);
    if (bank.rows === 0) throw new Error('The memory bank is empty');
    const nq = queries.rows;
    if (nq === 0) return { distances: new Float32Array(0), indices: new Uint32Array(0) };
    const s = await this.sessionFor(bank);
    const Q = queries.data, B = bank.data;
    const shifted = new Float32Array(nq * d);
    for (let q = 0; q < nq; q++) for (let j = 0; j < d; j++) shifted[q * d + j] = Q[q * d + j] - s.shift[j];
    const input = this.runtime.tensor(shifted, [nq, d]);
    const result = await s.session.run({ Q: input });

    const best = new Float64Array(nq).fill(Infinity);
    const bestIdx = new Uint32Array(nq);
    let base = 0;
    for (const chunk of s.chunks) {
      const idx = result[chunk.indices].data as Float32Array;
      const kk = idx.length / nq;
      for (let q = 0; q < nq; q++) {
        const qo = q * d;
        for (let t = 0; t < kk; t++) {
          const b = base + idx[q * kk + t];
          // The twin's value, bit for bit: sequential double dot product, |b|^2 - 2 q.b.
          const bo = b * d;
          let dot = 0;
          for (let j = 0; j < d; j++) dot += Q[qo + j] * B[bo + j];
          const v = s.norms[b] - 2 * dot;
          if (v < best[q] || (v === best[q] && b < bestIdx[q])) { best[q] = v; bestIdx[q] = b; }
        }
      }
      base += chunk.rows;
    }
    for (const name of Object.keys(result)) result[name].dispose();
    input.dispose();

    const distances = new Float32Array(nq);
    for (let q = 0; q < nq; q++) {
      let qn = 0;
      for (let j = 0; j < d; j++) qn += Q[q * d + j] * Q[q * d + j];
      distances[q] = Math.sqrt(Math.max(0, qn + best[q]));
    }
    return { distances, indices: bestIdx };
  }
}
