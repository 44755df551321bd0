// PatchCore, in the paper's order: locally aware patch features from a pretrained backbone (sec. 3.1),
// a greedy-coreset memory bank (sec. 3.2, Algorithm 1), and nearest-neighbour scoring with eq. 7 re-weighting
// and a smoothed anomaly map (sec. 3.3). Framework-free: the worker, the eval harness and the tests drive it.
import type { Backbone } from '../backbone/session';
import { CORESET_START_POINTS, type EngineConfig } from './config';
import { BankBuilder, type SelectRows } from './memory';
import { preprocess, type ImageWindow, type RgbaImage } from './preprocess';
import { cropCells, padReflect, placement, type Placement } from './placement';
import { normaliseRows } from './cpu/features';
import { anomalyMap } from './anomalyMap';
import { trainingViews, viewCount } from './augment';
import { imageScore } from './scoring';
import { BankIndex, type StoredBankIndex } from './cpu/bankIndex';
import { keepRows, regionCells, spreadScores, type Region } from './region';
import type { AnomalyMap, Kernels, MemoryBank, PatchFeatures, ProgressFn } from './types';

/** Share of the last selection's steps from which its time estimate is the pace of the steps done (see learn). */
const PACE_FROM = 0.1;

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
  /** The config's inspection region (only its patches were scored); missing: the whole image. */
  region?: Region;
  /** Where the time went, in seconds (only what ran here: score() fills every stage, scoreFeatures the last three). */
  stages: ScoreStages;
}

/** Seconds per stage of scoring one image (bench and eval print them). */
export interface ScoreStages {
  /** Resizing to the working size and padding. */
  preprocess: number;
  backbone: number;
  /** Eq. 1-2: neighbourhood aggregation and the taps' concatenation. */
  features: number;
  /** Nearest memory vectors of every patch (eq. 6) and eq. 7's neighbours. */
  search: number;
  /** Upsampling and smoothing the patch scores into the anomaly map. */
  map: number;
}

const seconds = (since: number) => (performance.now() - since) / 1000;

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
  /**
   * Runs the greedy selections elsewhere (a pool of workers, several at once); default: this model's kernels, one
   * at a time.
   */
  selector?: { select: SelectRows; parallel: number; selectAll?: SelectRows; selectAllSpeedup?: number };
}

/** Where a loaded model's index came from; 'none' when its kernels search without one or the bank is too small. */
export type IndexSource = 'restored' | 'built' | 'none';

export function abortError(): Error {
  return new DOMException('The operation was cancelled', 'AbortError');
}

export class PatchCore {
  bank: MemoryBank | null = null;
  /**
   * The bank's nearest-neighbour index (cpu/bankIndex.ts), built with the bank or restored with it, for kernels
   * that search through one; null for the WGSL kernels and for banks too small to index.
   */
  index: BankIndex | null = null;
  /** Seconds the last load() spent building the index (0 when restored or not built). */
  indexSeconds = 0;
  /** Where the last load() got the index: restored from what was stored, built now, or none (see load). */
  indexSource: IndexSource = 'none';
  /** |M| of the current bank (0 before fit or when a loaded model did not record it). */
  patchCount = 0;
  imageCount = 0;
  private readonly placement: Placement;

  constructor(
    readonly backbone: Pick<Backbone, 'manifest' | 'run'>,
    readonly kernels: Kernels,
    readonly config: EngineConfig,
  ) {
    this.placement = placement(config, backbone.manifest);
  }

  /**
   * Makes a stored bank this model's memory. Kernels that search through an index get the bank's: `stored` when it
   * belongs to this bank (BankIndex.restore checks), else one built now. `index: false`: none, for a bank that is
   * scored once or not at all (a leave-one-out probe, the model an extension starts from).
   */
  load(bank: MemoryBank, counts: ModelCounts, opts: { stored?: StoredBankIndex | null; index?: boolean } = {}): void {
    this.bank = bank;
    this.patchCount = counts.patchCount ?? 0;
    this.imageCount = counts.imageCount;
    this.index = null;
    this.indexSeconds = 0;
    this.indexSource = 'none';
    if (!this.kernels.adoptIndex || opts.index === false) return;
    const restored = opts.stored ? BankIndex.restore(bank, opts.stored) : null;
    const t0 = performance.now();
    this.index = restored ?? BankIndex.build(bank, { seed: this.config.seed });
    if (!restored) this.indexSeconds = (performance.now() - t0) / 1000;
    if (this.index) this.indexSource = restored ? 'restored' : 'built';
    if (this.index) this.kernels.adoptIndex(this.index);
  }

  /**
   * Eq. 1-3 for one image: preprocess, run the backbone, aggregate its taps into patch features; unit vectors under
   * the cosine distance (every kernel hands its features back on the CPU, so the twin scales them there).
   */
  async extract(image: RgbaImage, stages?: ScoreStages): Promise<PatchFeatures & { input: { width: number; height: number; window: ImageWindow } }> {
    let t = performance.now();
    const how = { workingSize: this.config.workingSize, framing: this.config.framing, maxAspect: this.config.maxAspect };
    // Kernels with helper threads share large images' preprocessing out (the same input, bit for bit).
    const input = this.kernels.preprocess
      ? await this.kernels.preprocess(image, this.backbone.manifest, how)
      : preprocess(image, this.backbone.manifest, how);
    const { padPx, padCells, layer2 } = this.placement;
    const padded = padReflect(input, padPx);
    if (stages) stages.preprocess = seconds(t);
    t = performance.now();
    const maps = await this.backbone.run(padded.data, padded.height, padded.width);
    if (stages) stages.backbone = seconds(t);
    t = performance.now();
    const aggregate = layer2 ? { ...this.config.aggregate, layer2 } : this.config.aggregate;
    const features = cropCells(await this.kernels.aggregate(maps, aggregate), padCells);
    if (this.config.distance === 'cosine') normaliseRows(features);
    if (stages) stages.features = seconds(t);
    return { ...features, input: { width: input.width, height: input.height, window: input.window } };
  }

  /** Patches of an extracted image that the model learns and scores: those inside the inspection region. */
  patchesOf(features: PatchFeatures & { input?: { window: ImageWindow } }): number {
    const inside = this.regionOf(features, features.input?.window);
    return inside ? inside.reduce((a, b) => a + b, 0) : features.rows;
  }

  /** The cells of an extracted grid inside the config's inspection region; null when it is the whole image. */
  private regionOf(features: PatchFeatures, window: ImageWindow | undefined): Uint8Array | null {
    return regionCells(features.gridW, features.gridH, window ?? { x: 0, y: 0, w: 1, h: 1 }, this.config.region);
  }

  /**
   * Builds the memory bank from good images: every patch feature of every image (the paper's M), reduced to the
   * greedy coreset M_C (streamed in chunks when the config sets coresetChunk, see memory.ts). Images are pulled
   * one at a time, so callers can decode lazily.
   */
  async fit(images: AsyncIterable<RgbaImage> | Iterable<RgbaImage>, count: number, opts: JobOptions = {}): Promise<FitResult> {
    const m = await this.learn(images, count, null, opts);
    if (m.images === 0) throw new Error('No good images to learn from');
    this.load(m.bank, { patchCount: m.patchCount, imageCount: m.images });
    return { bank: m.bank, patchCount: this.patchCount, imageCount: this.imageCount };
  }

  /**
   * Adds good images to a fitted model. The paper's bank is a coreset of all training patches: the old bank joins
   * the new images' patches (streamed as fit does) and the union is reduced to the coreset size of every patch
   * seen so far. The model is unchanged if this throws.
   */
  async extend(images: AsyncIterable<RgbaImage> | Iterable<RgbaImage>, count: number, opts: JobOptions = {}): Promise<FitResult & { added: number }> {
    const old = this.bank;
    if (!old) throw new Error('This model has no memory bank yet: build it from good images first');
    const m = await this.learn(images, count, { bank: old, patchCount: this.patchCount, imageCount: this.imageCount }, opts);
    if (m.images === 0) throw new Error('None of the chosen files could be read as images.');
    this.load(m.bank, { patchCount: m.patchCount, imageCount: this.imageCount + m.images });
    return { bank: m.bank, patchCount: m.patchCount, imageCount: this.imageCount, added: m.images };
  }

  /** Sec. 3.3: nearest-memory distance per patch, eq. 7 image score, anomaly map with Gaussian sigma. */
  async score(image: RgbaImage): Promise<ScoredImage> {
    const stages: ScoreStages = { preprocess: 0, backbone: 0, features: 0, search: 0, map: 0 };
    const features = await this.extract(image, stages);
    return this.scoreFeatures(features, features.input, stages);
  }

  /** Scores extracted features; the map has the input's size (default: the config's square). */
  async scoreFeatures(
    features: PatchFeatures,
    input?: { width: number; height: number; window?: ImageWindow },
    stages: ScoreStages = { preprocess: 0, backbone: 0, features: 0, search: 0, map: 0 },
  ): Promise<ScoredImage> {
    const bank = this.bank;
    if (!bank) throw new Error('This model has no memory bank yet: build it from good images first');
    if (bank.cols !== features.cols) {
      throw new Error(`The model's memory vectors have ${bank.cols} dimensions but this backbone gives ${features.cols}`);
    }
    // Only the inspection region's patches are scored, so only they can decide the verdict (region.ts).
    const inside = this.regionOf(features, input?.window);
    const queries = inside ? keepRows(features, inside) : features;
    let t = performance.now();
    const nn = await this.kernels.nearest(queries, bank);
    const s = imageScore(nn.distances, nn.indices, queries, bank, this.config.reweightNeighbors, this.index);
    stages.search = seconds(t);
    t = performance.now();
    const grid = inside ? spreadScores(nn.distances, inside) : nn.distances;
    const patchScores: AnomalyMap = { data: grid, width: features.gridW, height: features.gridH };
    const size = input ?? { width: this.config.workingSize, height: this.config.workingSize };
    const map = await anomalyMap(patchScores, size.width, size.height, this.config.sigmaPx, this.kernels, this.placement.pixels);
    stages.map = seconds(t);
    const window = input?.window ?? { x: 0, y: 0, w: 1, h: 1 };
    return { score: s.score, maxPatchScore: s.rawMax, patchScores, map, window, stages, ...(this.config.region ? { region: this.config.region } : {}) };
  }

  /**
   * Every patch feature of the images (the paper's M) streamed into a BankBuilder, which keeps only what the
   * selection needs, then the bank. `seed`: the model being extended.
   */
  private async learn(
    images: AsyncIterable<RgbaImage> | Iterable<RgbaImage>,
    count: number,
    seed: { bank: MemoryBank; patchCount: number; imageCount: number } | null,
    opts: JobOptions,
  ): Promise<{ bank: MemoryBank; patchCount: number; images: number }> {
    let builder: BankBuilder | null = null;
    let done = 0;
    const select: SelectRows =
      opts.selector?.select ??
      ((features, k, onProgress, timing) =>
        this.kernels.coreset(features, {
          count: k,
          projectionDim: this.config.projectionDim,
          seed: this.config.seed,
          startPoints: CORESET_START_POINTS,
          onProgress,
          signal: opts.signal,
          timing,
        }));
    opts.onProgress?.({ stage: 'features', done, total: count });
    let firstDone = 0;
    const eta = (): number | undefined => {
      // Per image from the second on (the first pays for warm-up), plus what the selections left will take.
      const finish = builder?.estimateFinishSeconds();
      if (done < 2 || finish == null) return undefined;
      return ((performance.now() - firstDone) / 1000 / (done - 1)) * (count - done) + finish;
    };
    const views = viewCount(this.config.augment);
    for await (const image of images) {
      for (const view of trainingViews(image, this.config.augment)) {
        if (opts.signal?.aborted) throw abortError();
        const f = await this.extract(view);
        // Patches outside the inspection region are not learnt.
        const inside = this.regionOf(f, f.input.window);
        const kept = inside ? keepRows(f, inside) : f;
        builder ??= this.bankBuilder(f.cols, kept.rows * views, count, seed, select, opts);
        if (f.cols !== builder.cols) throw new Error('Patch features of different dimensions cannot share a memory bank');
        await builder.add(kept.data, kept.rows);
      }
      done++; // not inside the optional call below: its arguments are skipped when there is no onProgress
      if (done === 1) firstDone = performance.now();
      opts.onProgress?.({ stage: 'features', done, total: count, etaSeconds: eta() });
    }
    if (!builder) return { bank: { data: new Float32Array(0), rows: 0, cols: 0 }, patchCount: 0, images: 0 };
    if (opts.signal?.aborted) throw abortError();
    // The last selection: its estimate counts down at first; as its steps are done, the pace they were done at
    // takes over (fully from PACE_FROM of the steps on). Step costs drift (falling on generated images, rising a
    // little on real ones), so neither alone holds through the whole selection.
    const estimate = builder.estimateFinishSeconds();
    const t0 = performance.now();
    const onProgress: ProgressFn | undefined = opts.onProgress && ((p) => {
      const spent = (performance.now() - t0) / 1000;
      const part = p.done / Math.max(1, p.total);
      const pace = part > 0 ? (spent * (1 - part)) / part : undefined;
      const countdown = estimate == null ? undefined : Math.max(0, estimate - spent);
      const w = countdown === undefined ? 1 : pace === undefined ? 0 : Math.min(1, part / PACE_FROM);
      const etaSeconds = w === 1 ? pace : w === 0 ? countdown : (1 - w) * countdown! + w * pace!;
      opts.onProgress!({ ...p, etaSeconds });
    });
    const r = await builder.finish(onProgress);
    return { ...r, images: done };
  }

  /**
   * The memory bank's builder, planned from the first image: `perImage` patches from each of `count` images (all
   * its views). `seed`: the model being extended.
   */
  private bankBuilder(
    cols: number,
    perImage: number,
    count: number,
    seed: { bank: MemoryBank; patchCount: number; imageCount: number } | null,
    select: SelectRows,
    opts: JobOptions,
  ): BankBuilder {
    if (seed && seed.bank.cols !== cols) {
      throw new Error(`The new images give vectors of ${cols} values but the model has ${seed.bank.cols}; the backbone does not match.`);
    }
    // Models saved before the patch count was kept: estimate it from the new images' patches per image.
    const seedPatches = seed ? Math.max(seed.patchCount || perImage * seed.imageCount, seed.bank.rows) : 0;
    return new BankBuilder({
      config: this.config,
      cols,
      expectedPatches: seedPatches + perImage * Math.max(1, count),
      select,
      parallel: opts.selector?.parallel,
      selectAll: opts.selector?.selectAll,
      selectAllSpeedup: opts.selector?.selectAllSpeedup,
      seed: seed ? { bank: seed.bank, patchCount: seedPatches } : undefined,
    });
  }
}
