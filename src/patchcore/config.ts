// The engine's settings and their defaults in one place. Why each default is what it is (the measurements) is in
// docs/accuracy.md; the code only says what a setting does.
import type { Augment } from './augment';
import type { Distance } from '../backbone/manifest';
import type { Framing } from './preprocess';
import type { Region } from './region';
import type { AggregateOptions } from './types';

export interface EngineConfig {
  /** Backbone manifest id (see src/backbone/manifests.ts). */
  backbone: string;
  /**
   * Working size in pixels: the shorter side the backbone sees ('fit'), or the square's side ('squash', 'crop').
   * Not the manifest's inputSize, which is the backbone's own square input.
   */
  workingSize: number;
  /** How an image becomes the backbone input: whole image with its shape, squashed square, or the authors' crop. */
  framing: Framing;
  /** 'fit': the longer side is at most maxAspect * workingSize; longer images are squashed along it. */
  maxAspect?: number;
  aggregate: AggregateOptions;
  /**
   * How patch features are compared. 'l2' (missing): Euclidean, as the paper. 'cosine': every patch vector is scaled
   * to unit length after eq. 1-3, for the bank and the queries alike, so the coreset and the search stay Euclidean
   * on unit vectors (|a - b|^2 = 2 - 2 cos); what DINOv2-based methods use. Models on a token backbone default to it.
   */
  distance?: Distance;
  /**
   * Experiment, off by default: place feature cells at their receptive-field centres (manifest offsets) when
   * resampling the stride-16 map and upsampling patch scores, instead of a plain resize. See placement.ts.
   */
  alignGrids?: boolean;
  /**
   * Experiment, off by default: mirror this many pixels (a multiple of the largest stride) around the backbone
   * input and drop the extra cells after eq. 1-3, so border patches see image content. See placement.ts.
   */
  borderPadPx?: number;
  /** Fraction of all training patches kept in the memory bank (paper: 1%, 10%, 25%). */
  coresetRatio: number;
  /** Absolute memory size; overrides coresetRatio (and coresetMax) when set. */
  coresetCount?: number;
  /** Ceiling on the memory size: coresetRatio of the patches, at most this many vectors. Missing or 0: none. */
  coresetMax?: number;
  /**
   * Experiment, off by default: a floor on the memory size. Every training patch is kept while there are at most
   * this many, and a coreset keeps at least this many past it (what few-shot methods do). Measured with 8 images on
   * every shared set (docs/accuracy.md, "Few good images"): no better on the mean, 1.5-4x slower inspection.
   * Missing or 0: the ratio alone. Never above coresetMax.
   */
  coresetFloor?: number;
  /**
   * Patches per level-1 chunk of the streamed selection (memory.ts); missing or 0: one exact greedy pass over every
   * patch, holding them all.
   */
  coresetChunk?: number;
  /** Random projection dimension for coreset distances (paper: 128). */
  projectionDim: number;
  /** Seed for projection and coreset start. */
  seed: number;
  /** b of eq. 7: nearest memory vectors of m* used for the re-weighting (paper: 9). 0 disables eq. 7. */
  reweightNeighbors: number;
  /** Gaussian sigma for the anomaly map, in pixels of the scored image (paper: 4). */
  sigmaPx: number;
  /** Training views of each good image (augment.ts): for parts that appear in any orientation. Missing: 'none'. */
  augment?: Augment;
  /**
   * The inspection region, in fractions of the image: patches outside it are neither learnt nor scored (region.ts).
   * Missing: the whole image.
   */
  region?: Region;
}

/** Defaults; each is the paper's value or the one measured best over the shared sets (docs/accuracy.md). */
export const DEFAULT_CONFIG: EngineConfig = {
  backbone: 'mobilenet_v2_mid',
  workingSize: 224,
  framing: 'fit',
  maxAspect: 3,
  aggregate: { patchSize: 3, layerDim: 'native', targetDim: 'none' },
  // Streamed selection with a ceiling (memory.ts): builds linear in the patches, scoring bounded by the bank.
  coresetChunk: 16384,
  coresetMax: 20000,
  alignGrids: false,
  borderPadPx: 0,
  coresetRatio: 0.1,
  projectionDim: 128,
  seed: 0,
  reweightNeighbors: 9,
  sigmaPx: 4,
};

export const CORESET_RATIOS = [0.01, 0.1, 0.25] as const;

/** Random points whose mean distance starts the greedy coreset's running minimum (as the authors' code). */
export const CORESET_START_POINTS = 10;

/** Memory size for n training patches under a config (at least 1, never more than n). */
export function coresetSize(n: number, cfg: Pick<EngineConfig, 'coresetRatio' | 'coresetCount' | 'coresetMax' | 'coresetFloor'>): number {
  // floor, as the authors' int(N * percentage)
  const ceiling = cfg.coresetMax && cfg.coresetMax > 0 ? cfg.coresetMax : Number.POSITIVE_INFINITY;
  const least = Math.min(cfg.coresetFloor ?? 0, ceiling);
  const k = cfg.coresetCount ?? Math.min(Math.max(Math.floor(n * cfg.coresetRatio), least), ceiling);
  return Math.max(1, Math.min(n, k));
}

/**
 * Working size: the shorter side, in pixels, the backbone sees (the config's workingSize). Build offers these,
 * 'auto' (a rule by image size, below) and 'native' (the images' own shorter side).
 */
export const WORKING_SIZES = [224, 320, 448, 640] as const;
export type WorkingSizeChoice = number | 'auto' | 'native';

/** Largest working size 'native' gives: beyond it a build takes hours on a laptop. */
export const MAX_WORKING_SIZE = 1024;

/**
 * The 'auto' rule, from the training images' (median) shorter side in pixels: the smallest offered size that shrinks
 * the image at most AUTO_MAX_SHRINK times, between DEFAULT_CONFIG.workingSize and AUTO_MAX_SIZE. A defect ~20 px
 * across at full size then still covers at least one 8-px feature cell, and a laptop still builds in minutes.
 * Measured over every shared set in docs/accuracy.md ("Working size"): images up to 560 px keep 224 px (all the
 * shared sets but one, unchanged); capsules_hires (1000 px) works at 448 px.
 */
export const AUTO_MAX_SHRINK = 2.5;
export const AUTO_MAX_SIZE = 448;

export function autoWorkingSize(shorterSide: number): number {
  const wanted = shorterSide / AUTO_MAX_SHRINK;
  const size = WORKING_SIZES.find((s) => s >= wanted) ?? AUTO_MAX_SIZE;
  return Math.min(AUTO_MAX_SIZE, Math.max(DEFAULT_CONFIG.workingSize, size));
}

/**
 * The bank ceiling at a working size: DEFAULT_CONFIG's at 224 px and below, in proportion smaller above (10,000 at
 * 448 px), so an inspection's nearest-neighbour work (patches x bank) grows with the working size rather than with
 * its square. Measured on capsules_hires at 448 px (docs/accuracy.md, "Working size"): 10,000 vectors inspect in
 * 0.78 s instead of 1.01 s for 0.012 image AUROC. `max` 0: no ceiling.
 */
export function coresetMaxFor(workingSize: number, max = DEFAULT_CONFIG.coresetMax ?? 0): number {
  if (!max) return 0;
  const base = DEFAULT_CONFIG.workingSize;
  return workingSize <= base ? max : Math.round((max * base) / workingSize);
}

/** Images a build reads the size of (spread over the set) to resolve 'auto' and 'native'. */
export const SIZE_SAMPLE = 15;

/** Up to `n` distinct indices spread evenly over `length` items, first included. */
export function spreadIndices(length: number, n: number): number[] {
  const k = Math.min(n, length);
  return [...new Set(Array.from({ length: k }, (_, i) => Math.floor((i * length) / k)))];
}

/** The median shorter side of the sizes that could be read; null when none could. */
export function medianShorterSide(sizes: ({ width: number; height: number } | null)[]): number | null {
  const sides = sizes.filter((x): x is { width: number; height: number } => !!x).map((x) => Math.min(x.width, x.height)).sort((a, b) => a - b);
  return sides.length ? sides[Math.floor(sides.length / 2)] : null;
}

/** A working-size choice as the number a model keeps, for images whose median shorter side is `shorterSide`. */
export function resolveWorkingSize(choice: WorkingSizeChoice, shorterSide: number | null, multiple = 16): number {
  if (typeof choice === 'number') return choice;
  if (shorterSide == null || !(shorterSide > 0)) return DEFAULT_CONFIG.workingSize;
  if (choice === 'auto') return autoWorkingSize(shorterSide);
  return Math.min(MAX_WORKING_SIZE, Math.max(DEFAULT_CONFIG.workingSize, Math.floor(shorterSide / multiple) * multiple));
}
