// The inspector's record: every inspected image written to IndexedDB (src/storage/records.ts) as it is scored, the
// History view's filters, selection and reviews, the thumbnail budget, and the inspected files kept in memory for
// this session (records keep only thumbnails; teaching a false alarm needs the image itself).
import { create } from 'zustand';
import { isFail } from '../patchcore/calibration';
import {
  newBatchId,
  newRecordId,
  NO_FILTER,
  parseRecordLines,
  RECORD_SCHEMA,
  type InspectionRecord,
  type RecordFilter,
  type RecordSource,
  type Review,
} from '../storage/recordFormat';
import { RecordStore, type TrimReport } from '../storage/records';
import { announce, onChange } from '../storage/announce';
import { formatBytes } from '../lib/format';
import type { ScoreResult } from '../worker/protocol';
import type { CurrentModel } from './model';
import { useModel } from './model';
import { recordThumb } from './recordThumb';
import { toast } from './toasts';

let storeInstance: RecordStore | null = null;
/** The app's record store, opened on first use (tests and the harness make their own). */
export function recordStore(): RecordStore {
  return (storeInstance ??= new RecordStore());
}

/** The inspected image of each record written this session, by record id. Gone after a reload. */
const sessionFiles = new Map<string, File>();
export function sessionFile(recordId: string): File | null {
  return sessionFiles.get(recordId) ?? null;
}

interface HistoryState {
  status: 'idle' | 'loading' | 'ready' | 'error';
  error: string | null;
  /** Every record, oldest first. */
  records: InspectionRecord[];
  filter: RecordFilter;
  /** The record the keyboard is on. */
  cursorId: string | null;
  /** Records ticked for a bulk review. */
  checked: ReadonlySet<string>;
  /** Why the last record could not be saved (null once one saves again). */
  saveError: string | null;
  /** Records written this session, and those that failed. */
  saved: number;
  failed: number;
  budget: number;
  thumbBytes: number;
  /** What the budget last trimmed, in a sentence. */
  lastTrim: string | null;

  load(): Promise<void>;
  setFilter(p: Partial<RecordFilter>): void;
  setCursor(id: string | null): void;
  toggleChecked(id: string): void;
  setChecked(ids: Iterable<string>): void;
  /** Marks the records' verdicts (null takes the mark back). */
  review(ids: readonly string[], as: Review | null): Promise<void>;
  setBudget(bytes: number): Promise<void>;
  /** Stores the record of one scored image; resolves with its id, or null when it could not be stored. */
  record(input: RecordInput): Promise<string | null>;
  /** Adds the records of a JSON Lines file (`patchcore-web inspect --records`, or History's own export). */
  importLines(file: File): Promise<void>;
}

export interface RecordInput {
  name: string;
  source: RecordSource;
  batch: string;
  /** The image: a file (dropped or a webcam frame as PNG) kept for this session, and what the thumbnail is drawn from. */
  file: File | null;
  frame?: ImageData;
  result: Pick<ScoreResult, 'score' | 'map' | 'window'>;
  model: CurrentModel;
  label?: string | null;
}

/** The library's version of the bank the model holds: the saved model's bank version, null when unsaved or changed. */
export function modelVersion(m: CurrentModel): number | null {
  if (!m.libraryId) return null;
  const listed = useModel.getState().library.find((x) => x.id === m.libraryId) as { bankVersion?: number } | undefined;
  return listed?.bankVersion ?? null;
}

// Writes go one after another, in the order images were scored.
let queue: Promise<unknown> = Promise.resolve();

let telling: ReturnType<typeof setTimeout> | null = null;
/**
 * Tells the other tabs that records changed (storage/announce.ts, kind 'records-changed'), at most twice a second:
 * they read the records again, so a batch inspected here shows up there without a message per image.
 */
function tellOtherTabs(modelId: string | null): void {
  if (telling) return;
  telling = setTimeout(() => {
    telling = null;
    announce({ kind: 'records-changed', id: modelId ?? 'unsaved' });
  }, 500);
}

/** Reads the records again when another tab says they changed; returns the function that stops listening. */
export function watchRecordsInOtherTabs(): () => void {
  let timer: ReturnType<typeof setTimeout> | null = null;
  const stop = onChange((c) => {
    if (c.kind !== 'records-changed' || timer) return;
    timer = setTimeout(() => {
      timer = null;
      void useHistory.getState().load();
    }, 200);
  });
  return () => {
    stop();
    if (timer) clearTimeout(timer);
  };
}

export const useHistory = create<HistoryState>()((set, get) => ({
  status: 'idle',
  error: null,
  records: [],
  filter: NO_FILTER,
  cursorId: null,
  checked: new Set(),
  saveError: null,
  saved: 0,
  failed: 0,
  budget: 0,
  thumbBytes: 0,
  lastTrim: null,

  async load() {
    if (typeof indexedDB === 'undefined') {
      set({ status: 'error', error: 'This browser offers no IndexedDB storage (a private window?), so inspection records cannot be kept.' });
      return;
    }
    if (get().status === 'idle') set({ status: 'loading' });
    try {
      const s = recordStore();
      const [stored, budget, thumbBytes] = await Promise.all([s.list(), s.budget(), s.thumbBytes()]);
      // Records written while the list was being read are kept too.
      const ids = new Set(stored.map((r) => r.id));
      const records = [...stored, ...get().records.filter((r) => !ids.has(r.id))];
      set({ records, budget, thumbBytes, status: 'ready', error: null });
    } catch (e) {
      set({ status: 'error', error: `The inspection records could not be read: ${(e as Error).message}` });
    }
  },

  setFilter(p) {
    set({ filter: { ...get().filter, ...p }, checked: new Set() });
  },

  setCursor(id) {
    set({ cursorId: id });
  },

  toggleChecked(id) {
    const next = new Set(get().checked);
    if (next.has(id)) next.delete(id);
    else next.add(id);
    set({ checked: next });
  },

  setChecked(ids) {
    set({ checked: new Set(ids) });
  },

  async review(ids, as) {
    if (ids.length === 0) return;
    try {
      const updated = await recordStore().review(ids, as);
      const byId = new Map(updated.map((r) => [r.id, r]));
      set({ records: get().records.map((r) => byId.get(r.id) ?? r) });
      tellOtherTabs(updated[0]?.model.id ?? null);
      confirmedDefectsToCalibration(updated);
    } catch (e) {
      toast(`The review was not saved: ${(e as Error).message}`, { tone: 'error' });
    }
  },

  async setBudget(bytes) {
    try {
      const trim = await recordStore().setBudget(bytes);
      set({ budget: bytes });
      if (trim.trimmed) announceTrim(trim);
      await get().load();
      tellOtherTabs(null);
    } catch (e) {
      toast(`The storage budget was not changed: ${(e as Error).message}`, { tone: 'error' });
    }
  },

  record(input) {
    const job = queue.then(() => writeRecord(input));
    queue = job.catch(() => undefined);
    return job;
  },

  async importLines(file) {
    const parsed = parseRecordLines(await file.text());
    if (get().status !== 'ready') await get().load();
    // A record already here (an export read back in) is left as it is, thumbnail and review included.
    const have = new Set(get().records.map((r) => r.id));
    const records = parsed.records.filter((r) => !have.has(r.id));
    const problems = parsed.problems;
    let added = 0;
    try {
      // One transaction per record, as when inspecting.
      for (const r of records) {
        await recordStore().add({ ...r, thumb: null }, null);
        added++;
      }
    } catch (e) {
      toast(`${file.name}: ${added} of ${records.length} records were added, then: ${(e as Error).message}`, { tone: 'error' });
      await get().load();
      return;
    }
    await get().load();
    if (added) tellOtherTabs(null);
    const skipped = problems.length ? ` ${problems.length} line${problems.length === 1 ? ' was' : 's were'} not records (${problems.slice(0, 3).join('; ')}${problems.length > 3 ? '; …' : ''}).` : '';
    const known = parsed.records.length - records.length;
    const already = known ? ` ${known} ${known === 1 ? 'was' : 'were'} already here.` : '';
    toast(`${file.name}: ${added} record${added === 1 ? '' : 's'} added to History.${already}${skipped}`, { tone: problems.length ? 'info' : 'success', ms: 10_000 });
  },
}));

async function writeRecord(input: RecordInput): Promise<string | null> {
  const { model, result } = input;
  const at = Date.now();
  const record: InspectionRecord = {
    schema: RECORD_SCHEMA,
    id: newRecordId(at),
    at,
    file: input.name,
    source: input.source,
    batch: input.batch,
    model: { id: model.libraryId, name: model.name, version: modelVersion(model) },
    workingSize: model.config.workingSize,
    threshold: model.threshold,
    score: result.score,
    verdict: isFail(result.score, model.threshold) ? 'fail' : 'pass',
    label: input.label ?? null,
    review: null,
  };
  let thumb = null;
  try {
    const src = input.frame ?? input.file;
    if (src) thumb = await recordThumb(src, input.name, result, model.threshold);
  } catch {
    // A record without a thumbnail still has every figure.
  }
  try {
    const { record: stored, trim } = await recordStore().add(record, thumb);
    if (input.file) sessionFiles.set(stored.id, input.file);
    tellOtherTabs(stored.model.id);
    const s = useHistory.getState();
    useHistory.setState({
      records: [...s.records, stored],
      saved: s.saved + 1,
      saveError: null,
      thumbBytes: s.thumbBytes + (stored.thumb?.bytes ?? 0) - (trim?.freedBytes ?? 0),
    });
    if (trim) {
      announceTrim(trim);
      void useHistory.getState().load();
    }
    return stored.id;
  } catch (e) {
    const s = useHistory.getState();
    useHistory.setState({ saveError: (e as Error).message, failed: s.failed + 1 });
    return null;
  }
}

function announceTrim(t: TrimReport): void {
  const msg =
    `Storage budget reached: removed the thumbnails of the ${t.trimmed.toLocaleString()} oldest record${t.trimmed === 1 ? '' : 's'} ` +
    `(${formatBytes(t.freedBytes)}${t.upTo ? `, up to ${new Date(t.upTo).toLocaleString()}` : ''}). Their scores and verdicts stay.`;
  useHistory.setState({ lastTrim: msg });
  toast(msg, { tone: 'info', ms: 10_000 });
}

/** Confirmed defects of the open model become its labelled examples (the F1 threshold suggestion uses them). */
function confirmedDefectsToCalibration(updated: InspectionRecord[]): void {
  const m = useModel.getState().current;
  if (!m) return;
  const mine = updated.filter((r) => r.review?.as === 'defect' && r.model.id === m.libraryId && r.model.id !== null);
  if (mine.length === 0) return;
  const known = new Set(m.defectScores.map((d) => d.name));
  const added = mine.filter((r) => !known.has(`${r.file} (${r.id})`)).map((r) => ({ name: `${r.file} (${r.id})`, score: r.score }));
  if (added.length) useModel.getState().setDefectScores([...m.defectScores, ...added]);
}

/** A new batch id: one per drop, folder or webcam session. */
export { newBatchId };
