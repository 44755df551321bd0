// What one inspection record is: the figures of one inspected image (the app's History and `patchcore-web inspect
// --records` write the same shape), plus the pure helpers both sides use: JSON Lines, filters, counts, CSV rows.
// No IndexedDB here (records.ts keeps them in the browser), so the command line can import it.
import { toCsv } from '../lib/csv';

/** Version of the record shape, stored in every record so a later app can read older ones. */
export const RECORD_SCHEMA = 1;

/** A person's word on a verdict: the part really is defective, or it is good and the model raised a false alarm. */
export type Review = 'defect' | 'good';

/** Where the image came from: a dropped file or folder, a webcam snapshot, or the command line. */
export type RecordSource = 'file' | 'webcam' | 'cli';

export interface InspectionRecord {
  schema: typeof RECORD_SCHEMA;
  /** Sorts by time: base-36 milliseconds, a counter and a random tail (see newRecordId). */
  id: string;
  /** Milliseconds since the epoch. */
  at: number;
  /** The image's name with its folder ("crack/000.png"). */
  file: string;
  source: RecordSource;
  /** Records of one drop, one folder, one webcam session or one command-line run share a batch id. */
  batch: string;
  /** The model as it was when it inspected: its name then, library id (null when unsaved) and bank version. */
  model: { id: string | null; name: string; version: number | null };
  workingSize: number;
  threshold: number;
  score: number;
  verdict: 'pass' | 'fail';
  /** Ground truth from a folder layout (good/, crack/...), when there was one. */
  label?: string | null;
  review?: { as: Review; at: number } | null;
  /** The stored thumbnail (image with its heatmap): its size, or null once trimmed or when none was made. */
  thumb?: { bytes: number; mime: string; width: number; height: number } | null;
  /** When the storage budget trimmed the thumbnail away (the figures stay). */
  thumbTrimmedAt?: number;
}

/** A record's thumbnail: the image with its heatmap, small, as encoded bytes. */
export interface RecordThumb {
  mime: string;
  width: number;
  height: number;
  bytes: Uint8Array;
}

let counter = 0;
/** Sortable by time even when many records share a millisecond, and unique across tabs (random tail). */
export function newRecordId(at: number): string {
  counter = (counter + 1) % 36 ** 4;
  const rand = Math.floor(Math.random() * 36 ** 6).toString(36).padStart(6, '0');
  return `${at.toString(36).padStart(9, '0')}-${counter.toString(36).padStart(4, '0')}-${rand}`;
}

export function newBatchId(at = Date.now()): string {
  return `b-${newRecordId(at)}`;
}

/** A record as one line of JSON Lines (the thumbnail's bytes never go in; its size does). */
export function recordLine(r: InspectionRecord): string {
  return JSON.stringify(r);
}

/**
 * Records from JSON Lines text. A line that is not a record is reported by its number, not silently dropped, so a
 * file cut off mid-line (a killed run) shows where.
 */
export function parseRecordLines(text: string): { records: InspectionRecord[]; problems: string[] } {
  const records: InspectionRecord[] = [];
  const problems: string[] = [];
  text.split(/\r?\n/).forEach((line, i) => {
    if (!line.trim()) return;
    try {
      const r = JSON.parse(line) as InspectionRecord;
      const why = describeInvalidRecord(r);
      if (why) problems.push(`line ${i + 1}: ${why}`);
      else records.push(r);
    } catch {
      problems.push(`line ${i + 1} is not JSON (cut off?)`);
    }
  });
  return { records, problems };
}

/** What is wrong with a would-be record, or null when it is whole. */
export function describeInvalidRecord(r: unknown): string | null {
  if (typeof r !== 'object' || r === null) return 'not a record';
  const x = r as Record<string, unknown>;
  if (x.schema !== RECORD_SCHEMA) return `record schema ${String(x.schema)} is not ${RECORD_SCHEMA}`;
  if (typeof x.id !== 'string' || !x.id) return 'no id';
  if (typeof x.at !== 'number' || !Number.isFinite(x.at)) return 'no time';
  if (typeof x.file !== 'string') return 'no file name';
  if (typeof x.score !== 'number' || typeof x.threshold !== 'number') return 'no score or threshold';
  if (x.verdict !== 'pass' && x.verdict !== 'fail') return `verdict "${String(x.verdict)}" is neither pass nor fail`;
  const m = x.model as Record<string, unknown> | undefined;
  if (!m || typeof m.name !== 'string') return 'no model name';
  return null;
}

export interface RecordFilter {
  /** A library id, '' for models never saved, or null for every model. */
  modelId: string | null;
  verdict: 'all' | 'pass' | 'fail';
  reviewed: 'all' | 'yes' | 'no' | 'defect' | 'good';
  /** Inclusive range in ms; null for open ends. */
  from: number | null;
  to: number | null;
  batch: string | null;
}

export const NO_FILTER: RecordFilter = { modelId: null, verdict: 'all', reviewed: 'all', from: null, to: null, batch: null };

/** Records that pass the filter, in the order given. One pass, no allocation per record: 10,000 in a few ms. */
export function filterRecords(records: readonly InspectionRecord[], f: RecordFilter): InspectionRecord[] {
  const out: InspectionRecord[] = [];
  for (const r of records) {
    if (f.modelId !== null && (r.model.id ?? '') !== f.modelId) continue;
    if (f.verdict !== 'all' && r.verdict !== f.verdict) continue;
    if (f.from !== null && r.at < f.from) continue;
    if (f.to !== null && r.at > f.to) continue;
    if (f.batch !== null && r.batch !== f.batch) continue;
    if (f.reviewed !== 'all') {
      const as = r.review?.as;
      if (f.reviewed === 'yes' ? !as : f.reviewed === 'no' ? !!as : as !== f.reviewed) continue;
    }
    out.push(r);
  }
  return out;
}

export interface RecordCounts {
  total: number;
  pass: number;
  fail: number;
  reviewed: number;
  /** Fails a person marked good: the model's false alarms. */
  falseAlarms: number;
  /** Fails a person confirmed. */
  confirmed: number;
}

export function countRecords(records: readonly InspectionRecord[]): RecordCounts {
  const c: RecordCounts = { total: records.length, pass: 0, fail: 0, reviewed: 0, falseAlarms: 0, confirmed: 0 };
  for (const r of records) {
    if (r.verdict === 'pass') c.pass++;
    else c.fail++;
    if (r.review) {
      c.reviewed++;
      if (r.review.as === 'good' && r.verdict === 'fail') c.falseAlarms++;
      if (r.review.as === 'defect' && r.verdict === 'fail') c.confirmed++;
    }
  }
  return c;
}

export interface PassRateBucket {
  start: number;
  end: number;
  total: number;
  pass: number;
}

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

/**
 * Pass rate over time for the chart: buckets of an hour when the records span two days or less, else of a day (in
 * local time), at most `maxBuckets` of the latest ones. Records may come in any order.
 */
export function passRateBuckets(records: readonly InspectionRecord[], maxBuckets = 60): { bucketMs: number; buckets: PassRateBucket[] } {
  if (records.length === 0) return { bucketMs: DAY, buckets: [] };
  let lo = Infinity, hi = -Infinity;
  for (const r of records) {
    if (r.at < lo) lo = r.at;
    if (r.at > hi) hi = r.at;
  }
  const bucketMs = hi - lo <= 2 * DAY ? HOUR : DAY;
  const startOf = (t: number) => {
    const d = new Date(t);
    if (bucketMs === DAY) d.setHours(0, 0, 0, 0);
    else d.setMinutes(0, 0, 0);
    return d.getTime();
  };
  const map = new Map<number, PassRateBucket>();
  for (const r of records) {
    const s = startOf(r.at);
    let b = map.get(s);
    if (!b) map.set(s, (b = { start: s, end: s + bucketMs, total: 0, pass: 0 }));
    b.total++;
    if (r.verdict === 'pass') b.pass++;
  }
  const buckets = [...map.values()].sort((a, b) => a.start - b.start);
  return { bucketMs, buckets: buckets.slice(-maxBuckets) };
}

export const RECORDS_CSV_HEADER = [
  'time', 'file', 'score', 'verdict', 'threshold', 'model', 'model_id', 'model_version', 'working_size', 'review', 'label', 'source', 'batch',
];

/** The records as CSV (src/lib/csv.ts quoting): the results CSV's columns first, then the record's own. */
export function recordsCsv(records: readonly InspectionRecord[]): string {
  return toCsv(
    RECORDS_CSV_HEADER,
    records.map((r) => [
      new Date(r.at).toISOString(),
      r.file,
      Number(r.score.toPrecision(6)),
      r.verdict,
      Number(r.threshold.toPrecision(6)),
      r.model.name,
      r.model.id ?? '',
      r.model.version ?? '',
      r.workingSize,
      r.review?.as ?? '',
      r.label ?? '',
      r.source,
      r.batch,
    ]),
  );
}
