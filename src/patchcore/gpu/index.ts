// The WebGPU implementation of `Kernels`: one WGSL kernel per step, pipelines built on first use and cached.
import type { Kernels } from '../types';
import { createBlur } from './blur';
import { createCoreset, type CoresetTuning } from './coreset';
import { createAggregate } from './features';
import { createNearest, type NearestTuning } from './knn';

export { acquireDevice, adapterIsSoftware, adapterName, describeAdapter, requestAdapter, webgpuAvailable, type GpuHandle } from './device';

export interface GpuKernelOptions extends NearestTuning, CoresetTuning {}

export interface GpuKernels extends Kernels {
  readonly name: 'webgpu';
  readonly device: GPUDevice;
  /** Frees GPU memory held between calls (the resident memory bank). The kernels stay usable. */
  release(): void;
}

/**
 * Kernels on `device`. Options exist for tests and tuning: `maxBindingBytes` lowers the per-binding size so that
 * bank splitting and chunked projection can be exercised on small inputs.
 */
export function createGpuKernels(device: GPUDevice, opts: GpuKernelOptions = {}): GpuKernels {
  const knn = createNearest(device, opts);
  return {
    name: 'webgpu',
    device,
    aggregate: createAggregate(device),
    coreset: createCoreset(device, opts),
    nearest: knn.nearest,
    blur: createBlur(device),
    release: knn.release,
  };
}
