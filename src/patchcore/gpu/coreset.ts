// Dispatch of coreset.wgsl: the greedy coreset runs fully on the GPU; the host only encodes batches of
// iterations, waits for each batch to report progress and honour cancellation, and reads the indices once.
import { projectionMatrix, startIndices } from '../random';
import type { CoresetOptions, Matrix } from '../types';
import shader from './coreset.wgsl?raw';
import { WORKGROUP, bindGroup, destroyAll, grid1d, guarded, pipelinesFor, readBack, storageBuffer, throwIfLost, trackLoss, uniformU32, uploadStorage } from './util';

export type CoresetFn = (features: Matrix, opts: CoresetOptions) => Promise<Uint32Array>;

export interface CoresetTuning {
  /** Largest byte size of one storage binding; defaults to the device limit. Lower it to test chunking. */
  maxBindingBytes?: number;
  /** Wall time one batch of iterations should take: long enough to amortise a submit, short enough for progress. */
  batchMs?: number;
}

/** Projection rows per dispatch of the 16 x 16 tiled matmul is capped by the workgroup grid. */
const MAX_ROWS_PER_DISPATCH = 65535 * 16;

export function createCoreset(device: GPUDevice, tuning: CoresetTuning = {}): CoresetFn {
  const pipelines = () =>
    pipelinesFor(device, 'coreset.wgsl', shader, ['project', 'transposeRows', 'initialize', 'update', 'finalize'] as const);

  trackLoss(device);
  return (features, opts) =>
    guarded(device, 'coreset', async () => {
      const { rows: n, cols: d } = features;
      const count = Math.max(0, Math.floor(opts.count));
      if (features.data.length !== n * d) throw new Error(`coreset: features hold ${features.data.length} values, shape ${n}x${d} needs ${n * d}`);
      if (count <= 0 || n === 0) return new Uint32Array(0);
      const p = pipelines();
      const k = opts.projectionDim > 0 ? opts.projectionDim : d;
      const bindingLimit = Math.min(
        device.limits.maxStorageBufferBindingSize,
        device.limits.maxBufferSize,
        tuning.maxBindingBytes ?? Infinity,
      );
      if (n * k * 4 > bindingLimit) {
        throw new Error(
          `coreset: ${n} points x ${k} dimensions (${mib(n * k * 4)}) exceed this GPU's largest buffer (${mib(bindingLimit)}); ` +
            `use a projection dimension (e.g. 128) or fewer training images`,
        );
      }
      const temp: GPUBuffer[] = [];
      const keep = (b: GPUBuffer) => (temp.push(b), b);
      try {
        const projT = keep(storageBuffer(device, n * k * 4, 'projected points'));
        project(features, opts.projectionDim > 0 ? k : 0, opts.seed, bindingLimit, projT, keep);

        const starts = startIndices(opts.seed, n, opts.startPoints);
        const numPartials = Math.min(WORKGROUP, Math.ceil(n / WORKGROUP));
        const gp = keep(uniformU32(device, [n, k, starts.length, numPartials], 'greedy params'));
        const minDist = keep(storageBuffer(device, n * 4, 'min distances'));
        const partials = keep(storageBuffer(device, numPartials * 8, 'argmax partials'));
        const state = keep(storageBuffer(device, 8 + count * 4, 'coreset state'));
        device.queue.writeBuffer(state, 0, new Uint32Array([0, 0]));
        const startsBuf = keep(uploadStorage(device, starts, 'start points'));
        const initBind = bindGroup(device, p.initialize, { 4: gp, 5: projT, 6: minDist, 7: partials, 9: startsBuf }, 'initialize');
        const updateBind = bindGroup(device, p.update, { 4: gp, 5: projT, 6: minDist, 7: partials, 8: state }, 'update');
        const finalizeBind = bindGroup(device, p.finalize, { 4: gp, 7: partials, 8: state }, 'finalize');

        // Iteration t: argmax (finalize) selects point t; the update that follows folds it into minDist.
        let done = 0;
        let batch = 16;
        const batchMs = tuning.batchMs ?? 100;
        while (done < count) {
          opts.signal?.throwIfAborted();
          const end = Math.min(count, done + batch);
          const started = performance.now();
          const encoder = device.createCommandEncoder({ label: 'coreset batch' });
          const pass = encoder.beginComputePass({ label: 'coreset batch' });
          for (let t = done; t < end; t++) {
            if (t === 0) {
              pass.setPipeline(p.initialize);
              pass.setBindGroup(0, initBind);
            } else {
              pass.setPipeline(p.update);
              pass.setBindGroup(0, updateBind);
            }
            pass.dispatchWorkgroups(numPartials);
            pass.setPipeline(p.finalize);
            pass.setBindGroup(0, finalizeBind);
            pass.dispatchWorkgroups(1);
          }
          pass.end();
          device.queue.submit([encoder.finish()]);
          await device.queue.onSubmittedWorkDone();
          throwIfLost(device, 'coreset selection');
          done = end;
          opts.onProgress?.({ stage: 'coreset', done, total: count });
          const elapsed = Math.max(1, performance.now() - started);
          batch = Math.max(8, Math.min(4096, Math.round((batch * batchMs) / elapsed)));
        }
        opts.signal?.throwIfAborted();
        return new Uint32Array(await readBack(device, state, count * 4, 8));
      } finally {
        destroyAll(temp);
      }
    });

  /**
   * projT = (features @ P) transposed (or the features transposed when projectionDim is 0), uploading the
   * features in row chunks that each fit one binding.
   */
  function project(
    features: Matrix,
    projectionDim: number,
    seed: number,
    bindingLimit: number,
    projT: GPUBuffer,
    keep: (b: GPUBuffer) => GPUBuffer,
  ): void {
    const { rows: n, cols: d } = features;
    const p = pipelines();
    const k = projectionDim > 0 ? projectionDim : d;
    const matrix =
      projectionDim > 0 ? keep(uploadStorage(device, projectionMatrix(seed, d, k).data, 'projection matrix')) : null;
    const chunkRows = Math.max(1, Math.min(n, MAX_ROWS_PER_DISPATCH, Math.floor(bindingLimit / (d * 4))));
    const chunk = keep(storageBuffer(device, chunkRows * d * 4, 'feature rows'));
    for (let r0 = 0; r0 < n; r0 += chunkRows) {
      const rows = Math.min(chunkRows, n - r0);
      const view = features.data.subarray(r0 * d, (r0 + rows) * d);
      device.queue.writeBuffer(chunk, 0, view.buffer, view.byteOffset, view.byteLength);
      const params = keep(uniformU32(device, [rows, d, k, r0, n], 'project params'));
      const encoder = device.createCommandEncoder({ label: 'coreset projection' });
      const pass = encoder.beginComputePass();
      if (matrix) {
        pass.setPipeline(p.project);
        pass.setBindGroup(0, bindGroup(device, p.project, { 0: params, 1: chunk, 2: matrix, 3: projT }, 'project'));
        pass.dispatchWorkgroups(Math.ceil(k / 16), Math.ceil(rows / 16));
      } else {
        pass.setPipeline(p.transposeRows);
        pass.setBindGroup(0, bindGroup(device, p.transposeRows, { 0: params, 1: chunk, 3: projT }, 'transpose'));
        pass.dispatchWorkgroups(...grid1d(device, rows * d));
      }
      pass.end();
      device.queue.submit([encoder.finish()]);
    }
  }
}

function mib(bytes: number): string {
  return `${(bytes / 2 ** 20).toFixed(0)} MiB`;
}
