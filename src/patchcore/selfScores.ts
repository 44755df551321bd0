// Scores of the good images a model learnt from, for a threshold when too few were held out to rest on: a handful of
// photos leaves one or two for calibration, and a threshold from one score is a guess. Each image is scored against
// a memory of the others (leave-one-out), exactly what a held-out image would score against a model one image
// smaller; with a single image, each half is scored against a memory of the other half. Both read a little high
// (a memory smaller than the model's), so a threshold on them errs towards fewer false alarms.
import { trainingViews } from './augment';
import { CORESET_START_POINTS, coresetSize } from './config';
import { gatherRows, stackRows } from './memory';
import { PatchCore } from './patchcore';
import type { RgbaImage } from './preprocess';
import { keepRows, regionCells, type Region } from './region';
import type { Matrix } from './types';

/** Below this many held-out scores a build adds the learnt images' own scores (see calibrate in recipe.ts). */
export const MIN_HOLDOUT_SCORES = 5;

/** Leave-one-out is measured up to this many training images (each is extracted once more). */
export const LEAVE_ONE_OUT_MAX_IMAGES = 16;

type Features = Awaited<ReturnType<PatchCore['extract']>>;

/** The rows a model learns from features: those inside its region. */
function learntRows(pc: PatchCore, f: Features): Matrix {
  const inside = regionCells(f.gridW, f.gridH, f.input.window, pc.config.region);
  return inside ? keepRows(f, inside) : f;
}


/** Distance evaluations (rows x selected, over every left-out image) the leave-one-out coresets may cost. */
export const LEAVE_ONE_OUT_MAX_WORK = 4e8;

/**
 * Each image's score against a memory made as the model's is, from the other images (their training views
 * included): every patch under the bank floor, else a greedy coreset of the same share. None (an empty list) with
 * fewer than 2 images, more than LEAVE_ONE_OUT_MAX_IMAGES, or coresets that would cost more than
 * LEAVE_ONE_OUT_MAX_WORK (a few seconds).
 */
export async function leaveOneOutScores(pc: PatchCore, images: RgbaImage[], signal?: AbortSignal): Promise<number[]> {
  if (images.length < 2 || images.length > LEAVE_ONE_OUT_MAX_IMAGES) return [];
  const first: Features[] = [];
  const learnt: Matrix[] = [];
  for (const image of images) {
    const views = await Promise.all(trainingViews(image, pc.config.augment).map((v) => pc.extract(v)));
    signal?.throwIfAborted();
    first.push(views[0]);
    learnt.push(stackRows(views.map((f) => learntRows(pc, f)), views[0].cols));
  }
  const cols = first[0].cols;
  const total = learnt.reduce((n, m) => n + m.rows, 0);
  const work = learnt.reduce((w, m) => {
    const rows = total - m.rows;
    const k = coresetSize(rows, pc.config);
    return w + (k < rows ? rows * k : 0);
  }, 0);
  if (work > LEAVE_ONE_OUT_MAX_WORK) return [];
  const scores: number[] = [];
  for (let i = 0; i < images.length; i++) {
    const others = stackRows(learnt.filter((_, j) => j !== i), cols);
    const k = coresetSize(others.rows, pc.config);
    const { projectionDim, seed } = pc.config;
    const memory =
      k < others.rows ? gatherRows(others, await pc.kernels.coreset(others, { count: k, projectionDim, seed, startPoints: CORESET_START_POINTS, signal })) : others;
    const probe = new PatchCore(pc.backbone, pc.kernels, pc.config);
    probe.load(memory, { imageCount: images.length - 1 }, { index: false }); // scored once: an index would not pay
    scores.push((await probe.scoreFeatures(first[i], first[i].input)).score);
    signal?.throwIfAborted();
  }
  return scores;
}

/** The two halves of a region (or the whole image) along its longer side. */
function halves(r: Region | undefined, width: number, height: number): [Region, Region] {
  const box = r ?? { x0: 0, y0: 0, x1: 1, y1: 1 };
  if ((box.x1 - box.x0) * width >= (box.y1 - box.y0) * height) {
    const mid = (box.x0 + box.x1) / 2;
    return [{ ...box, x1: mid }, { ...box, x0: mid }];
  }
  const mid = (box.y0 + box.y1) / 2;
  return [{ ...box, y1: mid }, { ...box, y0: mid }];
}

/**
 * One image's score with each half of it (of its region) scored against a memory of the other half, the larger of
 * the two: what a model of one image can say about a second good photo. Parts whose halves differ (a screw's head
 * and tip) score high here, so the threshold is cautious.
 */
export async function halvesScore(pc: PatchCore, image: RgbaImage): Promise<number> {
  const f = await pc.extract(image);
  let score = 0;
  const [a, b] = halves(pc.config.region, image.width, image.height);
  for (const [scored, memory] of [[a, b], [b, a]] as const) {
    const cells = regionCells(f.gridW, f.gridH, f.input.window, memory);
    const bank = cells ? keepRows(f, cells) : f;
    const probe = new PatchCore(pc.backbone, pc.kernels, { ...pc.config, region: scored });
    probe.load(bank, { imageCount: 1 }, { index: false });
    score = Math.max(score, (await probe.scoreFeatures(f, f.input)).score);
  }
  return score;
}
