// Dispatch of knn.wgsl: exact 1-NN of every query against the memory bank. A bank larger than one storage
// binding is split into row chunks (each its own buffer and binding); chunks run in bank order and a merge pass
// folds each chunk's minima into a running best per query, so the result is the same as one big binding.
import type { Matrix, NearestResult } from '../types';
import shader from './knn.wgsl?raw';
import { bindGroup, destroyAll, grid1d, guarded, pipelinesFor, readBack, storageBuffer, uniformU32, uploadStorage } from './util';

export interface NearestTuning {
  /** Largest byte size of one storage binding; defaults to the device limit. Lower it to test bank splitting. */
  maxBindingBytes?: number;
  /**
   * Keep the last memory bank resident on the GPU and reuse it while the same Float32Array is passed again
   * (scoring many images against one bank). Banks are meant to be immutable; an in-place change is caught by
   * comparing a sample of 64 values, not every value. Default true.
   */
  cacheBank?: boolean;
}

export interface NearestKernel {
  nearest(queries: Matrix, bank: Matrix): Promise<NearestResult>;
  /** Frees the resident bank. */
  release(): void;
}

const TQ = 64;
const TB = 64;
/** Workgroups per distance dispatch worth aiming for: enough to fill a large GPU when queries are few. */
const TARGET_WORKGROUPS = 1024;

interface BankChunk {
  rowOffset: number;
  rows: number;
  data: GPUBuffer;
  norms: GPUBuffer;
}

interface ResidentBank {
  source: Float32Array;
  fingerprint: Float32Array;
  rows: number;
  cols: number;
  chunkBytes: number;
  chunks: BankChunk[];
}

export function createNearest(device: GPUDevice, tuning: NearestTuning = {}): NearestKernel {
  let resident: ResidentBank | null = null;
  const pipelines = () => pipelinesFor(device, 'knn.wgsl', shader, ['rowNorms', 'distances', 'merge'] as const);
  const bindingLimit = () =>
    Math.min(device.limits.maxStorageBufferBindingSize, device.limits.maxBufferSize, tuning.maxBindingBytes ?? Infinity);

  function encodeNorms(pass: GPUComputePassEncoder, mat: GPUBuffer, norms: GPUBuffer, rows: number, dim: number, temp: GPUBuffer[]): void {
    const p = pipelines();
    const params = uniformU32(device, [rows, dim], 'norm params');
    temp.push(params);
    pass.setPipeline(p.rowNorms);
    pass.setBindGroup(0, bindGroup(device, p.rowNorms, { 0: params, 1: mat, 2: norms }, 'rowNorms'));
    pass.dispatchWorkgroups(...grid1d(device, rows));
  }

  function uploadBank(bank: Matrix): ResidentBank {
    const limit = bindingLimit();
    const d = bank.cols;
    const chunkRows = Math.max(1, Math.floor(limit / (d * 4)));
    const chunks: BankChunk[] = [];
    const temp: GPUBuffer[] = [];
    const encoder = device.createCommandEncoder({ label: 'bank norms' });
    const pass = encoder.beginComputePass();
    for (let r0 = 0; r0 < bank.rows; r0 += chunkRows) {
      const rows = Math.min(chunkRows, bank.rows - r0);
      const data = uploadStorage(device, bank.data.subarray(r0 * d, (r0 + rows) * d), `memory bank rows ${r0}..`);
      const norms = storageBuffer(device, rows * 4, 'bank norms');
      encodeNorms(pass, data, norms, rows, d, temp);
      chunks.push({ rowOffset: r0, rows, data, norms });
    }
    pass.end();
    device.queue.submit([encoder.finish()]);
    destroyAll(temp);
    return { source: bank.data, fingerprint: fingerprint(bank.data), rows: bank.rows, cols: d, chunkBytes: limit, chunks };
  }

  function release(): void {
    if (!resident) return;
    for (const c of resident.chunks) destroyAll([c.data, c.norms]);
    resident = null;
  }

  async function nearest(queries: Matrix, bank: Matrix): Promise<NearestResult> {
    const { rows: m, cols: d } = queries;
    if (bank.cols !== d) throw new Error(`nearest: queries have ${d} dimensions but the memory bank has ${bank.cols}`);
    if (queries.data.length !== m * d) throw new Error(`nearest: queries hold ${queries.data.length} values, shape ${m}x${d} needs ${m * d}`);
    if (bank.data.length !== bank.rows * d) throw new Error(`nearest: bank holds ${bank.data.length} values, shape ${bank.rows}x${d} needs ${bank.rows * d}`);
    if (bank.rows === 0) throw new Error('nearest: the memory bank is empty');
    if (m === 0) return { distances: new Float32Array(0), indices: new Uint32Array(0) };
    return guarded(device, 'nearest', async () => {
      const p = pipelines();
      const limit = bindingLimit();
      const cached =
        resident &&
        resident.source === bank.data &&
        resident.rows === bank.rows &&
        resident.cols === d &&
        resident.chunkBytes === limit &&
        sameValues(resident.fingerprint, fingerprint(bank.data));
      if (!cached) release();
      const bankOnGpu = cached && resident ? resident : (resident = uploadBank(bank));
      const chunks = bankOnGpu.chunks;
      const temp: GPUBuffer[] = [];
      const keep = (b: GPUBuffer) => (temp.push(b), b);
      try {
        // Query chunk: its rows, and its per-segment partial minima (at least one segment), fit one binding.
        const qRowsMax = Math.max(1, Math.min(m, Math.floor(limit / (d * 4)), Math.floor(limit / 8), 65535 * TQ));
        const qBuf = keep(storageBuffer(device, qRowsMax * d * 4, 'queries'));
        const qNorms = keep(storageBuffer(device, qRowsMax * 4, 'query norms'));
        const best = keep(storageBuffer(device, qRowsMax * 8, 'nearest so far'));
        const out = new Float32Array(m * 2);
        const outIndex = new Uint32Array(out.buffer);
        let partial: GPUBuffer | null = null;
        for (let q0 = 0; q0 < m; q0 += qRowsMax) {
          const qRows = Math.min(qRowsMax, m - q0);
          const view = queries.data.subarray(q0 * d, (q0 + qRows) * d);
          device.queue.writeBuffer(qBuf, 0, view.buffer, view.byteOffset, view.byteLength);
          const qTiles = Math.ceil(qRows / TQ);
          const plans = chunks.map((c) => {
            const bankTiles = Math.ceil(c.rows / TB);
            let segments = Math.min(bankTiles, Math.ceil(TARGET_WORKGROUPS / qTiles), Math.floor(limit / (qRows * 8)));
            segments = Math.max(1, segments);
            const tilesPerSegment = Math.ceil(bankTiles / segments);
            segments = Math.ceil(bankTiles / tilesPerSegment);
            return { chunk: c, bankTiles, segments, tilesPerSegment };
          });
          const partialBytes = Math.max(...plans.map((pl) => pl.segments)) * qRows * 8;
          if (!partial || partial.size < partialBytes) {
            partial?.destroy();
            partial = keep(storageBuffer(device, partialBytes, 'segment minima'));
          }
          const segmentMinima = partial;
          const encoder = device.createCommandEncoder({ label: 'nearest' });
          const pass = encoder.beginComputePass({ label: 'nearest' });
          encodeNorms(pass, qBuf, qNorms, qRows, d, temp);
          plans.forEach((pl, i) => {
            const dp = keep(
              uniformU32(device, [qRows, pl.chunk.rows, d, pl.chunk.rowOffset, pl.tilesPerSegment, pl.bankTiles], 'distance params'),
            );
            pass.setPipeline(p.distances);
            pass.setBindGroup(
              0,
              bindGroup(device, p.distances, { 3: dp, 4: qBuf, 5: qNorms, 6: pl.chunk.data, 7: pl.chunk.norms, 8: segmentMinima }, 'distances'),
            );
            pass.dispatchWorkgroups(qTiles, pl.segments);
            const mp = keep(uniformU32(device, [qRows, pl.segments, i === 0 ? 1 : 0], 'merge params'));
            pass.setPipeline(p.merge);
            pass.setBindGroup(0, bindGroup(device, p.merge, { 9: mp, 10: segmentMinima, 11: best }, 'merge'));
            pass.dispatchWorkgroups(...grid1d(device, qRows));
          });
          pass.end();
          device.queue.submit([encoder.finish()]);
          out.set(new Float32Array(await readBack(device, best, qRows * 8)), q0 * 2);
        }
        const distances = new Float32Array(m);
        const indices = new Uint32Array(m);
        for (let q = 0; q < m; q++) {
          distances[q] = Math.sqrt(Math.max(0, out[2 * q]));
          indices[q] = outIndex[2 * q + 1];
        }
        return { distances, indices };
      } finally {
        destroyAll(temp);
        if (tuning.cacheBank === false) release();
      }
    });
  }

  return { nearest, release };
}

/** 64 values spread over the bank, to notice an in-place change of a cached bank without reading all of it. */
function fingerprint(data: Float32Array): Float32Array {
  const n = Math.min(64, data.length);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = data[Math.floor(((i + 0.5) * data.length) / n)];
  return out;
}

function sameValues(a: Float32Array, b: Float32Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i])) return false;
  return true;
}
