// Picks the implementation of the compute steps: the WGSL kernels on a hardware GPU, the TypeScript twins
// everywhere else. Callers ask for `Kernels`; the returned reason is one sentence for the UI.
import { cpuKernels } from './cpu';
import { acquireDevice, adapterIsSoftware, adapterName, requestAdapter, webgpuAvailable } from './gpu/device';
import { createGpuKernels } from './gpu/index';
import type { Kernels } from './types';

export type KernelPreference = 'auto' | 'webgpu' | 'cpu';

export interface ChooseKernelsOptions {
  /** 'auto' (default): WebGPU only on a hardware adapter. 'webgpu': any adapter, even SwiftShader. 'cpu': never WebGPU. */
  prefer?: KernelPreference;
  /** Reuse a device another library owns (e.g. onnxruntime-web's `ort.env.webgpu.device`) instead of creating one. */
  device?: GPUDevice;
  /** The device was lost (driver reset, GPU process crash): call chooseKernels again and restart the job. */
  onDeviceLost?: (info: GPUDeviceLostInfo) => void;
}

export async function chooseKernels(opts: ChooseKernelsOptions = {}): Promise<{ kernels: Kernels; reason: string }> {
  const prefer = opts.prefer ?? 'auto';
  const cpu = (reason: string) => ({ kernels: cpuKernels as Kernels, reason });
  if (prefer === 'cpu') return cpu('Running on the CPU, as chosen in the settings.');

  if (opts.device) {
    const handle = await acquireDevice({ device: opts.device, onLost: opts.onDeviceLost });
    if (handle.software && prefer === 'auto') {
      return cpu(`The shared GPU device is a software renderer (${adapterName(handle.info)}), slower than the CPU; running on the CPU.`);
    }
    return { kernels: createGpuKernels(handle.device), reason: `Running on the GPU (${adapterName(handle.info)}), sharing the model's WebGPU device.` };
  }

  if (!webgpuAvailable()) return cpu('This browser offers no WebGPU, so the CPU does the work (slower on large image sets).');
  const adapter = await requestAdapter();
  if (!adapter) return cpu('WebGPU is switched off or no usable GPU was found, so the CPU does the work.');
  if (adapterIsSoftware(adapter) && prefer === 'auto') {
    return cpu(`Only a software GPU is available (${adapterName(adapter.info)}), which is slower than the CPU; running on the CPU.`);
  }
  try {
    const handle = await acquireDevice({ onLost: opts.onDeviceLost }, adapter);
    const note = handle.software ? ', a software renderer: slower than the CPU' : '';
    return { kernels: createGpuKernels(handle.device), reason: `Running on the GPU (${adapterName(handle.info)}${note}).` };
  } catch (e) {
    const why = e instanceof Error ? e.message : String(e);
    return cpu(`The GPU could not be opened (${why}), so the CPU does the work.`);
  }
}
