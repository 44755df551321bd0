// `inspect`: scores images against a model (a .patchcore file on the engine, or an exported .onnx with its sidecar),
// writes the app's CSV (src/lib/csv.ts: file, score, verdict, threshold, model), optional overlay PNGs, and can append
// the app's inspection records (src/storage/recordFormat.ts) to a JSON Lines file, one line per image as it is scored. Decoding
// runs ahead of scoring (sharp decodes on its own threads) while the backbone and kNN use every core through
// onnxruntime's intra-op threads.
import { appendFileSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { join } from 'node:path';
import { resultsCsv, type ResultRow } from '../lib/csv';
import { isFail } from '../patchcore/calibration';
import { PatchCore } from '../patchcore/patchcore';
import type { ImageWindow } from '../patchcore/preprocess';
import type { AnomalyMap } from '../patchcore/types';
import { decodeFile, ImageInputError, type DecodedImage } from './decode';
import { collectImages, type Skipped } from './files';
import { backboneFiles, loadModelFile, openEngine, writeAtomic, type CustomBackbone } from './model';
import { overlayPng } from './overlay';
import { newBatchId, newRecordId, recordLine, RECORD_SCHEMA, type InspectionRecord } from '../storage/recordFormat';

export interface Scored {
  score: number;
  map: AnomalyMap;
  window: ImageWindow;
}

/** What inspect needs of a model, whichever form it comes in. */
export interface Scorer {
  name: string;
  threshold: number;
  /** The model's id (from its file) and working size, for the records. */
  id?: string;
  workingSize?: number;
  score(image: DecodedImage): Promise<Scored>;
  release(): Promise<void>;
}

export async function engineScorer(path: string, custom?: CustomBackbone, threads?: number): Promise<Scorer> {
  const { meta, bank, index } = await loadModelFile(path, custom);
  const engine = await openEngine(backboneFiles(meta.backbone.id, custom), threads);
  const pc = new PatchCore(engine.backbone, engine.kernels, meta.config);
  // The file's index when it belongs to this bank, else one built now (older files, or a stale one).
  pc.load(bank, { patchCount: meta.patchCount, imageCount: meta.trainImageCount }, { stored: index });
  return {
    name: meta.name,
    threshold: meta.calibration.threshold,
    id: meta.id,
    workingSize: meta.config.workingSize,
    score: (img) => pc.score(img),
    release: () => engine.release(),
  };
}

/** One scored image: a row of the results CSV. */
export type InspectRow = ResultRow;

export interface InspectReport {
  rows: InspectRow[];
  errors: Skipped[];
  csv: string;
  seconds: number;
}

export interface InspectOptions {
  outDir?: string;
  overlays?: boolean;
  threshold?: number;
  /** Images decoded ahead of the one being scored. */
  prefetch?: number;
  onProgress?: (done: number, total: number, last?: { name: string; verdict?: string }) => void;
  onError?: (e: Skipped) => void;
  /** A JSON Lines file the run appends one inspection record to per scored image (created when missing). */
  records?: string;
}

/** Scores every image; an unreadable one is listed with its reason and the run goes on. */
export async function inspect(scorer: Scorer, paths: string[], opts: InspectOptions = {}): Promise<InspectReport> {
  const t0 = performance.now();
  const { images, skipped } = collectImages(paths);
  const errors: Skipped[] = [];
  const fail = (s: Skipped) => {
    errors.push(s);
    opts.onError?.(s);
  };
  skipped.forEach(fail);
  const threshold = opts.threshold ?? scorer.threshold;
  if (opts.outDir && opts.overlays) mkdirSync(join(opts.outDir, 'overlays'), { recursive: true });
  const ahead = Math.max(0, opts.prefetch ?? 2);
  const pending: Promise<DecodedImage | Error>[] = [];
  const decode = (i: number) => decodeFile(images[i].file, images[i].name).catch((e: Error) => e);
  for (let i = 0; i < Math.min(images.length, ahead + 1); i++) pending.push(decode(i));
  const rows: InspectRow[] = [];
  const batch = newBatchId();
  if (opts.records) mkdirSync(dirname(opts.records), { recursive: true });
  opts.onProgress?.(0, images.length);
  for (let i = 0; i < images.length; i++) {
    const next = i + ahead + 1;
    if (next < images.length) pending.push(decode(next));
    const img = await pending[i];
    delete pending[i];
    const name = images[i].name;
    if (img instanceof Error) {
      fail({ name, reason: img.message });
      opts.onProgress?.(i + 1, images.length, { name });
      continue;
    }
    let s: Scored;
    try {
      s = await scorer.score(img);
    } catch (e) {
      if (e instanceof ImageInputError) {
        fail({ name, reason: e.message });
        opts.onProgress?.(i + 1, images.length, { name });
        continue;
      }
      throw e;
    }
    const verdict = isFail(s.score, threshold) ? 'fail' : 'pass';
    rows.push({ file: name, score: s.score, verdict, threshold, model: scorer.name });
    if (opts.records) {
      const at = Date.now();
      const record: InspectionRecord = {
        schema: RECORD_SCHEMA,
        id: newRecordId(at),
        at,
        file: name,
        source: 'cli',
        batch,
        model: { id: scorer.id ?? null, name: scorer.name, version: null },
        workingSize: scorer.workingSize ?? img.width,
        threshold,
        score: s.score,
        verdict,
        label: null,
        review: null,
        thumb: null,
      };
      // One write per line: a run killed mid-way leaves whole lines (and at most the last one cut short).
      appendFileSync(opts.records, recordLine(record) + '\n');
    }
    if (opts.outDir && opts.overlays) {
      const file = join(opts.outDir, 'overlays', name.replace(/[\\/]/g, '_').replace(/\.[^.]+$/, '') + '.overlay.png');
      writeAtomic(file, await overlayPng(img, s.map, s.window, threshold));
    }
    opts.onProgress?.(i + 1, images.length, { name, verdict });
  }
  const csv = resultsCsv(rows);
  if (opts.outDir) {
    mkdirSync(opts.outDir, { recursive: true });
    writeAtomic(join(opts.outDir, 'results.csv'), csv);
  }
  return { rows, errors, csv, seconds: (performance.now() - t0) / 1000 };
}

/** 0: every image passed; 1: at least one failed; 2: something could not be inspected. */
export function exitCode(report: Pick<InspectReport, 'rows' | 'errors'>): 0 | 1 | 2 {
  if (report.errors.length) return 2;
  return report.rows.some((r) => r.verdict === 'fail') ? 1 : 0;
}
