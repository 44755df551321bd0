// The library keeps each bank's nearest-neighbour index beside it (storage/library.ts, "index:<bankKey>"), so that
// opening a model restores the index instead of building it; a missing, stale or corrupt one is built again.
import 'fake-indexeddb/auto';
import { createStore, get, keys, set, type UseStore } from 'idb-keyval';
import { describe, expect, it } from 'vitest';
import { backbone } from '../patchcore/blocks.fixture';
import { DEFAULT_CONFIG } from '../patchcore/config';
import { cpuKernels } from '../patchcore/cpu';
import { BankIndex, bankChecksum, type StoredBankIndex } from '../patchcore/cpu/bankIndex';
import { PatchCore } from '../patchcore/patchcore';
import { blobs } from '../patchcore/testData';
import type { MemoryBank } from '../patchcore/types';
import { decodeBank, encodeBank } from './bank';
import { decodeModelFile, encodeModelFile } from './exportFormat';
import { openLibrary } from './library';
import { sampleDraft } from './library.fixture';
import type { InspectionModel } from './model';

let dbCount = 0;
function freshDb(): () => UseStore {
  const name = `bank-index-test-${++dbCount}-${crypto.randomUUID()}`;
  return () => createStore(name, 'models');
}
const rawKeys = async (s: UseStore) => ((await keys(s)) as string[]).sort();
const known = [DEFAULT_CONFIG.backbone];

/** A clustered bank big enough to be indexed (MIN_INDEXED_ROWS is 512). */
function clusteredBank(seed: number, rows = 900, cols = 16): MemoryBank {
  return blobs(rows, cols, 12, seed);
}

function indexOf(bank: MemoryBank): StoredBankIndex {
  const index = BankIndex.build(bank, { seed: 1 });
  if (!index) throw new Error('the test bank is too small to index');
  return index.stored;
}

/** Where the engine gets the index of an opened model: 'restored' from what was stored, or 'built'. */
function engineLoad(m: InspectionModel): PatchCore {
  const pc = new PatchCore(backbone, cpuKernels, DEFAULT_CONFIG);
  pc.load(m.bank, { imageCount: m.trainImageCount }, { stored: m.index });
  return pc;
}

describe('the stored bank index', () => {
  it('a saved model reopens with its index, which the engine restores instead of building', async () => {
    const db = freshDb();
    const bank = clusteredBank(1);
    const index = indexOf(bank);
    const saved = await openLibrary({ store: db(), sessionId: 'a' }).then((lib) => lib.save({ ...sampleDraft(bank), index }));
    expect(await rawKeys(db())).toEqual([`bank:${saved.id}:1`, `index:bank:${saved.id}:1`, `meta:${saved.id}`]);

    const again = await openLibrary({ store: db(), sessionId: 'b' });
    const m = await again.open(saved.id);
    expect(m.bankVersion).toBe(1);
    expect(m.index?.checksum).toBe(bankChecksum(bank));
    expect(m.index?.axes).toEqual(index.axes);
    expect(m.index?.cluster).toEqual(index.cluster);
    const pc = engineLoad(m);
    expect(pc.indexSource).toBe('restored');
    expect(pc.indexSeconds).toBe(0);
  });

  it('a corrupted stored index is refused and built again, and the rebuilt one is stored for the next open', async () => {
    const db = freshDb();
    const bank = clusteredBank(2);
    const index = indexOf(bank);
    const lib = await openLibrary({ store: db() });
    const saved = await lib.save({ ...sampleDraft(bank), index });
    const key = `index:bank:${saved.id}:1`;
    // One axis value scaled: the shape and checksum still name the bank, so only restore's checks (orthonormal axes)
    // catch it.
    const stored = (await get(key, db())) as StoredBankIndex;
    await set(key, { ...stored, axes: stored.axes.map((v, i) => (i === 0 ? v * 3 : v)) }, db());

    const m = await lib.open(saved.id);
    const pc = engineLoad(m);
    expect(pc.indexSource).toBe('built');
    expect(await lib.saveIndex(saved.id, m.bankVersion!, pc.index!.stored)).toBe(true);
    expect(engineLoad(await lib.open(saved.id)).indexSource).toBe('restored');

    // A record that is not an index at all (written by something else) reads as none.
    await set(key, { version: 1, axes: 'nonsense' }, db());
    const garbled = await lib.open(saved.id);
    expect(garbled.index).toBeNull();
    expect(engineLoad(garbled).indexSource).toBe('built');
  });

  it('a model saved before indexes were stored opens, gets its index built, and keeps it from then on', async () => {
    const db = freshDb();
    const lib = await openLibrary({ store: db() });
    const saved = await lib.save(sampleDraft(clusteredBank(3)));
    expect(await rawKeys(db())).toEqual([`bank:${saved.id}:1`, `meta:${saved.id}`]);
    const m = await lib.open(saved.id);
    expect(m.index).toBeNull();
    const pc = engineLoad(m);
    expect(pc.indexSource).toBe('built');
    expect(await lib.saveIndex(saved.id, 1, pc.index!.stored)).toBe(true);
    expect(await rawKeys(db())).toContain(`index:bank:${saved.id}:1`);
    expect(engineLoad(await lib.open(saved.id)).indexSource).toBe('restored');
  });

  it('an index built on another bank, or on fp32 values of a bank stored as fp16, is not stored', async () => {
    const db = freshDb();
    const lib = await openLibrary({ store: db() });
    const bank = clusteredBank(4);
    const other = await lib.save({ ...sampleDraft(bank), index: indexOf(clusteredBank(5)) });
    const fp16 = await lib.save({ ...sampleDraft(bank, 'Half', 'fp16'), index: indexOf(bank) });
    const fp16Right = await lib.save({ ...sampleDraft(bank, 'Half, decoded', 'fp16'), index: indexOf(decodeBank(encodeBank(bank, 'fp16'))) });
    const stored = await rawKeys(db());
    expect(stored).not.toContain(`index:bank:${other.id}:1`);
    expect(stored).not.toContain(`index:bank:${fp16.id}:1`);
    expect(stored).toContain(`index:bank:${fp16Right.id}:1`);
    expect(engineLoad(await lib.open(fp16Right.id)).indexSource).toBe('restored');
  });

  it('each version keeps its own index: going back restores the old one, deleting a version or the model frees it', async () => {
    const db = freshDb();
    const lib = await openLibrary({ store: db(), sessionId: 'a' });
    const v1 = clusteredBank(6);
    const v2 = clusteredBank(7, 1000);
    const saved = await lib.save({ ...sampleDraft(v1), index: indexOf(v1) });
    await lib.addVersion(saved.id, v2, { trainImageCount: 24 }, 'taught', indexOf(v2));
    await lib.revertTo(saved.id, 1);
    const back = await lib.open(saved.id);
    expect(back.bankVersion).toBe(1);
    expect(engineLoad(back).indexSource).toBe('restored');
    expect(engineLoad(await lib.openVersion(saved.id, 2)).indexSource).toBe('restored');

    // A version deleted here cannot take an index written back for it by an open that started before.
    await lib.deleteVersion(saved.id, 2);
    expect(await rawKeys(db())).toEqual([`bank:${saved.id}:1`, `index:bank:${saved.id}:1`, `meta:${saved.id}`]);
    expect(await lib.saveIndex(saved.id, 2, indexOf(v2))).toBe(false);

    // A copy shares nothing but has the index too.
    const copy = await lib.duplicate(saved.id);
    expect(engineLoad(await lib.open(copy.id)).indexSource).toBe('restored');

    await lib.delete(saved.id);
    await lib.purgeDeleted();
    expect(await rawKeys(db())).toEqual([`bank:${copy.id}:1`, `index:bank:${copy.id}:1`, `meta:${copy.id}`]);

    // An index left without its bank (an app from before indexes deleted the bank) goes at the next start.
    await set('index:bank:gone:1', indexOf(v1), db());
    await openLibrary({ store: db(), sessionId: 'b' });
    expect(await rawKeys(db())).toEqual([`bank:${copy.id}:1`, `index:bank:${copy.id}:1`, `meta:${copy.id}`]);
  });

  it('adding good images stores the new bank with its index and drops the old one with its bank', async () => {
    const db = freshDb();
    const lib = await openLibrary({ store: db() });
    const v1 = clusteredBank(8);
    const saved = await lib.save({ ...sampleDraft(v1), index: indexOf(v1) });
    const v2 = clusteredBank(9, 1100);
    const ext = await lib.extend(saved.id, v2, { trainImageCount: 30 }, indexOf(v2));
    expect(await rawKeys(db())).toEqual([`bank:${saved.id}:${ext.bankVersion}`, `index:bank:${saved.id}:${ext.bankVersion}`, `meta:${saved.id}`]);
    expect(engineLoad(await lib.open(saved.id)).indexSource).toBe('restored');
  });

  it("the app's .patchcore export carries the index and an import keeps it; an index of another bank is dropped", async () => {
    const db = freshDb();
    const lib = await openLibrary({ store: db() });
    const bank = clusteredBank(10);
    const saved = await lib.save({ ...sampleDraft(bank), index: indexOf(bank) });
    const bytes = new Uint8Array(await (await lib.exportModel(saved.id)).arrayBuffer());
    const decoded = await decodeModelFile(bytes, { knownBackbones: known });
    expect(decoded.index?.checksum).toBe(bankChecksum(bank));
    expect(decoded.index?.cluster).toEqual(indexOf(bank).cluster);

    const imported = await lib.importModel(bytes, known);
    const opened = await lib.open(imported.id);
    expect(opened.bank.data).toEqual(bank.data);
    expect(engineLoad(opened).indexSource).toBe('restored');
    // Imported as a version of the model it came from: the version has the index too.
    const asVersion = await lib.importModel(bytes, known, { asVersion: true });
    expect(asVersion.asVersionOf).toBe(saved.name);
    expect(engineLoad(await lib.openVersion(saved.id, asVersion.bankVersion)).indexSource).toBe('restored');

    // A file whose header names another bank's index imports; the model gets its index built when opened.
    const { thumbnails, ...rest } = opened;
    const wrong = await encodeModelFile({ ...rest, thumbnails }, encodeBank(bank, 'fp32'), Date.now(), indexOf(clusteredBank(11)));
    const stranger = await lib.importModel(wrong, known);
    expect(await rawKeys(db())).not.toContain(`index:bank:${stranger.id}:1`);
    expect(engineLoad(await lib.open(stranger.id)).indexSource).toBe('built');

    // A model stored without an index exports without one (the opener builds it).
    const bare = await lib.save(sampleDraft(clusteredBank(12), 'Bare'));
    const bareFile = await decodeModelFile(new Uint8Array(await (await lib.exportModel(bare.id)).arrayBuffer()), { knownBackbones: known });
    expect(bareFile.index).toBeNull();
  });
});
