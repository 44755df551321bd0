// onnxruntime-web as a backbone flavour: picks the execution provider (WebGPU on real GPUs, WASM otherwise), sets
// up the runtime once and hands the graph to the shared factory (factory.ts). Works in a page, a Web Worker and
// node (vitest), since 'onnxruntime-web/webgpu' carries the WASM CPU EP in the same binary.
import * as ort from 'onnxruntime-web/webgpu';
import { createBackboneOn, openGraphProbe, type BackboneCore, type GraphProbe, type ManifestCheck, type OrtFlavour } from './factory';
import type { BackboneManifest } from './manifest';
import { INSTALL_EXTRA_BACKBONES, INSTALLABLE_BACKBONES } from './manifests';
import { detectGpu } from './gpuAdapter';

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

/** A backbone ready to run on onnxruntime-web, and where it runs. */
export interface Backbone extends BackboneCore {
  executionPath: ExecutionPath;
  /** WASM threads actually in use (also the CPU fallback of the WebGPU EP). */
  threads: number;
  adapterInfo?: string;
  /** The GPUDevice ORT runs this backbone on (WebGPU EP only): kernels on it can read GPU-resident maps. */
  gpuDevice?: GPUDevice;
}

/** An opened ORT session plus how it runs (patchcore/wasm runs its kernels' graphs on such sessions). */
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
    const installable = INSTALLABLE_BACKBONES.find((b) => b.url === url);
    if (installable && res.status === 404) {
      throw new Error(`The backbone “${installable.label}” is not installed on this server: ${INSTALL_EXTRA_BACKBONES}`);
    }
    throw new Error(`Backbone model ${url} could not be loaded (HTTP ${res.status}). Run \`npm run assets\` to build it.`);
  }
  return new Uint8Array(await res.arrayBuffer());
}

/** onnxruntime-web as the backbone factory's flavour. */
export const webFlavour: OrtFlavour<ort.InferenceSession.SessionOptions> = {
  createSession: (bytes, options) => ort.InferenceSession.create(bytes, options),
  float32: (data, dims) => new ort.Tensor('float32', data, dims),
};

interface SessionPlan {
  path: ExecutionPath;
  threads: number;
  adapterInfo?: string;
  gpuOutputs: boolean;
  options: ort.InferenceSession.SessionOptions;
}

/** Sets up the runtime and picks the execution provider and the session options for it. */
async function planSession(opts: Omit<BackboneOptions, 'modelBytes'>): Promise<SessionPlan> {
  const threads = configureRuntime(opts.threads);
  const { path, adapterInfo } = await chooseProvider(opts.prefer ?? 'auto');
  const gpuOutputs = path === 'webgpu' && !!opts.gpuOutputs;
  const options: ort.InferenceSession.SessionOptions = {
    executionProviders: [path],
    graphOptimizationLevel: 'all',
    ...(gpuOutputs ? { preferredOutputLocation: 'gpu-buffer' as const } : {}),
  };
  return { path, threads, adapterInfo, gpuOutputs, options };
}

/** After the first WebGPU session, the device ORT computes on. */
async function deviceOf(path: ExecutionPath): Promise<GPUDevice | undefined> {
  return path === 'webgpu' ? ((await ort.env.webgpu.device) as GPUDevice) : undefined;
}

const asBytes = (bytes: ArrayBuffer | Uint8Array) => (bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes));

/** Opens an ORT session on the chosen execution provider, for graphs other than a backbone (patchcore/wasm's kernels). */
export async function openSession(bytes: ArrayBuffer | Uint8Array, opts: Omit<BackboneOptions, 'modelBytes'> = {}): Promise<OpenedSession> {
  const plan = await planSession(opts);
  let session: ort.InferenceSession;
  try {
    session = await ort.InferenceSession.create(asBytes(bytes), plan.options);
  } catch (e) {
    const msg = e instanceof Error ? e.message : String(e);
    throw new Error(`The graph could not be loaded as an ONNX model on ${plan.path}: ${msg}`);
  }
  return { session, executionPath: plan.path, threads: plan.threads, adapterInfo: plan.adapterInfo, gpuOutputs: plan.gpuOutputs, gpuDevice: await deviceOf(plan.path) };
}

/**
 * A backbone on onnxruntime-web from its bytes, checked against the manifest as far as `check` says (see
 * ManifestCheck); custom.ts asks for the full probe.
 */
export async function createWebBackbone(
  manifest: BackboneManifest,
  bytes: ArrayBuffer | Uint8Array,
  opts: Omit<BackboneOptions, 'modelBytes'>,
  check: ManifestCheck,
): Promise<Backbone> {
  const plan = await planSession(opts);
  const core = await createBackboneOn(webFlavour, plan.options, manifest, asBytes(bytes), check);
  return { ...core, executionPath: plan.path, threads: plan.threads, adapterInfo: plan.adapterInfo, gpuDevice: await deviceOf(plan.path) };
}

/** A graph opened on onnxruntime-web for proposing its manifest (propose.ts); WASM unless told otherwise. */
export async function openWebGraphProbe(bytes: ArrayBuffer | Uint8Array, opts: Omit<BackboneOptions, 'modelBytes'> = { prefer: 'wasm' }): Promise<GraphProbe> {
  const plan = await planSession(opts);
  return openGraphProbe(webFlavour, plan.options, asBytes(bytes));
}

/**
 * Creates a built-in backbone from its manifest; the ONNX bytes are fetched from manifest.url if needed. Only the
 * names are checked: a probe inference would compile WebGPU pipelines at start-up (a second time, for inputMultiple's
 * wider probe) for graphs that ship with the app, while custom.ts probes the user's own graphs.
 */
export async function createBackbone(manifest: BackboneManifest, opts: BackboneOptions = {}): Promise<Backbone> {
  const { modelBytes, ...rest } = opts;
  const bytes = modelBytes ?? (await fetchModel(manifest.url));
  return createWebBackbone(manifest, bytes, rest, 'names');
}
