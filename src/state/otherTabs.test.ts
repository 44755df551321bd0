// This tab follows what other tabs do to the library: the other tab is a second ModelLibrary on the same
// IndexedDB (fake-indexeddb) announcing on the same BroadcastChannel, as a second window of the app would.
import 'fake-indexeddb/auto';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { DEFAULT_CONFIG } from '../patchcore/config';
import { createAnnouncer, type Announcer } from '../storage/announce';
import { openLibrary, type ModelLibrary } from '../storage/library';
import { randomBank, sampleDraft } from '../storage/library.fixture';
import { useModel } from './model';
import { watchOtherTabs } from './otherTabs';
import { useToasts } from './toasts';

let otherTab: Announcer;
let other: ModelLibrary;
/** A tab of an app version that announces nothing (or whose message has not arrived yet). */
let silent: ModelLibrary;
let stopWatching: () => void;

beforeAll(async () => {
  otherTab = createAnnouncer();
  other = await openLibrary({ sessionId: 'other-tab', announce: otherTab.announce, requestPersistence: false });
  silent = await openLibrary({ sessionId: 'silent-tab', announce: () => undefined, requestPersistence: false });
  stopWatching = watchOtherTabs(10);
});

afterAll(() => {
  stopWatching();
  otherTab.close();
});

const listed = () => useModel.getState().library.map((m) => m.name);
const toasts = () => useToasts.getState().toasts.map((t) => t.message);
const soon = (check: () => void) => vi.waitFor(check, { timeout: 3000, interval: 20 });

/** Builds (in memory) and saves a model in this tab, as the Build tab does; returns its library id. */
async function saveHere(name: string, seed: number): Promise<string> {
  const bank = randomBank(seed, 40, 8);
  useModel.getState().setModel({
    libraryId: null,
    name,
    description: '',
    config: { ...DEFAULT_CONFIG },
    bank,
    threshold: 2,
    thresholdMode: 'manual',
    falseAlarmRate: 0.01,
    goodScores: [{ name: 'a.png', score: 1 }],
    defectScores: [],
    trainImageCount: 6,
    thumbnails: [],
    createdAt: Date.now(),
  });
  const meta = await useModel.getState().save(name);
  expect(meta).not.toBeNull();
  return meta!.id;
}

describe('a tab following the library changes of other tabs', () => {
  it('lists a model saved in another tab without a reload', async () => {
    await saveHere('Here 1', 1);
    const saved = await other.save(sampleDraft(randomBank(2, 30, 8), 'There 1'));
    await soon(() => expect(listed()).toContain('There 1'));
    expect(listed()).toContain('Here 1');
    await other.delete(saved.id);
    await soon(() => expect(listed()).not.toContain('There 1'));
  });

  it('renames its current model when another tab renames it, and says so', async () => {
    const id = await saveHere('Washer', 3);
    await other.rename(id, 'Washer, top');
    await soon(() => expect(useModel.getState().current?.name).toBe('Washer, top'));
    expect(useModel.getState().current).toMatchObject({ libraryId: id, dirty: false });
    expect(listed()).toContain('Washer, top');
    expect(toasts()).toContain('“Washer” was renamed “Washer, top” in another window.');
    expect(useModel.getState().elsewhere).toBeNull();
  });

  it('keeps its copy, unlinked and unsaved, when another tab deletes the current model, and links it again on undo', async () => {
    const id = await saveHere('Gasket', 4);
    const bank = useModel.getState().current!.bank;
    await other.delete(id);
    await soon(() => expect(useModel.getState().elsewhere).toMatchObject({ kind: 'deleted', id, name: 'Gasket' }));
    expect(useModel.getState().current).toMatchObject({ libraryId: null, dirty: true, name: 'Gasket' });
    expect(useModel.getState().current!.bank).toBe(bank);
    expect(listed()).not.toContain('Gasket');

    await other.undoDelete(id);
    await soon(() => expect(useModel.getState().elsewhere).toBeNull());
    expect(useModel.getState().current).toMatchObject({ libraryId: id, dirty: false, name: 'Gasket' });
    expect(listed()).toContain('Gasket');
    expect(toasts()).toContain('“Gasket” was restored in another window; this tab works on it again.');
  });

  it('saves the kept copy as a new model, leaving what the other tab did alone', async () => {
    const id = await saveHere('Seal', 5);
    await other.delete(id);
    await soon(() => expect(useModel.getState().elsewhere?.kind).toBe('deleted'));
    const again = await useModel.getState().save();
    expect(again!.id).not.toBe(id);
    expect(useModel.getState().elsewhere).toBeNull();
    expect(useModel.getState().current).toMatchObject({ libraryId: again!.id, dirty: false });
    expect((await other.deleted()).map((m) => m.id)).toContain(id);
  });

  it('offers to reopen or keep its copy when another tab adds images to the current model, overwriting nothing', async () => {
    const id = await saveHere('Bearing', 6);
    const mine = useModel.getState().current!;
    await other.extend(id, randomBank(7, 90, 8), { trainImageCount: 9 });
    await soon(() => expect(useModel.getState().elsewhere).toMatchObject({ kind: 'changed', id, name: 'Bearing' }));
    expect(useModel.getState().elsewhere!.detail).toBe('now 9 images, 90 vectors');
    const copy = useModel.getState().current!;
    expect(copy).toMatchObject({ libraryId: null, dirty: true });
    expect(copy.bank).toBe(mine.bank);

    // Keeping the copy and saving it makes a new model; the one extended elsewhere keeps its 90 vectors.
    useModel.getState().keepCopy();
    expect(useModel.getState().elsewhere).toBeNull();
    const kept = await useModel.getState().save('Bearing, my copy');
    expect(kept!.id).not.toBe(id);
    const stored = (await other.list()).find((m) => m.id === id)!;
    expect([stored.bankShape.rows, stored.trainImageCount, stored.bankVersion]).toEqual([90, 9, 2]);
  });

  it('keeps changes saved onto a model deleted elsewhere unheard-of as an unlinked copy, and the next save adds it anew', async () => {
    const id = await saveHere('Valve', 9);
    await silent.delete(id);
    useModel.getState().setThreshold(3);
    expect(await useModel.getState().save()).toBeNull();
    expect(toasts()).toContain('“Valve” was deleted in another window, so it was not saved. It is still open here: save again to store it as a new model.');
    expect(useModel.getState().current).toMatchObject({ libraryId: null, dirty: true, threshold: 3 });
    const again = await useModel.getState().save();
    expect(again!.id).not.toBe(id);
    expect(again!.calibration.threshold).toBe(3);
  });

  it('says a model was deleted in another window when it is opened from a list that had not heard of it yet', async () => {
    const saved = await other.save(sampleDraft(randomBank(8, 30, 8), 'Stale'));
    await soon(() => expect(listed()).toContain('Stale'));
    await silent.delete(saved.id);
    expect(listed()).toContain('Stale');
    await useModel.getState().open(saved.id);
    expect(toasts()).toContain('“Stale” was deleted in another window.');
    await soon(() => expect(listed()).not.toContain('Stale'));
  });
});
