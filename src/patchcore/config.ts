// The engine's defaults in one place; each value is the measured or paper choice noted beside it.
import type { ResizeMode } from './preprocess';
import type { AggregateOptions } from './types';

export interface EngineConfig {
  /** Backbone manifest id (see src/backbone/manifests.ts). */
  backbone: string;
  /** Backbone input size in pixels: the shorter side ('fit') or the square's side. */
  inputSize: number;
  /** Authors' protocol: resize to round(inputSize / 0.875) then centre-crop inputSize. Default off: whole image. */
  centerCrop: boolean;
  /**
   * Whole-image input shape when centerCrop is off: 'fit' keeps the aspect ratio (shorter side inputSize), 'squash'
   * resizes to inputSize x inputSize. Models saved before 'fit' existed have no value here and mean 'squash'.
   */
  resize?: 'fit' | 'squash';
  /** 'fit': the longer side is at most maxAspect * inputSize; longer images are squashed along it. */
  maxAspect?: number;
  aggregate: AggregateOptions;
  /**
   * Place feature cells where the backbone sees them (the manifest's receptive-field offsets) when resampling the
   * stride-16 map onto the stride-8 grid and when upsampling patch scores to the anomaly map, instead of a plain
   * resize that assumes cell (0,0) centres at stride/2 - 0.5. On the TF 'SAME' graphs the plain resize puts the
   * stride-8 cells 3.5 px and the stride-16 cells 7.5 px away from their true centres. Missing means off (models
   * saved before this existed keep their banks valid).
   */
  alignGrids?: boolean;
  /**
   * Mirror this many input pixels around the backbone input (a multiple of the largest stride, 16) and drop the
   * padded cells again after eq. 1-3, so border patches see mirrored image content instead of the backbone's
   * zero padding. 0 or missing: off (models saved before this existed keep their banks valid).
   */
  borderPadPx?: number;
  /** Fraction of all training patches kept in the memory bank (paper: 1%, 10%, 25%). */
  coresetRatio: number;
  /** Absolute memory size; overrides coresetRatio when set. */
  coresetCount?: number;
  /** Random projection dimension for coreset distances (paper: 128). */
  projectionDim: number;
  /** Seed for projection and coreset start. */
  seed: number;
  /** b of eq. 7: nearest memory vectors of m* used for the re-weighting (paper: 9). 0 disables eq. 7. */
  reweightNeighbors: number;
  /** Gaussian sigma for the anomaly map, in pixels of the scored image (paper: 4). */
  sigmaPx: number;
}

export const DEFAULT_CONFIG: EngineConfig = {
  backbone: 'mobilenet_v2_mid',
  inputSize: 224,
  centerCrop: false,
  // Measured (README, Accuracy): keeping the shape lifts KolektorSDD from 0.849 / 0.843 to 0.898 / 0.928.
  resize: 'fit',
  maxAspect: 3,
  // Native channels measured better than the authors' pooling to 1024 on these small backbones
  // (../shared/docs/reference-results.md: 184-d beats 1024-d on all four reference sets).
  aggregate: { patchSize: 3, layerDim: 'native', targetDim: 'none' },
  // Measured off (README, Accuracy): the geometric placement lowered pixel AUROC on bottle, cookie (whole image) and
  // a magnetic_tile subset by 0.002-0.006, and shifting the maps showed the plain placement at or next to the best
  // for PRO on all three; it only helped cookie's image AUROC under the centre crop.
  alignGrids: false,
  // Measured off (README, Accuracy): a 16 px mirrored border lifts cookie's image AUROC (seeds 0-4: 0.978 +- 0.006
  // vs 0.946 +- 0.010) and kolektorsdd's a little, but costs magnetic_tile 0.06 image AUROC (full set 0.864 -> 0.805)
  // and cookie and kolektorsdd some PRO.
  borderPadPx: 0,
  coresetRatio: 0.1,
  projectionDim: 128,
  seed: 0,
  reweightNeighbors: 9,
  sigmaPx: 4,
};

export const CORESET_RATIOS = [0.01, 0.1, 0.25] as const;

/** Memory size for n training patches under a config (at least 1, never more than n). */
export function coresetSize(n: number, cfg: Pick<EngineConfig, 'coresetRatio' | 'coresetCount'>): number {
  // floor, as the authors' int(N * percentage)
  const k = cfg.coresetCount ?? Math.floor(n * cfg.coresetRatio);
  return Math.max(1, Math.min(n, k));
}

/** The preprocess mode a config means (centerCrop wins; a missing resize is 'squash', the old behaviour). */
export function resizeMode(cfg: Pick<EngineConfig, 'centerCrop' | 'resize'>): ResizeMode {
  return cfg.centerCrop ? 'crop' : (cfg.resize ?? 'squash');
}
