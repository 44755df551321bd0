// PatchCore, in the paper's order: locally aware patch features from a pretrained backbone (sec. 3.1),
// a greedy-coreset memory bank (sec. 3.2, Algorithm 1), and nearest-neighbour scoring with eq. 7 re-weighting
// and a smoothed anomaly map (sec. 3.3). Framework-free: the worker, the eval harness and the tests drive it.
import type { BackboneManifest } from '../backbone/manifest';
import { coresetSize, type EngineConfig } from './config';
import { preprocess, type RgbaImage } from './preprocess';
import { anomalyMap } from './anomalyMap';
import { imageScore } from './scoring';
import type { AnomalyMap, FeatureMap, Kernels, MemoryBank, PatchFeatures, ProgressFn } from './types';

/** Anything that turns a normalised NCHW input into the [stride-8, stride-16] feature maps. */
export interface Backbone {
  readonly manifest: BackboneManifest;
  run(input: Float32Array): Promise<[FeatureMap, FeatureMap]>;
}

export interface ScoredImage {
  /** Image-level anomaly score (eq. 7 re-weighted max patch score, or the plain max when b = 0). */
  score: number;
  /** The plain max patch score s*, before eq. 7. */
  maxPatchScore: number;
  /** Patch scores on the stride-8 grid (gridW x gridH). */
  patchScores: AnomalyMap;
  /** Anomaly map at the backbone input resolution (inputSize x inputSize), upsampled and blurred. */
  map: AnomalyMap;
}

export interface JobOptions {
  onProgress?: ProgressFn;
  signal?: AbortSignal;
}

export function abortError(): Error {
  return new DOMException('The operation was cancelled', 'AbortError');
}

export class PatchCore {
  bank: MemoryBank | null = null;

  constructor(
    readonly backbone: Backbone,
    readonly kernels: Kernels,
    readonly config: EngineConfig,
  ) {}

  /** Eq. 1-3 for one image: preprocess, run the backbone, aggregate both taps into patch features. */
  async extract(image: RgbaImage): Promise<PatchFeatures> {
    const input = preprocess(image, this.backbone.manifest, {
      size: this.config.inputSize,
      centerCrop: this.config.centerCrop,
    });
    const maps = await this.backbone.run(input);
    return this.kernels.aggregate(maps, this.config.aggregate);
  }

  /**
   * Builds the memory bank from good images: every patch feature of every image (the paper's M), then the
   * greedy coreset M_C. Images are pulled one at a time, so callers can decode lazily.
   */
  async fit(images: AsyncIterable<RgbaImage> | Iterable<RgbaImage>, count: number, opts: JobOptions = {}): Promise<MemoryBank> {
    // Every image gives the same grid, so M is written straight into one buffer sized after the first image:
    // no per-image copies kept around, no second full-size concatenation (peak memory = M once).
    let all: Float32Array = new Float32Array(0);
    let rowsPerImage = 0;
    let cols = 0;
    let done = 0;
    opts.onProgress?.({ stage: 'features', done, total: count });
    for await (const image of images) {
      if (opts.signal?.aborted) throw abortError();
      const f = await this.extract(image);
      if (done === 0) {
        rowsPerImage = f.rows;
        cols = f.cols;
        all = new Float32Array(Math.max(1, count) * rowsPerImage * cols);
      }
      if (f.rows !== rowsPerImage || f.cols !== cols) throw new Error('Patch features of different shapes cannot share a memory bank');
      if ((done + 1) * rowsPerImage * cols > all.length) {
        const grown = new Float32Array(all.length * 2);
        grown.set(all);
        all = grown;
      }
      all.set(f.data.subarray(0, rowsPerImage * cols), done * rowsPerImage * cols);
      opts.onProgress?.({ stage: 'features', done: ++done, total: count });
    }
    if (done === 0) throw new Error('No good images to learn from');
    const features: MemoryBank = { data: all.subarray(0, done * rowsPerImage * cols), rows: done * rowsPerImage, cols };
    const k = coresetSize(features.rows, this.config);
    const indices = await this.kernels.coreset(features, {
      count: k,
      projectionDim: this.config.projectionDim,
      seed: this.config.seed,
      startPoints: 10,
      onProgress: opts.onProgress,
      signal: opts.signal,
    });
    this.bank = gatherRows(features, indices);
    return this.bank;
  }

  /** Sec. 3.3: nearest-memory distance per patch, eq. 7 image score, anomaly map with Gaussian sigma. */
  async score(image: RgbaImage): Promise<ScoredImage> {
    const features = await this.extract(image);
    return this.scoreFeatures(features);
  }

  async scoreFeatures(features: PatchFeatures): Promise<ScoredImage> {
    const bank = this.bank;
    if (!bank) throw new Error('This model has no memory bank yet: build it from good images first');
    if (bank.cols !== features.cols) {
      throw new Error(`The model's memory vectors have ${bank.cols} dimensions but this backbone gives ${features.cols}`);
    }
    const nn = await this.kernels.nearest(features, bank);
    const s = imageScore(nn.distances, nn.indices, features, bank, this.config.reweightNeighbors);
    const patchScores: AnomalyMap = { data: nn.distances, width: features.gridW, height: features.gridH };
    const size = this.config.inputSize;
    const map = await anomalyMap(patchScores, size, size, this.config.sigmaPx, this.kernels);
    return { score: s.score, maxPatchScore: s.rawMax, patchScores, map };
  }
}

export function gatherRows(m: MemoryBank, indices: Uint32Array): MemoryBank {
  const data = new Float32Array(indices.length * m.cols);
  for (let i = 0; i < indices.length; i++) {
    const r = indices[i];
    data.set(m.data.subarray(r * m.cols, (r + 1) * m.cols), i * m.cols);
  }
  return { data, rows: indices.length, cols: m.cols };
}
