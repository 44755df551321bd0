// Picks the implementation of the compute steps: the WGSL kernels on a hardware GPU, onnxruntime-web's WASM backend
// everywhere else, the TypeScript twins when asked for or when WASM cannot load. Callers ask for `Kernels`; the
// returned reason is one sentence for the UI.
import type { ExecutionPreference } from '../backbone/session';
import { cpuKernels } from './cpu';
import { acquireDevice, adapterIsSoftware, adapterName, requestAdapter, webgpuAvailable } from './gpu/device';
import { createGpuKernels } from './gpu/index';
import type { Kernels } from './types';
import type { SearchTeam } from './cpu/searchTeam';
import { createWasmKernels } from './wasm/index';

/** Where to run the kernels: where the backbone may run, or plain TypeScript. */
export type KernelPreference = ExecutionPreference | 'cpu';

export interface ChooseKernelsOptions {
  /**
   * 'auto' (default): WebGPU on a hardware adapter, else WASM. 'webgpu': any adapter, even SwiftShader. 'wasm':
   * onnxruntime-web's CPU backend. 'cpu': the plain TypeScript twins.
   */
  prefer?: KernelPreference;
  /** Reuse a device another library owns (e.g. onnxruntime-web's `ort.env.webgpu.device`) instead of creating one. */
  device?: GPUDevice;
  /** The device was lost (driver reset, GPU process crash): call chooseKernels again and restart the job. */
  onDeviceLost?: (info: GPUDeviceLostInfo) => void;
  /** Threads for the WASM kernels' indexed search (cpu/searchTeam.ts); the caller owns them. */
  searchTeam?: SearchTeam | null;
}

export async function chooseKernels(opts: ChooseKernelsOptions = {}): Promise<{ kernels: Kernels; reason: string }> {
  const prefer = opts.prefer ?? 'auto';
  const cpu = (reason: string) => ({ kernels: cpuKernels as Kernels, reason });
  if (prefer === 'cpu') return cpu('Running on the CPU (plain TypeScript), as chosen in the settings.');
  /** The CPU through onnxruntime-web's WASM backend; the twins if that runtime cannot load here. */
  const wasm = async (why: string) => {
    try {
      const kernels = await createWasmKernels({ searchTeam: opts.searchTeam });
      const threads = kernels.threads > 1 ? `${kernels.threads} threads` : 'one thread';
      return { kernels: kernels as Kernels, reason: `${why}; running on the CPU (WebAssembly, ${threads}).` };
    } catch (e) {
      return cpu(`${why}, and WebAssembly could not start (${e instanceof Error ? e.message : String(e)}); running on the CPU (plain TypeScript, slower).`);
    }
  };
  if (prefer === 'wasm') return wasm('WebAssembly was chosen in the settings');

  if (opts.device) {
    const handle = await acquireDevice({ device: opts.device, onLost: opts.onDeviceLost });
    if (handle.software && prefer === 'auto') {
      return wasm(`The shared GPU device is a software renderer (${adapterName(handle.info)}), slower than the CPU`);
    }
    return { kernels: createGpuKernels(handle.device), reason: `Running on the GPU (${adapterName(handle.info)}), sharing the model's WebGPU device.` };
  }

  if (!webgpuAvailable()) return wasm('This browser offers no WebGPU');
  const adapter = await requestAdapter();
  if (!adapter) return wasm('WebGPU is switched off or no usable GPU was found');
  if (adapterIsSoftware(adapter) && prefer === 'auto') {
    return wasm(`Only a software GPU is available (${adapterName(adapter.info)}), which is slower than the CPU`);
  }
  try {
    const handle = await acquireDevice({ onLost: opts.onDeviceLost }, adapter);
    const note = handle.software ? ', a software renderer: slower than the CPU' : '';
    return { kernels: createGpuKernels(handle.device), reason: `Running on the GPU (${adapterName(handle.info)}${note}).` };
  } catch (e) {
    const why = e instanceof Error ? e.message : String(e);
    return wasm(`The GPU could not be opened (${why})`);
  }
}
