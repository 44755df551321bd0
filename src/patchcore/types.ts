// Shapes shared by every step of the method. Buffers always travel with their shape, never as bare arrays.
import type { FeatureMap } from '../backbone/types';
import type { BankIndex } from './cpu/bankIndex';
import type { BackboneInput, ImageWindow, Normalisation, PreprocessOptions, RgbaImage } from './preprocess';

/** Row-major fp32 matrix: `rows` vectors of length `cols`. */
export interface Matrix {
  data: Float32Array;
  rows: number;
  cols: number;
}

/**
 * Locally aware patch features of one image (paper eq. 1-3): one row per cell of the stride-8 grid,
 * cells in row-major order (row = y * gridW + x).
 */
export interface PatchFeatures extends Matrix {
  gridH: number;
  gridW: number;
}

/** The coreset-subsampled memory bank M_C: one row per memory vector. */
export type MemoryBank = Matrix;

/** A per-pixel (or per-cell) anomaly score map, row-major, `width` x `height`. */
export interface AnomalyMap {
  data: Float32Array;
  width: number;
  height: number;
}

/** For each query row: L2 distance to its nearest memory vector and that vector's row index. */
export interface NearestResult {
  distances: Float32Array;
  indices: Uint32Array;
}

/** Progress of a long step, reported as done / total of a named stage. */
export interface Progress {
  stage: string;
  done: number;
  total: number;
  /** Seconds the whole job still needs, when the engine can tell (else callers extrapolate the stage). */
  etaSeconds?: number;
}

export type ProgressFn = (p: Progress) => void;

/** Where output sample o falls on an input axis: src = scale * o + offset, in input samples (centres at integers). */
export interface AxisMapping {
  scale: number;
  offset: number;
}

/** An AxisMapping per axis. */
export interface GridMapping {
  y: AxisMapping;
  x: AxisMapping;
}

export interface AggregateOptions {
  /** Neighbourhood size p of eq. 1 (3 = 3x3 average, stride 1, zero padding, count_include_pad). */
  patchSize: number;
  /**
   * Per-layer adaptive average pooling of each layer's channels to this dimension before concatenation
   * (the authors' code does this with 1024). 'native' keeps each layer's channels.
   */
  layerDim: number | 'native';
  /** Optional final adaptive average pooling of the concatenated vector; 'none' keeps it. */
  targetDim: number | 'none';
  /**
   * Where each stride-8 cell samples the (averaged) stride-16 map, in stride-16 cells. Default: torch's bilinear
   * resize (align_corners=False). PatchCore passes the backbone's receptive-field geometry when the config's
   * alignGrids is on (see placement.ts).
   */
  layer2?: GridMapping;
}

export interface CoresetOptions {
  /** How many memory vectors to keep (already resolved from a ratio by the caller). */
  count: number;
  /** Dimension of the seeded random projection used for distances (paper: 128). 0 = no projection. */
  projectionDim: number;
  /** Seed of the projection and of the initial random points. */
  seed: number;
  /** Number of random points whose mean distance initialises the running min-distance (authors: 10). */
  startPoints: number;
  onProgress?: ProgressFn;
  signal?: AbortSignal;
  /** Filled in when given: where the selection's time went (for time estimates). */
  timing?: SelectionTiming;
}

/**
 * Where a greedy selection's time went: setting up (projection, start distances, the pruning's subspace), which
 * grows with the rows, and the farthest-first steps, which grow with rows x selected.
 */
export interface SelectionTiming {
  setupSeconds: number;
  stepSeconds: number;
}

/**
 * The compute steps that have a WGSL kernel and a TypeScript twin. Both implementations satisfy this
 * interface with identical semantics; the TypeScript twin is the test oracle.
 */
export interface Kernels {
  readonly name: 'webgpu' | 'cpu' | 'wasm';
  /**
   * Eq. 1-3: local 3x3 average of each map, the second (stride-16) map bilinearly resized onto the first's grid,
   * concat. A backbone with one tap gives one map, which is its features alone.
   */
  aggregate(maps: readonly FeatureMap[], opts: AggregateOptions): Promise<PatchFeatures>;
  /** Algorithm 1: indices (into features' rows) of the greedy coreset, in selection order. */
  coreset(features: Matrix, opts: CoresetOptions): Promise<Uint32Array>;
  /** Exact 1-NN in L2 of every query row against the bank rows. */
  nearest(queries: Matrix, bank: Matrix): Promise<NearestResult>;
  /**
   * Kernels that can search through a bank index (cpu/bankIndex.ts) take the model's here; nearest() on its bank
   * then prunes, with the same answers. Missing: the kernel searches by brute force (the WGSL kernel).
   */
  adoptIndex?(index: BankIndex): void;
  /** Separable Gaussian blur, reflect padding at the border, kernel radius = 4 * sigma (truncate 4, as scipy). */
  blur(map: AnomalyMap, sigmaPx: number): Promise<AnomalyMap>;
  /**
   * Sec. 3.3's whole map, the patch scores upsampled bilinearly then blurred, where a kernel set has a faster way
   * than those two steps (the CPU's: cpu/blur.ts upsampleBlur). Missing: anomalyMap upsamples and calls blur().
   */
  upsampleBlur?(patchScores: AnomalyMap, width: number, height: number, sigmaPx: number, cells?: GridMapping): Promise<AnomalyMap>;
  /**
   * preprocess.ts's preprocess(), bit for bit, where a kernel set has helper threads to share it with (the WASM
   * kernels' search helpers: cpu/searchTeam.ts teamPreprocess). Missing: the caller runs preprocess() itself.
   */
  preprocess?(image: RgbaImage, norm: Normalisation, opts: PreprocessOptions): Promise<BackboneInput & { window: ImageWindow }>;
}
