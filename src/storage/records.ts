// The inspection records kept in IndexedDB: every inspected image's figures and a small thumbnail, for History.
//
// Its own database ('patchcore-web-records', store 'records'), so the model library's start-up clean-up never
// scans it and a full record store never blocks a model save. Keys:
//   r:<id>        InspectionRecord (recordFormat.ts): the figures, small; History reads all of them at once
//   t:<id>        RecordThumb: the image with its heatmap, a few kB; read only for the rows on screen
//   usage:thumbs  number: bytes of all t: values, kept in the same transaction as every change to them
//   setting:budget number: bytes the thumbnails may take (the user's storage budget)
// Ids sort by time, so the oldest thumbnails are the first t: keys: trimming walks them in key order.
//
// Every add is one transaction (record, thumbnail and usage together): a tab closed mid-batch leaves every earlier
// record whole and no later one half written. Trimming is a second transaction, after the add has committed.
import { createStore, promisifyRequest, type UseStore } from 'idb-keyval';
import { inTransaction } from './transaction';
import { formatBytes } from '../lib/format';
import { isQuotaError } from './errors';
import { describeInvalidRecord, type InspectionRecord, type RecordThumb, type Review } from './recordFormat';

export const RECORDS_DB = 'patchcore-web-records';
export const RECORDS_STORE = 'records';
/** Thumbnails may take this much by default: about 10,000 records' worth. */
export const DEFAULT_BUDGET_BYTES = 50 * 1024 * 1024;
/** A trim frees down to this share of the budget, so that it runs once per many records, not at every one. */
const TRIM_TO = 0.9;

const REC = 'r:';
const THUMB = 't:';
const USAGE = 'usage:thumbs';
const BUDGET = 'setting:budget';
const range = (prefix: string) => IDBKeyRange.bound(prefix, prefix + '\uffff');
const req = <T>(r: IDBRequest<T>) => promisifyRequest(r);

/** A record that could not be stored, in words the inspector can act on; `quota` when the disk or origin is full. */
export class RecordSaveError extends Error {
  readonly quota: boolean;
  constructor(message: string, quota: boolean, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'RecordSaveError';
    this.quota = quota;
  }
}

export interface TrimReport {
  /** Thumbnails removed, oldest first. */
  trimmed: number;
  freedBytes: number;
  /** Time of the newest record whose thumbnail went. */
  upTo: number | null;
}

export interface RecordStoreOptions {
  store?: UseStore;
  estimate?: () => Promise<{ usage?: number; quota?: number }>;
  now?: () => number;
}

let defaultStoreInstance: UseStore | null = null;
export function defaultRecordStore(): UseStore {
  return (defaultStoreInstance ??= createStore(RECORDS_DB, RECORDS_STORE));
}

export class RecordStore {
  private readonly store: UseStore;
  private readonly options: RecordStoreOptions;

  constructor(options: RecordStoreOptions = {}) {
    this.options = options;
    this.store = options.store ?? defaultRecordStore();
  }

  /**
   * Stores one record and its thumbnail in one transaction, then trims the oldest thumbnails if the budget is passed.
   * Throws a RecordSaveError (nothing stored, nothing else touched) when it does not fit.
   */
  async add(record: InspectionRecord, thumb: RecordThumb | null): Promise<{ record: InspectionRecord; trim: TrimReport | null }> {
    const problem = describeInvalidRecord(record);
    if (problem) throw new RecordSaveError(`The record of ${record.file} is not whole (${problem}), so it was not saved.`, false);
    const stored: InspectionRecord = {
      ...record,
      thumb: thumb ? { bytes: thumb.bytes.byteLength, mime: thumb.mime, width: thumb.width, height: thumb.height } : null,
    };
    try {
      await this.tx('readwrite', async (s) => {
        s.put(stored, REC + record.id);
        if (thumb) {
          const used = ((await req(s.get(USAGE))) as number | undefined) ?? 0;
          s.put({ ...thumb, bytes: ownBytes(thumb.bytes) } satisfies RecordThumb, THUMB + record.id);
          s.put(used + thumb.bytes.byteLength, USAGE);
        }
      });
    } catch (e) {
      throw await this.explain(e, record, thumb?.bytes.byteLength ?? 0);
    }
    let trim: TrimReport | null = null;
    if (thumb) {
      try {
        trim = await this.trimToBudget();
      } catch {
        // The record is stored; trimming is retried after the next one.
      }
    }
    return { record: stored, trim: trim && trim.trimmed > 0 ? trim : null };
  }

  /** Every record, oldest first: figures only, never a thumbnail. */
  async list(): Promise<InspectionRecord[]> {
    return this.tx('readonly', (s) => req(s.getAll(range(REC))) as Promise<InspectionRecord[]>);
  }

  async thumb(id: string): Promise<RecordThumb | null> {
    return ((await this.tx('readonly', (s) => req(s.get(THUMB + id)))) as RecordThumb | undefined) ?? null;
  }

  /** Marks (or, with null, unmarks) the records' verdicts in one transaction; returns them as stored. */
  async review(ids: readonly string[], as: Review | null): Promise<InspectionRecord[]> {
    const at = (this.options.now ?? Date.now)();
    return this.tx('readwrite', async (s) => {
      const out: InspectionRecord[] = [];
      for (const id of ids) {
        const r = (await req(s.get(REC + id))) as InspectionRecord | undefined;
        if (!r) continue;
        const next: InspectionRecord = { ...r, review: as ? { as, at } : null };
        s.put(next, REC + id);
        out.push(next);
      }
      return out;
    });
  }

  /** Deletes records and their thumbnails in one transaction. */
  async remove(ids: readonly string[]): Promise<void> {
    await this.tx('readwrite', async (s) => {
      let used = ((await req(s.get(USAGE))) as number | undefined) ?? 0;
      for (const id of ids) {
        const t = (await req(s.get(THUMB + id))) as RecordThumb | undefined;
        if (t) used -= t.bytes.byteLength;
        s.delete(THUMB + id);
        s.delete(REC + id);
      }
      s.put(Math.max(0, used), USAGE);
    });
  }

  async budget(): Promise<number> {
    return ((await this.tx('readonly', (s) => req(s.get(BUDGET)))) as number | undefined) ?? DEFAULT_BUDGET_BYTES;
  }

  /** Bytes the thumbnails take now. */
  async thumbBytes(): Promise<number> {
    return ((await this.tx('readonly', (s) => req(s.get(USAGE)))) as number | undefined) ?? 0;
  }

  /** Sets the budget and trims at once when the thumbnails already take more. */
  async setBudget(bytes: number): Promise<TrimReport> {
    if (!Number.isFinite(bytes) || bytes < 0) throw new RangeError(`A storage budget must be zero or more bytes, not ${bytes}.`);
    await this.tx('readwrite', (s) => void s.put(Math.round(bytes), BUDGET));
    return this.trimToBudget();
  }

  /**
   * Removes the oldest thumbnails until they take at most 90% of the budget (nothing when under it). Each record
   * keeps its figures and says when its thumbnail went. One transaction.
   */
  async trimToBudget(): Promise<TrimReport> {
    const now = (this.options.now ?? Date.now)();
    return this.tx('readwrite', async (s) => {
      const budget = ((await req(s.get(BUDGET))) as number | undefined) ?? DEFAULT_BUDGET_BYTES;
      let used = ((await req(s.get(USAGE))) as number | undefined) ?? 0;
      const report: TrimReport = { trimmed: 0, freedBytes: 0, upTo: null };
      if (used <= budget) return report;
      const target = budget * TRIM_TO;
      const cursor = s.openCursor(range(THUMB));
      await new Promise<void>((resolve, reject) => {
        cursor.onerror = () => reject(cursor.error);
        cursor.onsuccess = () => {
          const c = cursor.result;
          if (!c || used <= target) return resolve();
          const id = (c.key as string).slice(THUMB.length);
          const n = (c.value as RecordThumb).bytes.byteLength;
          used -= n;
          report.trimmed++;
          report.freedBytes += n;
          c.delete();
          const rr = s.get(REC + id);
          rr.onsuccess = () => {
            const r = rr.result as InspectionRecord | undefined;
            if (!r) return;
            s.put({ ...r, thumb: null, thumbTrimmedAt: now } satisfies InspectionRecord, REC + id);
            report.upTo = Math.max(report.upTo ?? 0, r.at);
          };
          c.continue();
        };
      });
      s.put(Math.max(0, used), USAGE);
      return report;
    });
  }

  /** A failed write in words: what could not be saved, and for a full disk how much is free and what to do. */
  private async explain(e: unknown, record: InspectionRecord, thumbBytes: number): Promise<RecordSaveError> {
    if (!isQuotaError(e)) {
      return new RecordSaveError(`The record of ${record.file} could not be saved: ${(e as Error)?.message ?? String(e)}.`, false, { cause: e });
    }
    let free = '';
    try {
      const est = await (this.options.estimate ?? (() => globalThis.navigator?.storage?.estimate?.() ?? Promise.resolve({})))();
      if (est.quota !== undefined && est.usage !== undefined) free = `; ${formatBytes(Math.max(0, est.quota - est.usage))} free`;
    } catch {
      // Said without the free space.
    }
    return new RecordSaveError(
      `The record of ${record.file} could not be saved: browser storage is full (it needs about ${formatBytes(thumbBytes + 1024)}${free}). ` +
        'Its verdict above stands; lower the History storage budget or delete exported models to make room.',
      true,
      { cause: e },
    );
  }

  /** One transaction; resolves once committed, rolled back if `body` throws (library.ts does the same). */
  private tx<T>(mode: IDBTransactionMode, body: (s: IDBObjectStore) => Promise<T> | T): Promise<T> {
    return inTransaction(this.store, mode, body);
  }
}

/** IndexedDB clones a view's whole buffer: store bytes that own exactly their buffer. */
function ownBytes(a: Uint8Array): Uint8Array {
  return a.byteOffset === 0 && a.byteLength === a.buffer.byteLength && a.buffer instanceof ArrayBuffer ? a : a.slice();
}
