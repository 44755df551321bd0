// Building a model: the good images (and optional labelled defective ones) the inspector dropped, the build
// options, the running job with its progress and ETA, and what the build reported back.
import { create } from 'zustand';
import { holdoutCount, splitHoldout, DEFAULT_HOLDOUT_SHARE } from '../patchcore/calibration';
import { DEFAULT_CONFIG, SIZE_SAMPLE, medianShorterSide, spreadIndices, type EngineConfig, type WorkingSizeChoice } from '../patchcore/config';
import { calibrate, calibrationNote, calibrationScores, defaultModelName, holdoutSplit, modelConfig, tooFewImages } from '../patchcore/recipe';
import { ESTIMATE_IMAGES, type CostEstimate } from '../patchcore/estimate';
import type { Augment } from '../patchcore/augment';
import type { Framing } from '../patchcore/preprocess';
import type { Region } from '../patchcore/region';
import { imageFileSize } from '../worker/decode';
import type { Progress } from '../patchcore/types';
import type { BuildResult, SkippedImage } from '../worker/protocol';
import type { Job } from '../worker/client';
import type { PickedFiles } from './files';
import { engineRequest, ensureBackbone, isAbort, loadCustomBackbone, markModelLoaded, proposeCustomManifest, useEngine } from './engine';
import { DEFAULT_FALSE_ALARM_RATE, ensureModelLoaded, useModel, type NamedScore } from './model';
import { makeThumbnails } from './thumbnails';
import { toast } from './toasts';

export interface ImageItem {
  id: number;
  file: File;
  /** Path inside the dropped folder, or the file name; used as the image's name everywhere. */
  path: string;
}

export interface BuildProgress extends Omit<Progress, 'etaSeconds'> {
  startedAt: number;
  stageStartedAt: number;
  /** Seconds left: the engine's whole-build estimate, else the current stage's rate so far; null until known. */
  etaSeconds: number | null;
}

export type BuildPhase = 'idle' | 'running' | 'done' | 'cancelled' | 'error';

export interface BuildSummary {
  trainCount: number;
  holdoutCount: number;
  /** What the threshold rests on, when too few images were held out (recipe.ts calibrationNote); else null. */
  calibrationNote: string | null;
  bankRows: number;
  patchCount: number;
  seconds: number;
}

interface BuildState {
  good: ImageItem[];
  defective: ImageItem[];
  /** Files that were dropped but are not images, shown so nothing disappears silently. */
  ignored: { name: string; reason: string }[];
  folderName: string | null;
  backbone: string;
  coresetRatio: number;
  /** How each image becomes the backbone input (see Framing in patchcore/preprocess.ts). */
  framing: Framing;
  /** The working size as chosen; the model keeps the resolved number (see resolveWorkingSize). */
  workingSize: WorkingSizeChoice;
  /** Median shorter side of the good images (from their headers), what 'auto' and 'native' resolve from. */
  imageShorterSide: number | null;
  /** The inspection region drawn on a good image, in fractions of the image; null: the whole image. */
  region: Region | null;
  /** Training views of each good image (patchcore/augment.ts); not with a region. */
  augment: Augment;
  /** What the build will cost on this machine, measured on the first good image (see patchcore/estimate.ts). */
  estimate: CostEstimateState;
  holdoutShare: number;
  falseAlarmRate: number;
  phase: BuildPhase;
  progress: BuildProgress | null;
  error: string | null;
  skipped: SkippedImage[];
  summary: BuildSummary | null;
  /** Defective examples being scored after the build. */
  scoringDefective: { done: number; total: number } | null;
  /** A custom backbone's files being checked in the worker. */
  customLoading: boolean;
  /** Why the last custom backbone did not load, in a sentence; null when it did (or none was tried). */
  customError: string | null;
  /**
   * The manifest the app proposed for the last custom backbone chosen without one: its JSON (to download, edit and
   * reuse) and what was found, in sentences. null when the person gave a manifest, or none was tried.
   */
  customProposal: { fileName: string; json: string; notes: string[] } | null;

  addGood(picked: PickedFiles): void;
  addDefective(picked: PickedFiles): void;
  removeGood(id: number): void;
  removeDefective(id: number): void;
  clearGood(): void;
  clearDefective(): void;
  setBackbone(id: string): void;
  /**
   * Loads a user's own backbone from an .onnx file and its .json manifest and selects it; given the .onnx alone,
   * the manifest is proposed from the shapes of its outputs first.
   */
  loadCustomBackbone(files: File[]): Promise<void>;
  setCoresetRatio(r: number): void;
  setFraming(f: Framing): void;
  setWorkingSize(w: WorkingSizeChoice): void;
  setRegion(r: Region | null): void;
  setAugment(a: Augment): void;
  /**
   * Measures the current options on a few good images (debounced; a newer call or a build supersedes it). Runs by
   * itself whenever something the estimate depends on changes (see the subscription below the store).
   */
  refreshEstimate(): void;
  setHoldoutShare(s: number): void;
  setFalseAlarmRate(r: number): void;
  build(): Promise<void>;
  cancel(): void;
  scoreDefective(): Promise<void>;
}

export type CostEstimateState =
  | { status: 'none' }
  | { status: 'measuring'; workingSize: number }
  | { status: 'done'; workingSize: number; result: CostEstimate & { imageWidth: number; imageHeight: number; sample: string } }
  | { status: 'error'; workingSize: number; error: string };

let nextId = 1;
let estimateJob: Job<unknown> | null = null;
let estimateTimer: ReturnType<typeof setTimeout> | null = null;
let estimateToken = 0;

/** The engine config a build with these options makes (the estimate measures the same one): patchcore/recipe.ts. */
export function buildConfig(s: Pick<BuildState, 'backbone' | 'coresetRatio' | 'framing' | 'workingSize' | 'imageShorterSide' | 'region' | 'augment'>): EngineConfig {
  const custom = useEngine.getState().customBackbones.find((c) => c.id === s.backbone);
  return modelConfig(
    { backbone: s.backbone, coresetRatio: s.coresetRatio, framing: s.framing, workingSize: s.workingSize, region: s.region, augment: s.augment },
    s.imageShorterSide,
    custom,
  );
}

/** Median shorter side of up to SIZE_SAMPLE images spread over the list, from their headers; null when none reads. */
async function imagesShorterSide(items: ImageItem[]): Promise<number | null> {
  const sizes = await Promise.all(spreadIndices(items.length, SIZE_SAMPLE).map((i) => imageFileSize(items[i].file).catch(() => null)));
  return medianShorterSide(sizes);
}

let job: Job<BuildResult> | null = null;
/** Identifies the build in flight; a cancelled or superseded build never writes to the store again. */
let buildToken = 0;

// The held-out split lives with the recipe in patchcore/ (the command line uses it too).
export { holdoutCount, splitHoldout };

const STAGE_LABELS: Record<string, string> = {
  features: 'Extracting patch features',
  coreset: 'Selecting the coreset',
  calibration: 'Calibrating on held-out images',
};

export function stageLabel(stage: string): string {
  return STAGE_LABELS[stage] ?? stage.charAt(0).toUpperCase() + stage.slice(1);
}

function toItems(picked: PickedFiles): ImageItem[] {
  return picked.images.map(({ file, path }) => ({ id: nextId++, file, path }));
}

function dedupe(existing: ImageItem[], added: ImageItem[]): ImageItem[] {
  const seen = new Set(existing.map((i) => `${i.path}|${i.file.size}|${i.file.lastModified}`));
  return added.filter((i) => {
    const k = `${i.path}|${i.file.size}|${i.file.lastModified}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

export const useBuild = create<BuildState>()((set, get) => ({
  good: [],
  defective: [],
  ignored: [],
  folderName: null,
  backbone: DEFAULT_CONFIG.backbone,
  coresetRatio: DEFAULT_CONFIG.coresetRatio,
  framing: DEFAULT_CONFIG.framing,
  workingSize: 'auto',
  imageShorterSide: null,
  region: null,
  augment: 'none',
  estimate: { status: 'none' },
  holdoutShare: DEFAULT_HOLDOUT_SHARE,
  falseAlarmRate: DEFAULT_FALSE_ALARM_RATE,
  phase: 'idle',
  progress: null,
  error: null,
  skipped: [],
  summary: null,
  scoringDefective: null,
  customLoading: false,
  customError: null,
  customProposal: null,

  addGood(picked) {
    const s = get();
    const added = dedupe(s.good, toItems(picked));
    set({
      good: [...s.good, ...added],
      ignored: [...s.ignored, ...picked.ignored],
      folderName: s.folderName ?? picked.folderName,
      error: null,
    });
    void imagesShorterSide(get().good).then((side) => set({ imageShorterSide: side }));
  },
  addDefective(picked) {
    const s = get();
    const added = dedupe(s.defective, toItems(picked));
    set({ defective: [...s.defective, ...added], ignored: [...s.ignored, ...picked.ignored] });
    if (added.length && useModel.getState().current && s.phase !== 'running') void get().scoreDefective();
  },
  removeGood(id) {
    set({ good: get().good.filter((i) => i.id !== id) });
  },
  removeDefective(id) {
    const item = get().defective.find((i) => i.id === id);
    set({ defective: get().defective.filter((i) => i.id !== id) });
    const m = useModel.getState().current;
    if (item && m) useModel.getState().setDefectScores(m.defectScores.filter((s) => s.name !== item.path));
  },
  clearGood() {
    if (get().phase === 'running') return;
    set({ good: [], ignored: [], folderName: null, skipped: [], error: null, imageShorterSide: null, region: null });
  },
  clearDefective() {
    set({ defective: [] });
    useModel.getState().setDefectScores([]);
  },
  setBackbone(id) {
    set({ backbone: id });
  },
  async loadCustomBackbone(files) {
    if (get().customLoading) return;
    const onnx = files.filter((f) => /\.onnx$/i.test(f.name));
    const json = files.filter((f) => /\.json$/i.test(f.name));
    if (onnx.length !== 1 || json.length > 1 || files.length !== onnx.length + json.length) {
      set({
        customError:
          'Choose the model (.onnx), alone or together with its manifest (.json). ' +
          `Got ${files.length ? files.map((f) => f.name).join(', ') : 'none'}.`,
      });
      return;
    }
    set({ customLoading: true, customError: null, customProposal: null });
    try {
      const bytes = await onnx[0].arrayBuffer();
      let text: string, name: string;
      if (json.length) {
        text = await json[0].text();
        name = `${onnx[0].name} + ${json[0].name}`;
      } else {
        const proposal = await proposeCustomManifest(bytes, onnx[0].name);
        text = proposal.json;
        name = `${onnx[0].name} (manifest proposed from its outputs)`;
        set({ customProposal: { fileName: onnx[0].name.replace(/\.onnx$/i, '.json'), ...proposal } });
      }
      const info = await loadCustomBackbone(bytes, text, name);
      set({ backbone: info.id, customError: null });
      toast(`Custom backbone “${info.label}” loaded and checked.`, { tone: 'success' });
    } catch (e) {
      const msg = ((e as Error).message ?? String(e)).trim();
      set({ customError: `The custom backbone could not be used: ${msg}${/[.!?]$/.test(msg) ? '' : '.'} The previous backbone stays selected.` });
    } finally {
      set({ customLoading: false });
    }
  },
  setCoresetRatio(r) {
    set({ coresetRatio: r });
  },
  setFraming(f) {
    set({ framing: f });
  },
  setWorkingSize(w) {
    set({ workingSize: w });
  },
  setRegion(r) {
    // The Build view offers no region while turned views are chosen (they do not go together; see recipe.ts).
    if (r && get().augment !== 'none') return;
    set({ region: r });
  },
  setAugment(a) {
    if (a !== 'none' && get().region) return;
    set({ augment: a });
  },
  refreshEstimate() {
    const token = ++estimateToken;
    estimateJob?.cancel();
    estimateJob = null;
    if (estimateTimer) clearTimeout(estimateTimer);
    const s = get();
    if (s.good.length < 1 || s.phase === 'running') {
      set({ estimate: { status: 'none' } });
      return;
    }
    const config = buildConfig(s);
    const holdout = holdoutCount(s.good.length, s.holdoutShare);
    const train = s.good.length - holdout;
    const sample = s.good[0];
    set({ estimate: { status: 'measuring', workingSize: config.workingSize } });
    estimateTimer = setTimeout(() => {
      estimateTimer = null;
      void (async () => {
        try {
          await ensureBackbone(config.backbone);
          if (token !== estimateToken) return;
          // The first image is timed; two more spread over the set show how its patches select.
          const images = spreadIndices(s.good.length, ESTIMATE_IMAGES).map((i) => ({ name: s.good[i].path, blob: s.good[i].file }));
          const job = engineRequest('estimate', { images, config, imageCount: train, holdoutCount: holdout });
          estimateJob = job;
          const result = await job.promise;
          if (token !== estimateToken) return;
          set({ estimate: { status: 'done', workingSize: config.workingSize, result: { ...result, sample: sample.path } } });
        } catch (e) {
          if (token !== estimateToken || isAbort(e)) return;
          set({ estimate: { status: 'error', workingSize: config.workingSize, error: (e as Error).message ?? String(e) } });
        } finally {
          if (token === estimateToken) estimateJob = null;
        }
      })();
    }, 400);
  },
  setHoldoutShare(s) {
    set({ holdoutShare: Math.min(0.5, Math.max(0.05, s)) });
  },
  setFalseAlarmRate(r) {
    set({ falseAlarmRate: r });
    useModel.getState().setFalseAlarmRate(r);
  },

  async build() {
    const s = get();
    if (s.phase === 'running') return;
    const tooFew = tooFewImages(s.good.length);
    if (tooFew) {
      set({ error: tooFew });
      return;
    }
    const { train, holdout } = holdoutSplit(s.good, s.holdoutShare);
    // The estimate would only queue behind the build: drop it.
    estimateToken++;
    estimateJob?.cancel();
    estimateJob = null;
    if (s.estimate.status === 'measuring') set({ estimate: { status: 'none' } });
    const config = buildConfig(s);
    const t0 = performance.now();
    const token = ++buildToken;
    const stale = () => token !== buildToken;
    set({
      phase: 'running',
      error: null,
      skipped: [],
      summary: null,
      progress: { stage: 'starting', done: 0, total: 1, startedAt: t0, stageStartedAt: t0, etaSeconds: null },
    });
    try {
      await ensureBackbone(config.backbone);
      if (stale()) return; // cancelled while the engine started
      const onProgress = (p: Progress) => {
        if (stale()) return;
        const prev = get().progress;
        const now = performance.now();
        const sameStage = prev?.stage === p.stage;
        const stageStartedAt = sameStage ? prev.stageStartedAt : now;
        const elapsed = (now - stageStartedAt) / 1000;
        // The engine's whole-build estimate when it has one, else this stage extrapolated.
        const etaSeconds = p.etaSeconds ?? (p.done > 0 && elapsed > 0.2 ? (elapsed / p.done) * Math.max(0, p.total - p.done) : null);
        set({ progress: { ...p, startedAt: prev?.startedAt ?? t0, stageStartedAt, etaSeconds } });
      };
      job = engineRequest(
        'build',
        {
          images: train.map((i) => ({ name: i.path, blob: i.file })),
          holdout: holdout.map((i) => ({ name: i.path, blob: i.file })),
          config,
        },
        onProgress,
      );
      const r = await job.promise;
      if (stale()) return; // cancelled just as it finished
      job = null;
      const goodScores: NamedScore[] = calibrationScores(r);
      const { threshold } = calibrate(goodScores, s.falseAlarmRate);
      const thumbnails = await makeThumbnails(train.map((i) => i.file));
      if (stale()) return;
      const current = useModel.getState().setModel({
        libraryId: null,
        name: defaultModelName(s.folderName),
        description: '',
        config,
        bank: r.bank,
        index: r.index,
        threshold,
        thresholdMode: 'false-alarm',
        falseAlarmRate: s.falseAlarmRate,
        goodScores,
        defectScores: [],
        trainImageCount: r.trainCount,
        patchCount: r.patchCount,
        thumbnails,
        createdAt: Date.now(),
      });
      markModelLoaded(current.key, { source: r.index ? 'built' : 'none', seconds: 0 });
      set({
        phase: 'done',
        progress: null,
        skipped: r.skipped,
        summary: {
          trainCount: r.trainCount,
          holdoutCount: r.holdoutScores.length,
          calibrationNote: calibrationNote(r),
          bankRows: r.bank.rows,
          patchCount: r.patchCount,
          seconds: (performance.now() - t0) / 1000,
        },
      });
      if (r.skipped.length) toast(`${r.skipped.length} image${r.skipped.length > 1 ? 's were' : ' was'} skipped; see the list below the build.`, { tone: 'error' });
      if (get().defective.length) await get().scoreDefective();
    } catch (e) {
      if (stale()) return;
      job = null;
      if (isAbort(e)) {
        set({ phase: 'cancelled', progress: null, error: null });
        return;
      }
      set({ phase: 'error', progress: null, error: (e as Error).message ?? String(e) });
    }
  },

  cancel() {
    if (get().phase !== 'running') return;
    buildToken++;
    job?.cancel();
    job = null;
    set({ phase: 'cancelled', progress: null });
    toast('Build cancelled. Your images are still here.');
  },

  async scoreDefective() {
    const items = get().defective;
    if (!items.length || get().scoringDefective) return;
    const already = new Set((useModel.getState().current?.defectScores ?? []).map((s) => s.name));
    const todo = items.filter((i) => !already.has(i.path));
    if (!todo.length) return;
    try {
      const model = await ensureModelLoaded();
      const scores: NamedScore[] = [...model.defectScores];
      const failed: SkippedImage[] = [];
      set({ scoringDefective: { done: 0, total: todo.length } });
      for (let i = 0; i < todo.length; i++) {
        try {
          const r = await engineRequest('score', { image: { name: todo[i].path, blob: todo[i].file } }).promise;
          scores.push({ name: todo[i].path, score: r.score });
        } catch (e) {
          failed.push({ name: todo[i].path, reason: (e as Error).message });
        }
        set({ scoringDefective: { done: i + 1, total: todo.length } });
      }
      const cur = useModel.getState().current;
      if (cur && cur.key === model.key) useModel.getState().setDefectScores(scores);
      if (failed.length) set({ skipped: [...get().skipped, ...failed] });
    } catch (e) {
      toast(`The defective examples could not be scored: ${(e as Error).message}`, { tone: 'error' });
    } finally {
      set({ scoringDefective: null });
    }
  },
}));

/** What the estimate depends on: the images and every option that goes into the build's config. */
const ESTIMATE_INPUTS = ['good', 'backbone', 'coresetRatio', 'framing', 'workingSize', 'imageShorterSide', 'region', 'augment', 'holdoutShare'] as const;

useBuild.subscribe((s, prev) => {
  if (ESTIMATE_INPUTS.some((k) => s[k] !== prev[k])) s.refreshEstimate();
});
