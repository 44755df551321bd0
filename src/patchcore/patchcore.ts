// PatchCore, in the paper's order: locally aware patch features from a pretrained backbone (sec. 3.1),
// a greedy-coreset memory bank (sec. 3.2, Algorithm 1), and nearest-neighbour scoring with eq. 7 re-weighting
// and a smoothed anomaly map (sec. 3.3). Framework-free: the worker, the eval harness and the tests drive it.
import type { BackboneManifest } from '../backbone/manifest';
import { CORESET_START_POINTS, coresetSize, type EngineConfig } from './config';
import { preprocess, type ImageWindow, type RgbaImage } from './preprocess';
import { cropCells, padReflect, placement, type Placement } from './placement';
import { anomalyMap } from './anomalyMap';
import { imageScore } from './scoring';
import type { AnomalyMap, FeatureMap, Kernels, Matrix, MemoryBank, PatchFeatures, ProgressFn } from './types';

/** Anything that turns a normalised NCHW input into the [stride-8, stride-16] feature maps. */
export interface Backbone {
  readonly manifest: BackboneManifest;
  run(input: Float32Array, height?: number, width?: number): Promise<[FeatureMap, FeatureMap]>;
}

export interface ScoredImage {
  /** Image-level anomaly score (eq. 7 re-weighted max patch score, or the plain max when b = 0). */
  score: number;
  /** The plain max patch score s*, before eq. 7. */
  maxPatchScore: number;
  /** Patch scores on the stride-8 grid (gridW x gridH). */
  patchScores: AnomalyMap;
  /** Anomaly map at the backbone input resolution (the whole image, or the crop), upsampled and blurred. */
  map: AnomalyMap;
  /** The part of the image the map covers, in fractions of its width and height (see Framing). */
  window: ImageWindow;
}

/** What a memory bank summarises: the paper's M (all training patches) reduced to M_C. */
export interface FitResult {
  bank: MemoryBank;
  /** |M|: training patches the bank was selected from, over every image the model has learnt. */
  patchCount: number;
  /** Good images the model has learnt from. */
  imageCount: number;
}

/** The training state of a model without its bank; patchCount is unknown for models saved before it was kept. */
export type ModelCounts = { patchCount?: number; imageCount: number };

export interface JobOptions {
  onProgress?: ProgressFn;
  signal?: AbortSignal;
}

export function abortError(): Error {
  return new DOMException('The operation was cancelled', 'AbortError');
}

export class PatchCore {
  bank: MemoryBank | null = null;
  /** |M| of the current bank (0 before fit or when a loaded model did not record it). */
  patchCount = 0;
  imageCount = 0;
  private readonly placement: Placement;

  constructor(
    readonly backbone: Backbone,
    readonly kernels: Kernels,
    readonly config: EngineConfig,
  ) {
    this.placement = placement(config, backbone.manifest);
  }

  /** Makes a stored bank this model's memory. */
  load(bank: MemoryBank, counts: ModelCounts): void {
    this.bank = bank;
    this.patchCount = counts.patchCount ?? 0;
    this.imageCount = counts.imageCount;
  }

  /** Eq. 1-3 for one image: preprocess, run the backbone, aggregate both taps into patch features. */
  async extract(image: RgbaImage): Promise<PatchFeatures & { input: { width: number; height: number; window: ImageWindow } }> {
    const input = preprocess(image, this.backbone.manifest, {
      size: this.config.inputSize,
      framing: this.config.framing,
      maxAspect: this.config.maxAspect,
    });
    const { padPx, padCells, layer2 } = this.placement;
    const padded = padReflect(input, padPx);
    const maps = await this.backbone.run(padded.data, padded.height, padded.width);
    const aggregate = layer2 ? { ...this.config.aggregate, layer2 } : this.config.aggregate;
    const features = cropCells(await this.kernels.aggregate(maps, aggregate), padCells);
    return { ...features, input: { width: input.width, height: input.height, window: input.window } };
  }

  /**
   * Builds the memory bank from good images: every patch feature of every image (the paper's M), then the
   * greedy coreset M_C. Images are pulled one at a time, so callers can decode lazily.
   */
  async fit(images: AsyncIterable<RgbaImage> | Iterable<RgbaImage>, count: number, opts: JobOptions = {}): Promise<FitResult> {
    const m = await this.collect(images, count, opts);
    if (m.images === 0) throw new Error('No good images to learn from');
    const bank = await this.subsample(m.features, m.features.rows, opts);
    this.load(bank, { patchCount: m.features.rows, imageCount: m.images });
    return { bank, patchCount: this.patchCount, imageCount: this.imageCount };
  }

  /**
   * Adds good images to a fitted model. The paper's bank is a coreset of all training patches: the new images'
   * patches are subsampled as fit does, joined to the bank, and the union subsampled again when it holds more
   * than the coreset size of all patches seen so far. The model is unchanged if this throws.
   */
  async extend(images: AsyncIterable<RgbaImage> | Iterable<RgbaImage>, count: number, opts: JobOptions = {}): Promise<FitResult & { added: number }> {
    const old = this.bank;
    if (!old) throw new Error('This model has no memory bank yet: build it from good images first');
    const m = await this.collect(images, count, opts);
    if (m.images === 0) throw new Error('None of the chosen files could be read as images.');
    if (m.features.cols !== old.cols) {
      throw new Error(`The new images give vectors of ${m.features.cols} values but the model has ${old.cols}; the backbone does not match.`);
    }
    // Models saved before the patch count was kept: estimate it from the new images' patches per image.
    const before = this.patchCount || Math.round((m.features.rows / m.images) * this.imageCount);
    const patchCount = Math.max(before, old.rows) + m.features.rows;
    const fresh = await this.subsample(m.features, m.features.rows, opts);
    const union = concatRows(old, fresh);
    const bank = union.rows > coresetSize(patchCount, this.config) ? await this.subsample(union, patchCount, opts) : union;
    this.load(bank, { patchCount, imageCount: this.imageCount + m.images });
    return { bank, patchCount, imageCount: this.imageCount, added: m.images };
  }

  /** Sec. 3.3: nearest-memory distance per patch, eq. 7 image score, anomaly map with Gaussian sigma. */
  async score(image: RgbaImage): Promise<ScoredImage> {
    const features = await this.extract(image);
    return this.scoreFeatures(features, features.input);
  }

  /** Scores extracted features; the map has the input's size (default: the config's square). */
  async scoreFeatures(features: PatchFeatures, input?: { width: number; height: number; window?: ImageWindow }): Promise<ScoredImage> {
    const bank = this.bank;
    if (!bank) throw new Error('This model has no memory bank yet: build it from good images first');
    if (bank.cols !== features.cols) {
      throw new Error(`The model's memory vectors have ${bank.cols} dimensions but this backbone gives ${features.cols}`);
    }
    const nn = await this.kernels.nearest(features, bank);
    const s = imageScore(nn.distances, nn.indices, features, bank, this.config.reweightNeighbors);
    const patchScores: AnomalyMap = { data: nn.distances, width: features.gridW, height: features.gridH };
    const size = input ?? { width: this.config.inputSize, height: this.config.inputSize };
    const map = await anomalyMap(patchScores, size.width, size.height, this.config.sigmaPx, this.kernels, this.placement.pixels);
    const window = input?.window ?? { x: 0, y: 0, w: 1, h: 1 };
    return { score: s.score, maxPatchScore: s.rawMax, patchScores, map, window };
  }

  /**
   * Every patch feature of the images (the paper's M), written straight into one buffer, sized from the first
   * image's grid times the image count (grids differ when aspect ratios do: it is then regrown to the mean grid so
   * far times the count): no per-image copies kept around, no second full-size concatenation.
   */
  private async collect(images: AsyncIterable<RgbaImage> | Iterable<RgbaImage>, count: number, opts: JobOptions): Promise<{ features: Matrix; images: number }> {
    let all: Float32Array = new Float32Array(0);
    let rows = 0;
    let cols = 0;
    let done = 0;
    opts.onProgress?.({ stage: 'features', done, total: count });
    for await (const image of images) {
      if (opts.signal?.aborted) throw abortError();
      const f = await this.extract(image);
      if (done === 0) {
        cols = f.cols;
        all = new Float32Array(Math.max(1, count) * f.rows * cols);
      }
      if (f.cols !== cols) throw new Error('Patch features of different dimensions cannot share a memory bank');
      if ((rows + f.rows) * cols > all.length) {
        const need = rows + f.rows;
        const estimate = Math.ceil((need / (done + 1)) * Math.max(count, done + 1) * 1.05);
        const grown = new Float32Array(Math.max(Math.ceil(all.length * 1.25), need * cols, estimate * cols));
        grown.set(all);
        all = grown;
      }
      all.set(f.data.subarray(0, f.rows * cols), rows * cols);
      rows += f.rows;
      done++; // not inside the optional call below: its arguments are skipped when there is no onProgress
      opts.onProgress?.({ stage: 'features', done, total: count });
    }
    return { features: { data: all.subarray(0, rows * cols), rows, cols }, images: done };
  }

  /** Algorithm 1: the greedy coreset of the rows, as many as coresetSize keeps for patchCount training patches. */
  private async subsample(features: Matrix, patchCount: number, opts: JobOptions): Promise<MemoryBank> {
    const indices = await this.kernels.coreset(features, {
      count: Math.min(features.rows, coresetSize(patchCount, this.config)),
      projectionDim: this.config.projectionDim,
      seed: this.config.seed,
      startPoints: CORESET_START_POINTS,
      onProgress: opts.onProgress,
      signal: opts.signal,
    });
    return gatherRows(features, indices);
  }
}

export function gatherRows(m: Matrix, indices: Uint32Array): MemoryBank {
  const data = new Float32Array(indices.length * m.cols);
  for (let i = 0; i < indices.length; i++) {
    const r = indices[i];
    data.set(m.data.subarray(r * m.cols, (r + 1) * m.cols), i * m.cols);
  }
  return { data, rows: indices.length, cols: m.cols };
}

function concatRows(a: Matrix, b: Matrix): Matrix {
  const data = new Float32Array((a.rows + b.rows) * a.cols);
  data.set(a.data.subarray(0, a.rows * a.cols), 0);
  data.set(b.data.subarray(0, b.rows * b.cols), a.rows * a.cols);
  return { data, rows: a.rows + b.rows, cols: a.cols };
}
