// The engine worker: owns the backbone session, the compute kernels and the active PatchCore model, so that
// decoding, inference, coreset and scoring never block the page. Speaks src/worker/protocol.ts.
import { builtinManifest } from '../backbone/manifests';
import { loadCustomBackbone } from '../backbone/custom';
import { createBackbone, openWebGraphProbe } from '../backbone/session';
import { proposeManifest } from '../backbone/propose';
import { chooseKernels } from '../patchcore/kernels';
import { residentMapsBound } from '../patchcore/gpu/features';
import { CORESET_START_POINTS, type EngineConfig } from '../patchcore/config';
import { abortError, PatchCore, type JobOptions } from '../patchcore/patchcore';
import { copyStoredIndex, type StoredBankIndex } from '../patchcore/cpu/bankIndex';
import type { Kernels } from '../patchcore/types';
import { SelectionPool, teamSpeedup } from './selectionPool';
import { SearchPool, searchHelpersFor } from './searchPool';
import { estimateCost } from '../patchcore/estimate';
import { learn, type ImageSource } from '../patchcore/recipe';
import type { Progress } from '../patchcore/types';
import { decodeImage } from './decode';
import type { BuildResult, EngineInfo, ExtendResult, ImageFile, RequestMap, ScoreResult, SkippedImage, WorkerRequest, WorkerResponse } from './protocol';

type BackboneHandle = Awaited<ReturnType<typeof createBackbone>>;

let backbone: BackboneHandle | null = null;
let kernels: Awaited<ReturnType<typeof chooseKernels>> | null = null;
let model: PatchCore | null = null;
let info: EngineInfo | null = null;
let kernelPreference: NonNullable<RequestMap['init']['args']['kernels']> = 'auto';
/** Set when the WebGPU device behind the kernels is lost (driver reset, GPU process crash, device.destroy()). */
let deviceLost = false;
const controllers = new Map<number, AbortController>();
/** Threads that search shares of each inspection's patches with the model's bank index, for this worker's life. */
const searchTeam = new SearchPool(searchHelpersFor(navigator.hardwareConcurrency ?? 1));

const post = (msg: WorkerResponse, transfer: Transferable[] = []) => (self as unknown as Worker).postMessage(msg, transfer);

function now() {
  return performance.now() / 1000;
}

function requireEngine(): { backbone: BackboneHandle; kernels: NonNullable<typeof kernels> } {
  if (!backbone || !kernels) throw new Error('The engine is not ready yet: no backbone loaded');
  return { backbone, kernels };
}

/** The last init's arguments: a device loss may need the backbone loaded again. */
let lastInit: RequestMap['init']['args'] | null = null;

function loadBackbone(args: RequestMap['init']['args'], execution = args.execution ?? 'auto') {
  // On the WebGPU EP the maps stay on ORT's device; the WGSL kernels share it (see pickKernels), anything else
  // downloads them.
  const opts = { prefer: execution, threads: args.threads, gpuOutputs: true } as const;
  return args.custom
    ? loadCustomBackbone(args.custom.onnx, args.custom.manifest, opts)
    : createBackbone(builtinManifest(args.backbone), opts);
}

async function init(args: RequestMap['init']['args']): Promise<EngineInfo> {
  // The new backbone is loaded (and, if custom, checked) before the old one goes: a failure leaves it in place.
  const next = await loadBackbone(args);
  const manifest = next.manifest;
  void backbone?.release();
  backbone = next;
  lastInit = args;
  model = null;
  kernelPreference = args.kernels ?? 'auto';
  kernels = await pickKernels();
  info = {
    backbone: manifest.id,
    executionPath: backbone.executionPath,
    threads: backbone.threads,
    kernels: kernels.kernels.name,
    reason: kernels.kernels.name === 'webgpu' && manifest.taps.length === 1 ? `${kernels.reason} ${ONE_TAP_NOTE}` : kernels.reason,
    gpu: backbone.adapterInfo ?? 'none',
  };
  return info;
}

/** gpu/features.ts hands a one-tap backbone's map to the TypeScript twin: features.wgsl assembles two maps. */
const ONE_TAP_NOTE = 'This backbone gives one feature grid, whose patch features are averaged on the CPU (TypeScript).';

/**
 * The compute kernels. When the backbone runs on ORT's WebGPU EP and the kernels may use the GPU, they share ORT's
 * device, so the backbone's maps go from ORT's buffers straight into the WGSL aggregate.
 */
function pickKernels() {
  deviceLost = false;
  const shared = kernelPreference === 'auto' || kernelPreference === 'webgpu' ? backbone?.gpuDevice : undefined;
  return chooseKernels({ prefer: kernelPreference, device: shared, onDeviceLost: () => (deviceLost = true), searchTeam });
}

/**
 * After a device loss: fresh kernels on a new device, and the active model (its bank lives in this worker's
 * memory, not on the lost device) rebuilt on them, so nothing the user made is lost. A backbone on the lost
 * device moves to WASM: ORT takes its WebGPU device once per page, so it cannot start over on a new one.
 */
async function recoverFromDeviceLoss(): Promise<void> {
  let note = 'recovered after the GPU device was lost';
  if (backbone?.gpuDevice && lastInit) {
    const lost = backbone;
    backbone = await loadBackbone(lastInit, 'wasm');
    void lost.release().catch(() => {});
    note += '; the backbone now runs on WebAssembly';
  }
  kernels = await pickKernels();
  if (info && backbone) {
    info = { ...info, executionPath: backbone.executionPath, threads: backbone.threads, kernels: kernels.kernels.name, reason: `${kernels.reason.replace(/\.$/, '')} (${note}).` };
  }
  if (model?.bank && backbone) {
    const old = model;
    model = new PatchCore(backbone, kernels.kernels, old.config);
    model.load(old.bank!, { patchCount: old.patchCount, imageCount: old.imageCount }, { stored: old.index?.stored });
  }
}

async function* decodeAll(files: ImageFile[], skipped: SkippedImage[], signal: AbortSignal) {
  for (const f of files) {
    if (signal.aborted) throw abortError();
    try {
      yield await decodeImage(f.blob, f.name);
    } catch (e) {
      skipped.push({ name: f.name, reason: (e as Error).message });
    }
  }
}

/** Selection workers a build with this config gets (0: the selections run on the kernels, one at a time). */
function selectionWorkers(config: EngineConfig, kernels: Kernels): number {
  if (!config.coresetChunk || kernels.name === 'webgpu' || typeof Worker === 'undefined') return 0;
  return Math.max(1, (navigator.hardwareConcurrency || 1) - 1);
}

/** Threads a selection that runs alone is split over: every core (up to 16). */
function teamSize(): number {
  return Math.min(16, Math.max(1, navigator.hardwareConcurrency || 1));
}

/**
 * Where a build's greedy selections run: streamed builds (config.coresetChunk) use a pool of selection workers, one
 * per core the backbone can spare, so chunks are selected while features continue, and the last selection is split
 * over every core; exact builds use the kernels.
 */
function selectorFor(config: EngineConfig, kernels: Kernels, signal: AbortSignal): { selector?: JobOptions['selector']; close(): void } {
  const size = selectionWorkers(config, kernels);
  if (size === 0) return { close() {} };
  const pool = new SelectionPool(size, { projectionDim: config.projectionDim, seed: config.seed, startPoints: CORESET_START_POINTS }, signal, teamSize());
  return { selector: pool.selector(), close: () => pool.close() };
}

async function build(args: RequestMap['build']['args'], signal: AbortSignal, progress: (p: Progress) => void): Promise<BuildResult> {
  const engine = requireEngine();
  const pc = new PatchCore(engine.backbone, engine.kernels.kernels, args.config);
  const sel = selectorFor(args.config, engine.kernels.kernels, signal);
  const learnt = await learn(pc, args.images, args.holdout, blobSource, { signal, selector: sel.selector, onProgress: progress }).finally(() => sel.close());
  model = pc;
  return { ...learnt, index: indexCopy(pc) };
}

/** The user's files, decoded in this worker. */
const blobSource: ImageSource<ImageFile> = { name: (f) => f.name, decode: (f) => decodeImage(f.blob, f.name) };

/** Adds good images to a stored model, without changing the active one (the caller loads the result). */
async function extend(args: RequestMap['extend']['args'], signal: AbortSignal, progress: (p: Progress) => void): Promise<ExtendResult> {
  const engine = requireEngine();
  const pc = new PatchCore(engine.backbone, engine.kernels.kernels, args.config);
  // The old bank is only a starting point: the extended one gets its index when extend loads it.
  pc.load(args.bank, { patchCount: args.patchCount, imageCount: args.imageCount }, { index: false });
  const skipped: SkippedImage[] = [];
  const sel = selectorFor(args.config, engine.kernels.kernels, signal);
  const r = await pc
    .extend(decodeAll(args.images, skipped, signal), args.images.length, { signal, onProgress: progress, selector: sel.selector })
    .finally(() => sel.close());
  return { bank: r.bank, patchCount: r.patchCount, imageCount: r.imageCount, added: r.added, skipped, index: indexCopy(pc) };
}

/** The model's index as the caller stores it: a copy, since the worker keeps searching through its own. */
function indexCopy(pc: PatchCore): StoredBankIndex | null {
  return pc.index ? copyStoredIndex(pc.index.stored) : null;
}

/** The buffers of an index sent back, to transfer rather than copy. */
const indexBuffers = (index: StoredBankIndex | null): ArrayBuffer[] => (index ? [index.axes.buffer as ArrayBuffer, index.cluster.buffer as ArrayBuffer] : []);

async function scoreImage(img: { name: string; data: Uint8ClampedArray; width: number; height: number }, originalSize?: { width: number; height: number }): Promise<ScoreResult> {
  if (!model) throw new Error('No model is active: build one from good images or open one from the library');
  const t0 = now();
  const s = await model.score(img);
  return {
    name: img.name,
    score: s.score,
    maxPatchScore: s.maxPatchScore,
    map: s.map,
    window: s.window,
    ...(s.region ? { region: s.region } : {}),
    patchScores: s.patchScores,
    width: originalSize?.width ?? img.width,
    height: originalSize?.height ?? img.height,
    seconds: now() - t0,
    stages: s.stages,
  };
}

async function handle(req: Exclude<WorkerRequest, { type: 'cancel' }>, signal: AbortSignal): Promise<{ result: unknown; transfer: Transferable[] }> {
  const progress = (p: Progress) => post({ id: req.id, type: 'progress', progress: p });
  switch (req.type) {
    case 'init':
      return { result: await init(req.args), transfer: [] };
    case 'proposeManifest': {
      // WASM: a probe runs the graph at a few sizes once, and must not disturb the kernels' WebGPU device.
      const probe = await openWebGraphProbe(req.args.onnx, { prefer: 'wasm' });
      try {
        const p = await proposeManifest(probe, { fileName: req.args.fileName, audience: 'app' });
        return { result: { json: `${JSON.stringify(p.manifest, null, 2)}\n`, notes: p.notes }, transfer: [] };
      } finally {
        await probe.release();
      }
    }
    case 'build': {
      const r = await build(req.args, signal, progress);
      // The worker keeps its own bank for scoring; the caller gets a copy it can store.
      const bank = { ...r.bank, data: r.bank.data.slice() };
      return { result: { ...r, bank }, transfer: [bank.data.buffer, ...indexBuffers(r.index)] };
    }
    case 'extend': {
      const r = await extend(req.args, signal, progress);
      return { result: r, transfer: [r.bank.data.buffer, ...indexBuffers(r.index)] };
    }
    case 'load': {
      const engine = requireEngine();
      const pc = new PatchCore(engine.backbone, engine.kernels.kernels, req.args.config);
      pc.load(req.args.bank, { patchCount: req.args.patchCount, imageCount: req.args.imageCount }, { stored: req.args.index });
      model = pc;
      // An index built here (none was stored, or the stored one did not belong to this bank) goes back to be stored.
      const built = pc.indexSource === 'built' ? indexCopy(pc) : null;
      const index = { source: pc.indexSource, seconds: pc.indexSeconds, built };
      return { result: { rows: req.args.bank.rows, cols: req.args.bank.cols, index }, transfer: indexBuffers(built) };
    }
    case 'estimate': {
      const engine = requireEngine();
      const [first, ...rest] = req.args.images;
      if (!first) throw new Error('There is no image to measure on');
      await decodeImage(first.blob, first.name); // warm-up
      const t0 = now();
      const img = await decodeImage(first.blob, first.name);
      const decodeSeconds = now() - t0;
      const others = [];
      for (const f of rest) others.push(await decodeImage(f.blob, f.name).catch(() => null));
      const pc = new PatchCore(engine.backbone, engine.kernels.kernels, req.args.config);
      const parallel = selectionWorkers(req.args.config, engine.kernels.kernels);
      const images = [img, ...others.filter((x) => x !== null)];
      const selectAllSpeedup = parallel > 0 ? teamSpeedup(teamSize()) : 1;
      const r = await estimateCost(pc, images, req.args.imageCount, { parallel, selectAllSpeedup, decodeSeconds, holdoutCount: req.args.holdoutCount, signal });
      return { result: { ...r, imageWidth: img.originalWidth, imageHeight: img.originalHeight }, transfer: [] };
    }
    case 'score': {
      const img = await decodeImage(req.args.image.blob, req.args.image.name);
      const r = await scoreImage(img, { width: img.originalWidth, height: img.originalHeight });
      return { result: r, transfer: [r.map.data.buffer, r.patchScores.data.buffer] };
    }
    case 'scorePixels': {
      const r = await scoreImage(req.args);
      return { result: r, transfer: [r.map.data.buffer, r.patchScores.data.buffer] };
    }
    case 'exportOnnx': {
      // Loaded on first use: the ONNX protobuf classes are only needed here, and a load failure stays in this request.
      const { exportOnnx } = await import('./exportOnnx');
      const r = await exportOnnx(req.args);
      // The .onnx and the Triton copy share one buffer: list each buffer once.
      return { result: r, transfer: [...new Set(r.files.map((f) => f.bytes.buffer as ArrayBuffer))] };
    }
    case 'info':
      return { result: info && { ...info, gpuResidentMaps: residentMapsBound() }, transfer: [] };
    case 'loseDevice': {
      // Test hook: what a driver reset does to the kernels' device.
      const device = (kernels?.kernels as { device?: GPUDevice } | undefined)?.device;
      if (!device) return { result: { lost: false }, transfer: [] };
      device.destroy();
      await device.lost;
      return { result: { lost: true }, transfer: [] };
    }
  }
}

/** Runs a request; if the GPU device was lost meanwhile, recovers once and runs it again from the start. */
async function handleWithRecovery(req: Exclude<WorkerRequest, { type: 'cancel' }>, signal: AbortSignal) {
  if (deviceLost && req.type !== 'init') await recoverFromDeviceLoss();
  try {
    return await handle(req, signal);
  } catch (e) {
    if (!deviceLost || req.type === 'loseDevice' || (e as Error).name === 'AbortError') throw e;
    post({ id: req.id, type: 'progress', progress: { stage: 'recovering', done: 0, total: 1 } });
    await recoverFromDeviceLoss();
    return await handle(req, signal);
  }
}

// Requests run one at a time (the backbone session and GPU queue are single), in arrival order; cancel is
// handled immediately.
let queue: Promise<void> = Promise.resolve();

self.onmessage = (e: MessageEvent<WorkerRequest>) => {
  const req = e.data;
  if (req.type === 'cancel') {
    controllers.get(req.target)?.abort();
    return;
  }
  if (req.type === 'loseDevice') {
    // Out of the queue on purpose: it must be able to hit a job that is running.
    handle(req, new AbortController().signal).then(
      ({ result }) => post({ id: req.id, type: 'done', result }),
      (e: Error) => post({ id: req.id, type: 'error', error: { name: e.name, message: e.message } }),
    );
    return;
  }
  const controller = new AbortController();
  controllers.set(req.id, controller);
  queue = queue.then(async () => {
    try {
      if (controller.signal.aborted) throw abortError();
      const { result, transfer } = await handleWithRecovery(req, controller.signal);
      post({ id: req.id, type: 'done', result }, transfer);
    } catch (err) {
      const e = err as Error;
      post({ id: req.id, type: 'error', error: { name: e?.name ?? 'Error', message: e?.message ?? String(err) } });
    } finally {
      controllers.delete(req.id);
    }
  });
};
