// How the WASM kernels reach onnxruntime-web: sessions come from backbone/session.ts (the one place that configures
// ORT's runtime, threads and wasmPaths), tensors from the same ORT module (feeds must be its own Tensor class).
import * as ort from 'onnxruntime-web/webgpu';
import { openSession } from '../../backbone/session';
import { identityGraph } from './graphs';

export interface KernelRuntime {
  open(bytes: Uint8Array, what: string): Promise<ort.InferenceSession>;
  tensor(data: Float32Array, dims: readonly number[]): ort.Tensor;
  /** WASM threads the runtime runs with (fixed by its first session). */
  threads(): number;
}

/** The app's ORT runtime. `threads` only counts if this opens the first session of the page or worker. */
export function sessionRuntime(threads?: number): KernelRuntime {
  let used = 1;
  return {
    async open(bytes, what) {
      try {
        const opened = await openSession(bytes, { prefer: 'wasm', threads });
        used = opened.threads;
        return opened.session;
      } catch (e) {
        throw new Error(`The ${what} could not be set up on onnxruntime-web's WASM backend: ${(e as Error).message}`);
      }
    },
    tensor: (data, dims) => new ort.Tensor('float32', data, dims),
    threads: () => used,
  };
}

/** Opens and runs the smallest graph: proves the runtime loads here (chooseKernels falls back to the twins if not). */
export async function probe(runtime: KernelRuntime): Promise<void> {
  const session = await runtime.open(identityGraph(), 'runtime probe');
  try {
    const { Y } = await session.run({ X: runtime.tensor(Float32Array.of(1), [1]) });
    if ((Y.data as Float32Array)[0] !== 1) throw new Error('The WASM runtime probe returned a wrong value');
  } finally {
    await session.release();
  }
}
