// What a saved inspection model is, how older saved models are read (schema migrations), and the small pure
// helpers that fill it in: score statistics of the held-out good images and the backbone manifest hash.
import type { BackboneManifest } from '../backbone/manifest';
import { KNOWN_BACKBONES } from '../backbone/manifests';
import { sha256Hex } from '../lib/hash';
import { AUGMENTS } from '../patchcore/augment';
import { scoreStats } from '../patchcore/calibration';
import { MAX_WORKING_SIZE, type EngineConfig } from '../patchcore/config';
import { checkRegion } from '../patchcore/region';
import { FRAMINGS } from '../patchcore/preprocess';
import type { MemoryBank } from '../patchcore/types';
import type { StoredBankIndex } from '../patchcore/cpu/bankIndex';

/**
 * Version of the saved-model schema. History:
 * 1: threshold a bare number, raw good scores only, backbone a bare id with no manifest hash, bank always fp32
 *    and stored as a bare Float32Array under `bank:<id>`.
 * 2: calibration object, score statistics, backbone { id, manifestHash }, fp32 or fp16 bank under
 *    versioned keys `bank:<id>:<version>`.
 * 3: the config's framing is one field (`framing`) instead of `centerCrop` + `resize`; `patchCount` (training
 *    patches the bank was selected from) is kept for new models.
 * 4: the config's working size is `workingSize` (was `inputSize`, a name the backbone manifest also uses for its
 *    own square input).
 */
export const SCHEMA_VERSION = 4;

/** How the memory bank is kept at rest. fp16 halves the size; vectors are decoded to fp32 for scoring. */
export type BankPrecision = 'fp32' | 'fp16';

/** The calibrated decision threshold(s) on the image anomaly score. */
export interface Calibration {
  /** Score above which an image is reported anomalous. */
  threshold: number;
  /** Expected fraction of good images flagged at `threshold`, measured on the held-out good images. */
  falseAlarmRate?: number;
  /** Threshold that maximised F1 on a labelled validation set, when one was available. */
  f1Threshold?: number;
}

/**
 * Image scores of the held-out good images and their summary, to place a new score in context: the stored form of
 * patchcore/calibration.ts's ScoreStats (schema 2 keys; see storedScoreStats).
 */
export interface StoredScoreStats {
  scores: number[];
  mean: number;
  std: number;
  quantiles: { p50: number; p90: number; p95: number; p99: number; max: number };
}

/** A small preview of one training image, kept as encoded bytes (structured-clone and JSON friendly). */
export interface Thumbnail {
  mime: 'image/jpeg' | 'image/png' | 'image/webp';
  width: number;
  height: number;
  bytes: Uint8Array;
}

/** Everything about a saved model except the memory bank vectors. */
export interface ModelMeta {
  schemaVersion: typeof SCHEMA_VERSION;
  id: string;
  name: string;
  /** The inspected part, in the inspector's words ("Bottle, top view, line 3"). */
  description: string;
  /** Milliseconds since the epoch. */
  createdAt: number;
  updatedAt: number;
  /** Backbone that made the bank; `manifestHash` is null for models saved before schema 2. */
  backbone: { id: string; manifestHash: string | null };
  config: EngineConfig;
  bankPrecision: BankPrecision;
  bankShape: { rows: number; cols: number };
  calibration: Calibration;
  scoreStats: StoredScoreStats;
  thumbnails: Thumbnail[];
  /** Good images the bank was built from (grows with each "add more good images"). */
  trainImageCount: number;
  /** Training patches the bank was selected from (the paper's |M|); absent for models saved before schema 3. */
  patchCount?: number;
}

/** A model as the engine uses it: the metadata plus the memory bank decoded to fp32. */
export interface InspectionModel extends ModelMeta {
  bank: MemoryBank;
  /**
   * The bank's nearest-neighbour index as stored with it; null or absent when none was (older models, indexes
   * refused at save). The engine checks it against the bank before use and builds one otherwise.
   */
  index?: StoredBankIndex | null;
  /** The library version this bank is, where it came from the library (to store an index built for it later). */
  bankVersion?: number;
}

/** What the caller supplies to save a new model; the library fills in id, times, schema and bank shape. */
export type ModelDraft = Omit<
  ModelMeta,
  'schemaVersion' | 'id' | 'createdAt' | 'updatedAt' | 'bankShape' | 'bankPrecision'
> & {
  bank: MemoryBank;
  bankPrecision?: BankPrecision;
  /** The bank's index, stored with it when it belongs to the bank as stored (see storage/library.ts). */
  index?: StoredBankIndex | null;
};

/** Metadata fields that may change without touching the bank. */
export type ModelPatch = Partial<
  Pick<ModelMeta, 'name' | 'description' | 'calibration' | 'scoreStats' | 'thumbnails' | 'trainImageCount' | 'patchCount'>
>;

/**
 * An engine config as saved before schema 4: the working size as `inputSize`, and before schema 3 the framing split
 * in two (a missing `resize` meant 'squash').
 */
export type LegacyConfig = Omit<EngineConfig, 'framing' | 'workingSize'> & {
  framing?: EngineConfig['framing'];
  centerCrop?: boolean;
  resize?: 'fit' | 'squash';
  inputSize?: number;
  workingSize?: number;
};

/** A config of any schema in the current one: the framing as one field, the working size as `workingSize`. */
export function upgradeConfig(c: EngineConfig | LegacyConfig): EngineConfig {
  const { centerCrop, resize, inputSize, ...rest } = c as LegacyConfig;
  const framing = rest.framing ?? (centerCrop ? 'crop' : (resize ?? 'squash'));
  // Models saved before working sizes existed (schema 1-2 and early 3) worked at 224 px.
  const workingSize = rest.workingSize ?? inputSize ?? 224;
  return { ...rest, framing, workingSize } as unknown as EngineConfig;
}

/** Schema 2 or 3 as it was stored (see SCHEMA_VERSION). */
export type ModelMetaV2 = Omit<ModelMeta, 'schemaVersion' | 'config' | 'patchCount'> & { schemaVersion: 2 | 3; config: LegacyConfig; patchCount?: number };

/** Schema 2 or 3 -> 4: the config in the current shape. Other fields (the library's own bank keys) pass through. */
export function migrateV2<T extends ModelMetaV2>(v2: T): Omit<T, 'schemaVersion' | 'config'> & ModelMeta {
  return { ...v2, schemaVersion: SCHEMA_VERSION, config: upgradeConfig(v2.config) };
}

/**
 * Any stored or imported meta in the current schema, or null when it is from a newer app (left untouched) or
 * unreadable. Fields beyond ModelMeta (the library's bank keys) pass through; a schema-1 meta gains none.
 */
export function upgradeMeta<T extends object = ModelMeta>(raw: unknown): (T & ModelMeta) | null {
  const v = (raw as { schemaVersion?: unknown } | undefined)?.schemaVersion;
  if (v === SCHEMA_VERSION) return raw as T & ModelMeta;
  if (v === 2 || v === 3) return migrateV2(raw as ModelMetaV2) as unknown as T & ModelMeta;
  if (v === 1) return migrateV1(raw as ModelMetaV1) as T & ModelMeta;
  return null;
}

/** Schema 1 as it was stored under `meta:<id>` (see SCHEMA_VERSION). */
export interface ModelMetaV1 {
  schemaVersion: 1;
  id: string;
  name: string;
  description: string;
  createdAt: number;
  updatedAt: number;
  backbone: string;
  config: LegacyConfig;
  threshold: number;
  goodScores: number[];
  thumbnails: Thumbnail[];
  trainImageCount: number;
  bankRows: number;
  bankCols: number;
}

/** calibration.ts's summary of `scores` in the stored shape; all zeros for no scores (a model may have none). */
export function storedScoreStats(scores: ArrayLike<number>): StoredScoreStats {
  const s = Array.from(scores);
  if (s.length === 0) return { scores: [], mean: 0, std: 0, quantiles: { p50: 0, p90: 0, p95: 0, p99: 0, max: 0 } };
  const { mean, std, max, quantiles: q } = scoreStats(s);
  return { scores: s, mean, std, quantiles: { p50: q.q50, p90: q.q90, p95: q.q95, p99: q.q99, max } };
}

/** Schema 1 -> 4. The bank itself is not rewritten: it stays fp32 at its old key (see library.ts). */
export function migrateV1(v1: ModelMetaV1): ModelMeta {
  return migrateV2({
    schemaVersion: 2,
    id: v1.id,
    name: v1.name,
    description: v1.description,
    createdAt: v1.createdAt,
    updatedAt: v1.updatedAt,
    backbone: { id: v1.backbone, manifestHash: null },
    config: v1.config,
    bankPrecision: 'fp32',
    bankShape: { rows: v1.bankRows, cols: v1.bankCols },
    calibration: { threshold: v1.threshold },
    scoreStats: storedScoreStats(v1.goodScores),
    thumbnails: v1.thumbnails,
    trainImageCount: v1.trainImageCount,
  });
}

/**
 * JSON with object keys sorted at every level and no whitespace, so equal manifests hash equally whatever
 * order their fields were written in. `undefined` fields are dropped, as JSON.stringify does.
 */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => {
    if (v === null || typeof v !== 'object' || Array.isArray(v)) return v;
    const sorted: Record<string, unknown> = {};
    for (const k of Object.keys(v).sort()) sorted[k] = (v as Record<string, unknown>)[k];
    return sorted;
  });
}

// Re-exported: the storage harness and older callers import it from here.
export { sha256Hex };

/** sha256 (hex) of the manifest's canonical JSON: tells a saved model which exact backbone set-up made it. */
export function manifestHash(manifest: BackboneManifest): Promise<string> {
  return sha256Hex(new TextEncoder().encode(canonicalJson(manifest)));
}

/** What a caller supplies of a new ModelMeta; the rest (schema, id, times, bank shape) is filled in. */
export type MetaSource = Pick<
  ModelMeta,
  'name' | 'description' | 'backbone' | 'config' | 'calibration' | 'scoreStats' | 'thumbnails' | 'trainImageCount' | 'patchCount'
>;

/**
 * A fresh ModelMeta from the fields a caller may supply (extra fields on `src`, like an old id, are ignored): the
 * library's saves and imports, and the command line's builds.
 */
export function newModelMeta(src: MetaSource, id: string, now: number, precision: BankPrecision, bank: { rows: number; cols: number }): ModelMeta {
  return {
    schemaVersion: SCHEMA_VERSION,
    id,
    name: src.name,
    description: src.description,
    createdAt: now,
    updatedAt: now,
    backbone: { ...src.backbone },
    config: src.config,
    bankPrecision: precision,
    bankShape: { rows: bank.rows, cols: bank.cols },
    calibration: src.calibration,
    scoreStats: src.scoreStats,
    thumbnails: src.thumbnails,
    trainImageCount: src.trainImageCount,
    ...(src.patchCount !== undefined ? { patchCount: src.patchCount } : {}),
  };
}

/**
 * The backbone a new model names: a built-in's manifest hash (a later change to the built-in is then noticed), none
 * for a custom one.
 */
export async function backboneRef(id: string): Promise<ModelMeta['backbone']> {
  const manifest = KNOWN_BACKBONES.find((b) => b.id === id);
  return { id, manifestHash: manifest ? await manifestHash(manifest).catch(() => null) : null };
}

/** What is wrong with a would-be ModelMeta (from an import or a caller), or null when it is well-formed. */
export function describeInvalidMeta(m: unknown): string | null {
  if (typeof m !== 'object' || m === null) return 'the model description is missing';
  const x = m as Record<string, unknown>;
  const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
  const finite = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
  const count = (v: unknown) => Number.isInteger(v) && (v as number) >= 0;
  if (x.schemaVersion !== SCHEMA_VERSION) return `schema version ${String(x.schemaVersion)} is not ${SCHEMA_VERSION}`;
  if (typeof x.id !== 'string' || !x.id) return 'it has no id';
  if (typeof x.name !== 'string' || !x.name.trim()) return 'it has no name';
  if (typeof x.description !== 'string') return 'its part description is not text';
  if (!finite(x.createdAt) || !finite(x.updatedAt)) return 'its creation or change time is not a date';
  const bb = x.backbone;
  if (!isObj(bb) || typeof bb.id !== 'string' || !(bb.manifestHash === null || typeof bb.manifestHash === 'string')) {
    return 'its backbone is not named';
  }
  if (!isObj(x.config) || typeof x.config.backbone !== 'string') return 'its engine configuration is missing';
  if (!FRAMINGS.includes(x.config.framing as never)) return `its image framing "${String(x.config.framing)}" is not one of ${FRAMINGS.join(', ')}`;
  const size = x.config.workingSize;
  if (!Number.isInteger(size) || (size as number) < 32 || (size as number) > MAX_WORKING_SIZE) {
    return `its working size ${JSON.stringify(size)} is not a whole number of pixels from 32 to ${MAX_WORKING_SIZE}`;
  }
  if (x.config.distance !== undefined && x.config.distance !== 'l2' && x.config.distance !== 'cosine') {
    return `its distance "${String(x.config.distance)}" is neither l2 nor cosine`;
  }
  if (x.config.augment !== undefined && !AUGMENTS.includes(x.config.augment as never)) {
    return `its training views "${String(x.config.augment)}" are not one of ${AUGMENTS.join(', ')}`;
  }
  if (x.config.region !== undefined) {
    try {
      checkRegion(x.config.region);
    } catch (e) {
      return (e as Error).message.replace(/^An/, 'its').replace(/^The/, 'its');
    }
  }
  if (x.bankPrecision !== 'fp32' && x.bankPrecision !== 'fp16')
    return `bank precision "${String(x.bankPrecision)}" is neither fp32 nor fp16`;
  const shape = x.bankShape;
  if (!isObj(shape) || !count(shape.rows) || !count(shape.cols) || !shape.rows || !shape.cols)
    return 'its memory bank shape is not a positive rows x cols';
  if (!isObj(x.calibration) || !finite(x.calibration.threshold)) return 'its threshold is not a number';
  const st = x.scoreStats;
  if (
    !isObj(st) ||
    !Array.isArray(st.scores) ||
    !st.scores.every(finite) ||
    !finite(st.mean) ||
    !finite(st.std) ||
    !isObj(st.quantiles)
  ) {
    return 'its good-image score statistics are incomplete';
  }
  if (
    !Array.isArray(x.thumbnails) ||
    !x.thumbnails.every((t) => isObj(t) && t.bytes instanceof Uint8Array && typeof t.mime === 'string')
  ) {
    return 'its thumbnails are not images';
  }
  if (!count(x.trainImageCount)) return 'its training image count is not a count';
  if (x.patchCount !== undefined && !count(x.patchCount)) return 'its training patch count is not a count';
  return null;
}
