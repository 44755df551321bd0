// The model built but not yet saved, kept so a reload offers it back instead of losing it. One key in the records
// database (records.ts), so it never touches the model library; replaced by each new build, removed once saved.
import { get, del, set, type UseStore } from 'idb-keyval';
import { defaultRecordStore } from './records';

const DRAFT = 'draft:model';

export async function saveDraft<T>(draft: T, store: UseStore = defaultRecordStore()): Promise<void> {
  await set(DRAFT, { savedAt: Date.now(), draft }, store);
}

export async function readDraft<T>(store: UseStore = defaultRecordStore()): Promise<{ savedAt: number; draft: T } | null> {
  return ((await get(DRAFT, store)) as { savedAt: number; draft: T } | undefined) ?? null;
}

export async function dropDraft(store: UseStore = defaultRecordStore()): Promise<void> {
  await del(DRAFT, store);
}
