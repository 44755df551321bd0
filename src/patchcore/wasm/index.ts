// The compute steps on onnxruntime-web's WASM backend (SIMD, multi-threaded MLAS when cross-origin isolated): the
// path for machines without a hardware GPU. kNN runs as an ONNX graph built around the memory bank. The coreset
// stays with the twin's pruned loop: on real backbone features it beat a per-step ONNX GEMV (MVTec bottle, 164k
// patches: 28 s vs 238 s), which was removed; aggregate and blur are cheap and stay with the twins too.
import { cpuKernels } from '../cpu';
import type { Normalisation, PreprocessOptions, RgbaImage } from '../preprocess';
import type { Kernels } from '../types';
import { teamPreprocess, type SearchTeam } from '../cpu/searchTeam';
import { WasmNearest, type WasmKnnOptions } from './knn';
import { probe, sessionRuntime, type KernelRuntime } from './runtime';

export interface WasmKernelOptions {
  /** WASM threads; only the first ORT session of a page/worker sets them (see backbone/session.ts). */
  threads?: number;
  knn?: WasmKnnOptions;
  /** Another ORT runtime (tests and benches); default: the app's, through backbone/session.ts. */
  runtime?: KernelRuntime;
  /** Threads that search shares of an indexed bank's calls and of large images' preprocessing (the caller starts and stops them). */
  searchTeam?: SearchTeam | null;
}

export interface WasmKernels extends Kernels {
  readonly name: 'wasm';
  /** WASM threads in use. */
  readonly threads: number;
  /** Releases the cached memory-bank session. */
  release(): Promise<void>;
}

/** Loads the runtime (fails here, not mid-job, where WASM cannot run) and returns the kernels. */
export async function createWasmKernels(opts: WasmKernelOptions = {}): Promise<WasmKernels> {
  const rt = opts.runtime ?? sessionRuntime(opts.threads);
  await probe(rt);
  const team = opts.searchTeam ?? null;
  const knn = new WasmNearest(rt, opts.knn, team);
  return {
    name: 'wasm',
    get threads() {
      return rt.threads();
    },
    aggregate: cpuKernels.aggregate,
    coreset: cpuKernels.coreset,
    nearest: (queries, bank) => knn.nearest(queries, bank),
    adoptIndex: (index) => knn.adopt(index),
    blur: cpuKernels.blur,
    upsampleBlur: cpuKernels.upsampleBlur,
    ...(team ? { preprocess: (image: RgbaImage, norm: Normalisation, o: PreprocessOptions) => teamPreprocess(team, image, norm, o) } : {}),
    release: () => knn.release(),
  };
}
