// What a build and an inspection will cost on this machine, before the build starts: measured on one of the user's
// images at the chosen working size (features, nearest neighbours against a bank of the size the build will make,
// a greedy selection's speed), and scaled by the plan the memory-bank builder will follow (memory.ts).
import { viewCount } from './augment';
import { coresetSize, CORESET_START_POINTS } from './config';
import { planMemory, stackRows } from './memory';
import { PatchCore } from './patchcore';
import type { RgbaImage } from './preprocess';
import { rng } from './random';
import { LEAVE_ONE_OUT_MAX_IMAGES, LEAVE_ONE_OUT_MAX_WORK, MIN_HOLDOUT_SCORES } from './selfScores';
import type { EngineConfig } from './config';
import type { Matrix } from './types';

/** Images an estimate is measured on, spread over the set: the first is timed, all give real vectors. */
export const ESTIMATE_IMAGES = 3;

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
  /**
   * Estimated: features of every training image, the selections (from a measured selection speed), building the
   * bank's nearest-neighbour index (measured on a bank of the build's size), and the calibration (calibrationSeconds).
   */
  buildSeconds: number;
  /**
   * Estimated: scoring the held-out images, and, with too few of them, each learnt image against a memory of the
   * others (selfScores.ts: its views extracted once more, a coreset per image, one search each).
   */
  calibrationSeconds: number;
  /** Estimated bytes the build holds at its peak: the selection's vectors (full and projected). */
  memoryBytes: number;
  /** Bytes of the bank once built. */
  bankBytes: number;
}

/**
 * Measures `model` (unfitted: its config is the build's) on `images` (the first is timed; all of them give real
 * vectors for the selection's speed) for a build from `imageCount` images. `parallel`: chunk selections that run
 * beside the features (the worker pool's size); `selectAllSpeedup`: how much faster the selections that run alone
 * (the last one, an exact pass) are split over every core; `decodeSeconds`: what decoding one image took.
 */
export async function estimateCost(
  model: PatchCore,
  images: RgbaImage[],
  imageCount: number,
  opts: { parallel: number; selectAllSpeedup?: number; decodeSeconds?: number; holdoutCount?: number; signal?: AbortSignal },
): Promise<CostEstimate> {
  const cfg = model.config;
  const { parallel, signal } = opts;
  const decodeSeconds = opts.decodeSeconds ?? 0;
  const image = images[0];
  await model.extract(image); // warm-up: the first run at a new input size plans the backbone's graph
  signal?.throwIfAborted();
  // The fastest of three runs: what a steady build sees (the first ones after a size change still warm up).
  let features = await model.extract(image);
  let featureSeconds = Number.POSITIVE_INFINITY;
  for (let i = 0; i < 3; i++) {
    const t0 = performance.now();
    features = await model.extract(image);
    featureSeconds = Math.min(featureSeconds, (performance.now() - t0) / 1000);
    signal?.throwIfAborted();
  }
  featureSeconds += decodeSeconds;
  let t: number;
  // Every training view of an image (augment.ts) is learnt like an image of its own, decoded once.
  const views = viewCount(cfg.augment);
  const perImage = model.patchesOf(features) * views;
  const patches = perImage * Math.max(1, imageCount);
  const plan = planMemory(patches, cfg, parallel);
  const bank = coresetSize(patches, cfg);
  signal?.throwIfAborted();

  // The other images' vectors: the selection's speed is measured on all of them, and the search's bank is drawn
  // from those the timed image did not give (a bank made of its own vectors finds every query's twin).
  const rows: Matrix[] = [features];
  for (const other of images.slice(1)) rows.push(await model.extract(other));
  const sample = stackRows(rows);
  const others = rows.length > 1 ? stackRows(rows.slice(1)) : features;

  // Nearest neighbours against a bank of the size the build will make, drawn from those vectors with a little noise.
  const probe = new PatchCore(model.backbone, model.kernels, cfg);
  // Loading builds the bank's index (for kernels that search through one): timed here, counted in the build.
  probe.load(jittered(others, bank, cfg.seed), { imageCount: 1 });
  const indexSeconds = probe.indexSeconds;
  await probe.scoreFeatures(features, features.input); // warm-up: the first search against a bank prepares it
  signal?.throwIfAborted();
  let search = Number.POSITIVE_INFINITY;
  for (let i = 0; i < 2; i++) {
    t = performance.now();
    await probe.scoreFeatures(features, features.input);
    search = Math.min(search, (performance.now() - t) / 1000);
  }
  const inspectSeconds = featureSeconds + search;
  signal?.throwIfAborted();

  // Selection speed in seconds per (rows x selected) distance evaluation, on the images' own vectors (real data
  // prunes like the build's; made-up vectors do not): the slope between SELECT_STEPS and twice that many steps,
  // so that set-up (projection, start points) does not count as speed.
  const select = async (k: number) => {
    const t0 = performance.now();
    await model.kernels.coreset(sample, { count: k, projectionDim: cfg.projectionDim, seed: cfg.seed, startPoints: CORESET_START_POINTS, signal });
    return (performance.now() - t0) / 1000;
  };
  const k = Math.min(SELECT_STEPS, Math.floor(sample.rows / 4));
  await select(k); // warm-up
  // Each length twice, alternating, the fastest of each: one slow run (a collection, the JIT) would skew the slope.
  let short = Number.POSITIVE_INFINITY;
  let long = Number.POSITIVE_INFINITY;
  for (let i = 0; i < 2; i++) {
    long = Math.min(long, await select(2 * k));
    short = Math.min(short, await select(k));
  }
  const rate = Math.max(0, (long - short) / (sample.rows * k));
  const selectSeconds = rate * (plan.chunkWork / Math.max(1, parallel) + plan.finalWork / Math.max(1, opts.selectAllSpeedup ?? 1));
  const cols = features.cols;
  const holdout = opts.holdoutCount ?? 0;
  const calibrationSeconds =
    holdout * inspectSeconds + selfScoreSeconds(imageCount, holdout, perImage, cfg, { extract: featureSeconds - decodeSeconds, views, rate, search });
  return {
    inputWidth: features.input.width,
    inputHeight: features.input.height,
    patchesPerImage: perImage,
    patches,
    bank,
    featureSeconds,
    inspectSeconds,
    buildSeconds: (featureSeconds * views - decodeSeconds * (views - 1)) * imageCount + selectSeconds + indexSeconds + calibrationSeconds,
    calibrationSeconds,
    memoryBytes: plan.peakRows * (cols + cfg.projectionDim) * 4,
    bankBytes: bank * cols * 4,
  };
}

/**
 * What scoring the learnt images themselves adds to a build with fewer than MIN_HOLDOUT_SCORES held out
 * (selfScores.ts, as recipe.ts's learn decides it): one image's halves (one extraction, two searches), or each of n
 * images against a memory of the others (each image's views extracted again, a coreset per image unless the memory
 * is kept whole or the work passes LEAVE_ONE_OUT_MAX_WORK, one search each). `extract`: one view's features
 * without decoding; `rate`: seconds per selection distance; `search`: one search against a bank of the build's size.
 */
export function selfScoreSeconds(
  n: number,
  holdout: number,
  rowsPerImage: number,
  cfg: Pick<EngineConfig, 'coresetRatio' | 'coresetCount' | 'coresetMax' | 'coresetFloor'>,
  t: { extract: number; views: number; rate: number; search: number },
): number {
  if (holdout >= MIN_HOLDOUT_SCORES || n < 1 || n > LEAVE_ONE_OUT_MAX_IMAGES) return 0;
  if (n === 1) return t.extract + 2 * t.search;
  const others = rowsPerImage * (n - 1);
  const k = coresetSize(others, cfg);
  const work = k < others ? n * others * k : 0;
  const extract = n * t.views * t.extract;
  if (work > LEAVE_ONE_OUT_MAX_WORK) return extract; // the images are extracted, then the coresets are skipped
  return extract + t.rate * work + n * t.search;
}

/** Greedy steps the selection-speed measurement times (and twice as many). */
const SELECT_STEPS = 256;


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
