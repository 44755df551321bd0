// Picking up where the inspector left off: the model last in use opens again after a reload, and a model built but
// never saved is kept (storage/draft.ts) and offered back rather than silently gone.
import { create } from 'zustand';
import { dropDraft, readDraft, saveDraft } from '../storage/draft';
import { useModel, type CurrentModel } from './model';
import { toast } from './toasts';

const LAST_MODEL = 'patchcore-web/last-model';
type Draft = Omit<CurrentModel, 'key' | 'dirty'>;

interface ResumeState {
  /** An unsaved model from an earlier visit, offered back. */
  offer: { name: string; savedAt: number; rows: number; images: number } | null;
  restore(): Promise<void>;
  discard(): Promise<void>;
}

let offered: Draft | null = null;

export const useResume = create<ResumeState>()((set) => ({
  offer: null,
  async restore() {
    if (!offered) return;
    useModel.getState().setModel(offered, true);
    offered = null;
    set({ offer: null });
    toast('The unsaved model is back. Save it to keep it in the library.', { tone: 'success' });
  },
  async discard() {
    offered = null;
    set({ offer: null });
    await dropDraft().catch(() => undefined);
  },
}));

function remember(id: string | null): void {
  try {
    if (id) localStorage.setItem(LAST_MODEL, id);
  } catch {
    // Private mode without storage: nothing to pick up next time.
  }
}

async function dropIfDraftOf(createdAt: number): Promise<void> {
  try {
    const d = await readDraft<Draft>();
    if (d?.draft.createdAt === createdAt) await dropDraft();
  } catch {
    // Left for the next visit to offer.
  }
}

let started = false;
/** Once per page: opens the last model, offers an unsaved one, and from then on keeps both up to date. */
export async function resumeSession(): Promise<void> {
  if (started || typeof indexedDB === 'undefined') return;
  started = true;
  let draft: { savedAt: number; draft: Draft } | null = null;
  try {
    draft = await readDraft<Draft>();
  } catch {
    // Unreadable: nothing offered.
  }
  const m = useModel.getState();
  if (!m.current) {
    let last: string | null = null;
    try {
      last = localStorage.getItem(LAST_MODEL);
    } catch {
      // See remember().
    }
    if (last && m.library.some((x) => x.id === last)) await m.open(last);
  }
  if (draft && !useModel.getState().current?.dirty) {
    offered = draft.draft;
    useResume.setState({ offer: { name: draft.draft.name, savedAt: draft.savedAt, rows: draft.draft.bank.rows, images: draft.draft.trainImageCount } });
  }
  useModel.subscribe((s, prev) => {
    const c = s.current;
    if (!c) return;
    if (c.libraryId && c.libraryId !== prev.current?.libraryId) {
      remember(c.libraryId);
      // Only the draft of this very build is done with (another window may have a build of its own kept).
      if (!prev.current?.libraryId && prev.current?.createdAt === c.createdAt) void dropIfDraftOf(c.createdAt);
    } else if (!c.libraryId && c.dirty && c.key !== prev.current?.key) {
      // A new unsaved bank (a build): keep it until it is saved.
      const { key: _k, dirty: _d, ...draftModel } = c;
      void saveDraft<Draft>(draftModel).catch(() => undefined);
    }
  });
  if (useModel.getState().current?.libraryId) remember(useModel.getState().current!.libraryId);
}
