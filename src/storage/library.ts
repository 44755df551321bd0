// The model library: inspection models kept in IndexedDB for weeks, listed instantly, never lost half-written.
//
// Keys of the 'models' object store (database 'patchcore-web'):
//   meta:<id>              StoredMeta: the ModelMeta, the key of its current bank, and a tombstone when deleted
//   bank:<id>:<version>    StoredBank (schema 1 stored a bare Float32Array under bank:<id>)
//   pending:<bankKey>      { session, startedAt }: a bank written whose meta is not written yet
//   index:<bankKey>        StoredBankIndex: the bank's nearest-neighbour index (patchcore/cpu/bankIndex.ts), kept
//                          only when its checksum names that bank; absent for models saved before it was stored
//
// The index lives beside its bank, not in the meta or the bank record: a version that shares a bank shares its
// index, an index built when an older model is opened is written back without rewriting the bank, and an index
// that goes missing or stale costs a rebuild (the engine checks it against the bank before searching), never a
// model. It is written in the bank's transaction and deleted with the bank; the start-up clean-up drops any index
// whose bank is gone.
//
// Versions: addVersion() (teaching false alarms, importing a model that is already here) writes a new bank like
// extend but keeps the old one, listed in the meta's `versions` with its own figures; revertTo() makes an older
// version current by switching the meta's bank key (no bank is copied). Every bank a meta or one of its versions
// names is kept by the start-up clean-up, and deleting the model frees them all.
//
// Every write that makes a bank (save, saveAs, duplicate, import, extend) is two transactions:
//   1. put the bank under a key no meta uses yet, with its pending marker. This is the big write; if it fails
//      (quota, tab closed) the transaction rolls back and nothing the user had is touched.
//   2. put the meta that points at the new bank (one put), drop the marker, and for extend drop the old bank.
// A crash between 1 and 2 leaves a bank no meta points at; list() never shows it (it reads metas only, and only
// those whose bank key exists), and the next startup deletes it. Banks are never read by list().
//
// Delete is soft, for the session: the meta gets a tombstone { at, session }; list() hides it, undoDelete() clears
// it, purgeDeleted() frees the space at once. Tombstones of ended sessions are purged at the next startup. A session
// is one openLibrary() (one page load); other tabs' sessions are seen as alive through Web Locks, so a tab never
// purges another tab's undoable deletes or the bank it is in the middle of saving.
//
// Each change is announced to the other tabs (announce.ts) once its last transaction has committed, so they list
// what is really stored when they re-read it.
import { createStore, promisifyRequest, type UseStore } from 'idb-keyval';
import { inTransaction } from './transaction';
import { formatBytes } from '../lib/format';
import type { MemoryBank } from '../patchcore/types';
import { announce as announceToTabs, type LibraryChange } from './announce';
import { decodeBank, encodeBank, storedBankBytes, type StoredBank } from './bank';
import { LibraryError, isQuotaError } from './errors';
import { decodeModelFile, encodeModelFile } from './exportFormat';
import { indexNamesBank, type StoredBankIndex } from '../patchcore/cpu/bankIndex';
import {
  SCHEMA_VERSION,
  describeInvalidMeta,
  newModelMeta,
  upgradeMeta as upgradeStoredMeta,
  type MetaSource,
  type BankPrecision,
  type InspectionModel,
  type ModelDraft,
  type ModelMeta,
  type ModelMetaV1,
  type ModelPatch,
} from './model';

export const DB_NAME = 'patchcore-web';
export const STORE_NAME = 'models';

/** A listed model: its metadata plus where the library keeps its bank. */
export interface ModelSummary extends ModelMeta {
  /** Increments each time the bank is replaced (extend). */
  bankVersion: number;
  /** Bytes of the stored bank. */
  bankBytes: number;
  /** Versions kept besides the current one. */
  olderVersions: number;
}

/** One version of a model: its bank and the figures that went with it. */
export interface ModelVersion {
  version: number;
  /** When this version was made. */
  at: number;
  /** What made it, in words ("2 false alarms taught as good images"). */
  note: string;
  bankBytes: number;
  bankPrecision: BankPrecision;
  bankShape: { rows: number; cols: number };
  calibration: ModelMeta['calibration'];
  scoreStats: ModelMeta['scoreStats'];
  trainImageCount: number;
  patchCount?: number;
  /** The version the model uses now. */
  current: boolean;
}

/** Steps of a bank-making write, in order; reported to `onStage` (progress UI, crash tests). */
export type WriteStage = 'writing-bank' | 'bank-written' | 'meta-written';

export interface LibraryOptions {
  /** Where models live. Default: idb-keyval createStore('patchcore-web', 'models'). Tests wrap it. */
  store?: UseStore;
  /** This session's id (default: random). */
  sessionId?: string;
  /** Ids of sessions alive in other tabs (default: from Web Locks; none where that API is missing). */
  liveSessions?: () => Promise<Iterable<string>>;
  /** Storage estimate used to say how much space is free when a write does not fit. */
  estimate?: () => Promise<{ usage?: number; quota?: number }>;
  /** Ask the browser not to evict the library under storage pressure (default true). */
  requestPersistence?: boolean;
  /** Called before each step of a bank-making write and awaited (a crash test can stall here forever). */
  onStage?: (stage: WriteStage, info: { id: string; bankKey: string }) => void | Promise<void>;
  /** Tells the other tabs about a committed change (default: announce.ts's channel). */
  announce?: (change: LibraryChange) => void;
  now?: () => number;
}

export interface StorageReport {
  usage: number | null;
  quota: number | null;
  free: number | null;
  persisted: boolean;
}

interface StoredMeta extends ModelMeta {
  bankKey: string;
  bankVersion: number;
  bankBytes: number;
  deleted?: { at: number; session: string };
  /** Earlier versions still stored (see the top of this file); absent when none was kept. */
  versions?: StoredVersion[];
  /** What made the current version and when; absent for models saved before versions were kept. */
  versionNote?: { note: string; at: number };
}

type StoredVersion = Omit<ModelVersion, 'current'> & { bankKey: string };

interface PendingMarker {
  session: string;
  startedAt: number;
}

const META = 'meta:';
const BANK = 'bank:';
const PENDING = 'pending:';
const INDEX = 'index:';
const indexKey = (bankKey: string) => INDEX + bankKey;
const LOCK_PREFIX = 'patchcore-web/library-session/';
const metaKey = (id: string) => META + id;
const prefixRange = (prefix: string) => IDBKeyRange.bound(prefix, prefix + '\uffff');
const req = <T>(r: IDBRequest<T>) => promisifyRequest(r);

let defaultStoreInstance: UseStore | null = null;
/** The app's store, opened on first use (importing this module touches no database). */
export function defaultStore(): UseStore {
  return (defaultStoreInstance ??= createStore(DB_NAME, STORE_NAME));
}

/** Opens the library: holds this session, asks for persistent storage, migrates and cleans up after crashes. */
export async function openLibrary(options: LibraryOptions = {}): Promise<ModelLibrary> {
  const lib = new ModelLibrary(options);
  await holdSessionLock(lib.sessionId);
  if (options.requestPersistence !== false) void requestPersistence();
  try {
    await lib.recover();
  } catch (e) {
    // Clean-up only frees space; the library works without it, and the next start tries again.
    console.warn('Model library clean-up after a previous session failed; it will be retried at the next start.', e);
  }
  return lib;
}

export class ModelLibrary {
  readonly sessionId: string;
  private readonly store: UseStore;
  private readonly options: LibraryOptions;
  private readonly now: () => number;
  private readonly queues = new Map<string, Promise<unknown>>();

  /** Use openLibrary(): it also cleans up what a crashed session left. */
  constructor(options: LibraryOptions = {}) {
    this.options = options;
    this.store = options.store ?? defaultStore();
    this.sessionId = options.sessionId ?? crypto.randomUUID();
    this.now = options.now ?? Date.now;
  }

  /** Every saved model, newest change first. Reads metadata only: instant whatever the bank sizes. */
  async list(): Promise<ModelSummary[]> {
    const [metas, bankKeys] = await this.tx('readonly', (s) =>
      Promise.all([req(s.getAll(prefixRange(META))), req(s.getAllKeys(prefixRange(BANK)))]),
    );
    const banks = new Set(bankKeys as string[]);
    return metas
      .map(upgradeMeta)
      .filter((m): m is StoredMeta => m !== null && !m.deleted && banks.has(m.bankKey))
      .map(summary)
      .sort((a, b) => b.updatedAt - a.updatedAt);
  }

  /** A model with its bank decoded to fp32, ready to score with. */
  async open(id: string): Promise<InspectionModel> {
    return this.openVersion(id);
  }

  /** Saves a new model. Returns its summary once both bank and metadata are stored. */
  async save(draft: ModelDraft): Promise<ModelSummary> {
    const precision = draft.bankPrecision ?? 'fp32';
    const meta = newMeta(draft, crypto.randomUUID(), this.now(), precision, draft.bank);
    checkBank(draft.bank, meta.name);
    const stored = encodeBank(draft.bank, precision);
    return this.announced('saved', this.exclusive(meta.id, () => this.writeModel(meta, stored, 'save', undefined, draft.index)));
  }

  /** Saves a model (typically an opened one, changed in memory) as a new library entry; the original stays. */
  async saveAs(model: InspectionModel | ModelDraft, name: string, precision?: BankPrecision): Promise<ModelSummary> {
    const p = precision ?? model.bankPrecision ?? 'fp32';
    const meta = newMeta({ ...model, name }, crypto.randomUUID(), this.now(), p, model.bank);
    checkBank(model.bank, meta.name);
    const stored = encodeBank(model.bank, p);
    return this.announced('saved', this.exclusive(meta.id, () => this.writeModel(meta, stored, 'save', undefined, model.index)));
  }

  /** A copy of a stored model under a new id; the bank is copied as stored (bitwise). */
  async duplicate(id: string, name?: string): Promise<ModelSummary> {
    const { meta, bank, index } = await this.readStored(id);
    const copy = newMeta(
      { ...meta, name: name ?? `${meta.name} (copy)` },
      crypto.randomUUID(),
      this.now(),
      bank.precision,
      bank,
    );
    return this.announced('duplicated', this.exclusive(copy.id, () => this.writeModel(copy, bank, 'save', undefined, index)));
  }

  rename(id: string, name: string): Promise<ModelSummary> {
    return this.update(id, { name });
  }

  /** Changes metadata only (name, description, recalibrated threshold...). One transaction. */
  update(id: string, patch: ModelPatch): Promise<ModelSummary> {
    const onlyName = Object.keys(pickPatch(patch)).every((k) => k === 'name') && patch.name !== undefined;
    return this.announced(onlyName ? 'renamed' : 'updated', this.exclusive(id, () =>
      this.tx('readwrite', async (s) => {
        const cur = await liveMeta(s, id);
        const next: StoredMeta = { ...cur, ...pickPatch(patch), updatedAt: this.now() };
        const problem = describeInvalidMeta(publicMeta(next));
        if (problem) throw new LibraryError('invalid-model', `Cannot update "${cur.name}": ${problem}.`);
        s.put(next, metaKey(id));
        return summary(next);
      }),
    ));
  }

  /**
   * "Add more good images to this model": stores `bank` (the whole new bank, old vectors included) as a new
   * version, then switches the model to it and drops the old one. Until the switch, the old version is intact.
   * `index`: the new bank's nearest-neighbour index, stored with it when it belongs to it.
   */
  async extend(id: string, bank: MemoryBank, patch: ModelPatch = {}, index?: StoredBankIndex | null): Promise<ModelSummary> {
    return this.announced('images-added', this.exclusive(id, async () => {
      const prev = await this.tx('readonly', (s) => liveMeta(s, id));
      checkBank(bank, prev.name);
      if (bank.cols !== prev.bankShape.cols) {
        throw new LibraryError(
          'invalid-model',
          `Cannot add to "${prev.name}": its vectors have ${prev.bankShape.cols} values, the new ones ${bank.cols} (a different backbone or configuration?).`,
        );
      }
      const meta: ModelMeta = {
        ...publicMeta(prev),
        ...pickPatch(patch),
        bankShape: { rows: bank.rows, cols: bank.cols },
        updatedAt: this.now(),
      };
      const problem = describeInvalidMeta(meta);
      if (problem) throw new LibraryError('invalid-model', `Cannot add to "${prev.name}": ${problem}.`);
      return this.writeModel(meta, encodeBank(bank, prev.bankPrecision), 'save the new version of', { prev, patch }, index);
    }));
  }

  /**
   * A new version of the model from `bank` (the whole new bank) with `patch`'s figures, keeping the current version
   * stored and listed (unlike extend). `note` says what changed. A StoredBank (an import) is stored as it is.
   * `index`: the new bank's nearest-neighbour index, stored with it when it belongs to it.
   */
  async addVersion(id: string, bank: MemoryBank | StoredBank, patch: ModelPatch, note: string, index?: StoredBankIndex | null): Promise<ModelSummary> {
    return this.announced('version-added', this.exclusive(id, async () => {
      const prev = await this.tx('readonly', (s) => liveMeta(s, id));
      const stored = 'precision' in bank ? bank : encodeBank(bank, prev.bankPrecision);
      if (!('precision' in bank)) checkBank(bank, prev.name);
      if (stored.cols !== prev.bankShape.cols) {
        throw new LibraryError(
          'invalid-model',
          `Cannot make a new version of "${prev.name}": its vectors have ${prev.bankShape.cols} values, the new ones ${stored.cols} (a different backbone or configuration?).`,
        );
      }
      const meta: ModelMeta = {
        ...publicMeta(prev),
        ...pickPatch(patch),
        bankPrecision: stored.precision,
        bankShape: { rows: stored.rows, cols: stored.cols },
        updatedAt: this.now(),
      };
      const problem = describeInvalidMeta(meta);
      if (problem) throw new LibraryError('invalid-model', `Cannot make a new version of "${prev.name}": ${problem}.`);
      return this.writeModel(meta, stored, 'save the new version of', { prev, patch, keep: note }, index);
    }));
  }

  /** The model's versions, newest first, the current one marked. Metadata only. */
  async versions(id: string): Promise<ModelVersion[]> {
    const m = await this.tx('readonly', (s) => liveMeta(s, id));
    const all = [{ ...versionOf(m), current: true }, ...(m.versions ?? []).map(({ bankKey: _k, ...v }) => ({ ...v, current: false }))];
    return all.sort((a, b) => b.version - a.version);
  }

  /**
   * Frees an older version's bank; the version in use cannot be deleted. One transaction. Not announced: the model
   * the other tabs hold is unchanged (their version lists are read again when they are opened).
   */
  deleteVersion(id: string, version: number): Promise<ModelSummary> {
    return this.exclusive(id, () =>
      this.tx('readwrite', async (s) => {
        const cur = await liveMeta(s, id);
        if (cur.bankVersion === version) {
          throw new LibraryError('conflict', `Version ${version} of "${cur.name}" is in use: go back to another version first, then delete this one.`);
        }
        const target = (cur.versions ?? []).find((v) => v.version === version);
        if (!target) throw new LibraryError('not-found', `"${cur.name}" has no version ${version} (it may have been deleted in another tab).`);
        const next: StoredMeta = { ...cur, versions: (cur.versions ?? []).filter((v) => v.version !== version) };
        s.put(next, metaKey(id));
        s.delete(target.bankKey);
        s.delete(indexKey(target.bankKey));
        return summary(next);
      }),
    );
  }

  /** Makes an older version current again (the one it replaces stays a version). Only the meta changes. */
  revertTo(id: string, version: number): Promise<ModelSummary> {
    // Announced as 'updated': the stored model (its bank and calibration) is not what other tabs hold any more.
    return this.announced('updated', this.exclusive(id, () =>
      this.tx('readwrite', async (s) => {
        const cur = await liveMeta(s, id);
        if (cur.bankVersion === version) return summary(cur);
        const target = (cur.versions ?? []).find((v) => v.version === version);
        if (!target) throw new LibraryError('not-found', `"${cur.name}" has no version ${version} (it may have been removed in another tab).`);
        const next: StoredMeta = {
          ...cur,
          bankKey: target.bankKey,
          bankVersion: target.version,
          bankBytes: target.bankBytes,
          bankPrecision: target.bankPrecision,
          bankShape: target.bankShape,
          calibration: target.calibration,
          scoreStats: target.scoreStats,
          trainImageCount: target.trainImageCount,
          ...(target.patchCount !== undefined ? { patchCount: target.patchCount } : {}),
          versionNote: { note: target.note, at: target.at },
          versions: [...(cur.versions ?? []).filter((v) => v.version !== version), versionOf(cur)],
          updatedAt: this.now(),
        };
        s.put(next, metaKey(id));
        return summary(next);
      }),
    ));
  }

  /** Hides the model; it can be brought back with undoDelete() until this session ends. */
  async delete(id: string): Promise<void> {
    const gone = await this.exclusive(id, () =>
      this.tx('readwrite', async (s) => {
        const cur = await liveMeta(s, id);
        s.put({ ...cur, deleted: { at: this.now(), session: this.sessionId } } satisfies StoredMeta, metaKey(id));
        return cur;
      }),
    );
    this.tell({ kind: 'deleted', id, name: gone.name });
  }

  undoDelete(id: string): Promise<ModelSummary> {
    return this.announced('restored', this.exclusive(id, () =>
      this.tx('readwrite', async (s) => {
        const cur = upgradeMeta(await req(s.get(metaKey(id))));
        if (!cur?.deleted)
          throw new LibraryError(
            'not-found',
            'There is no deleted model to restore (it may have been purged when a previous session ended).',
          );
        const { deleted: _deleted, ...restored } = cur;
        s.put(restored, metaKey(id));
        return summary(restored);
      }),
    ));
  }

  /** Models deleted in this session, most recent first: what an undo list shows. */
  async deleted(): Promise<ModelSummary[]> {
    const metas = await this.tx('readonly', (s) => req(s.getAll(prefixRange(META))));
    return metas
      .map(upgradeMeta)
      .filter((m): m is StoredMeta => m?.deleted?.session === this.sessionId)
      .sort((a, b) => b.deleted!.at - a.deleted!.at)
      .map(summary);
  }

  /** Frees the space of models deleted in this session now, instead of at the next startup. No undo after this. */
  purgeDeleted(): Promise<void> {
    return this.tx('readwrite', async (s) => {
      for (const m of (await req(s.getAll(prefixRange(META)))).map(upgradeMeta)) {
        if (m?.deleted?.session === this.sessionId) {
          s.delete(metaKey(m.id));
          for (const k of [m.bankKey, ...(m.versions ?? []).map((v) => v.bankKey)]) {
            s.delete(k);
            s.delete(indexKey(k));
          }
        }
      }
    });
  }

  /**
   * The model as one .patchcore file (see exportFormat.ts); the bank is written exactly as stored, with its index
   * in the header when one is stored for it and names it (models saved before indexes were stored have none: the
   * app or the command line builds it when the file is opened).
   */
  async exportModel(id: string, version?: number): Promise<Blob> {
    const { meta, bank, index } = await this.readStored(id, version);
    const fits = index && indexNamesBank(decodeBank(bank), index) ? index : null;
    return new Blob([await encodeModelFile(publicMeta(meta), bank, Date.now(), fits)], { type: 'application/octet-stream' });
  }

  /**
   * One version of a model (the current one without `version`), bank decoded, for scoring or comparing, with the
   * index stored for that bank (null when none is).
   */
  async openVersion(id: string, version?: number): Promise<InspectionModel> {
    const { meta, bank, index } = await this.readStored(id, version);
    return { ...publicMeta(meta), bank: decodeBank(bank), index, bankVersion: meta.bankVersion };
  }

  /**
   * Stores a nearest-neighbour index built for a version's bank after it was saved (an older model opened, or a
   * stored index that no longer fit). Only the index is written. Returns false, writing nothing, when the version is
   * gone (deleted meanwhile, here or in another tab) or the index's shape is not the bank's; the checksum is checked
   * against the bank by whoever uses it, as for every stored index.
   */
  saveIndex(id: string, version: number, index: StoredBankIndex): Promise<boolean> {
    return this.exclusive(id, () =>
      this.tx('readwrite', async (s) => {
        const m = upgradeMeta(await req(s.get(metaKey(id))));
        if (!m || m.deleted) return false;
        const v = m.bankVersion === version ? versionOf(m) : (m.versions ?? []).find((x) => x.version === version);
        if (!v || v.bankShape.rows !== index.rows || v.bankShape.cols !== index.cols) return false;
        if ((await req(s.count(v.bankKey))) === 0) return false;
        s.put(index, indexKey(v.bankKey));
        return true;
      }),
    );
  }

  /**
   * Adds the model in a .patchcore file as a new entry (new id). The whole file is checked first; a bad file
   * throws a LibraryError naming the problem and the library is not touched.
   */
  async importModel(
    file: Blob | ArrayBuffer | Uint8Array,
    knownBackbones: readonly string[],
    opts: { asVersion?: boolean; note?: string } = {},
  ): Promise<ModelSummary & { asVersionOf?: string }> {
    const bytes =
      file instanceof Uint8Array ? file : new Uint8Array(file instanceof Blob ? await file.arrayBuffer() : file);
    // The file's index is kept when its checksum names the bank (writeModel checks); else it is built on open.
    const { meta, bank, index } = await decodeModelFile(bytes, { knownBackbones });
    // With asVersion, a file exported from a model still here becomes its new version; otherwise a separate entry.
    // (The app asks the person, and asks for a version when they agree; see state/model.ts importModel.)
    const existing = opts.asVersion ? await this.sameModel(meta) : null;
    if (existing) {
      const { calibration, scoreStats, thumbnails, trainImageCount, patchCount, description } = meta;
      const patch: ModelPatch = { calibration, scoreStats, thumbnails, trainImageCount, description, ...(patchCount !== undefined ? { patchCount } : {}) };
      const s = await this.addVersion(existing.id, bank, patch, opts.note ?? 'imported from a .patchcore file', index);
      return { ...s, asVersionOf: existing.name };
    }
    const imported: ModelMeta = { ...meta, id: crypto.randomUUID() };
    return this.announced('imported', this.exclusive(imported.id, () => this.writeModel(imported, bank, 'import', undefined, index)));
  }

  /** The live model a file's meta was exported from, when it can take the file's bank as a version. */
  async sameModel(meta: ModelMeta): Promise<ModelSummary | null> {
    const m = (await this.list()).find((x) => x.id === meta.id);
    if (!m) return null;
    const fits =
      m.backbone.id === meta.backbone.id &&
      m.bankShape.cols === meta.bankShape.cols &&
      m.config.workingSize === meta.config.workingSize &&
      m.config.framing === meta.config.framing;
    return fits ? m : null;
  }

  /** The meta of a .patchcore file, checked as import checks it, without storing anything. */
  async peekImport(file: Blob, knownBackbones: readonly string[]): Promise<{ meta: ModelMeta; existing: ModelSummary | null }> {
    const { meta } = await decodeModelFile(new Uint8Array(await file.arrayBuffer()), { knownBackbones });
    return { meta, existing: await this.sameModel(meta) };
  }

  /** Startup: migrate schema-1 metas, purge tombstones of ended sessions, delete banks a crash left behind. */
  async recover(): Promise<void> {
    const live = new Set(await (this.options.liveSessions ?? lockedSessions)());
    live.add(this.sessionId);
    await this.tx('readwrite', async (s) => {
      const [metaKeys, metas, bankKeys, pendingKeys, pendings, indexKeys] = await Promise.all([
        req(s.getAllKeys(prefixRange(META))),
        req(s.getAll(prefixRange(META))),
        req(s.getAllKeys(prefixRange(BANK))),
        req(s.getAllKeys(prefixRange(PENDING))),
        req(s.getAll(prefixRange(PENDING))) as Promise<PendingMarker[]>,
        req(s.getAllKeys(prefixRange(INDEX))),
      ]);
      const keep = new Set<string>();
      const keepPrefixes: string[] = [];
      metas.forEach((raw, i) => {
        const key = metaKeys[i] as string;
        const m = upgradeMeta(raw);
        if (!m) {
          // Written by a newer version of the app: leave it and anything that may be its bank alone.
          keepPrefixes.push(BANK + key.slice(META.length));
          return;
        }
        if (m.deleted && !live.has(m.deleted.session)) {
          s.delete(key);
          s.delete(m.bankKey);
          for (const v of m.versions ?? []) s.delete(v.bankKey);
          return; // their indexes go below, with every index whose bank is gone
        }
        if ((raw as { schemaVersion?: number }).schemaVersion !== SCHEMA_VERSION) s.put(m, key);
        keep.add(m.bankKey);
        for (const v of m.versions ?? []) keep.add(v.bankKey);
      });
      pendings.forEach((p, i) => {
        const key = pendingKeys[i] as string;
        if (live.has(p.session)) keep.add(key.slice(PENDING.length));
        else s.delete(key);
      });
      const kept = new Set<string>();
      for (const k of bankKeys as string[]) {
        if (keep.has(k) || keepPrefixes.some((p) => k === p || k.startsWith(p + ':'))) kept.add(k);
        else s.delete(k);
      }
      // An index whose bank is gone (deleted above, or by an app that predates indexes) is only space.
      for (const k of indexKeys as string[]) if (!kept.has(k.slice(INDEX.length))) s.delete(k);
    });
  }

  private async readStored(id: string, version?: number): Promise<{ meta: StoredMeta; bank: StoredBank; index: StoredBankIndex | null }> {
    const { meta, raw, rawIndex } = await this.tx('readonly', async (s) => {
      const cur = await liveMeta(s, id);
      const v = version === undefined || version === cur.bankVersion ? null : (cur.versions ?? []).find((x) => x.version === version);
      if (v === undefined) throw new LibraryError('not-found', `"${cur.name}" has no version ${version}.`);
      const meta: StoredMeta = v
        ? {
            ...cur,
            bankKey: v.bankKey,
            bankVersion: v.version,
            bankBytes: v.bankBytes,
            bankPrecision: v.bankPrecision,
            bankShape: v.bankShape,
            calibration: v.calibration,
            scoreStats: v.scoreStats,
            trainImageCount: v.trainImageCount,
            patchCount: v.patchCount,
          }
        : cur;
      const [raw, rawIndex] = await Promise.all([req(s.get(meta.bankKey)), req(s.get(indexKey(meta.bankKey)))]);
      return { meta, raw, rawIndex };
    });
    return { meta, bank: readBank(raw, meta), index: readIndex(rawIndex) };
  }

  /**
   * The two-transaction write described at the top of this file. `replacing` (extend): the meta whose bank is
   * replaced, and the caller's changes; other changes made meanwhile (a rename in another tab) are kept. `index`:
   * the bank's nearest-neighbour index, written with the bank when its checksum names the bank as it will be read
   * back (an fp16 bank decoded), else dropped (the engine builds one on open).
   */
  private async writeModel(
    meta: ModelMeta,
    bank: StoredBank,
    verb: string,
    replacing?: { prev: StoredMeta; patch: ModelPatch; keep?: string },
    index?: StoredBankIndex | null,
  ): Promise<ModelSummary> {
    const prev = replacing?.prev;
    const data = ownedCopy(bank.data);
    const stored: StoredBank = { ...bank, data };
    const ownIndex = index && validIndex(index) && indexNamesBank(decodeBank(stored), index) ? ownedIndex(index) : null;
    const bytesNeeded = data.byteLength + approxMetaBytes(meta);
    const firstVersion = (prev?.bankVersion ?? 0) + 1;
    await this.stage('writing-bank', meta.id, `${BANK}${meta.id}:${firstVersion}`);
    let bankVersion = firstVersion;
    try {
      await this.tx('readwrite', async (s) => {
        // Never overwrite: another tab may be mid-extend of the same model with this version number.
        while ((await req(s.count(`${BANK}${meta.id}:${bankVersion}`))) > 0) bankVersion++;
        const bankKey = `${BANK}${meta.id}:${bankVersion}`;
        s.put({ session: this.sessionId, startedAt: this.now() } satisfies PendingMarker, PENDING + bankKey);
        s.put(stored, bankKey);
        if (ownIndex) s.put(ownIndex, indexKey(bankKey));
        else s.delete(indexKey(bankKey));
      });
    } catch (e) {
      throw await this.explain(e, verb, meta.name, bytesNeeded);
    }
    const bankKey = `${BANK}${meta.id}:${bankVersion}`;
    await this.stage('bank-written', meta.id, bankKey);
    let record: StoredMeta = { ...meta, bankKey, bankVersion, bankBytes: data.byteLength };
    try {
      await this.tx('readwrite', async (s) => {
        if (replacing) {
          const { prev, patch } = replacing;
          const cur = upgradeMeta(await req(s.get(metaKey(meta.id))));
          if (!cur || cur.deleted)
            throw new LibraryError('not-found', `"${prev.name}" was deleted while its new version was being saved.`);
          if (cur.bankKey !== prev.bankKey) {
            throw new LibraryError(
              'conflict',
              `"${prev.name}" was changed in another tab while its new version was being saved; nothing was changed here.`,
            );
          }
          record = {
            ...cur,
            ...pickPatch(patch),
            bankShape: meta.bankShape,
            bankPrecision: meta.bankPrecision,
            updatedAt: meta.updatedAt,
            bankKey,
            bankVersion,
            bankBytes: data.byteLength,
            ...(replacing.keep !== undefined
              ? { versions: [...(cur.versions ?? []), versionOf(cur)], versionNote: { note: replacing.keep, at: meta.updatedAt } }
              : {}),
          };
        }
        s.put(record, metaKey(meta.id));
        s.delete(PENDING + bankKey);
        if (prev && replacing?.keep === undefined) {
          s.delete(prev.bankKey);
          s.delete(indexKey(prev.bankKey));
        }
      });
    } catch (e) {
      // The meta did not change, so the new bank is unreachable: drop it now rather than at the next startup.
      await this.tx('readwrite', (s) => {
        s.delete(bankKey);
        s.delete(indexKey(bankKey));
        s.delete(PENDING + bankKey);
      }).catch(() => undefined);
      throw await this.explain(e, verb, meta.name, bytesNeeded);
    }
    await this.stage('meta-written', meta.id, bankKey);
    return summary(record);
  }

  /** Announces `kind` for the model `write` stored, once it has (tx() resolves after the commit). */
  private async announced(kind: LibraryChange['kind'], write: Promise<ModelSummary>): Promise<ModelSummary> {
    const m = await write;
    this.tell({ kind, id: m.id, name: m.name, version: m.bankVersion });
    return m;
  }

  private tell(change: LibraryChange): void {
    try {
      (this.options.announce ?? announceToTabs)(change);
    } catch (e) {
      // The change is stored; the other tabs see it at their next refresh.
      console.warn('Could not tell the other tabs about a library change.', e);
    }
  }

  private async stage(stage: WriteStage, id: string, bankKey: string): Promise<void> {
    await this.options.onStage?.(stage, { id, bankKey });
  }

  /** Turns a failed write into a LibraryError the inspector can act on (quota: how much is needed and free). */
  private async explain(e: unknown, verb: string, name: string, bytesNeeded: number): Promise<unknown> {
    if (!isQuotaError(e)) return e;
    let free: number | null = null;
    try {
      const est = await (this.options.estimate ?? browserEstimate)();
      if (est.quota !== undefined && est.usage !== undefined) free = Math.max(0, est.quota - est.usage);
    } catch {
      // No estimate: say what is needed without the free space.
    }
    let held = 0;
    try {
      held = (await this.deleted()).reduce((sum, m) => sum + m.bankBytes, 0);
    } catch {
      // Listing the trash is only for the hint below.
    }
    const needs = `it needs ${formatBytes(bytesNeeded)}`;
    const space =
      free === null
        ? `${needs}, more than the browser has left`
        : free < bytesNeeded
          ? `${needs}, ${formatBytes(free)} is free`
          : `${needs} and the browser refused it, although it reports ${formatBytes(free)} free (the disk itself may be full)`;
    const trash =
      held > 0
        ? ` Models deleted in this session still hold ${formatBytes(held)} until you empty the trash or reload.`
        : '';
    return new LibraryError(
      'quota',
      `Not enough browser storage to ${verb} "${name}": ${space}. Delete or export older models.${trash}`,
      {
        cause: e,
      },
    );
  }

  /** One transaction; resolves once it has committed, and rolls it back if `body` throws. */
  private tx<T>(mode: IDBTransactionMode, body: (s: IDBObjectStore) => Promise<T> | T): Promise<T> {
    return inTransaction(this.store, mode, body);
  }

  /** Runs writes to one model one after another, so a rename cannot overwrite an extend's switch, and so on. */
  private exclusive<T>(id: string, fn: () => Promise<T>): Promise<T> {
    const next = (this.queues.get(id) ?? Promise.resolve()).catch(() => undefined).then(fn);
    this.queues.set(id, next);
    void next
      .finally(() => {
        if (this.queues.get(id) === next) this.queues.delete(id);
      })
      .catch(() => undefined);
    return next;
  }
}

/** Free space and whether the browser agreed to keep the library under storage pressure. */
export async function storageEstimate(): Promise<StorageReport> {
  const storage = globalThis.navigator?.storage;
  let usage: number | null = null;
  let quota: number | null = null;
  try {
    const est = await browserEstimate();
    usage = est.usage ?? null;
    quota = est.quota ?? null;
  } catch {
    // Unsupported: report unknowns.
  }
  const persisted = (await storage?.persisted?.().catch(() => false)) ?? false;
  return { usage, quota, free: usage !== null && quota !== null ? Math.max(0, quota - usage) : null, persisted };
}

/** Asks for persistent storage so the browser does not evict weeks-old models; true when granted. */
export async function requestPersistence(): Promise<boolean> {
  const storage = globalThis.navigator?.storage;
  if (!storage?.persist) return false;
  try {
    return (await storage.persisted()) || (await storage.persist());
  } catch {
    return false;
  }
}

async function browserEstimate(): Promise<{ usage?: number; quota?: number }> {
  const storage = globalThis.navigator?.storage;
  if (!storage?.estimate) return {};
  return storage.estimate();
}

/** Holds a Web Lock named after the session for the page's lifetime: other tabs see the session as alive. */
async function holdSessionLock(sessionId: string): Promise<void> {
  const locks = globalThis.navigator?.locks;
  if (!locks) return;
  await new Promise<void>((acquired) => {
    void locks.request(LOCK_PREFIX + sessionId, () => {
      acquired();
      return new Promise<never>(() => undefined);
    });
  });
}

async function lockedSessions(): Promise<string[]> {
  const locks = globalThis.navigator?.locks;
  if (!locks) return [];
  const { held = [] } = await locks.query();
  return held
    .map((l) => l.name ?? '')
    .filter((n) => n.startsWith(LOCK_PREFIX))
    .map((n) => n.slice(LOCK_PREFIX.length));
}

/** The stored meta in the current schema, or null when it is from a newer app (left untouched) or unreadable. */
function upgradeMeta(raw: unknown): StoredMeta | null {
  const m = upgradeStoredMeta<Omit<StoredMeta, keyof ModelMeta>>(raw);
  if (m && (raw as { schemaVersion?: unknown }).schemaVersion === 1) {
    // Schema 1 kept the bank as a bare Float32Array under `bank:<id>`.
    const v1 = raw as ModelMetaV1;
    return { ...m, bankKey: BANK + v1.id, bankVersion: 1, bankBytes: v1.bankRows * v1.bankCols * 4 };
  }
  return m;
}

async function liveMeta(s: IDBObjectStore, id: string): Promise<StoredMeta> {
  const m = upgradeMeta(await req(s.get(metaKey(id))));
  if (!m || m.deleted)
    throw new LibraryError('not-found', `No model with id ${id} in the library (it may have been deleted).`);
  return m;
}

/** The bank record checked against its meta (schema 1 stored a bare Float32Array). */
function readBank(raw: unknown, meta: StoredMeta): StoredBank {
  const { rows, cols } = meta.bankShape;
  const bank: StoredBank | undefined =
    raw instanceof Float32Array ? { precision: 'fp32', rows, cols, data: raw } : (raw as StoredBank | undefined);
  const expected = storedBankBytes(rows, cols, meta.bankPrecision);
  if (
    !bank?.data ||
    bank.precision !== meta.bankPrecision ||
    bank.rows !== rows ||
    bank.cols !== cols ||
    bank.data.byteLength !== expected
  ) {
    throw new LibraryError(
      'corrupt',
      `The memory bank of "${meta.name}" is missing or damaged in browser storage. Import it again from an exported .patchcore file.`,
    );
  }
  return bank;
}

/** A stored index record, or null when there is none or it is not one (then the engine builds the index). */
function readIndex(raw: unknown): StoredBankIndex | null {
  return raw && typeof raw === 'object' && validIndex(raw as StoredBankIndex) ? (raw as StoredBankIndex) : null;
}

/** The shape of a StoredBankIndex (its contents are checked against the bank by BankIndex.restore). */
function validIndex(i: StoredBankIndex): boolean {
  return (
    [i.version, i.rows, i.cols, i.checksum].every((v) => Number.isInteger(v)) &&
    i.axes instanceof Float32Array &&
    i.cluster instanceof Uint32Array
  );
}

/** The index with arrays that own exactly their bytes (see ownedCopy). */
function ownedIndex(i: StoredBankIndex): StoredBankIndex {
  return { version: i.version, rows: i.rows, cols: i.cols, checksum: i.checksum, axes: ownedCopy(i.axes), cluster: ownedCopy(i.cluster) };
}

function publicMeta(m: StoredMeta): ModelMeta {
  const { bankKey: _k, bankVersion: _v, bankBytes: _b, deleted: _d, versions: _vs, versionNote: _n, ...meta } = m;
  return meta;
}

function summary(m: StoredMeta): ModelSummary {
  return { ...publicMeta(m), bankVersion: m.bankVersion, bankBytes: m.bankBytes, olderVersions: m.versions?.length ?? 0 };
}

/** The meta's current version as a stored version entry (its figures and bank key). */
function versionOf(m: StoredMeta): StoredVersion {
  return {
    version: m.bankVersion,
    at: m.versionNote?.at ?? m.createdAt,
    note: m.versionNote?.note ?? (m.bankVersion === 1 ? 'built' : 'good images added'),
    bankKey: m.bankKey,
    bankBytes: m.bankBytes,
    bankPrecision: m.bankPrecision,
    bankShape: m.bankShape,
    calibration: m.calibration,
    scoreStats: m.scoreStats,
    trainImageCount: m.trainImageCount,
    ...(m.patchCount !== undefined ? { patchCount: m.patchCount } : {}),
  };
}

/** A fresh ModelMeta (storage/model.ts), refused in words when a field is wrong. */
function newMeta(src: MetaSource, id: string, now: number, precision: BankPrecision, bank: { rows: number; cols: number }): ModelMeta {
  const meta = newModelMeta(src, id, now, precision, bank);
  const problem = describeInvalidMeta(meta);
  if (problem) throw new LibraryError('invalid-model', `Cannot save "${src.name}": ${problem}.`);
  return meta;
}

function pickPatch(p: ModelPatch): ModelPatch {
  const out: ModelPatch = {};
  if (p.name !== undefined) out.name = p.name;
  if (p.description !== undefined) out.description = p.description;
  if (p.calibration !== undefined) out.calibration = p.calibration;
  if (p.scoreStats !== undefined) out.scoreStats = p.scoreStats;
  if (p.thumbnails !== undefined) out.thumbnails = p.thumbnails;
  if (p.trainImageCount !== undefined) out.trainImageCount = p.trainImageCount;
  if (p.patchCount !== undefined) out.patchCount = p.patchCount;
  return out;
}

function checkBank(bank: MemoryBank, name: string): void {
  const ok = Number.isInteger(bank.rows) && Number.isInteger(bank.cols) && bank.rows > 0 && bank.cols > 0;
  if (!ok || bank.data.length !== bank.rows * bank.cols) {
    throw new LibraryError(
      'invalid-model',
      `Cannot save "${name}": its memory bank holds ${bank.data.length} values, not ${bank.rows} x ${bank.cols}.`,
    );
  }
}

/**
 * IndexedDB clones a typed array's whole buffer, and cannot store a SharedArrayBuffer: give it an array that
 * owns exactly its own bytes.
 */
function ownedCopy<T extends Float32Array | Uint16Array | Uint32Array>(a: T): T {
  const owned = a.buffer instanceof ArrayBuffer && a.byteOffset === 0 && a.byteLength === a.buffer.byteLength;
  return owned ? a : (a.slice() as T);
}

function approxMetaBytes(meta: ModelMeta): number {
  return 4096 + meta.scoreStats.scores.length * 8 + meta.thumbnails.reduce((n, t) => n + t.bytes.byteLength, 0);
}
