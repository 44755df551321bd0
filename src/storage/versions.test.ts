import 'fake-indexeddb/auto';
import { createStore, keys, type UseStore } from 'idb-keyval';
import { describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG } from '../patchcore/config';
import { openLibrary } from './library';
import { randomBank, sampleDraft } from './library.fixture';

let dbCount = 0;
function freshDb(): () => UseStore {
  const name = `versions-test-${++dbCount}-${crypto.randomUUID()}`;
  return () => createStore(name, 'models');
}
const rawKeys = async (s: UseStore) => ((await keys(s)) as string[]).sort();
const known = [DEFAULT_CONFIG.backbone];

describe('model versions', () => {
  it('a new version keeps the old one listed, openable and unchanged', async () => {
    const db = freshDb();
    const lib = await openLibrary({ store: db(), sessionId: 'a' });
    const v1bank = randomBank(1, 200, 16);
    const saved = await lib.save(sampleDraft(v1bank, 'Bottle'));
    const v2bank = randomBank(2, 260, 16);
    const v2 = await lib.addVersion(saved.id, v2bank, { calibration: { threshold: 3.1 }, trainImageCount: 22 }, '2 false alarms taught as good images');
    expect(v2.bankVersion).toBe(2);
    expect(v2.olderVersions).toBe(1);

    // After a "reload", both versions are there with their own figures.
    const again = await openLibrary({ store: db(), sessionId: 'b' });
    const versions = await again.versions(saved.id);
    expect(versions.map((v) => [v.version, v.current, v.bankShape.rows, v.calibration.threshold, v.trainImageCount, v.note])).toEqual([
      [2, true, 260, 3.1, 22, '2 false alarms taught as good images'],
      [1, false, 200, 2.5, 20, 'built'],
    ]);
    expect(versions[1].bankBytes).toBe(200 * 16 * 4);
    expect((await again.open(saved.id)).bank.data).toEqual(v2bank.data);
    const old = await again.openVersion(saved.id, 1);
    expect(old.bank.data).toEqual(v1bank.data);
    expect(old.calibration.threshold).toBe(2.5);
    expect(await rawKeys(db())).toEqual([`bank:${saved.id}:1`, `bank:${saved.id}:2`, `meta:${saved.id}`]);
  });

  it('going back to a version switches the bank without copying it, and the newer one stays a version', async () => {
    const db = freshDb();
    const lib = await openLibrary({ store: db() });
    const saved = await lib.save(sampleDraft(randomBank(1, 100, 8), 'Cookie'));
    await lib.addVersion(saved.id, randomBank(2, 120, 8), { calibration: { threshold: 4 } }, 'taught');
    const keysBefore = await rawKeys(db());
    const back = await lib.revertTo(saved.id, 1);
    expect(back.bankVersion).toBe(1);
    expect(back.calibration.threshold).toBe(2.5);
    expect(await rawKeys(db())).toEqual(keysBefore);
    expect((await lib.versions(saved.id)).map((v) => [v.version, v.current])).toEqual([[2, false], [1, true]]);
    // A further version gets a number no bank uses yet.
    const v3 = await lib.addVersion(saved.id, randomBank(3, 130, 8), {}, 'taught again');
    expect(v3.bankVersion).toBe(3);
    expect((await lib.versions(saved.id)).map((v) => v.version)).toEqual([3, 2, 1]);

    // An older version can be deleted to free its bank; the one in use cannot.
    await expect(lib.deleteVersion(saved.id, 3)).rejects.toThrow('is in use');
    await lib.deleteVersion(saved.id, 2);
    expect((await lib.versions(saved.id)).map((v) => v.version)).toEqual([3, 1]);
    expect(await rawKeys(db())).toEqual([`bank:${saved.id}:1`, `bank:${saved.id}:3`, `meta:${saved.id}`]);
  });

  it('an exported version imported again as a version becomes a new version; otherwise a separate model', async () => {
    const db = freshDb();
    const lib = await openLibrary({ store: db() });
    const saved = await lib.save(sampleDraft(randomBank(1, 100, 8), 'Tile'));
    await lib.addVersion(saved.id, randomBank(2, 150, 8), {}, 'taught');
    const file = await lib.exportModel(saved.id, 1);
    const asVersion = await lib.importModel(file, known, { asVersion: true });
    expect(asVersion.id).toBe(saved.id);
    expect(asVersion.asVersionOf).toBe('Tile');
    expect(asVersion.bankVersion).toBe(3);
    expect(asVersion.bankShape.rows).toBe(100);
    const separate = await lib.importModel(file, known);
    expect(separate.id).not.toBe(saved.id);
    expect((await lib.list()).map((m) => m.name).sort()).toEqual(['Tile', 'Tile']);
  });

  it('tells the other tabs about a new version and about going back to one', async () => {
    const told: string[] = [];
    const lib = await openLibrary({ store: freshDb()(), announce: (c) => told.push(`${c.kind} v${c.version}`) });
    const saved = await lib.save(sampleDraft(randomBank(1, 40, 8), 'Gear'));
    await lib.addVersion(saved.id, randomBank(2, 50, 8), {}, 'taught');
    await lib.revertTo(saved.id, 1);
    await lib.importModel(await lib.exportModel(saved.id, 2), known, { asVersion: true });
    expect(told).toEqual(['saved v1', 'version-added v2', 'updated v1', 'version-added v3']);
  });

  it('deleting a model frees every version bank; a crash-free restart keeps them all', async () => {
    const db = freshDb();
    const lib = await openLibrary({ store: db(), sessionId: 's1', liveSessions: async () => [] });
    const saved = await lib.save(sampleDraft(randomBank(1, 50, 8), 'Nut'));
    await lib.addVersion(saved.id, randomBank(2, 60, 8), {}, 'taught');
    await openLibrary({ store: db(), sessionId: 's2', liveSessions: async () => [] });
    expect(await rawKeys(db())).toHaveLength(3);
    await lib.delete(saved.id);
    await lib.purgeDeleted();
    expect(await rawKeys(db())).toEqual([]);
  });
});
