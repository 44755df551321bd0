import 'fake-indexeddb/auto';
import { createStore, get, keys, set, type UseStore } from 'idb-keyval';
import { describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG } from '../patchcore/config';
import type { MemoryBank } from '../patchcore/types';
import { halfBitsToFloat, toHalfBits } from './bank';
import { LibraryError } from './errors';
import { openLibrary, type LibraryOptions, type WriteStage } from './library';
import type { ModelMetaV1 } from './model';
import { randomBank, sampleDraft, withQuota } from './library.fixture';

/** DEFAULT_CONFIG as configs were saved before schema 3: no `framing` field. */
const { framing: _framing, ...legacyConfig } = DEFAULT_CONFIG;
void _framing;

let dbCount = 0;
/** A fresh database per test; returns a factory so a "reloaded page" can open its own connection. */
function freshDb(): () => UseStore {
  const name = `library-test-${++dbCount}-${crypto.randomUUID()}`;
  return () => createStore(name, 'models');
}

const bitwiseEqual = (a: Float32Array, b: Float32Array) =>
  a.length === b.length &&
  new Uint32Array(a.buffer, a.byteOffset, a.length).every(
    (v, i) => v === new Uint32Array(b.buffer, b.byteOffset, b.length)[i],
  );

async function rawKeys(store: UseStore): Promise<string[]> {
  return ((await keys(store)) as string[]).sort();
}

/** onStage hook that freezes the write forever at `stage`: what a closed tab or a crash looks like from IndexedDB. */
function crashAt(stage: WriteStage): LibraryOptions['onStage'] {
  return (s) => (s === stage ? new Promise<never>(() => undefined) : undefined);
}

const nextTicks = async (n = 20) => {
  for (let i = 0; i < n; i++) await new Promise((r) => setTimeout(r, 0));
};

describe('model library', () => {
  it('lists a saved model and reopens it with the same bank, metadata and thumbnails', async () => {
    const db = freshDb();
    const lib = await openLibrary({ store: db(), sessionId: 's1' });
    const bank = randomBank(1, 300, 48);
    const draft = sampleDraft(bank, 'Bottle v1');
    const saved = await lib.save(draft);
    expect(saved.bankVersion).toBe(1);
    expect(saved.bankBytes).toBe(300 * 48 * 4);

    const reloaded = await openLibrary({ store: db(), sessionId: 's2' });
    const list = await reloaded.list();
    expect(list.map((m) => m.name)).toEqual(['Bottle v1']);
    const model = await reloaded.open(saved.id);
    expect(bitwiseEqual(model.bank.data, bank.data)).toBe(true);
    expect([model.bank.rows, model.bank.cols]).toEqual([300, 48]);
    expect(model.calibration).toEqual(draft.calibration);
    expect(model.scoreStats).toEqual(draft.scoreStats);
    expect(model.thumbnails[1].bytes).toEqual(draft.thumbnails[1].bytes);
    expect(model.config).toEqual(DEFAULT_CONFIG);
    expect(model.schemaVersion).toBe(4);
  });

  it('lists 20 models without reading a single bank', async () => {
    const db = freshDb();
    const lib = await openLibrary({ store: db() });
    for (let i = 0; i < 20; i++) await lib.save(sampleDraft(randomBank(i, 50, 16), `Model ${i}`));
    const valueReads: string[] = [];
    const spy: UseStore = (mode, cb) =>
      db()(mode, (s) =>
        cb(
          new Proxy(s, {
            get(t, prop) {
              const v = Reflect.get(t, prop, t);
              if (typeof v !== 'function') return v;
              if (prop === 'get' || prop === 'getAll' || prop === 'openCursor') {
                return (query: unknown, ...rest: unknown[]) => {
                  valueReads.push(query instanceof IDBKeyRange ? `${query.lower}..${query.upper}` : String(query));
                  return (v as (...a: unknown[]) => unknown).call(t, query, ...rest);
                };
              }
              return v.bind(t);
            },
          }),
        ),
      );
    const listing = await openLibrary({ store: spy });
    valueReads.length = 0;
    expect(await listing.list()).toHaveLength(20);
    expect(valueReads.length).toBeGreaterThan(0);
    expect(valueReads.every((q) => q.startsWith('meta:'))).toBe(true);
  });

  it('renames and recalibrates without touching the bank', async () => {
    const db = freshDb();
    const lib = await openLibrary({ store: db(), now: () => 1000 });
    const bank = randomBank(2, 40, 8);
    const { id } = await lib.save(sampleDraft(bank, 'Cap'));
    const renamed = await lib.rename(id, 'Cap, side view');
    expect(renamed.name).toBe('Cap, side view');
    await lib.update(id, { calibration: { threshold: 3.25, f1Threshold: 3.1 } });
    const model = await lib.open(id);
    expect(model.name).toBe('Cap, side view');
    expect(model.calibration).toEqual({ threshold: 3.25, f1Threshold: 3.1 });
    expect(bitwiseEqual(model.bank.data, bank.data)).toBe(true);
    expect((await lib.list())[0].bankVersion).toBe(1);
    await expect(lib.rename(id, '   ')).rejects.toThrow(/has no name/);
    await expect(lib.rename('nope', 'x')).rejects.toMatchObject({ code: 'not-found' });
  });

  it('duplicates a model bitwise under a new id, independent of the original', async () => {
    const db = freshDb();
    const lib = await openLibrary({ store: db() });
    const bank = randomBank(3, 64, 16);
    const original = await lib.save(sampleDraft(bank, 'Screw', 'fp16'));
    const copy = await lib.duplicate(original.id);
    expect(copy.id).not.toBe(original.id);
    expect(copy.name).toBe('Screw (copy)');
    expect(copy.bankPrecision).toBe('fp16');
    await lib.delete(original.id);
    await lib.purgeDeleted();
    const a = await lib.open(copy.id);
    const b = fp16Rounded(bank);
    expect(bitwiseEqual(a.bank.data, b.data)).toBe(true);
    expect((await lib.list()).map((m) => m.name)).toEqual(['Screw (copy)']);
  });

  it('saveAs stores an opened, changed model as a new entry and leaves the original as it was', async () => {
    const db = freshDb();
    const lib = await openLibrary({ store: db() });
    const { id } = await lib.save(sampleDraft(randomBank(4, 20, 8), 'Pill'));
    const model = await lib.open(id);
    const other = await lib.saveAs({ ...model, calibration: { threshold: 9 } }, 'Pill, strict');
    expect(other.id).not.toBe(id);
    expect((await lib.open(id)).calibration.threshold).toBe(2.5);
    expect((await lib.open(other.id)).calibration.threshold).toBe(9);
    expect(bitwiseEqual((await lib.open(other.id)).bank.data, model.bank.data)).toBe(true);
  });

  it('hides a deleted model, restores it on undo, and purges it once the session has ended', async () => {
    const db = freshDb();
    const lib = await openLibrary({ store: db(), sessionId: 'tab-a' });
    const keep = await lib.save(sampleDraft(randomBank(5, 10, 4), 'Keep'));
    const gone = await lib.save(sampleDraft(randomBank(6, 10, 4), 'Gone'));
    await lib.delete(gone.id);
    expect((await lib.list()).map((m) => m.name)).toEqual(['Keep']);
    expect((await lib.deleted()).map((m) => m.name)).toEqual(['Gone']);
    await expect(lib.open(gone.id)).rejects.toMatchObject({ code: 'not-found' });
    await lib.undoDelete(gone.id);
    expect((await lib.list()).map((m) => m.name).sort()).toEqual(['Gone', 'Keep']);
    await lib.delete(gone.id);

    // Another tab starting while tab-a is alive must keep tab-a's undo possible.
    await openLibrary({ store: db(), sessionId: 'tab-b', liveSessions: async () => ['tab-a'] });
    await lib.undoDelete(gone.id);
    await lib.delete(gone.id);

    // tab-a closed: the next startup frees the space.
    const next = await openLibrary({ store: db(), sessionId: 'tab-c' });
    expect(await rawKeys(db())).toEqual([`bank:${keep.id}:1`, `meta:${keep.id}`]);
    await expect(next.undoDelete(gone.id)).rejects.toMatchObject({ code: 'not-found' });
    expect((await next.list()).map((m) => m.name)).toEqual(['Keep']);
  });

  it('extends a model: the new bank version replaces the old one, which is then gone', async () => {
    const db = freshDb();
    const lib = await openLibrary({ store: db() });
    const { id } = await lib.save(sampleDraft(randomBank(7, 30, 8), 'Bottle'));
    const bigger = randomBank(8, 45, 8);
    const stages: WriteStage[] = [];
    const observed = await openLibrary({ store: db(), onStage: (s) => void stages.push(s) });
    const extended = await observed.extend(id, bigger, { trainImageCount: 35 });
    expect(stages).toEqual(['writing-bank', 'bank-written', 'meta-written']);
    expect(extended.bankVersion).toBe(2);
    expect(extended.bankShape).toEqual({ rows: 45, cols: 8 });
    const model = await lib.open(id);
    expect(bitwiseEqual(model.bank.data, bigger.data)).toBe(true);
    expect(model.trainImageCount).toBe(35);
    expect(await rawKeys(db())).toEqual([`bank:${id}:2`, `meta:${id}`]);
    await expect(lib.extend(id, randomBank(9, 10, 7))).rejects.toMatchObject({ code: 'invalid-model' });
  });

  it('runs a rename and an extend of one model one after the other, so neither is lost', async () => {
    const db = freshDb();
    const lib = await openLibrary({ store: db() });
    const { id } = await lib.save(sampleDraft(randomBank(10, 30, 8), 'Bottle'));
    const bigger = randomBank(11, 60, 8);
    await Promise.all([lib.extend(id, bigger), lib.rename(id, 'Bottle, renamed')]);
    const model = await lib.open(id);
    expect(model.name).toBe('Bottle, renamed');
    expect(bitwiseEqual(model.bank.data, bigger.data)).toBe(true);
  });

  it('keeps a rename made in another tab while an extend was writing its bank', async () => {
    const db = freshDb();
    const other = await openLibrary({ store: db(), sessionId: 'tab-b' });
    const { id } = await other.save(sampleDraft(randomBank(24, 20, 8), 'Bottle'));
    const lib = await openLibrary({
      store: db(),
      sessionId: 'tab-a',
      onStage: async (stage) => {
        if (stage === 'bank-written') await other.rename(id, 'Bottle, line 4');
      },
    });
    const bigger = randomBank(25, 40, 8);
    const extended = await lib.extend(id, bigger, { trainImageCount: 30 });
    expect([extended.name, extended.bankVersion, extended.trainImageCount]).toEqual(['Bottle, line 4', 2, 30]);
    expect(bitwiseEqual((await other.open(id)).bank.data, bigger.data)).toBe(true);
  });

  it("refuses to switch a model another tab extended meanwhile, keeping that tab's version and no stray bank", async () => {
    const db = freshDb();
    const other = await openLibrary({ store: db(), sessionId: 'tab-b' });
    const { id } = await other.save(sampleDraft(randomBank(26, 20, 8), 'Bottle'));
    const theirs = randomBank(27, 30, 8);
    const lib = await openLibrary({
      store: db(),
      sessionId: 'tab-a',
      onStage: async (stage) => {
        if (stage === 'bank-written') await other.extend(id, theirs);
      },
    });
    await expect(lib.extend(id, randomBank(28, 50, 8))).rejects.toMatchObject({
      code: 'conflict',
      message: '"Bottle" was changed in another tab while its new version was being saved; nothing was changed here.',
    });
    const [listed] = await lib.list();
    expect(listed.bankShape.rows).toBe(30);
    expect(bitwiseEqual((await lib.open(id)).bank.data, theirs.data)).toBe(true);
    expect(await rawKeys(db())).toEqual([`bank:${id}:3`, `meta:${id}`]);
  });

  it('never lists a model whose save crashed between the bank and the meta write; the next startup removes the bank', async () => {
    const db = freshDb();
    const crashed = await openLibrary({ store: db(), sessionId: 'crashed', onStage: crashAt('bank-written') });
    void crashed.save(sampleDraft(randomBank(12, 80, 16), 'Half-written'));
    await nextTicks();
    const leftover = await rawKeys(db());
    expect(leftover.some((k) => k.startsWith('bank:'))).toBe(true);
    expect(leftover.some((k) => k.startsWith('pending:'))).toBe(true);
    expect(await crashed.list()).toEqual([]);

    await openLibrary({ store: db(), sessionId: 'after-restart' });
    expect(await rawKeys(db())).toEqual([]);
  });

  it('keeps the old version intact when an extend crashes before switching, and cleans the new bank', async () => {
    const db = freshDb();
    const lib = await openLibrary({ store: db(), sessionId: 'first' });
    const bank = randomBank(13, 50, 16);
    const { id } = await lib.save(sampleDraft(bank, 'Bottle'));
    const crashed = await openLibrary({ store: db(), sessionId: 'crashed', onStage: crashAt('bank-written') });
    void crashed.extend(id, randomBank(14, 90, 16));
    await nextTicks();
    expect(await rawKeys(db())).toEqual([`bank:${id}:1`, `bank:${id}:2`, `meta:${id}`, `pending:bank:${id}:2`]);
    const listed = await lib.list();
    expect(listed.map((m) => [m.name, m.bankVersion])).toEqual([['Bottle', 1]]);

    const restarted = await openLibrary({ store: db(), sessionId: 'restarted' });
    expect(await rawKeys(db())).toEqual([`bank:${id}:1`, `meta:${id}`]);
    expect(bitwiseEqual((await restarted.open(id)).bank.data, bank.data)).toBe(true);
    // The next extend does not trip over the crashed attempt's version number.
    const next = await restarted.extend(id, randomBank(15, 60, 16));
    expect(next.bankVersion).toBe(2);
  });

  it('does not clean up a bank another live tab is still writing', async () => {
    const db = freshDb();
    const writer = await openLibrary({ store: db(), sessionId: 'writer', onStage: crashAt('bank-written') });
    void writer.save(sampleDraft(randomBank(16, 20, 8), 'In flight'));
    await nextTicks();
    await openLibrary({ store: db(), sessionId: 'reader', liveSessions: async () => ['writer'] });
    expect((await rawKeys(db())).filter((k) => k.startsWith('bank:'))).toHaveLength(1);
  });

  it('names the space needed when storage is full, and keeps every model already stored', async () => {
    const db = freshDb();
    const store = withQuota(db(), 200_000);
    let reportedFree = 200_000;
    const estimate = async () => ({ usage: 100_000_000 - reportedFree, quota: 100_000_000 });
    const lib = await openLibrary({ store, estimate });
    const bank = randomBank(17, 100, 128); // 51.2 KB
    const first = await lib.save(sampleDraft(bank, 'Bottle v1'));
    const before = await rawKeys(db());

    const big = randomBank(18, 1000, 128); // 512 KB: over budget
    const err = await lib.save(sampleDraft(big, 'Bottle v2')).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LibraryError);
    expect((err as LibraryError).code).toBe('quota');
    expect((err as LibraryError).message).toBe(
      'Not enough browser storage to save "Bottle v2": it needs 516 kB, 200 kB is free. Delete or export older models.',
    );
    const failedExtend = await lib.extend(first.id, big).catch((e: unknown) => e);
    expect((failedExtend as LibraryError).code).toBe('quota');
    expect((failedExtend as LibraryError).message).toMatch(
      /^Not enough browser storage to save the new version of "Bottle v1": it needs/,
    );
    // A browser that reports room but still refuses (a full disk under a large quota) is not contradicted.
    reportedFree = 5_000_000;
    expect(await lib.save(sampleDraft(big, 'Bottle v2')).catch((e: LibraryError) => e.message)).toBe(
      'Not enough browser storage to save "Bottle v2": it needs 516 kB and the browser refused it, although it reports 5.0 MB free (the disk itself may be full). Delete or export older models.',
    );

    expect(await rawKeys(db())).toEqual(before);
    const listed = await lib.list();
    expect(listed.map((m) => [m.name, m.bankVersion])).toEqual([['Bottle v1', 1]]);
    expect(bitwiseEqual((await lib.open(first.id)).bank.data, bank.data)).toBe(true);

    // Freeing space (delete + purge) lets the same save through.
    await lib.delete(first.id);
    const trashNote = await lib.save(sampleDraft(big, 'Bottle v2')).catch((e: LibraryError) => e.message);
    expect(trashNote).toMatch(/Models deleted in this session still hold 51 kB until you empty the trash or reload\.$/);
    await lib.purgeDeleted();
    const fits = randomBank(19, 300, 128);
    await lib.save(sampleDraft(fits, 'Bottle v2'));
    expect((await lib.list()).map((m) => m.name)).toEqual(['Bottle v2']);
  });

  it('migrates a schema-1 model when the library opens: calibration object, statistics, fp32 bank kept', async () => {
    const db = freshDb();
    const bank = randomBank(20, 25, 8);
    const v1: ModelMetaV1 = {
      schemaVersion: 1,
      id: 'legacy-1',
      name: 'Hazelnut (2024)',
      description: 'Tray B',
      createdAt: 1_700_000_000_000,
      updatedAt: 1_700_000_500_000,
      backbone: 'mobilenet_v2_mid',
      config: { ...legacyConfig, centerCrop: false }, // no `resize`: saved before 'fit' existed, so it squashed
      threshold: 1.75,
      goodScores: [1, 2, 3, 4],
      thumbnails: [],
      trainImageCount: 12,
      bankRows: 25,
      bankCols: 8,
    };
    await set('meta:legacy-1', v1, db());
    await set('bank:legacy-1', bank.data, db());

    const lib = await openLibrary({ store: db() });
    const stored = await get('meta:legacy-1', db());
    expect(stored.schemaVersion).toBe(4);
    const [listed] = await lib.list();
    expect(listed).toMatchObject({
      id: 'legacy-1',
      name: 'Hazelnut (2024)',
      schemaVersion: 4,
      bankPrecision: 'fp32',
      bankVersion: 1,
      backbone: { id: 'mobilenet_v2_mid', manifestHash: null },
      calibration: { threshold: 1.75 },
    });
    expect(listed.scoreStats.mean).toBe(2.5);
    expect(listed.config.framing).toBe('squash');
    expect(listed.config).not.toHaveProperty('centerCrop');
    const model = await lib.open('legacy-1');
    expect(bitwiseEqual(model.bank.data, bank.data)).toBe(true);

    await lib.extend('legacy-1', randomBank(21, 30, 8));
    expect(await rawKeys(db())).toEqual(['bank:legacy-1:2', 'meta:legacy-1']);
  });

  it('migrates schema-2 models: the framing becomes one field, the bank stays where it is', async () => {
    const db = freshDb();
    const lib = await openLibrary({ store: db() });
    const bank = randomBank(23, 20, 8);
    const cases = [
      [{ ...legacyConfig, centerCrop: true, resize: 'fit' }, 'crop'],
      [{ ...legacyConfig, centerCrop: false, resize: 'fit' }, 'fit'],
      [{ ...legacyConfig, centerCrop: false }, 'squash'],
    ] as const;
    const ids: string[] = [];
    for (const [config] of cases) {
      const saved = await lib.save(sampleDraft(bank, 'Old'));
      const raw = await get(`meta:${saved.id}`, db());
      await set(`meta:${saved.id}`, { ...raw, schemaVersion: 2, config }, db());
      ids.push(saved.id);
    }
    const reopened = await openLibrary({ store: db() });
    for (const [i, [, framing]] of cases.entries()) {
      expect((await get(`meta:${ids[i]}`, db())).schemaVersion).toBe(4);
      const m = await reopened.open(ids[i]);
      expect(m.config.framing).toBe(framing);
      expect(m.config).not.toHaveProperty('resize');
      expect(bitwiseEqual(m.bank.data, bank.data)).toBe(true);
    }
  });

  it('migrates schema-3 models: the working size is read from the old inputSize, a 224-px default where none', async () => {
    const db = freshDb();
    const lib = await openLibrary({ store: db() });
    const bank = randomBank(29, 20, 8);
    const ids: string[] = [];
    for (const size of [448, undefined]) {
      const saved = await lib.save(sampleDraft(bank, 'Schema 3'));
      const raw = await get(`meta:${saved.id}`, db());
      const { workingSize: _w, ...old } = raw.config;
      void _w;
      await set(`meta:${saved.id}`, { ...raw, schemaVersion: 3, config: size === undefined ? old : { ...old, inputSize: size } }, db());
      ids.push(saved.id);
    }
    const reopened = await openLibrary({ store: db() });
    for (const [i, size] of [448, 224].entries()) {
      const stored = await get(`meta:${ids[i]}`, db());
      expect(stored.schemaVersion).toBe(4);
      expect(stored.config.workingSize).toBe(size);
      expect(stored.config).not.toHaveProperty('inputSize');
      const m = await reopened.open(ids[i]);
      expect(m.config.workingSize).toBe(size);
      expect(bitwiseEqual(m.bank.data, bank.data)).toBe(true);
    }
  });

  it('leaves models written by a newer app version, and their banks, untouched', async () => {
    const db = freshDb();
    await set('meta:future', { schemaVersion: 5, id: 'future', banks: ['bank:future:7'] }, db());
    await set('bank:future:7', new Float32Array(4), db());
    const lib = await openLibrary({ store: db() });
    expect(await lib.list()).toEqual([]);
    expect(await rawKeys(db())).toEqual(['bank:future:7', 'meta:future']);
  });

  it('stores fp16 models at half the size and reopens them within fp16 precision', async () => {
    const db = freshDb();
    const lib = await openLibrary({ store: db() });
    const bank = randomBank(22, 200, 32);
    const saved = await lib.save(sampleDraft(bank, 'Half', 'fp16'));
    expect(saved.bankBytes).toBe(200 * 32 * 2);
    const model = await lib.open(saved.id);
    expect(model.bankPrecision).toBe('fp16');
    for (let i = 0; i < bank.data.length; i++)
      expect(Math.abs(model.bank.data[i] - bank.data[i])).toBeLessThanOrEqual(bank.data[i] * 2 ** -11 + 1e-7);
  });

  it('rejects a bank whose values do not match its shape before writing anything', async () => {
    const db = freshDb();
    const lib = await openLibrary({ store: db() });
    const bad: MemoryBank = { data: new Float32Array(10), rows: 3, cols: 4 };
    await expect(lib.save(sampleDraft(bad, 'Broken'))).rejects.toThrow(
      'Cannot save "Broken": its memory bank holds 10 values, not 3 x 4.',
    );
    await expect(lib.save(sampleDraft(randomBank(1, 2, 2), ''))).rejects.toMatchObject({ code: 'invalid-model' });
    expect(await rawKeys(db())).toEqual([]);
  });

  it('stores only the bank bytes of a view into a larger buffer', async () => {
    const db = freshDb();
    const lib = await openLibrary({ store: db() });
    const whole = randomBank(23, 100, 8);
    const view: MemoryBank = { data: whole.data.subarray(8 * 10, 8 * 20), rows: 10, cols: 8 };
    const { id } = await lib.save(sampleDraft(view, 'View'));
    const record = await get(`bank:${id}:1`, db());
    expect(record.data.buffer.byteLength).toBe(10 * 8 * 4);
  });
});

describe('library changes told to the other tabs', () => {
  it('announces every change once it is stored, so a tab that re-reads the library on the message sees it', async () => {
    const db = freshDb();
    // What another tab lists at the moment each message is sent.
    const seen: Promise<string>[] = [];
    const other = await openLibrary({ store: db(), sessionId: 'tab-b' });
    const lib = await openLibrary({
      store: db(),
      sessionId: 'tab-a',
      announce: (c) =>
        seen.push(
          other.list().then((l) => {
            const m = l.find((x) => x.id === c.id);
            return `${c.kind} ${c.name ?? ''} v${c.version ?? '-'}: ${m ? `${m.name} v${m.bankVersion}` : 'not listed'}`;
          }),
        ),
    });
    const draft = sampleDraft(randomBank(30, 20, 8), 'Bottle');
    const a = await lib.save(draft);
    await lib.rename(a.id, 'Bottle, top');
    await lib.update(a.id, { calibration: { ...draft.calibration, threshold: 2 } });
    await lib.extend(a.id, randomBank(31, 30, 8));
    const copy = await lib.duplicate(a.id, 'Bottle copy');
    const opened = await lib.open(a.id);
    await lib.saveAs(opened, 'Bottle, saved as');
    await lib.delete(copy.id);
    await lib.undoDelete(copy.id);
    const file = await lib.exportModel(a.id);
    await lib.importModel(file, [draft.backbone.id]);
    expect(await Promise.all(seen)).toEqual([
      'saved Bottle v1: Bottle v1',
      'renamed Bottle, top v1: Bottle, top v1',
      'updated Bottle, top v1: Bottle, top v1',
      'images-added Bottle, top v2: Bottle, top v2',
      'duplicated Bottle copy v1: Bottle copy v1',
      'saved Bottle, saved as v1: Bottle, saved as v1',
      'deleted Bottle copy v-: not listed',
      'restored Bottle copy v1: Bottle copy v1',
      'imported Bottle, top v1: Bottle, top v1',
    ]);
  });

  it('announces nothing for a change that failed, and nothing for reads', async () => {
    const db = freshDb();
    const told: string[] = [];
    const lib = await openLibrary({ store: db(), announce: (c) => told.push(c.kind) });
    const a = await lib.save(sampleDraft(randomBank(32, 20, 8), 'Bottle'));
    told.length = 0;
    await expect(lib.extend(a.id, randomBank(33, 20, 4))).rejects.toMatchObject({ code: 'invalid-model' });
    await expect(lib.rename('no-such-id', 'X')).rejects.toMatchObject({ code: 'not-found' });
    await lib.list();
    await lib.open(a.id);
    await lib.exportModel(a.id);
    expect(told).toEqual([]);
  });
});

/** The bank as an fp16 model reopens it: each value rounded to the nearest fp16. */
function fp16Rounded(bank: MemoryBank): MemoryBank {
  return { data: bank.data.map((x) => halfBitsToFloat(toHalfBits(x))), rows: bank.rows, cols: bank.cols };
}
