// `npm run eval` in the page: trains on train/good through the same worker as the app, scores every test
// image, and computes image AUROC, pixel AUROC, PRO and F1-max per defect type and overall.
import type { EngineConfig } from '../patchcore/config';
import { isFail } from '../patchcore/calibration';
import { calibrate, calibrationNote, calibrationScores, holdoutSplit, modelConfig, type LearntModel, type ModelOptions } from '../patchcore/recipe';
import { auroc, f1Max, pixelAuroc, pro, rocCurve } from '../patchcore/metrics';
import { bilinearResize } from '../patchcore/cpu/resize';
import { cropGeometry } from '../patchcore/preprocess';
import type { AnomalyMap } from '../patchcore/types';
import { EngineClient } from '../worker/client';
import type { ExecutionPreference } from '../backbone/session';
import type { EngineInfo, KernelPreference, ScoreResult } from '../worker/protocol';
import { renderOverlay } from './overlay';
import { EtaLog } from './etaLog';

export interface EvalSpec {
  /** URL prefix the data folder is served under. */
  base: string;
  train: string[];
  test: { path: string; type: string; mask?: string }[];
  /** The model's options, as Build or the command line would take them (resolved by patchcore/recipe.ts). */
  options: ModelOptions;
  /** Experiment fields set on the resolved config afterwards (eval's flags beyond the model's options). */
  experiment?: Partial<EngineConfig>;
  /** Median shorter side of the training images, which 'auto' and 'native' resolve from. */
  imageShorterSide?: number | null;
  /** Hold out and calibrate as the app does, and count the verdicts on the test set at that threshold. */
  calibrate?: boolean;
  execution?: ExecutionPreference;
  kernels?: KernelPreference;
  overlaysPerType?: number;
  /**
   * Diagnostic: also compute pixel AUROC and PRO with every input-scale map translated by each of these many
   * pixels (down and right; negative: up and left), to see where the maps sit against the masks.
   */
  shiftScan?: number[];
}

interface Mask {
  data: Uint8Array;
  width: number;
  height: number;
}

type Report = (msg: string) => void;
const report: Report = (msg) => {
  const fn = (window as unknown as { __evalProgress?: Report }).__evalProgress;
  if (fn) fn(msg);
};

async function fetchBlob(url: string): Promise<Blob> {
  const r = await fetch(url);
  if (!r.ok) throw new Error(`${url}: HTTP ${r.status}`);
  return r.blob();
}

async function loadMask(url: string): Promise<Mask> {
  const bmp = await createImageBitmap(await fetchBlob(url));
  const c = new OffscreenCanvas(bmp.width, bmp.height);
  const ctx = c.getContext('2d', { willReadFrequently: true })!;
  ctx.drawImage(bmp, 0, 0);
  const px = ctx.getImageData(0, 0, bmp.width, bmp.height).data;
  const data = new Uint8Array(bmp.width * bmp.height);
  for (let i = 0; i < data.length; i++) data[i] = px[i * 4] > 127 ? 1 : 0;
  return { data, width: bmp.width, height: bmp.height };
}

/** A mask at w x h, nearest neighbour (half-pixel centres): the mask at the scale the model saw its image. */
function scaleMask(m: Mask, w: number, h: number): Mask {
  if (m.width === w && m.height === h) return m;
  const data = new Uint8Array(w * h);
  for (let y = 0; y < h; y++) {
    const sy = Math.min(m.height - 1, Math.floor(((y + 0.5) * m.height) / h));
    for (let x = 0; x < w; x++) data[y * w + x] = m.data[sy * m.width + Math.min(m.width - 1, Math.floor(((x + 0.5) * m.width) / w))];
  }
  return { data, width: w, height: h };
}

/** The authors' protocol on a mask: the same shorter-side resize (nearest) and centre crop as the image. */
function cropMask(m: Mask, size: number): Mask {
  const g = cropGeometry(m.width, m.height, size, true);
  const data = new Uint8Array(size * size);
  for (let y = 0; y < size; y++) {
    const sy = Math.min(m.height - 1, Math.floor(((y + g.top + 0.5) * m.height) / g.height));
    for (let x = 0; x < size; x++) {
      const sx = Math.min(m.width - 1, Math.floor(((x + g.left + 0.5) * m.width) / g.width));
      data[y * size + x] = m.data[sy * m.width + sx];
    }
  }
  return { data, width: size, height: size };
}

export async function run(spec: EvalSpec) {
  const client = new EngineClient();
  try {
    return await evaluate(client, spec);
  } finally {
    client.terminate();
  }
}

async function evaluate(client: EngineClient, evalSpec: EvalSpec) {
  const t0 = performance.now();
  const spec = { ...evalSpec, config: modelConfig(evalSpec.options, evalSpec.imageShorterSide ?? null, null, evalSpec.experiment) };
  const info: EngineInfo = await client.request('init', {
    backbone: spec.config.backbone,
    execution: spec.execution ?? 'auto',
    kernels: spec.kernels ?? 'auto',
  }).promise;
  report(`engine: backbone ${info.backbone} on ${info.executionPath} (${info.threads} threads), kernels ${info.kernels}: ${info.reason}`);

  const unreadable: { file: string; reason: string }[] = [];
  const train = await Promise.all(spec.train.map(async (p) => ({ name: p, blob: await fetchBlob(spec.base + p) })));
  let lastReport = 0;
  const etas = new EtaLog();
  const tBuild = performance.now();
  // --calibrate: the app's held-out split and threshold, so the verdicts on the test set can be counted.
  const split = spec.calibrate ? holdoutSplit(train) : { train, holdout: [] };
  const build = await client.request('build', { images: split.train, holdout: split.holdout, config: spec.config }, (p) => {
    etas.record(p);
    const now = performance.now();
    if (now - lastReport > 5000 || p.done === p.total) {
      lastReport = now;
      report(`build: ${p.stage} ${p.done}/${p.total}`);
    }
  }).promise;
  for (const s of build.skipped) unreadable.push({ file: s.name, reason: s.reason });
  report(`bank: ${build.bank.rows} x ${build.bank.cols} from ${build.trainCount} images (features ${build.seconds.features.toFixed(1)} s, coreset ${build.seconds.coreset.toFixed(1)} s)`);
  const buildSeconds = (performance.now() - tBuild) / 1000;
  const etaWorstError = etas.worstError(buildSeconds);
  if (etaWorstError !== null) report(`build: ${buildSeconds.toFixed(1)} s; its time estimate was at worst ${(100 * etaWorstError).toFixed(0)}% off from 10% of the build on`);

  const crop = spec.config.framing === 'crop';
  const size = spec.config.workingSize;
  const imageScores: number[] = [];
  const imageLabels: number[] = [];
  const types: string[] = [];
  const pixelMaps: AnomalyMap[] = [];
  const pixelMasks: Mask[] = [];
  // Pixel metrics at two scales. 'input' (the headline figure): the mask resized (nearest) to the map the model made,
  // i.e. to the backbone input's geometry, as the reference protocol does with its 224 crop, so every image weighs
  // about the same. 'native': the map resized (bilinear) to each mask's own size, so large files weigh more; the
  // same thing for sets whose images share one size, different on magnetic_tile (tiles of 100-320 px).
  const nativeMaps: AnomalyMap[] = [];
  const nativeMasks: Mask[] = [];
  const centreMaps: AnomalyMap[] = [];
  const centreMasks: Mask[] = [];
  const hasMasks = spec.test.some((t) => t.mask);
  const overlays: { type: string; file: string; score: number; png: string }[] = [];
  const overlayCount = new Map<string, number>();
  let scoreSeconds = 0;
  const stageSeconds: Record<string, number> = {};
  let scored = 0;
  const perImage: { file: string; type: string; score: number }[] = [];

  for (const [i, t] of spec.test.entries()) {
    let r: ScoreResult;
    let blob: Blob;
    try {
      blob = await fetchBlob(spec.base + t.path);
      r = await client.request('score', { image: { name: t.path, blob } }).promise;
    } catch (e) {
      unreadable.push({ file: t.path, reason: (e as Error).message });
      continue;
    }
    scoreSeconds += r.seconds;
    for (const [stage, sec] of Object.entries(r.stages)) stageSeconds[stage] = (stageSeconds[stage] ?? 0) + sec;
    scored++;
    const label = t.type === 'good' ? 0 : 1;
    imageScores.push(r.score);
    imageLabels.push(label);
    types.push(t.type);
    perImage.push({ file: t.path, type: t.type, score: r.score });
    if (hasMasks) {
      let mask: Mask;
      if (t.mask) {
        try {
          mask = await loadMask(spec.base + t.mask);
        } catch (e) {
          unreadable.push({ file: t.mask, reason: (e as Error).message });
          mask = { data: new Uint8Array(r.width * r.height), width: r.width, height: r.height };
        }
      } else mask = { data: new Uint8Array(r.width * r.height), width: r.width, height: r.height };
      pixelMaps.push(r.map);
      pixelMasks.push(crop ? cropMask(mask, size) : scaleMask(mask, r.map.width, r.map.height));
      if (!crop) {
        const w = centreWindow(r.width, r.height, size, r.map.width, r.map.height);
        centreMaps.push(windowOf(r.map, w));
        centreMasks.push(windowOf(pixelMasks[pixelMasks.length - 1], w));
      }
      let map = r.map;
      if (crop) mask = pixelMasks[pixelMasks.length - 1];
      else {
        map = bilinearResize(r.map, mask.width, mask.height);
        nativeMaps.push(map);
        nativeMasks.push(mask);
      }
      const n = overlayCount.get(t.type) ?? 0;
      if (n < (spec.overlaysPerType ?? 3)) {
        overlayCount.set(t.type, n + 1);
        overlays.push({ type: t.type, file: t.path, score: r.score, png: await renderOverlay(blob, map, mask, r.window) });
      }
    }
    if (i % 20 === 0 || i === spec.test.length - 1) report(`score: ${i + 1}/${spec.test.length}`);
  }

  const labelsArr = Float64Array.from(imageLabels);
  const scoresArr = Float64Array.from(imageScores);
  const overall = { ...metricsFor(scoresArr, labelsArr, pixelMaps, pixelMasks), pixel_native: pixelMetrics(nativeMaps, nativeMasks) };
  const perType: Record<string, unknown> = {};
  for (const type of new Set(types)) {
    if (type === 'good') continue;
    const idx = types.map((tt, k) => (tt === type || tt === 'good' ? k : -1)).filter((k) => k >= 0);
    perType[type] = {
      count: types.filter((tt) => tt === type).length,
      ...metricsFor(
        Float64Array.from(idx, (k) => imageScores[k]),
        Float64Array.from(idx, (k) => imageLabels[k]),
        idx.map((k) => pixelMaps[k]).filter(Boolean),
        idx.map((k) => pixelMasks[k]).filter(Boolean),
      ),
      pixel_native: pixelMetrics(idx.map((k) => nativeMaps[k]).filter(Boolean), idx.map((k) => nativeMasks[k]).filter(Boolean)),
    };
  }
  // Whole-image runs: the same metrics inside the window the authors' centre crop would keep, to compare protocols
  // on the same pixels (the crop also drops the border from training, so this is not the crop run's figure).
  const pixel_centre = crop ? null : pixelMetrics(centreMaps, centreMasks);
  const shift_scan = (spec.shiftScan ?? []).map((d) => ({ shift_px: d, ...pixelMetrics(pixelMaps.map((m) => translate(m, d)), pixelMasks) }));
  return {
    ...overall,
    pixel_centre,
    ...(shift_scan.length ? { shift_scan } : {}),
    per_type: perType,
    backbone: info.backbone,
    execution_path: info.executionPath,
    kernels: info.kernels,
    engine_reason: info.reason,
    coreset_ratio: spec.config.coresetRatio,
    coreset_max: spec.config.coresetMax ?? 0,
    coreset_floor: spec.config.coresetFloor ?? 0,
    coreset_chunk: spec.config.coresetChunk ?? 0,
    framing: spec.config.framing,
    align_grids: !!spec.config.alignGrids,
    border_pad_px: spec.config.borderPadPx ?? 0,
    max_aspect: spec.config.maxAspect ?? null,
    working_size: size,
    working_size_choice: evalSpec.options.workingSize ?? 'auto',
    image_shorter_side: evalSpec.imageShorterSide ?? null,
    region: spec.config.region ?? null,
    augment: spec.config.augment ?? 'none',
    distance: spec.config.distance ?? 'l2',
    pixel_scale: 'input',
    bank_size: build.bank.rows,
    feature_dim: build.bank.cols,
    train_images: build.trainCount,
    test_images: scored,
    unreadable,
    seconds: {
      features: build.seconds.features,
      coreset: build.seconds.coreset,
      build: buildSeconds,
      score_per_image: scored ? scoreSeconds / scored : null,
      /** The mean of each stage of score_per_image (decoding the file is in neither). */
      score_stages: scored ? Object.fromEntries(Object.entries(stageSeconds).map(([k, v]) => [k, v / scored])) : null,
      total: (performance.now() - t0) / 1000,
    },
    /** The build's time estimate: worst relative error from 10% of the build on, and samples over it. */
    build_estimate: { worst_error_from_10pct: etaWorstError, samples: etas.spread() },
    calibration: spec.calibrate ? verdicts(build, imageScores, imageLabels) : null,
    roc: rocCurve(scoresArr, labelsArr),
    images: perImage,
    overlays,
  };
}

/**
 * The app's threshold from this build, and how its verdicts fall on the test images; beside it, the threshold from
 * the held-out scores alone (the rule before learnt images were scored too), for comparison.
 */
function verdicts(build: LearntModel, scores: number[], labels: number[]) {
  const count = (label: number) => labels.filter((l) => l === label).length;
  const rates = (threshold: number) => {
    const fails = scores.map((s) => isFail(s, threshold));
    const flagged = (label: number) => labels.filter((l, i) => l === label && fails[i]).length;
    return { test_false_alarm_rate: count(0) ? flagged(0) / count(0) : null, test_detection_rate: count(1) ? flagged(1) / count(1) : null };
  };
  const good = calibrationScores(build);
  const { threshold, falseAlarmRate } = calibrate(good);
  const heldOnly = build.holdoutScores.length ? calibrate(build.holdoutScores).threshold : null;
  return {
    threshold,
    target_false_alarm_rate: falseAlarmRate,
    held_out: build.holdoutScores.length,
    learnt_scored: good.length - build.holdoutScores.length,
    note: calibrationNote(build),
    ...rates(threshold),
    held_out_only: heldOnly === null ? null : { threshold: heldOnly, ...rates(heldOnly) },
  };
}

interface Window {
  x0: number;
  y0: number;
  x1: number;
  y1: number;
}

/**
 * Where the authors' centre crop (shorter side round(S / 0.875), centre S x S) of an imgW x imgH image falls on a
 * w x h map of the whole image.
 */
function centreWindow(imgW: number, imgH: number, S: number, w: number, h: number): Window {
  const g = cropGeometry(imgW, imgH, S, true);
  return {
    x0: Math.round((g.left / g.width) * w),
    x1: Math.round(((g.left + S) / g.width) * w),
    y0: Math.round((g.top / g.height) * h),
    y1: Math.round(((g.top + S) / g.height) * h),
  };
}

function windowOf<T extends { data: Float32Array | Uint8Array; width: number; height: number }>(m: T, w: Window): T {
  const width = w.x1 - w.x0;
  const height = w.y1 - w.y0;
  const data = m.data.slice(0, width * height); // same array type; every row is overwritten below
  for (let y = 0; y < height; y++) data.set(m.data.subarray((y + w.y0) * m.width + w.x0, (y + w.y0) * m.width + w.x1), y * width);
  return { ...m, data, width, height };
}

/** The map moved by d pixels down and right (edge values repeat). */
function translate(m: AnomalyMap, d: number): AnomalyMap {
  const out = new Float32Array(m.data.length);
  for (let y = 0; y < m.height; y++) {
    const sy = Math.min(m.height - 1, Math.max(0, y - d));
    for (let x = 0; x < m.width; x++) out[y * m.width + x] = m.data[sy * m.width + Math.min(m.width - 1, Math.max(0, x - d))];
  }
  return { data: out, width: m.width, height: m.height };
}

/** Pixel AUROC and PRO (FPR <= 0.3) of maps against their masks; null without a map per mask. */
function pixelMetrics(maps: AnomalyMap[], masks: Mask[]): { pixel_auroc: number | null; pro: number | null } | null {
  if (!maps.length || maps.length !== masks.length) return null;
  return { pixel_auroc: pixelAuroc(maps.map((m) => m.data), masks.map((m) => m.data)), pro: pro(maps, masks, 0.3) };
}

function metricsFor(scores: Float64Array, labels: Float64Array, maps: AnomalyMap[], masks: Mask[]) {
  const hasBoth = labels.some((l) => l === 1) && labels.some((l) => l === 0);
  const image_auroc = hasBoth ? auroc(scores, labels) : null;
  const f1 = hasBoth ? (f1Max(scores, labels)?.f1 ?? null) : null;
  const pixel = pixelMetrics(maps, masks);
  return { image_auroc, pixel_auroc: pixel?.pixel_auroc ?? null, pro: pixel?.pro ?? null, f1_max: f1 };
}
