// Adapter between the UI's model store and src/storage (the IndexedDB model library), so the store depends on
// one small interface; the library is opened once, on first use.
import { KNOWN_BACKBONES } from '../backbone/manifests';
import type { MemoryBank } from '../patchcore/types';
import type { StoredBankIndex } from '../patchcore/cpu/bankIndex';
import type { InspectionModel, ModelDraft, ModelMeta, ModelPatch } from '../storage/model';
import { openLibrary, storageEstimate, type ModelLibrary, type ModelSummary, type ModelVersion, type StorageReport } from '../storage/library';
import { exportFileName } from '../storage/exportFormat';
import { onChange, type LibraryChange } from '../storage/announce';
import { LibraryError } from '../storage/errors';

export type { LibraryChange };

export interface LibraryApi {
  readonly available: boolean;
  readonly unavailableReason: string | null;
  list(): Promise<ModelMeta[]>;
  save(draft: ModelDraft): Promise<ModelMeta>;
  update(id: string, patch: ModelPatch): Promise<ModelMeta>;
  open(id: string): Promise<InspectionModel>;
  /** Replaces the model's bank with a new version (atomic: on failure the stored model is unchanged). */
  extend(id: string, bank: MemoryBank, patch?: ModelPatch): Promise<ModelMeta>;
  rename(id: string, name: string): Promise<ModelMeta>;
  duplicate(id: string): Promise<ModelMeta>;
  /** Deletes (softly) and returns the function that undoes it. */
  remove(id: string): Promise<() => Promise<void>>;
  exportFile(id: string): Promise<{ blob: Blob; filename: string }>;
  importFile(file: File): Promise<ModelMeta>;
  estimate(): Promise<StorageReport>;
  /** A new version of the model, the current one kept (see storage/library.ts, "Versions"). */
  addVersion(id: string, bank: MemoryBank, patch: ModelPatch, note: string, index?: StoredBankIndex | null): Promise<ModelSummary>;
  /** Stores an index built for a saved version's bank (see storage/library.ts saveIndex); false when it was not. */
  saveIndex(id: string, version: number, index: StoredBankIndex): Promise<boolean>;
  versions(id: string): Promise<ModelVersion[]>;
  revertTo(id: string, version: number): Promise<ModelSummary>;
  deleteVersion(id: string, version: number): Promise<ModelSummary>;
  exportVersion(id: string, version: number): Promise<{ blob: Blob; filename: string }>;
  /** The library's model a .patchcore file was exported from, if any (an import would become its new version). */
  importTarget(file: File): Promise<ModelSummary | null>;
  importFileAs(file: File, asVersion: boolean): Promise<ModelSummary & { asVersionOf?: string }>;
  /** Calls `listener` for each change another tab of this app makes to the library; returns how to stop. */
  watch(listener: (change: LibraryChange) => void): () => void;
}

/** The library said the model is not there (any more): deleted, here or in another tab. */
export function isGone(e: unknown): boolean {
  return e instanceof LibraryError && e.code === 'not-found';
}

let opened: Promise<ModelLibrary> | null = null;
function lib(): Promise<ModelLibrary> {
  if (!opened) {
    if (typeof indexedDB === 'undefined') return Promise.reject(new Error('This browser offers no IndexedDB storage (a private window?), so models cannot be saved.'));
    opened = openLibrary();
    opened.catch(() => (opened = null));
  }
  return opened;
}

export const library: LibraryApi = {
  available: typeof indexedDB !== 'undefined',
  unavailableReason: typeof indexedDB !== 'undefined' ? null : 'This browser offers no IndexedDB storage (a private window?), so models cannot be saved.',
  list: async () => (await lib()).list(),
  save: async (draft) => (await lib()).save(draft),
  update: async (id, patch) => (await lib()).update(id, patch),
  open: async (id) => (await lib()).open(id),
  extend: async (id, bank, patch) => (await lib()).extend(id, bank, patch),
  rename: async (id, name) => (await lib()).rename(id, name),
  duplicate: async (id) => (await lib()).duplicate(id),
  async remove(id) {
    const l = await lib();
    await l.delete(id);
    return async () => {
      await l.undoDelete(id);
    };
  },
  async exportFile(id) {
    const l = await lib();
    const meta = (await l.list()).find((m) => m.id === id);
    return { blob: await l.exportModel(id), filename: exportFileName(meta ?? { name: 'model' }) };
  },
  importFile: async (file) => (await lib()).importModel(file, KNOWN_BACKBONES.map((b) => b.id)),
  estimate: () => storageEstimate(),
  addVersion: async (id, bank, patch, note, index) => (await lib()).addVersion(id, bank, patch, note, index),
  saveIndex: async (id, version, index) => (await lib()).saveIndex(id, version, index),
  versions: async (id) => (await lib()).versions(id),
  revertTo: async (id, version) => (await lib()).revertTo(id, version),
  deleteVersion: async (id, version) => (await lib()).deleteVersion(id, version),
  async exportVersion(id, version) {
    const l = await lib();
    const meta = (await l.list()).find((m) => m.id === id);
    const base = exportFileName(meta ?? { name: 'model' }).replace(/(\.patchcore)?$/, '');
    return { blob: await l.exportModel(id, version), filename: `${base} v${version}.patchcore` };
  },
  importTarget: async (file) => (await (await lib()).peekImport(file, KNOWN_BACKBONES.map((b) => b.id))).existing,
  importFileAs: async (file, asVersion) => (await lib()).importModel(file, KNOWN_BACKBONES.map((b) => b.id), { asVersion, note: `imported from ${file.name}` }),
  watch: (listener) => onChange(listener),
};
