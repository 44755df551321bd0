// The model the inspector is working with (built here or opened from the library), its calibrated threshold,
// and the library list. Changing the threshold never touches the memory bank; a new bank gets a new `key`, so
// the engine store knows when the worker must be sent it. Other tabs' changes to the library are followed here too
// (syncWithOtherTabs): the list is read again, and a current model deleted or changed elsewhere is never
// overwritten or re-linked silently.
import { create } from 'zustand';
import type { EngineConfig } from '../patchcore/config';
import type { Region } from '../patchcore/region';
import { DEFAULT_FALSE_ALARM_RATE, thresholdForFalseAlarmRate } from '../patchcore/calibration';
import { f1Max } from '../patchcore/metrics';
import type { MemoryBank, Progress } from '../patchcore/types';
import type { StoredBankIndex } from '../patchcore/cpu/bankIndex';
import type { InspectionModel, ModelDraft, ModelMeta, Thumbnail } from '../storage/model';
import { backboneRef, storedScoreStats } from '../storage/model';
import { isKnownBackbone } from '../backbone/manifests';
import { zipStore } from '../lib/zip';
import { customBackboneFiles, engineRequest, ensureBackbone, markModelLoaded, useEngine } from './engine';
import { isGone, library, type LibraryChange } from './library';
import { toast } from './toasts';

export interface NamedScore {
  name: string;
  score: number;
}

export type ThresholdMode = 'false-alarm' | 'f1' | 'manual';

export interface CurrentModel {
  /** Local identity of this bank, so the worker is sent a bank only when it changed. */
  key: number;
  /** Id in the library once saved. */
  libraryId: string | null;
  name: string;
  description: string;
  config: EngineConfig;
  bank: MemoryBank;
  /** The bank's nearest-neighbour index, when the engine made one or the library stored one (see loadIntoEngine). */
  index?: StoredBankIndex | null;
  /** The library version the bank is, when it was opened from the library or saved there as a new version. */
  bankVersion?: number;
  threshold: number;
  thresholdMode: ThresholdMode;
  /** Target false-alarm rate the threshold was derived from (when mode is 'false-alarm'). */
  falseAlarmRate: number;
  /** Scores of held-out good images (names are lost for models opened from the library). */
  goodScores: NamedScore[];
  /** Scores of labelled defective images the inspector supplied, if any. */
  defectScores: NamedScore[];
  trainImageCount: number;
  /** Training patches the bank was selected from; undefined for models saved before it was kept. */
  patchCount?: number;
  thumbnails: Thumbnail[];
  createdAt: number;
  /** Unsaved changes since the last save or open. */
  dirty: boolean;
}

/**
 * The current model was deleted or changed in another tab. This tab keeps its in-memory copy, unlinked from the
 * library (saving it stores a new model), until the inspector reopens the stored one or keeps the copy.
 */
export interface ElsewhereNotice {
  kind: 'deleted' | 'changed';
  /** Library id of the model this tab was working on. */
  id: string;
  /** Its name as stored (after the change, for 'changed'). */
  name: string;
  /** What changed, for 'changed': "now 16 images, 1,234 vectors". */
  detail: string;
  /** The current model as the notice left it: a restore elsewhere re-links it only if it is still this one. */
  model: CurrentModel;
  /** Whether it had unsaved changes before the notice unlinked it. */
  wasDirty: boolean;
}

export { DEFAULT_FALSE_ALARM_RATE };
export const FALSE_ALARM_RATES = [0.001, 0.01, 0.05, 0.1] as const;

export interface ExtendState {
  running: boolean;
  progress: Progress | null;
  /** What the last add did, in a sentence; null before. */
  result: string | null;
  error: string | null;
}

interface ModelState {
  current: CurrentModel | null;
  library: ModelMeta[];
  libraryStatus: 'idle' | 'loading' | 'ready' | 'error';
  libraryError: string | null;
  busy: string | null;
  extendState: ExtendState;
  /** The current model was deleted or changed in another tab; null otherwise. */
  elsewhere: ElsewhereNotice | null;

  setModel(m: Omit<CurrentModel, 'key' | 'dirty'>, dirty?: boolean): CurrentModel;
  setThreshold(t: number): void;
  /**
   * The current model's inspection region after its build: only which patches are scored changes (its bank stays
   * as learnt); a new key, so the engine reloads it and inspected images are scored again.
   */
  setRegion(region: Region | null): void;
  setFalseAlarmRate(rate: number): void;
  useF1Threshold(): void;
  setDefectScores(scores: NamedScore[]): void;
  renameCurrent(name: string): void;
  save(name?: string): Promise<ModelMeta | null>;

  /**
   * Adds good images to the current saved model (the engine's extend, in the worker); stored as a new bank version
   * (atomic: on failure the stored model is unchanged) and made active; the previous version stays listed.
   * Calibration is kept.
   */
  extendWithGood(files: File[]): Promise<void>;

  refreshLibrary(): Promise<void>;
  /**
   * Other tabs changed these library entries: reads the list again, and tells the inspector when the current model
   * was renamed (its name follows), deleted or changed (the copy here is unlinked and kept; see ElsewhereNotice).
   * What is stored is read from IndexedDB; the changes only say which entries to look at.
   */
  syncWithOtherTabs(changes: LibraryChange[]): Promise<void>;
  /** Keeps working on this tab's copy: the notice goes, the copy stays unsaved. */
  keepCopy(): void;
  /** Opens the stored model the notice is about, replacing this tab's copy. */
  reopenStored(): Promise<void>;
  /** `discardUnsaved`: the inspector already chose to drop this tab's unsaved copy (no question asked). */
  open(id: string, options?: { discardUnsaved?: boolean }): Promise<void>;
  rename(id: string, name: string): Promise<void>;
  duplicate(id: string): Promise<void>;
  remove(id: string): Promise<void>;
  /** The model as a .patchcore file for the UI to download; null (and a toast) when it cannot be exported. */
  exportModel(id: string): Promise<{ blob: Blob; filename: string } | null>;
  /**
   * The model as one ZIP of what `npx patchcore-web export` writes: <name>.onnx, <name>.json and the Triton entry
   * triton/<name>/{config.pbtxt, 1/model.onnx}, built in the worker. Null (and a toast) when it cannot be exported.
   */
  exportOnnx(id: string): Promise<{ blob: Blob; filename: string } | null>;
  importModel(file: File): Promise<void>;
}

let nextKey = 1;

export function f1Suggestion(m: Pick<CurrentModel, 'goodScores' | 'defectScores'> | null): { threshold: number; f1: number } | null {
  if (!m || m.defectScores.length === 0 || m.goodScores.length === 0) return null;
  const good = m.goodScores.map((s) => s.score), bad = m.defectScores.map((s) => s.score);
  return f1Max([...good, ...bad], [...good.map(() => 0), ...bad.map(() => 1)]);
}

export function farThreshold(goodScores: NamedScore[], rate: number): number {
  return thresholdForFalseAlarmRate(goodScores.map((s) => s.score), rate);
}

function readable(e: unknown): string {
  return (e as Error)?.message ?? String(e);
}

let refreshes = 0;

/** Changes elsewhere after which this tab's copy is no longer what is stored (a rename only renames it). */
const CHANGES_TO_THE_MODEL = new Set<LibraryChange['kind']>(['updated', 'images-added', 'version-added']);

export const useModel = create<ModelState>()((set, get) => ({
  current: null,
  library: [],
  libraryStatus: 'idle',
  libraryError: null,
  busy: null,
  extendState: { running: false, progress: null, result: null, error: null },
  elsewhere: null,

  setModel(m, dirty = true) {
    const current: CurrentModel = { ...m, key: nextKey++, dirty };
    set({ current, elsewhere: null });
    return current;
  },

  setRegion(region) {
    const c = get().current;
    if (!c) return;
    const { key: _key, dirty: _dirty, ...rest } = c;
    void _key;
    void _dirty;
    const { region: _old, ...config } = c.config;
    void _old;
    const notice = get().elsewhere;
    get().setModel({ ...rest, config: region ? { ...config, region } : config }, true);
    // Still the copy the notice is about (its region changed, so a restore elsewhere will not re-link it).
    if (notice) set({ elsewhere: notice });
  },

  setThreshold(t) {
    const c = get().current;
    if (!c || !Number.isFinite(t) || t <= 0) return;
    set({ current: { ...c, threshold: t, thresholdMode: 'manual', dirty: true } });
  },

  setFalseAlarmRate(rate) {
    const c = get().current;
    if (!c) return;
    if (c.goodScores.length === 0) {
      set({ current: { ...c, falseAlarmRate: rate } });
      return;
    }
    set({ current: { ...c, falseAlarmRate: rate, threshold: farThreshold(c.goodScores, rate), thresholdMode: 'false-alarm', dirty: true } });
  },

  useF1Threshold() {
    const c = get().current;
    const s = f1Suggestion(c);
    if (!c || !s) return;
    set({ current: { ...c, threshold: s.threshold, thresholdMode: 'f1', dirty: true } });
  },

  setDefectScores(scores) {
    const c = get().current;
    if (!c) return;
    set({ current: { ...c, defectScores: scores } });
  },

  renameCurrent(name) {
    const c = get().current;
    if (!c) return;
    set({ current: { ...c, name, dirty: true } });
  },

  async save(name) {
    const c = get().current;
    if (!c) return null;
    const finalName = (name ?? c.name).trim() || 'Untitled model';
    set({ busy: 'Saving the model…' });
    try {
      const f1 = f1Suggestion(c);
      const calibration = {
        threshold: c.threshold,
        falseAlarmRate: c.thresholdMode === 'false-alarm' ? c.falseAlarmRate : undefined,
        f1Threshold: f1?.threshold,
      };
      let meta: ModelMeta;
      if (c.libraryId) {
        // Same bank: only the name and calibration change.
        meta = await library.update(c.libraryId, { name: finalName, calibration });
      } else {
        const draft: ModelDraft = {
          name: finalName,
          description: c.description,
          backbone: await backboneRef(c.config.backbone),
          config: c.config,
          calibration,
          scoreStats: storedScoreStats(c.goodScores.map((s) => s.score)),
          thumbnails: c.thumbnails,
          trainImageCount: c.trainImageCount,
          patchCount: c.patchCount,
          bank: c.bank,
          index: c.index,
        };
        meta = await library.save(draft);
      }
      const now = get().current;
      const bankVersion = c.libraryId ? now?.bankVersion : (meta as { bankVersion?: number }).bankVersion;
      if (now && now.key === c.key) set({ current: { ...now, name: meta.name, libraryId: meta.id, bankVersion, dirty: false }, elsewhere: null });
      toast(`Saved “${meta.name}” to the library.`, { tone: 'success' });
      await get().refreshLibrary();
      return meta;
    } catch (e) {
      const now = get().current;
      if (isGone(e) && c.libraryId && now?.key === c.key) {
        // Deleted in another window before this one heard of it: keep the copy, unlinked, so the next save adds it.
        set({ current: { ...now, libraryId: null, dirty: true } });
        void get().refreshLibrary();
        toast(`“${c.name}” was deleted in another window, so it was not saved. It is still open here: save again to store it as a new model.`, { tone: 'error' });
        return null;
      }
      toast(`The model was not saved: ${readable(e)} It is still open here, nothing was lost.`, { tone: 'error' });
      return null;
    } finally {
      set({ busy: null });
    }
  },

  async extendWithGood(files) {
    const c = get().current;
    if (get().extendState.running || !c) return;
    const setExt = (p: Partial<ExtendState>) => set({ extendState: { ...get().extendState, ...p } });
    if (!c.libraryId) {
      setExt({ error: 'Save the model to the library first; good images can then be added to it.', result: null });
      return;
    }
    if (files.length === 0) return;
    const libraryId = c.libraryId;
    setExt({ running: true, progress: { stage: 'starting', done: 0, total: 1 }, result: null, error: null });
    try {
      await ensureBackbone(c.config.backbone);
      const r = await engineRequest(
        'extend',
        {
          images: files.map((f) => ({ name: f.webkitRelativePath || f.name, blob: f })),
          bank: c.bank,
          config: c.config,
          patchCount: c.patchCount,
          imageCount: c.trainImageCount,
        },
        (p) => setExt({ progress: p }),
      ).promise;
      setExt({ progress: { stage: 'saving', done: 0, total: 1 } });
      // A new version: the bank before the added images stays in the library's version list.
      const meta = await library.addVersion(
        libraryId,
        r.bank,
        { trainImageCount: r.imageCount, patchCount: r.patchCount },
        `${r.added} good image${r.added === 1 ? '' : 's'} added`,
        r.index,
      );
      const now = get().current;
      const { key: _key, dirty, ...rest } = now && now.key === c.key ? now : c;
      void _key;
      const next = get().setModel({ ...rest, bank: r.bank, index: r.index, bankVersion: meta.bankVersion, trainImageCount: r.imageCount, patchCount: r.patchCount, libraryId: meta.id }, dirty);
      await loadIntoEngine(next);
      const skipped = r.skipped.length;
      setExt({
        result:
          `Added ${r.added} image${r.added === 1 ? '' : 's'}: bank ${c.bank.rows.toLocaleString()} → ${r.bank.rows.toLocaleString()} vectors.` +
          (skipped > 0 ? ` ${skipped} file${skipped === 1 ? ' was' : 's were'} skipped (not readable images).` : '') +
          ' The threshold keeps its saved calibration; adjust it if needed. The previous version is kept (Versions, in the library).',
      });
      toast(`Added ${r.added} good image${r.added === 1 ? '' : 's'} to “${meta.name}”.`, { tone: 'success' });
      await get().refreshLibrary();
    } catch (e) {
      setExt({ error: `No images were added: ${readable(e)} The saved model is unchanged.` });
    } finally {
      setExt({ running: false, progress: null });
    }
  },

  async refreshLibrary() {
    if (!library.available) {
      set({ libraryStatus: 'error', libraryError: library.unavailableReason });
      return;
    }
    set({ libraryStatus: get().libraryStatus === 'ready' ? 'ready' : 'loading' });
    // Reads started later (another tab's change, this tab's own) know more: an earlier one finishing last is dropped.
    const seq = ++refreshes;
    try {
      const list = await library.list();
      if (seq !== refreshes) return;
      list.sort((a, b) => b.updatedAt - a.updatedAt);
      set({ library: list, libraryStatus: 'ready', libraryError: null });
      void useEngine.getState().refreshStorage();
    } catch (e) {
      if (seq !== refreshes) return;
      set({ libraryStatus: 'error', libraryError: `The model library could not be read: ${readable(e)}` });
    }
  },

  async syncWithOtherTabs(changes) {
    await get().refreshLibrary();
    if (get().libraryStatus !== 'ready') return;
    const c = get().current;
    if (!c) return;
    const stored = (id: string) => get().library.find((m) => m.id === id);
    const notice = get().elsewhere;

    // The model deleted elsewhere is back (undone there): this tab works on it again, unless its copy changed since.
    if (notice?.kind === 'deleted' && !c.libraryId && changes.some((ch) => ch.id === notice.id)) {
      const m = stored(notice.id);
      if (!m) return;
      if (c === notice.model) {
        set({ current: { ...c, libraryId: m.id, name: m.name, dirty: notice.wasDirty }, elsewhere: null });
        toast(`“${m.name}” was restored in another window; this tab works on it again.`, { tone: 'success' });
      } else {
        set({ elsewhere: null });
        toast(`“${m.name}” was restored in another window. This tab's copy has changed since and stays unsaved.`);
      }
      return;
    }

    const id = c.libraryId;
    if (!id) return;
    const mine = changes.filter((ch) => ch.id === id);
    if (mine.length === 0) return;
    const m = stored(id);
    if (!m) {
      const copy: CurrentModel = { ...c, libraryId: null, dirty: true };
      set({ current: copy, elsewhere: { kind: 'deleted', id, name: c.name, detail: '', model: copy, wasDirty: c.dirty } });
      return;
    }
    if (mine.some((ch) => CHANGES_TO_THE_MODEL.has(ch.kind))) {
      const copy: CurrentModel = { ...c, libraryId: null, dirty: true };
      set({ current: copy, elsewhere: { kind: 'changed', id, name: m.name, detail: describeChange(c, m), model: copy, wasDirty: c.dirty } });
      return;
    }
    if (m.name !== c.name) {
      set({ current: { ...c, name: m.name } });
      toast(`“${c.name}” was renamed “${m.name}” in another window.`);
    }
  },

  keepCopy() {
    set({ elsewhere: null });
  },

  async reopenStored() {
    const notice = get().elsewhere;
    if (notice) await get().open(notice.id, { discardUnsaved: true });
  },

  async open(id, options = {}) {
    const c = get().current;
    if (c?.dirty && !c.libraryId && !options.discardUnsaved) {
      const ok = typeof window === 'undefined' || window.confirm(`“${c.name}” is not saved. Open another model anyway? The unsaved model will be lost.`);
      if (!ok) return;
    }
    set({ busy: 'Opening the model…' });
    try {
      const m: InspectionModel = await library.open(id);
      const current = get().setModel(fromStored(m), false);
      await loadIntoEngine(current);
      toast(`Opened “${m.name}”.`, { tone: 'success' });
    } catch (e) {
      toast(failure(e, id, 'Could not open the model'), { tone: 'error' });
    } finally {
      set({ busy: null });
    }
  },

  async rename(id, name) {
    const trimmed = name.trim();
    if (!trimmed) return;
    try {
      const meta = await library.rename(id, trimmed);
      const c = get().current;
      if (c?.libraryId === id) set({ current: { ...c, name: meta.name } });
      await get().refreshLibrary();
    } catch (e) {
      toast(failure(e, id, 'Could not rename the model'), { tone: 'error' });
    }
  },

  async duplicate(id) {
    try {
      const meta = await library.duplicate(id);
      toast(`Made a copy: “${meta.name}”.`, { tone: 'success' });
      await get().refreshLibrary();
    } catch (e) {
      toast(failure(e, id, 'Could not duplicate the model'), { tone: 'error' });
    }
  },

  async remove(id) {
    const meta = get().library.find((m) => m.id === id);
    try {
      const undo = await library.remove(id);
      const c = get().current;
      if (c?.libraryId === id) set({ current: { ...c, libraryId: null, dirty: true } });
      await get().refreshLibrary();
      toast(`Deleted “${meta?.name ?? 'model'}”.`, {
        action: {
          label: 'Undo',
          run: async () => {
            try {
              await undo();
              const cur = get().current;
              if (cur && cur.libraryId === null && meta && cur.name === meta.name) set({ current: { ...cur, libraryId: id, dirty: false } });
              await get().refreshLibrary();
              toast(`Restored “${meta?.name ?? 'model'}”.`, { tone: 'success' });
            } catch (e) {
              toast(`Could not undo the delete: ${readable(e)}`, { tone: 'error' });
            }
          },
        },
      });
    } catch (e) {
      toast(failure(e, id, 'Could not delete the model'), { tone: 'error' });
    }
  },

  async exportModel(id) {
    try {
      return await library.exportFile(id);
    } catch (e) {
      toast(failure(e, id, 'Could not export the model'), { tone: 'error' });
      return null;
    }
  },

  async exportOnnx(id) {
    set({ busy: 'Exporting the model as ONNX…' });
    try {
      const { bank, thumbnails: _thumbnails, ...meta } = await library.open(id);
      const custom = isKnownBackbone(meta.backbone.id) ? undefined : customBackboneFiles(meta.backbone.id);
      if (!isKnownBackbone(meta.backbone.id) && !custom) {
        throw new Error(`it needs the custom backbone "${meta.backbone.id}", which is not loaded in this session. Load its .onnx file and manifest under Build > Options first`);
      }
      const { name, files } = await engineRequest('exportOnnx', { meta: { ...meta, thumbnails: [] }, bank, ...(custom ? { custom } : {}) }).promise;
      return { blob: zipStore(files.map((f) => ({ name: f.path, bytes: f.bytes }))), filename: `${name}-onnx.zip` };
    } catch (e) {
      toast(failure(e, id, 'Could not export the model as ONNX'), { tone: 'error' });
      return null;
    } finally {
      set({ busy: null });
    }
  },

  async importModel(file) {
    set({ busy: `Importing ${file.name}…` });
    try {
      // A model exported from one still here becomes its new version, unless the person wants a separate entry.
      const target = await library.importTarget(file);
      const asVersion =
        target !== null &&
        (typeof window === 'undefined' ||
          window.confirm(`${file.name} is a version of “${target.name}”, which is in the library. OK: add it as a new version of “${target.name}” (the current one is kept). Cancel: import it as a separate model.`));
      const meta = await library.importFileAs(file, asVersion);
      toast(
        meta.asVersionOf
          ? `Imported ${file.name} as version ${meta.bankVersion} of “${meta.asVersionOf}”. Open it from the library to use it.`
          : `Imported “${meta.name}”. Open it from the library to use it.`,
        { tone: 'success' },
      );
      await get().refreshLibrary();
    } catch (e) {
      toast(`${file.name} could not be imported: ${readable(e)}`, { tone: 'error' });
    } finally {
      set({ busy: null });
    }
  },
}));

/**
 * A failed action on the library entry `id`, in a sentence. An entry that is no longer stored was listed here but
 * deleted in another window meanwhile: say so, and read the list again.
 */
function failure(e: unknown, id: string, what: string): string {
  if (!isGone(e)) return `${what}: ${readable(e)}`;
  const listed = useModel.getState().library.find((m) => m.id === id);
  void useModel.getState().refreshLibrary();
  return listed ? `“${listed.name}” was deleted in another window.` : `${what}: ${readable(e)}`;
}

/** How the stored model differs from this tab's copy, for the notice: "now 16 images, 1,234 vectors". */
function describeChange(c: CurrentModel, m: ModelMeta): string {
  const parts: string[] = [];
  if (m.trainImageCount !== c.trainImageCount) parts.push(`${m.trainImageCount} image${m.trainImageCount === 1 ? '' : 's'}`);
  if (m.bankShape.rows !== c.bank.rows) parts.push(`${m.bankShape.rows.toLocaleString('en-US')} vectors`);
  if (m.calibration.threshold !== c.threshold) parts.push(`threshold ${Number(m.calibration.threshold.toPrecision(4))}`);
  if (m.name !== c.name) parts.push(`named “${m.name}”`);
  return parts.length ? `now ${parts.join(', ')}` : 'saved again there';
}

function fromStored(m: InspectionModel): Omit<CurrentModel, 'key' | 'dirty'> {
  const far = m.calibration.falseAlarmRate;
  return {
    libraryId: m.id,
    name: m.name,
    description: m.description,
    config: m.config,
    bank: m.bank,
    index: m.index ?? null,
    bankVersion: m.bankVersion,
    threshold: m.calibration.threshold,
    thresholdMode: far !== undefined ? 'false-alarm' : 'manual',
    falseAlarmRate: far ?? DEFAULT_FALSE_ALARM_RATE,
    goodScores: m.scoreStats.scores.map((score, i) => ({ name: `held-out #${i + 1}`, score })),
    defectScores: [],
    trainImageCount: m.trainImageCount,
    patchCount: m.patchCount,
    thumbnails: m.thumbnails,
    createdAt: m.createdAt,
  };
}

/**
 * Sends the model to the worker with its stored index. An index the worker had to build (none was stored, or the
 * stored one no longer fit the bank) is kept with the model, and written back to the library for a saved version, so
 * the next open restores it instead of building it again.
 */
async function loadIntoEngine(m: CurrentModel): Promise<void> {
  await ensureBackbone(m.config.backbone);
  const r = await engineRequest('load', { bank: m.bank, config: m.config, patchCount: m.patchCount, imageCount: m.trainImageCount, index: m.index }).promise;
  markModelLoaded(m.key, { source: r.index.source, seconds: r.index.seconds });
  const built = r.index.built;
  if (!built) return;
  const now = useModel.getState().current;
  if (now?.key === m.key) useModel.setState({ current: { ...now, index: built } });
  if (m.libraryId && m.bankVersion !== undefined) {
    // Only saves work: a failure (storage full, the version deleted meanwhile) costs a rebuild at the next open.
    library.saveIndex(m.libraryId, m.bankVersion, built).catch((e) => console.warn('The rebuilt bank index could not be stored; it will be built again next time.', e));
  }
}

/** The current model, made active in the worker if it is not already. Throws a readable Error. */
export async function ensureModelLoaded(): Promise<CurrentModel> {
  const m = useModel.getState().current;
  if (!m) throw new Error('No model yet: build one from good images on the Build tab, or open one from the library.');
  const e = useEngine.getState();
  if (e.status !== 'ready' || e.info?.backbone !== m.config.backbone || e.loadedModelKey !== m.key) await loadIntoEngine(m);
  return m;
}
