// Model library in the real browser, for e2e/library.spec.ts: save seeded random models, reopen them after a
// reload, compare banks by hash and by nearest-neighbour scores, interrupt big writes, and hit the quota; and for
// e2e/tabs.spec.ts, delete and restore as a window that does not announce its changes would.
// Every function returns plain data (Playwright serialises it); errors come back as { code, message }.
import { keys } from 'idb-keyval';
import { LibraryError } from '../storage/errors';
import {
  defaultStore,
  openLibrary,
  storageEstimate,
  type ModelLibrary,
  type StorageReport,
  type WriteStage,
} from '../storage/library';
import type { BankPrecision } from '../storage/model';
import { sha256Hex } from '../storage/model';
import { randomBank, sampleDraft } from '../storage/library.fixture';
import type { EngineConfig } from '../patchcore/config';
import type { MemoryBank } from '../patchcore/types';

let library: Promise<ModelLibrary> | null = null;
let stageHook: ((stage: WriteStage) => void | Promise<void>) | null = null;

function lib(): Promise<ModelLibrary> {
  return (library ??= openLibrary({ onStage: (stage) => stageHook?.(stage) }));
}

export interface BankDigest {
  sha256: string;
  rows: number;
  cols: number;
  precision: BankPrecision;
  /** Brute-force 1-NN (L2) of a few seeded query vectors against the bank. */
  nearest: { distances: number[]; indices: number[] };
}

export type Outcome<T> = { ok: true; value: T } | { ok: false; code: string; message: string };

export interface RandomModel {
  name: string;
  seed: number;
  rows: number;
  cols: number;
  precision?: BankPrecision;
  /** Engine settings over the fixture's defaults (e.g. an experiment the ONNX export refuses). */
  config?: Partial<EngineConfig>;
}

/** Keys in the store, read without opening the library (so without its startup clean-up). */
export async function rawKeys(): Promise<string[]> {
  return ((await keys(defaultStore())) as string[]).sort();
}

/** Opens the library afresh in this page (a new session: runs the startup clean-up again). */
export async function reopen(): Promise<void> {
  library = null;
  await lib();
}

export async function list(): Promise<
  { id: string; name: string; bankVersion: number; bankBytes: number; rows: number }[]
> {
  return (await (await lib()).list()).map((m) => ({
    id: m.id,
    name: m.name,
    bankVersion: m.bankVersion,
    bankBytes: m.bankBytes,
    rows: m.bankShape.rows,
  }));
}

/** Hash and nearest-neighbour scores of the seeded bank itself, before any storage. */
export async function digestOfRandom(seed: number, rows: number, cols: number, querySeed = 99): Promise<BankDigest> {
  return digest(randomBank(seed, rows, cols), 'fp32', querySeed);
}

export async function save(m: RandomModel): Promise<Outcome<{ id: string }>> {
  return attempt(async () => {
    const draft = sampleDraft(randomBank(m.seed, m.rows, m.cols), m.name, m.precision ?? 'fp32');
    if (m.config) draft.config = { ...draft.config, ...m.config };
    return { id: (await (await lib()).save(draft)).id };
  });
}

export async function extend(
  id: string,
  seed: number,
  rows: number,
  cols: number,
): Promise<Outcome<{ bankVersion: number }>> {
  return attempt(async () => ({
    bankVersion: (await (await lib()).extend(id, randomBank(seed, rows, cols))).bankVersion,
  }));
}

/** Deletes a model (undoable from this page until it closes), as another window of the app would. */
export async function remove(id: string): Promise<Outcome<null>> {
  return attempt(async () => {
    await (await lib()).delete(id);
    return null;
  });
}

/** Undoes a delete made from this page. */
export async function restore(id: string): Promise<Outcome<null>> {
  return attempt(async () => {
    await (await lib()).undoDelete(id);
    return null;
  });
}

export async function openDigest(id: string, querySeed = 99): Promise<Outcome<BankDigest>> {
  return attempt(async () => {
    const model = await (await lib()).open(id);
    return digest(model.bank, model.bankPrecision, querySeed);
  });
}

/**
 * Starts a big write and returns at once; the write reports its stages to window.__libraryStage (a Playwright
 * binding) and never gets past 'bank-written', so the meta is never written however late the page is closed.
 * `kind` 'extend' writes a new version of `id`; 'save' writes a new model.
 */
export async function startInterruptedWrite(
  kind: 'extend' | 'save',
  id: string,
  seed: number,
  rows: number,
  cols: number,
): Promise<void> {
  const bank = randomBank(seed, rows, cols);
  const report = (window as unknown as { __libraryStage?: (s: string) => void }).__libraryStage;
  stageHook = (stage) => {
    report?.(stage);
    if (stage === 'bank-written') return new Promise<never>(() => undefined);
  };
  const l = await lib();
  void (kind === 'extend' ? l.extend(id, bank) : l.save(sampleDraft(bank, 'Interrupted'))).catch(() => undefined);
}

export function estimate(): Promise<StorageReport> {
  return storageEstimate();
}

async function digest(bank: MemoryBank, precision: BankPrecision, querySeed: number): Promise<BankDigest> {
  const d = bank.data;
  const sha256 = await sha256Hex(new Uint8Array(d.buffer, d.byteOffset, d.byteLength));
  const queries = randomBank(querySeed, 5, bank.cols);
  const distances: number[] = [];
  const indices: number[] = [];
  for (let q = 0; q < queries.rows; q++) {
    let best = Infinity;
    let bestRow = -1;
    for (let r = 0; r < bank.rows; r++) {
      let s = 0;
      for (let c = 0; c < bank.cols; c++) {
        const diff = queries.data[q * bank.cols + c] - d[r * bank.cols + c];
        s += diff * diff;
      }
      if (s < best) [best, bestRow] = [s, r];
    }
    distances.push(Math.sqrt(best));
    indices.push(bestRow);
  }
  return { sha256, rows: bank.rows, cols: bank.cols, precision, nearest: { distances, indices } };
}

async function attempt<T>(fn: () => Promise<T>): Promise<Outcome<T>> {
  try {
    return { ok: true, value: await fn() };
  } catch (e) {
    if (e instanceof LibraryError) return { ok: false, code: e.code, message: e.message };
    return { ok: false, code: (e as Error)?.name ?? 'error', message: String((e as Error)?.message ?? e) };
  }
}
