// Inspecting test images with the current model: the queue of dropped images, their scores and anomaly maps,
// which one is selected, table sorting and filtering, and the view options of the heatmap.
import { create } from 'zustand';
import { isFail } from '../patchcore/calibration';
import type { ScoreResult } from '../worker/protocol';
import type { PickedFiles } from './files';
import { engineRequest } from './engine';
import { ensureModelLoaded, useModel } from './model';
import { useBuild } from './build';
import { uniqueNames } from './names';
import { newBatchId, useHistory } from './history';
import { whileScoring } from './engineLock';

/** Resolves once no build is running, so scoring never swaps the engine's backbone under a build. */
function whenBuildIdle(): Promise<void> {
  if (useBuild.getState().phase !== 'running') return Promise.resolve();
  return new Promise((resolve) => {
    const off = useBuild.subscribe((s) => {
      if (s.phase !== 'running') {
        off();
        resolve();
      }
    });
  });
}

export type ItemStatus = 'queued' | 'scoring' | 'done' | 'error';

export interface InspectItem {
  id: number;
  file: File;
  /** Unique among the items: the path inside the dropped folder ("crack/000.png"), or the file name ("000 (2).png"). */
  name: string;
  status: ItemStatus;
  result: ScoreResult | null;
  /** Key of the model that produced `result`. */
  modelKey: number | null;
  error: string | null;
  /** Ground truth when known (demo set, or a folder layout like good/, crack/, ...): 'good' or the defect kind. */
  label: string | null;
  /** The drop or folder it came in with: one batch of records and one report. */
  batch: string;
  /** Its latest record in History (null until stored, or when storing failed). */
  recordId: string | null;
}

export type SortKey = 'score-desc' | 'score-asc' | 'name' | 'added';
export type ViewMode = 'overlay' | 'side-by-side';

interface InspectState {
  items: InspectItem[];
  selectedId: number | null;
  sort: SortKey;
  onlyFails: boolean;
  view: { mode: ViewMode; opacity: number; contour: boolean; zoom: number };
  running: boolean;
  ignored: { name: string; reason: string }[];

  add(picked: PickedFiles, labels?: (string | null)[]): void;
  retryFailed(): void;
  remove(id: number): void;
  clear(): void;
  select(id: number | null): void;
  moveSelection(delta: number): void;
  setSort(s: SortKey): void;
  toggleOnlyFails(): void;
  setView(v: Partial<InspectState['view']>): void;
  zoomBy(factor: number): void;
  /** Scores everything not yet scored with the current model. */
  run(): Promise<void>;
}

let nextId = 1;

/** The rows of the results table in display order, honouring sort and the fails-only filter. */
export function visibleItems(items: InspectItem[], sort: SortKey, onlyFails: boolean, threshold: number | null): InspectItem[] {
  let rows = items;
  if (onlyFails && threshold !== null) rows = rows.filter((i) => i.result && isFail(i.result.score, threshold));
  const score = (i: InspectItem) => i.result?.score ?? -Infinity;
  const sorted = rows.slice();
  if (sort === 'score-desc') sorted.sort((a, b) => score(b) - score(a) || a.id - b.id);
  else if (sort === 'score-asc') sorted.sort((a, b) => score(a) - score(b) || a.id - b.id);
  else if (sort === 'name') sorted.sort((a, b) => a.name.localeCompare(b.name, undefined, { numeric: true }));
  return sorted;
}

export const useInspect = create<InspectState>()((set, get) => ({
  items: [],
  selectedId: null,
  sort: 'added',
  onlyFails: false,
  view: { mode: 'overlay', opacity: 0.7, contour: true, zoom: 1 },
  running: false,
  ignored: [],

  add(picked, labels) {
    const folderLabels = labels ?? labelsFromFolders(picked.images.map((i) => i.path));
    // The collectors take a single top folder off the paths; with it back, a folder dropped after another that has
    // the same file names can keep its folder name instead of a number.
    const paths = picked.images.map((i) => (picked.folderName ? `${picked.folderName}/${i.path}` : i.path));
    const names = uniqueNames(paths, get().items.map((i) => i.name));
    const batch = newBatchId();
    const items: InspectItem[] = picked.images.map(({ file }, k) => ({
      id: nextId++, file, name: names[k], status: 'queued', result: null, modelKey: null, error: null, label: folderLabels[k] ?? null,
      batch, recordId: null,
    }));
    set({
      items: [...get().items, ...items],
      ignored: [...get().ignored, ...picked.ignored],
      selectedId: get().selectedId ?? items[0]?.id ?? null,
    });
    void get().run();
  },

  retryFailed() {
    set({ items: get().items.map((i) => (i.status === 'error' ? { ...i, status: 'queued', modelKey: null, error: null } : i)) });
    void get().run();
  },

  remove(id) {
    const items = get().items.filter((i) => i.id !== id);
    set({ items, selectedId: get().selectedId === id ? (items[0]?.id ?? null) : get().selectedId });
  },

  clear() {
    set({ items: [], selectedId: null, ignored: [] });
  },

  select(id) {
    set({ selectedId: id });
  },

  moveSelection(delta) {
    const s = get();
    const t = useModel.getState().current?.threshold ?? null;
    const rows = visibleItems(s.items, s.sort, s.onlyFails, t);
    if (!rows.length) return;
    const idx = rows.findIndex((r) => r.id === s.selectedId);
    const next = idx < 0 ? 0 : Math.min(rows.length - 1, Math.max(0, idx + delta));
    set({ selectedId: rows[next].id });
  },

  setSort(sort) {
    set({ sort });
  },
  toggleOnlyFails() {
    set({ onlyFails: !get().onlyFails });
  },
  setView(v) {
    set({ view: { ...get().view, ...v } });
  },
  zoomBy(factor) {
    const z = Math.min(8, Math.max(0.25, get().view.zoom * factor));
    set({ view: { ...get().view, zoom: Math.round(z * 100) / 100 } });
  },

  async run() {
    if (get().running) return;
    set({ running: true });
    try {
      for (;;) {
        await whenBuildIdle();
        const model = useModel.getState().current;
        if (!model) return;
        const next = get().items.find((i) => i.modelKey !== model.key && (i.status === 'queued' || i.status === 'done' || i.status === 'error'));
        if (!next) return;
        patch(next.id, { status: 'scoring', error: null });
        try {
          const r = await whileScoring(async () => {
            await ensureModelLoaded();
            return compact(await engineRequest('score', { image: { name: next.name, blob: next.file } }).promise);
          });
          patch(next.id, { status: 'done', result: r, modelKey: model.key, recordId: null });
          // Every scored image leaves a record (its own transaction, written in the background, in order).
          void useHistory
            .getState()
            .record({ name: next.name, source: 'file', batch: next.batch, file: next.file, result: r, model, label: next.label })
            .then((recordId) => recordId && patch(next.id, { recordId }));
        } catch (e) {
          const msg = (e as Error).message ?? String(e);
          patch(next.id, { status: 'error', error: msg, result: null, modelKey: model.key });
          // A failed engine fails every image the same way: stop instead of repeating the message N times.
          if (!/image|decode|empty|corrupt|truncated/i.test(msg)) {
            for (const i of get().items) if (i.status === 'queued') patch(i.id, { status: 'error', error: msg, modelKey: model.key });
            return;
          }
        }
      }
    } finally {
      set({ running: false });
    }
  },
}));

/**
 * Halves the anomaly map (2x2 mean) once it is 128 px or more: the map is Gaussian-smoothed, so the overlay looks
 * the same after stretching, and a thousand inspected images keep ~50 MB of maps instead of ~200 MB.
 */
export function compact(r: ScoreResult): ScoreResult {
  const m = r.map;
  if (m.width < 128 || m.height < 128) return r;
  const w = m.width >> 1, h = m.height >> 1;
  const data = new Float32Array(w * h);
  for (let y = 0; y < h; y++) {
    const a = 2 * y * m.width, b = a + m.width;
    for (let x = 0; x < w; x++) data[y * w + x] = (m.data[a + 2 * x] + m.data[a + 2 * x + 1] + m.data[b + 2 * x] + m.data[b + 2 * x + 1]) / 4;
  }
  return { ...r, map: { data, width: w, height: h } };
}

/**
 * Labels from an MVTec-style layout: when some images sit in a folder named good/ok/normal, each image's folder
 * name is its label ('good' or the defect kind). Otherwise no labels.
 */
export function labelsFromFolders(paths: string[]): (string | null)[] {
  const GOOD = /^(good|ok|normal|pass)$/i;
  const parent = (p: string) => {
    const parts = p.split('/');
    return parts.length > 1 ? parts[parts.length - 2] : null;
  };
  const parents = paths.map(parent);
  if (!parents.some((d) => d && GOOD.test(d)) || parents.some((d) => d === null)) return paths.map(() => null);
  return parents.map((d) => (d && GOOD.test(d) ? 'good' : d));
}

function patch(id: number, p: Partial<InspectItem>) {
  useInspect.setState((s) => ({ items: s.items.map((i) => (i.id === id ? { ...i, ...p } : i)) }));
}

// A new memory bank (built or opened) rescores everything already dropped.
useModel.subscribe((s, prev) => {
  if (s.current && s.current.key !== prev.current?.key && useInspect.getState().items.length) void useInspect.getState().run();
});
