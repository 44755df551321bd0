// The compute steps on onnxruntime-web's WASM backend (SIMD, multi-threaded MLAS when cross-origin isolated): the
// path for machines without a hardware GPU. kNN and the coreset's distance steps run as ONNX graphs built around
// the caller's data; aggregate and blur are cheap and stay with the TypeScript twins.
import { cpuKernels } from '../cpu';
import type { Kernels } from '../types';
import { wasmCoreset, type WasmCoresetOptions } from './coreset';
import { WasmNearest, type WasmKnnOptions } from './knn';
import { probe, sessionRuntime, type KernelRuntime } from './runtime';

export interface WasmKernelOptions {
  /** WASM threads; only the first ORT session of a page/worker sets them (see backbone/session.ts). */
  threads?: number;
  knn?: WasmKnnOptions;
  coreset?: WasmCoresetOptions;
  /** Another ORT runtime (tests and benches); default: the app's, through backbone/session.ts. */
  runtime?: KernelRuntime;
}

export interface WasmKernels extends Kernels {
  readonly name: 'wasm';
  /** WASM threads in use. */
  readonly threads: number;
  /** Releases the cached memory-bank session. */
  release(): Promise<void>;
}

/**
 * Below this many points the coreset runs the twin's pruned loop instead of one GEMV session.run per step.
 * On real backbone features the pruning wins: MVTec bottle, 164k patches: 28 s pruned TypeScript vs 238 s GEMV;
 * magnetic_tile with its shape kept, 892k patches to 89,230: 2,720 s pruned on two free cores vs 3,336 s and
 * 5,965 s GEMV in runs that shared the cores (no clean ratio; bit-identical image scores); kolektorsdd with its
 * shape kept, 490k to 49,179: 2,641-2,840 s pruned. The GEMV wins on uniform synthetic data only; so the app always
 * uses the pruned loop, and the GEMV path is opt-in (`coreset: { minPoints: 4096 }`, eval `--coreset-gemv`).
 */
export const CORESET_MIN_POINTS = Number.POSITIVE_INFINITY;

/** Loads the runtime (fails here, not mid-job, where WASM cannot run) and returns the kernels. */
export async function createWasmKernels(opts: WasmKernelOptions = {}): Promise<WasmKernels> {
  const rt = opts.runtime ?? sessionRuntime(opts.threads);
  await probe(rt);
  const knn = new WasmNearest(rt, opts.knn);
  const coresetOpts = { minPoints: CORESET_MIN_POINTS, ...opts.coreset };
  return {
    name: 'wasm',
    get threads() {
      return rt.threads();
    },
    aggregate: cpuKernels.aggregate,
    coreset: (features, o) => wasmCoreset(rt, features, o, coresetOpts),
    nearest: (queries, bank) => knn.nearest(queries, bank),
    blur: cpuKernels.blur,
    release: () => knn.release(),
  };
}
