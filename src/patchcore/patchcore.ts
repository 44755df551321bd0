// PatchCore, in the paper's order: locally aware patch features from a pretrained backbone (sec. 3.1),
// a greedy-coreset memory bank (sec. 3.2, Algorithm 1), and nearest-neighbour scoring with eq. 7 re-weighting
// and a smoothed anomaly map (sec. 3.3). Framework-free: the worker, the eval harness and the tests drive it.
import type { BackboneManifest } from '../backbone/manifest';
import type { Backbone } from '../backbone/session';
import { coresetSize, resizeMode, type EngineConfig } from './config';
import { padReflect, preprocess, type BackboneInput, type RgbaImage } from './preprocess';
import { anomalyMap } from './anomalyMap';
import { imageScore } from './scoring';
import type { AnomalyMap, AxisMapping, GridMapping, Kernels, MemoryBank, PatchFeatures, ProgressFn } from './types';

/**
 * Where the backbone's feature cells sit on its input, from the manifest: stride-8 cell i centres on input pixel
 * off8 + 8 i, stride-16 cell j on off16 + 16 j (pixel i spans i - 0.5..i + 0.5). Gives the two resamplings that
 * keep features and scores where the backbone saw them: the stride-16 map onto the stride-8 grid (eq. 3) and
 * patch scores onto input pixels (sec. 3.3). With the default offsets (stride/2 - 0.5) and grids of exactly
 * input/stride cells both equal torch's align_corners=False resize.
 */
export function gridGeometry(manifest: BackboneManifest): { layer2: AxisMapping; pixels: AxisMapping } {
  const [t1, t2] = manifest.taps;
  const off1 = t1.offsetPx ?? manifest.receptiveFieldOffsetPx;
  const off2 = t2.offsetPx ?? t2.stride / 2 - 0.5;
  return {
    layer2: { scale: t1.stride / t2.stride, offset: (off1 - off2) / t2.stride },
    pixels: { scale: 1 / t1.stride, offset: -off1 / t1.stride },
  };
}

const both = (m: AxisMapping): GridMapping => ({ y: m, x: m });

export interface ScoredImage {
  /** Image-level anomaly score (eq. 7 re-weighted max patch score, or the plain max when b = 0). */
  score: number;
  /** The plain max patch score s*, before eq. 7. */
  maxPatchScore: number;
  /** Patch scores on the stride-8 grid (gridW x gridH). */
  patchScores: AnomalyMap;
  /** Anomaly map at the backbone input resolution (the whole image, or the crop), upsampled and blurred. */
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
    readonly backbone: Pick<Backbone, 'manifest' | 'run'>,
    readonly kernels: Kernels,
    readonly config: EngineConfig,
  ) {}

  /** Eq. 1-3 for one image: preprocess, run the backbone, aggregate both taps into patch features. */
  async extract(image: RgbaImage): Promise<PatchFeatures & { input: Omit<BackboneInput, 'data'> }> {
    const input = preprocess(image, this.backbone.manifest, {
      size: this.config.inputSize,
      mode: resizeMode(this.config),
      maxAspect: this.config.maxAspect,
    });
    const pad = this.config.borderPadPx ?? 0;
    const stride = this.backbone.manifest.taps[0].stride;
    if (pad % this.backbone.manifest.taps[1].stride !== 0) {
      throw new Error(`borderPadPx must be a multiple of ${this.backbone.manifest.taps[1].stride}, got ${pad}`);
    }
    const padded = padReflect(input, pad);
    const maps = await this.backbone.run(padded.data, padded.height, padded.width);
    const aggregate = this.config.alignGrids
      ? { ...this.config.aggregate, layer2: both(gridGeometry(this.backbone.manifest).layer2) }
      : this.config.aggregate;
    const features = cropCells(await this.kernels.aggregate(maps, aggregate), pad / stride);
    return { ...features, input: { width: input.width, height: input.height } };
  }

  /**
   * Builds the memory bank from good images: every patch feature of every image (the paper's M), then the
   * greedy coreset M_C. Images are pulled one at a time, so callers can decode lazily.
   */
  async fit(images: AsyncIterable<RgbaImage> | Iterable<RgbaImage>, count: number, opts: JobOptions = {}): Promise<MemoryBank> {
    // M is written straight into one buffer, sized from the first image's grid times the image count (grids differ
    // when aspect ratios do: it is then regrown to the mean grid so far times the count): no per-image copies kept
    // around, no second full-size concatenation.
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
    if (done === 0) throw new Error('No good images to learn from');
    const features: MemoryBank = { data: all.subarray(0, rows * cols), rows, cols };
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
    return this.scoreFeatures(features, features.input);
  }

  /** Scores extracted features; the map has the input's size (default: the config's square). */
  async scoreFeatures(features: PatchFeatures, input?: { width: number; height: number }): Promise<ScoredImage> {
    const bank = this.bank;
    if (!bank) throw new Error('This model has no memory bank yet: build it from good images first');
    if (bank.cols !== features.cols) {
      throw new Error(`The model's memory vectors have ${bank.cols} dimensions but this backbone gives ${features.cols}`);
    }
    const nn = await this.kernels.nearest(features, bank);
    const s = imageScore(nn.distances, nn.indices, features, bank, this.config.reweightNeighbors);
    const patchScores: AnomalyMap = { data: nn.distances, width: features.gridW, height: features.gridH };
    const size = input ?? { width: this.config.inputSize, height: this.config.inputSize };
    const cells = this.config.alignGrids ? both(gridGeometry(this.backbone.manifest).pixels) : undefined;
    const map = await anomalyMap(patchScores, size.width, size.height, this.config.sigmaPx, this.kernels, cells);
    return { score: s.score, maxPatchScore: s.rawMax, patchScores, map };
  }
}

/** The patch features without c cells on every side (the mirrored border of a padded input). */
export function cropCells(f: PatchFeatures, c: number): PatchFeatures {
  if (c <= 0) return f;
  const gridW = f.gridW - 2 * c;
  const gridH = f.gridH - 2 * c;
  if (gridW < 1 || gridH < 1) throw new Error(`Cannot drop ${c} cells from a ${f.gridW}x${f.gridH} grid`);
  const data = new Float32Array(gridW * gridH * f.cols);
  for (let y = 0; y < gridH; y++) {
    const from = ((y + c) * f.gridW + c) * f.cols;
    data.set(f.data.subarray(from, from + gridW * f.cols), y * gridW * f.cols);
  }
  return { data, rows: gridW * gridH, cols: f.cols, gridW, gridH };
}

export function gatherRows(m: MemoryBank, indices: Uint32Array): MemoryBank {
  const data = new Float32Array(indices.length * m.cols);
  for (let i = 0; i < indices.length; i++) {
    const r = indices[i];
    data.set(m.data.subarray(r * m.cols, (r + 1) * m.cols), i * m.cols);
  }
  return { data, rows: indices.length, cols: m.cols };
}
