// Teaching false alarms: the images a person marked "good (false alarm)" are added to their model as good images
// (the engine's extend, in the worker), the new bank is measured against the old one on good images it did not
// learn from, and only when the person agrees is it saved as a new version (the old version stays in the library).
import { create } from 'zustand';
import { isFail, thresholdForFalseAlarmRate } from '../patchcore/calibration';
import type { Progress } from '../patchcore/types';
import type { InspectionRecord } from '../storage/recordFormat';
import type { InspectionModel } from '../storage/model';
import { storedScoreStats } from '../storage/model';
import { engineRequest, ensureBackbone, markModelLoaded } from './engine';
import { borrowEngine } from './engineLock';
import { sessionFile, useHistory } from './history';
import { library } from './library';
import { useModel } from './model';
import { toast } from './toasts';

/** Good images from this session scored against both versions at most: enough for a rate, quick on 2 cores. */
const MAX_HELD_OUT = 40;

export interface TeachPlan {
  modelId: string;
  modelName: string;
  /** False alarms whose image is in memory, one per file. */
  records: InspectionRecord[];
  /** False alarms inspected before this page was loaded: their images are gone. */
  missing: InspectionRecord[];
  /** False alarms of other models (teach works on one model at a time). */
  otherModels: number;
}

export interface TeachMeasure {
  oldVersion: number | null;
  oldThreshold: number;
  newThreshold: number;
  bankRows: { before: number; after: number };
  added: number;
  /** Each taught image's score against the old and the new version. */
  taught: { file: string; before: number; after: number }[];
  /** Good images of this session not taught: how many, and the share flagged by each version at its threshold. */
  heldOut: { count: number; before: number; after: number };
}

interface TeachState {
  phase: 'idle' | 'ready' | 'running' | 'measured' | 'saving' | 'error';
  plan: TeachPlan | null;
  progress: Progress | null;
  measure: TeachMeasure | null;
  error: string | null;
  prepare(falseAlarms: InspectionRecord[]): void;
  run(): Promise<void>;
  save(): Promise<void>;
  dismiss(): void;
}

let pending: { model: InspectionModel; bank: InspectionModel['bank']; index: InspectionModel['index']; patchCount: number; imageCount: number; goods: number[] } | null = null;

export const useTeach = create<TeachState>()((set, get) => ({
  phase: 'idle',
  plan: null,
  progress: null,
  measure: null,
  error: null,

  prepare(falseAlarms) {
    pending = null;
    const saved = falseAlarms.filter((r) => r.model.id !== null);
    const byModel = new Map<string, InspectionRecord[]>();
    for (const r of saved) byModel.set(r.model.id!, [...(byModel.get(r.model.id!) ?? []), r]);
    const open = useModel.getState().current?.libraryId ?? null;
    const modelId = open && byModel.has(open) ? open : [...byModel.entries()].sort((a, b) => b[1].length - a[1].length)[0]?.[0];
    if (!modelId) {
      set({ phase: 'error', plan: null, measure: null, error: 'These false alarms come from a model that was never saved. Save the model, inspect the images again, then teach them.' });
      return;
    }
    const meta = useModel.getState().library.find((m) => m.id === modelId);
    if (!meta) {
      set({ phase: 'error', plan: null, measure: null, error: `The model of these false alarms (“${byModel.get(modelId)![0].model.name}”) is no longer in the library, so it cannot learn from them.` });
      return;
    }
    const seen = new Set<File>();
    const records: InspectionRecord[] = [];
    const missing: InspectionRecord[] = [];
    for (const r of byModel.get(modelId)!) {
      const f = sessionFile(r.id);
      if (!f) missing.push(r);
      else if (!seen.has(f)) {
        seen.add(f);
        records.push(r);
      }
    }
    set({ phase: 'ready', plan: { modelId, modelName: meta.name, records, missing, otherModels: saved.length - byModel.get(modelId)!.length + (falseAlarms.length - saved.length) }, measure: null, error: null });
  },

  async run() {
    const plan = get().plan;
    if (!plan || plan.records.length === 0 || get().phase === 'running') return;
    set({ phase: 'running', progress: { stage: 'starting', done: 0, total: 1 }, error: null });
    try {
      const model = await library.open(plan.modelId);
      const version = (useModel.getState().library.find((m) => m.id === plan.modelId) as { bankVersion?: number } | undefined)?.bankVersion ?? null;
      const files = plan.records.map((r) => ({ name: r.file, blob: sessionFile(r.id)! }));
      await ensureBackbone(model.config.backbone);
      const ext = await engineRequest(
        'extend',
        { images: files, bank: model.bank, config: model.config, patchCount: model.patchCount, imageCount: model.trainImageCount },
        (p) => set({ progress: p }),
      ).promise;

      // Good images of this session that were not taught: passed (and not marked defective) or marked good.
      const taughtFiles = new Set(files.map((f) => f.blob));
      const heldOut: { name: string; blob: File }[] = [];
      for (const r of [...useHistory.getState().records].reverse()) {
        if (heldOut.length >= MAX_HELD_OUT) break;
        const f = sessionFile(r.id);
        const good = r.review ? r.review.as === 'good' : r.verdict === 'pass';
        if (r.model.id !== plan.modelId || !f || !good || taughtFiles.has(f) || heldOut.some((h) => h.blob === f)) continue;
        heldOut.push({ name: r.file, blob: f });
      }
      const all = [...files, ...heldOut];
      set({ progress: { stage: 'scoring', done: 0, total: all.length * 2 } });
      const scoreWith = async (bank: InspectionModel['bank'], index: InspectionModel['index'], patchCount: number | undefined, imageCount: number, offset: number) => {
        const loaded = await engineRequest('load', { bank, config: model.config, patchCount, imageCount, index }).promise;
        // The worker now holds a bank no model key names: the next inspection loads the open model again.
        markModelLoaded(null);
        // The stored version had no usable index (an older model): keep the one just built with it, as opening does.
        const built = loaded.index.built;
        if (built && bank === model.bank && model.bankVersion !== undefined) {
          library.saveIndex(plan.modelId, model.bankVersion, built).catch((e) => console.warn('The rebuilt bank index could not be stored; it will be built again next time.', e));
        }
        const out: number[] = [];
        for (const [i, img] of all.entries()) {
          out.push((await engineRequest('score', { image: img }).promise).score);
          set({ progress: { stage: 'scoring', done: offset + i + 1, total: all.length * 2 } });
        }
        return out;
      };
      // Both banks take the engine in turn: Inspect and the webcam wait meanwhile, then reload the open model.
      const [before, after] = await borrowEngine(async () => [
        await scoreWith(model.bank, model.index, model.patchCount, model.trainImageCount, 0),
        await scoreWith(ext.bank, ext.index, ext.patchCount, ext.imageCount, all.length),
      ]);

      const oldThreshold = model.calibration.threshold;
      const rate = model.calibration.falseAlarmRate;
      const heldAfter = after.slice(files.length);
      // Recalibrated on the model's own held-out good scores plus the untaught good images scored by the new bank;
      // a threshold set by hand (or by F1) stays as the person set it.
      const goods = [...model.scoreStats.scores, ...heldAfter];
      const newThreshold = rate !== undefined && goods.length > 0 ? thresholdForFalseAlarmRate(goods, rate) : oldThreshold;
      const flagged = (scores: number[], t: number) => (scores.length ? scores.filter((s) => isFail(s, t)).length / scores.length : 0);
      pending = { model, bank: ext.bank, index: ext.index, patchCount: ext.patchCount, imageCount: ext.imageCount, goods };
      set({
        phase: 'measured',
        progress: null,
        measure: {
          oldVersion: version,
          oldThreshold,
          newThreshold,
          bankRows: { before: model.bank.rows, after: ext.bank.rows },
          added: ext.added,
          taught: files.map((f, i) => ({ file: f.name, before: before[i], after: after[i] })),
          heldOut: { count: heldOut.length, before: flagged(before.slice(files.length), oldThreshold), after: flagged(heldAfter, newThreshold) },
        },
      });
    } catch (e) {
      markModelLoaded(null);
      set({ phase: 'error', progress: null, error: `The false alarms were not taught: ${(e as Error).message} The model is unchanged.` });
    }
  },

  async save() {
    const plan = get().plan, m = get().measure;
    if (!plan || !m || !pending || get().phase !== 'measured') return;
    set({ phase: 'saving' });
    const { model, bank, index, patchCount, imageCount, goods } = pending;
    try {
      const n = m.taught.length;
      const note = `${n} false alarm${n === 1 ? '' : 's'} taught as good image${n === 1 ? '' : 's'} (${m.taught.map((t) => t.file).join(', ')})`;
      const saved = await library.addVersion(
        plan.modelId,
        bank,
        { calibration: { ...model.calibration, threshold: m.newThreshold }, scoreStats: storedScoreStats(goods), trainImageCount: imageCount, patchCount },
        note.length > 300 ? `${note.slice(0, 297)}…` : note,
        index,
      );
      pending = null;
      await useModel.getState().refreshLibrary();
      toast(`Saved version ${saved.bankVersion} of “${saved.name}”; version ${m.oldVersion ?? 'before'} is kept in the library.`, { tone: 'success' });
      set({ phase: 'idle', plan: null, measure: null });
      // The inspector goes on with the taught version: the images on the Inspect tab are scored again with it.
      await useModel.getState().open(plan.modelId);
    } catch (e) {
      set({ phase: 'measured', error: `The new version was not saved: ${(e as Error).message} The model is unchanged.` });
    }
  },

  dismiss() {
    pending = null;
    set({ phase: 'idle', plan: null, measure: null, error: null, progress: null });
  },
}));
