// The one place that runs a backbone: picks an onnxruntime-web execution provider (WebGPU on real GPUs, WASM
// otherwise), loads the ONNX graph and turns an NCHW input into the two feature maps. Works in a page, a Web
// Worker and node (vitest), since 'onnxruntime-web/webgpu' carries the WASM CPU EP in the same binary.
import * as ort from 'onnxruntime-web/webgpu';
import type { BackboneManifest } from './manifest';
import { detectGpu } from './gpuAdapter';
import type { FeatureMap } from './types';

export type ExecutionPath = 'webgpu' | 'wasm';

/** Where to run the backbone. 'auto': WebGPU only on a hardware adapter, else WASM; 'webgpu' forces it, even on SwiftShader. */
export type ExecutionPreference = 'auto' | ExecutionPath;

export interface BackboneOptions {
  /** Default 'auto'. */
  prefer?: ExecutionPreference;
  /**
   * WASM threads. Fixed by the first session of a page/worker (ORT initialises its runtime once).
   * Default: all cores (max 8) when crossOriginIsolated, else 1.
   */
  threads?: number;
  /** The ONNX bytes; when absent they are fetched from manifest.url. */
  modelBytes?: ArrayBuffer | Uint8Array;
  /**
   * On the WebGPU EP, leave the feature maps on the GPU (FeatureMap.gpu) instead of downloading them: for WGSL
   * kernels that share ORT's device (`Backbone.gpuDevice`). Maps are downloaded on demand for any other consumer.
   */
  gpuOutputs?: boolean;
}

/** A backbone ready to run; PatchCore needs only `manifest` and `run`. */
export interface Backbone {
  manifest: BackboneManifest;
  executionPath: ExecutionPath;
  /** WASM threads actually in use (also the CPU fallback of the WebGPU EP). */
  threads: number;
  adapterInfo?: string;
  /** The GPUDevice ORT runs this backbone on (WebGPU EP only): kernels on it can read GPU-resident maps. */
  gpuDevice?: GPUDevice;
  /**
   * Input: Float32Array NCHW [1, 3, height, width], already normalised (see patchcore/preprocess.ts). height and
   * width default to the manifest's inputSize; other sizes need manifest.inputMultiple.
   */
  run(input: Float32Array, height?: number, width?: number): Promise<[FeatureMap, FeatureMap]>;
  release(): Promise<void>;
}

/** An opened ORT session plus how it runs; custom.ts inspects the session before wrapping it. */
export interface OpenedSession {
  session: ort.InferenceSession;
  executionPath: ExecutionPath;
  threads: number;
  adapterInfo?: string;
  /** Outputs stay on the GPU (WebGPU EP with gpuOutputs). */
  gpuOutputs: boolean;
  gpuDevice?: GPUDevice;
}

const isNode = typeof process !== 'undefined' && !!process.versions?.node && typeof window === 'undefined' && typeof self === 'undefined';
let wasmThreads: number | undefined;

/** One-time ORT runtime setup: the WASM files come from our own origin (public/ort/, see scripts/copy-ort.mjs). */
function configureRuntime(threads: number | undefined): number {
  if (wasmThreads !== undefined) return wasmThreads;
  const isolated = typeof crossOriginIsolated !== 'undefined' && crossOriginIsolated;
  const cores = typeof navigator !== 'undefined' ? navigator.hardwareConcurrency || 1 : 1;
  const n = Math.max(1, Math.floor(threads ?? (isolated ? Math.min(8, cores) : 1)));
  // Threads need SharedArrayBuffer, i.e. a cross-origin isolated page; ORT would silently drop to 1 otherwise.
  wasmThreads = isolated || isNode ? n : 1;
  ort.env.wasm.numThreads = wasmThreads;
  ort.env.wasm.proxy = false; // the proxy worker cannot carry the WebGPU EP; we run ORT in our own worker instead
  if (!isNode) {
    const base = (import.meta as ImportMeta & { env?: { BASE_URL?: string } }).env?.BASE_URL ?? '/';
    ort.env.wasm.wasmPaths = new URL(`${base}ort/`, globalThis.location.href).href;
  }
  ort.env.logLevel = 'error';
  return wasmThreads;
}

async function chooseProvider(prefer: BackboneOptions['prefer']): Promise<{ path: ExecutionPath; adapterInfo?: string }> {
  if (prefer === 'wasm') return { path: 'wasm' };
  const gpu = await detectGpu();
  if (prefer === 'webgpu') {
    if (!gpu.available) throw new Error(`WebGPU was requested but is not usable here: ${gpu.description}`);
    return { path: 'webgpu', adapterInfo: gpu.description };
  }
  // A software adapter (SwiftShader) runs the graph correctly but several times slower than WASM.
  return gpu.available && !gpu.software ? { path: 'webgpu', adapterInfo: gpu.description } : { path: 'wasm', adapterInfo: gpu.description };
}

export async function fetchModel(url: string): Promise<Uint8Array> {
  let res: Response;
  try {
    res = await fetch(url);
  } catch (e) {
    throw new Error(`Backbone model ${url} could not be downloaded: ${(e as Error).message}`);
  }
  if (!res.ok) {
    throw new Error(`Backbone model ${url} could not be loaded (HTTP ${res.status}). Run \`npm run assets\` to build it.`);
  }
  return new Uint8Array(await res.arrayBuffer());
}

/** Opens an ORT session on the chosen execution provider. Lower level than createBackbone: no manifest checks. */
export async function openSession(bytes: ArrayBuffer | Uint8Array, opts: Omit<BackboneOptions, 'modelBytes'> = {}): Promise<OpenedSession> {
  const threads = configureRuntime(opts.threads);
  const { path, adapterInfo } = await chooseProvider(opts.prefer ?? 'auto');
  const data = bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes);
  const gpuOutputs = path === 'webgpu' && !!opts.gpuOutputs;
  let session: ort.InferenceSession;
  try {
    session = await ort.InferenceSession.create(data, {
      executionProviders: [path],
      graphOptimizationLevel: 'all',
      ...(gpuOutputs ? { preferredOutputLocation: 'gpu-buffer' as const } : {}),
    });
  } catch (e) {
    const msg = e instanceof Error ? e.message : String(e);
    throw new Error(`The backbone could not be loaded as an ONNX model on ${path}: ${msg}`);
  }
  // After the first WebGPU session, this is the device ORT computes on.
  const gpuDevice = path === 'webgpu' ? ((await ort.env.webgpu.device) as GPUDevice) : undefined;
  return { session, executionPath: path, threads, adapterInfo, gpuOutputs, gpuDevice };
}

/** Wraps an opened session as a Backbone for the given manifest (tensor names and input size from it). */
export function wrapSession(manifest: BackboneManifest, opened: OpenedSession): Backbone {
  const { session } = opened;
  const S = manifest.inputSize;
  const outputs = manifest.taps.map((t) => t.output);
  return {
    manifest,
    executionPath: opened.executionPath,
    threads: opened.threads,
    adapterInfo: opened.adapterInfo,
    gpuDevice: opened.gpuDevice,
    async run(input: Float32Array, H = S, W = S): Promise<[FeatureMap, FeatureMap]> {
      const m = manifest.inputMultiple;
      if ((H !== S || W !== S) && !(m && H % m === 0 && W % m === 0)) {
        throw new Error(
          m
            ? `${manifest.id} takes inputs whose sides are multiples of ${m}, got ${W}x${H}`
            : `${manifest.id} takes only a ${S}x${S} input, got ${W}x${H}`,
        );
      }
      if (input.length !== 3 * H * W) {
        throw new Error(`${manifest.id} expects a [1,3,${H},${W}] input (${3 * H * W} values), got ${input.length} values`);
      }
      const x = new ort.Tensor('float32', input, [1, 3, H, W]);
      const result = await session.run({ [manifest.inputName]: x }, outputs);
      const maps = outputs.map((name) => {
        const t = result[name];
        const [, c, h, w] = t.dims as number[];
        if (t.location === 'gpu-buffer') {
          // Stays on the GPU; the consumer binds it or downloads it, then disposes of it (FeatureMap.gpu).
          let disposed = false;
          return {
            data: new Float32Array(0),
            channels: c,
            height: h,
            width: w,
            gpu: {
              buffer: t.gpuBuffer as unknown as GPUBuffer,
              download: async () => new Float32Array((await t.getData()) as Float32Array),
              dispose: () => {
                if (!disposed) t.dispose();
                disposed = true;
              },
            },
          } satisfies FeatureMap;
        }
        // Copy: the tensor's buffer may belong to ORT.
        const map: FeatureMap = { data: new Float32Array(t.data as Float32Array), channels: c, height: h, width: w };
        t.dispose();
        return map;
      });
      return [maps[0], maps[1]];
    },
    release: () => session.release(),
  };
}

/** Creates a backbone from a manifest (built-in or custom). The ONNX bytes are fetched from manifest.url if needed. */
export async function createBackbone(manifest: BackboneManifest, opts: BackboneOptions = {}): Promise<Backbone> {
  const bytes = opts.modelBytes ?? (await fetchModel(manifest.url));
  const opened = await openSession(bytes, opts);
  const missing = manifest.taps.map((t) => t.output).filter((o) => !opened.session.outputNames.includes(o));
  if (missing.length || !opened.session.inputNames.includes(manifest.inputName)) {
    await opened.session.release();
    throw new Error(
      `${manifest.id}: the model does not match its manifest (inputs: ${opened.session.inputNames.join(', ')}; ` +
        `outputs: ${opened.session.outputNames.join(', ')})`,
    );
  }
  return wrapSession(manifest, opened);
}
