// What a build and an inspection will cost on this machine, before the build starts: measured on one of the user's
// images at the chosen working size (features, nearest neighbours against a bank of the size the build will make,
// a greedy selection's speed), and scaled by the plan the memory-bank builder will follow (memory.ts).
import { coresetSize, CORESET_START_POINTS } from './config';
import { planMemory } from './memory';
import { PatchCore } from './patchcore';
import type { RgbaImage } from './preprocess';
import { rng } from './random';
import type { Matrix } from './types';

export interface CostEstimate {
  /** Backbone input of the sample image at this working size. */
  inputWidth: number;
  inputHeight: number;
  /** Patches one image gives (inside the inspection region), all training images' patches, and the bank size. */
  patchesPerImage: number;
  patches: number;
  bank: number;
  /** Measured: features of one image (preprocess, backbone, aggregation), seconds. */
  featureSeconds: number;
  /** Measured: one inspection against a bank of the build's size (features, nearest neighbours, eq. 7, map). */
  inspectSeconds: number;
  /** Estimated: features of every training image plus the selections, from a measured selection speed. */
  buildSeconds: number;
  /** Estimated bytes the build holds at its peak: the selection's vectors (full and projected). */
  memoryBytes: number;
  /** Bytes of the bank once built. */
  bankBytes: number;
}

/** Rows for the selection-speed sample: large enough that set-up time is small against the loop. */
const SAMPLE_ROWS = 8192;

/**
 * Measures `model` (unfitted: its config is the build's) on `image` for a build from `imageCount` images.
 * `parallel`: chunk selections that run beside the features (the worker pool's size).
 */
export async function estimateCost(model: PatchCore, image: RgbaImage, imageCount: number, parallel: number, signal?: AbortSignal): Promise<CostEstimate> {
  const cfg = model.config;
  await model.extract(image); // warm-up: the first run at a new input size plans the backbone's graph
  signal?.throwIfAborted();
  let t = performance.now();
  const features = await model.extract(image);
  const featureSeconds = (performance.now() - t) / 1000;
  const perImage = model.patchesOf(features);
  const patches = perImage * Math.max(1, imageCount);
  const plan = planMemory(patches, cfg, parallel);
  const bank = coresetSize(patches, cfg);
  signal?.throwIfAborted();

  // Nearest neighbours against a bank of the size the build will make: this image's vectors, jittered.
  const probe = new PatchCore(model.backbone, model.kernels, cfg);
  probe.load(jittered(features, bank, cfg.seed), { imageCount: 1 });
  await probe.scoreFeatures(features, features.input); // warm-up: the first search against a bank prepares it
  signal?.throwIfAborted();
  t = performance.now();
  await probe.scoreFeatures(features, features.input);
  const inspectSeconds = featureSeconds + (performance.now() - t) / 1000;
  signal?.throwIfAborted();

  // Selection speed, in seconds per (rows x selected) distance evaluation, on a sample of the same vectors.
  const sample = jittered(features, Math.min(SAMPLE_ROWS, Math.max(perImage, 1024)), cfg.seed + 1);
  const k = Math.max(1, Math.ceil(sample.rows * cfg.coresetRatio));
  t = performance.now();
  await model.kernels.coreset(sample, { count: k, projectionDim: cfg.projectionDim, seed: cfg.seed, startPoints: CORESET_START_POINTS, signal });
  const rate = (performance.now() - t) / 1000 / (sample.rows * k);
  const selectSeconds = rate * (plan.chunkWork / Math.max(1, parallel) + plan.finalWork);
  const cols = features.cols;
  return {
    inputWidth: features.input.width,
    inputHeight: features.input.height,
    patchesPerImage: perImage,
    patches,
    bank,
    featureSeconds,
    inspectSeconds,
    buildSeconds: featureSeconds * imageCount + selectSeconds,
    memoryBytes: plan.peakRows * (cols + cfg.projectionDim) * 4,
    bankBytes: bank * cols * 4,
  };
}

/** `rows` vectors drawn from the image's patches with a little noise, so none repeat. */
function jittered(f: Matrix, rows: number, seed: number): Matrix {
  const r = rng(seed ^ 0x51ed27);
  const { cols } = f;
  const data = new Float32Array(rows * cols);
  for (let i = 0; i < rows; i++) {
    const src = Math.floor(r() * f.rows) * cols;
    for (let c = 0; c < cols; c++) data[i * cols + c] = f.data[src + c] * (0.9 + 0.2 * r());
  }
  return { data, rows, cols };
}
