// The recipe that turns good images and a person's choices into a model, written once for the app (its store and
// worker), the command line, eval and bench: the options checked and resolved into an EngineConfig, the held-out
// split, the fit, the scores of the held-out images, the threshold and the model's default name. Callers bring
// their own decoding (a Blob in the browser, a file through sharp in Node) and where the selections run.
import { DEFAULT_FALSE_ALARM_RATE, DEFAULT_HOLDOUT_SHARE, holdoutCount, splitHoldout, thresholdForFalseAlarmRate } from './calibration';
import { CORESET_RATIOS, DEFAULT_CONFIG, MAX_WORKING_SIZE, coresetMaxFor, resolveWorkingSize, type EngineConfig, type WorkingSizeChoice } from './config';
import { AUGMENTS, type Augment } from './augment';
import { abortError, type JobOptions, type PatchCore } from './patchcore';
import { FRAMINGS, type Framing, type RgbaImage } from './preprocess';
import { LEAVE_ONE_OUT_MAX_IMAGES, MIN_HOLDOUT_SCORES, halvesScore, leaveOneOutScores } from './selfScores';
import { checkRegion, type Region } from './region';
import type { MemoryBank } from './types';

/** What a person chooses for a model (Build's options, the command line's flags). Missing: the default. */
export interface ModelOptions {
  backbone?: string;
  /** Fraction of the training patches kept in the memory bank (Build offers CORESET_RATIOS). */
  coresetRatio?: number;
  framing?: Framing;
  /** Pixels, 'auto' (by the images' size) or 'native' (their own size). Default 'auto'. */
  workingSize?: WorkingSizeChoice;
  /** Inspection region in fractions of the image; patches outside are neither learnt nor scored. */
  region?: Region | null;
  /** Training views of each good image (augment.ts): 'flip' or 'rotate' for parts that lie in any orientation. */
  augment?: Augment;
  seed?: number;
}

/**
 * What the recipe needs to know of a custom backbone's input: its own square side, and the multiple of other sizes
 * it takes (none: only its square). Built-in backbones take any multiple of BUILTIN_MULTIPLE.
 */
export interface CustomInput {
  inputSize: number;
  inputMultiple?: number;
  /** The manifest's distance (cosine for a transformer's tokens): the model's unless the experiment says otherwise. */
  distance?: EngineConfig['distance'];
}

/** Sides of the built-in backbones' inputs are multiples of this (their largest stride). */
export const BUILTIN_MULTIPLE = 16;

/** Smallest working size: two cells of the stride-16 map. */
export const MIN_WORKING_SIZE = 32;

/**
 * A working-size choice from text or a number (a command-line flag, eval's option, a stored setting), checked once
 * for everyone: 'auto', 'native', or a whole number of pixels from MIN_WORKING_SIZE to MAX_WORKING_SIZE that the
 * backbone can take (a multiple of 16 for the built-ins).
 */
export function parseWorkingSize(value: unknown, flag = 'working size'): WorkingSizeChoice {
  if (value === 'auto' || value === 'native') return value;
  const n = typeof value === 'number' ? value : typeof value === 'string' && value.trim() !== '' ? Number(value) : NaN;
  if (!Number.isInteger(n) || n < MIN_WORKING_SIZE || n > MAX_WORKING_SIZE || n % BUILTIN_MULTIPLE !== 0) {
    throw new Error(
      `The ${flag} must be auto, native or a multiple of ${BUILTIN_MULTIPLE} pixels from ${MIN_WORKING_SIZE} to ${MAX_WORKING_SIZE} ` +
        `(for example 224, 320, 448 or 640), got ${JSON.stringify(value)}`,
    );
  }
  return n;
}

/** Every option checked, with a sentence for the first that is wrong. */
export function checkModelOptions(o: ModelOptions): void {
  if (o.coresetRatio !== undefined && !(o.coresetRatio > 0 && o.coresetRatio <= 1)) {
    throw new Error(`The memory size must be a fraction of the patches above 0 and at most 1 (Build offers ${CORESET_RATIOS.join(', ')}), got ${o.coresetRatio}`);
  }
  if (o.framing !== undefined && !FRAMINGS.includes(o.framing)) {
    throw new Error(`The framing must be one of ${FRAMINGS.join(', ')}, got "${String(o.framing)}"`);
  }
  if (o.workingSize !== undefined) parseWorkingSize(o.workingSize);
  if (o.region) checkRegion(o.region);
  if (o.augment !== undefined && !AUGMENTS.includes(o.augment)) {
    throw new Error(`The training views must be one of ${AUGMENTS.join(', ')}, got "${String(o.augment)}"`);
  }
  if (o.region && o.augment && o.augment !== 'none') {
    // A region marks a place in a fixed view; turned or mirrored views put the part elsewhere.
    throw new Error('An inspection region and turned or mirrored training views do not go together: a region is for parts that always lie the same way. Choose one.');
  }
  if (o.seed !== undefined && !Number.isInteger(o.seed)) throw new Error(`The seed must be a whole number, got ${o.seed}`);
}

/**
 * The working size a model keeps, from the choice and the training images' median shorter side. A custom backbone
 * that takes only its own square keeps that (and 'auto' keeps it too: its author chose it); one with an input
 * multiple gets the choice rounded to it.
 */
export function modelWorkingSize(choice: WorkingSizeChoice, shorterSide: number | null, custom?: CustomInput | null): number {
  if (custom && (!custom.inputMultiple || choice === 'auto')) return custom.inputSize;
  const multiple = custom?.inputMultiple ?? BUILTIN_MULTIPLE;
  const size = resolveWorkingSize(choice, shorterSide, multiple);
  return Math.max(multiple, Math.round(size / multiple) * multiple);
}

/**
 * The engine config a build with these options makes. `experiment` overrides any field afterwards (eval's and the
 * bench's flags); the bank ceiling follows the working size unless it sets one.
 */
export function modelConfig(
  o: ModelOptions,
  shorterSide: number | null,
  custom?: CustomInput | null,
  experiment: Partial<EngineConfig> = {},
): EngineConfig {
  checkModelOptions(o);
  const workingSize = experiment.workingSize ?? modelWorkingSize(o.workingSize ?? 'auto', shorterSide, custom);
  return {
    ...DEFAULT_CONFIG,
    backbone: o.backbone ?? DEFAULT_CONFIG.backbone,
    workingSize,
    coresetMax: coresetMaxFor(workingSize),
    coresetRatio: o.coresetRatio ?? DEFAULT_CONFIG.coresetRatio,
    framing: o.framing ?? DEFAULT_CONFIG.framing,
    seed: o.seed ?? DEFAULT_CONFIG.seed,
    ...(o.region ? { region: o.region } : {}),
    ...(o.augment && o.augment !== 'none' ? { augment: o.augment } : {}),
    ...(custom?.distance ? { distance: custom.distance } : {}),
    ...experiment,
  };
}

/** The sentence for a build from no images (the app's Build and the command line); one image is enough to start. */
export function tooFewImages(found: number): string | null {
  if (found >= 1) return null;
  return 'Found no images: add good images of the part (one is enough to start, a few dozen works best).';
}

/** The fewest good images from which a build holds out `k` (at the default share). */
function imagesForHoldout(k: number): number {
  let n = 1;
  while (holdoutCount(n, DEFAULT_HOLDOUT_SHARE) < k) n++;
  return n;
}

/** The good images split into those learnt from and those held out to set the threshold (spread over the list). */
export function holdoutSplit<T>(items: T[], share = DEFAULT_HOLDOUT_SHARE): { train: T[]; holdout: T[] } {
  return splitHoldout(items, holdoutCount(items.length, share));
}

/** How a caller's images are read: their names, and their pixels (throwing an ImageInputError for a bad file). */
export interface ImageSource<T> {
  name(item: T): string;
  decode(item: T): Promise<RgbaImage>;
}

export interface SkippedImage {
  name: string;
  reason: string;
}

export interface NamedScore {
  name: string;
  score: number;
}

/** A model learnt from good images, before it is calibrated. */
export interface LearntModel {
  bank: MemoryBank;
  /** Training patches the bank was selected from (the paper's |M|). */
  patchCount: number;
  /** Training images that could be read. */
  trainCount: number;
  /** Image scores of the held-out good images that could be read. */
  holdoutScores: NamedScore[];
  /**
   * With fewer than MIN_HOLDOUT_SCORES held-out scores: the learnt images' own scores, each against a memory of the
   * others (leave-one-out), or with one image its halves against each other (selfScores.ts). Else empty.
   */
  learntScores: NamedScore[];
  /** Images that could not be used, with the reason in words. */
  skipped: SkippedImage[];
  seconds: { features: number; coreset: number; holdout: number };
}

export interface LearnOptions extends JobOptions {
  /** Called for every image that could not be used, as it happens. */
  onSkip?: (s: SkippedImage) => void;
}

const seconds = () => performance.now() / 1000;

/**
 * Fits `pc` on the training images (an unreadable one is skipped and reported) and scores the held-out ones (an
 * unreadable file is skipped; any other failure stops the build). `pc` stays fitted: the caller may score with it.
 */
export async function learn<T>(pc: PatchCore, train: T[], holdout: T[], source: ImageSource<T>, opts: LearnOptions = {}): Promise<LearntModel> {
  const skipped: SkippedImage[] = [];
  const skip = (item: T, e: unknown) => {
    const s = { name: source.name(item), reason: (e as Error).message ?? String(e) };
    skipped.push(s);
    opts.onSkip?.(s);
  };
  // A few images are kept decoded, to score each against the others when too few are held out.
  const selfScored = holdout.length < MIN_HOLDOUT_SCORES && train.length <= LEAVE_ONE_OUT_MAX_IMAGES;
  const kept: { name: string; image: RgbaImage }[] = [];
  async function* decoded() {
    for (const item of train) {
      if (opts.signal?.aborted) throw abortError();
      try {
        const image = await source.decode(item);
        if (selfScored) kept.push({ name: source.name(item), image });
        yield image;
      } catch (e) {
        if ((e as Error).name === 'AbortError') throw e;
        skip(item, e);
      }
    }
  }
  const t0 = seconds();
  let tFeatures = 0;
  const fitted = await pc.fit(decoded(), train.length, {
    ...opts,
    onProgress: (p) => {
      if (p.stage !== 'features' && tFeatures === 0) tFeatures = seconds();
      opts.onProgress?.(p);
    },
  });
  const tCoreset = seconds();
  const holdoutScores: NamedScore[] = [];
  for (let i = 0; i < holdout.length; i++) {
    if (opts.signal?.aborted) throw abortError();
    opts.onProgress?.({ stage: 'calibration', done: i, total: holdout.length });
    let image: RgbaImage;
    try {
      image = await source.decode(holdout[i]);
    } catch (e) {
      if ((e as Error).name !== 'ImageInputError') throw e;
      skip(holdout[i], e);
      continue;
    }
    holdoutScores.push({ name: source.name(holdout[i]), score: (await pc.score(image)).score });
  }
  if (holdout.length) opts.onProgress?.({ stage: 'calibration', done: holdout.length, total: holdout.length });
  let learntScores: NamedScore[] = [];
  if (selfScored && holdoutScores.length < MIN_HOLDOUT_SCORES && kept.length) {
    opts.onProgress?.({ stage: 'calibration', done: holdoutScores.length, total: holdoutScores.length + kept.length });
    if (kept.length === 1) learntScores = [{ name: `${kept[0].name} (its halves)`, score: await halvesScore(pc, kept[0].image) }];
    else {
      const loo = await leaveOneOutScores(pc, kept.map((k) => k.image), opts.signal);
      learntScores = loo.map((score, i) => ({ name: `${kept[i].name} (left out)`, score }));
    }
  }
  const tEnd = seconds();
  return {
    bank: fitted.bank,
    patchCount: fitted.patchCount,
    trainCount: fitted.imageCount,
    holdoutScores,
    learntScores,
    skipped,
    seconds: { features: (tFeatures || tCoreset) - t0, coreset: tCoreset - (tFeatures || tCoreset), holdout: tEnd - tCoreset },
  };
}

export interface Calibration {
  threshold: number;
  falseAlarmRate: number;
}

/** The good scores a build's threshold rests on: the held-out ones, and the learnt images' own when too few. */
export function calibrationScores(learnt: Pick<LearntModel, 'holdoutScores' | 'learntScores'>): NamedScore[] {
  return learnt.holdoutScores.length >= MIN_HOLDOUT_SCORES ? learnt.holdoutScores : [...learnt.holdoutScores, ...(learnt.learntScores ?? [])];
}

/** The threshold for an accepted false-alarm rate on good parts, from good scores (calibrationScores); at least one. */
export function calibrate(goodScores: NamedScore[], falseAlarmRate = DEFAULT_FALSE_ALARM_RATE): Calibration {
  if (goodScores.length === 0) {
    throw new Error('None of the held-out good images could be scored, so no threshold can be set. Add more good images and build again.');
  }
  return { threshold: thresholdForFalseAlarmRate(goodScores.map((s) => s.score), falseAlarmRate), falseAlarmRate };
}

/**
 * What a build's threshold rests on, in a sentence for the person who built it; null when it rests on enough
 * held-out images (MIN_HOLDOUT_SCORES or more).
 */
export function calibrationNote(learnt: Pick<LearntModel, 'holdoutScores' | 'learntScores'>): string | null {
  const held = learnt.holdoutScores.length;
  if (held >= MIN_HOLDOUT_SCORES) return null;
  const own = learnt.learntScores ?? [];
  const parts = [held ? `${held} held-out image${held === 1 ? '' : 's'}` : ''];
  if (own.length === 1 && / \(its halves\)$/.test(own[0].name)) parts.push("the halves of the one image scored against each other");
  else if (own.length) parts.push(`${own.length} learnt images, each scored against a memory of the others`);
  const basis = parts.filter(Boolean).join(' and ');
  return (
    `The threshold rests on ${basis || 'nothing measured'}: too few good images to know how much good parts vary. ` +
    `Expect it to move as you add good images (from ${imagesForHoldout(MIN_HOLDOUT_SCORES)} images on, ${MIN_HOLDOUT_SCORES} are held out and the threshold is measured on them alone).`
  );
}

/** A new model's name: its folder's and the day's, or the time it was built. */
export function defaultModelName(folderName: string | null | undefined, now = Date.now()): string {
  return folderName ? `${folderName} (${new Date(now).toLocaleDateString()})` : `Model of ${new Date(now).toLocaleString()}`;
}
