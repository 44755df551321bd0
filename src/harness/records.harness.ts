// Inspection records in the real browser, for `npm run bench -- history`: fills the app's record store with many
// seeded records (figures and small thumbnails) in a few big transactions, as weeks of line-side use would.
import { setMany } from 'idb-keyval';
import { newBatchId, newRecordId, RECORD_SCHEMA, type InspectionRecord } from '../storage/recordFormat';
import { defaultRecordStore, RecordStore } from '../storage/records';
import { rng } from '../patchcore/random';

/**
 * Writes `count` records spread over `days` days before now (a batch every 20 records, 3 models, ~8% fails, some
 * reviewed), each with a `thumbBytes` thumbnail. Returns the number written.
 */
export async function seed(count: number, days = 30, thumbBytes = 3000): Promise<number> {
  const r = rng(7);
  const store = defaultRecordStore();
  const end = Date.now(), start = end - days * 86_400_000;
  const models = [
    { id: 'seed-bottle', name: 'Bottle, top view', version: 1 },
    { id: 'seed-cap', name: 'Cap, line 3', version: 2 },
    { id: null, name: 'Draft', version: null },
  ];
  let batch = newBatchId(start);
  const thumb = { mime: 'image/jpeg', width: 64, height: 48, bytes: new Uint8Array(thumbBytes).fill(128) };
  for (let done = 0; done < count; ) {
    const entries: [string, unknown][] = [];
    const n = Math.min(1000, count - done);
    for (let i = 0; i < n; i++, done++) {
      const at = Math.round(start + ((end - start) * done) / count);
      if (done % 20 === 0) batch = newBatchId(at);
      const score = 1 + r() * 2 + (r() < 0.08 ? 2 : 0);
      const rec: InspectionRecord = {
        schema: RECORD_SCHEMA,
        id: newRecordId(at),
        at,
        file: `line3/${String(done).padStart(6, '0')}.png`,
        source: 'file',
        batch,
        model: models[done % 3],
        workingSize: 224,
        threshold: 3,
        score,
        verdict: score > 3 ? 'fail' : 'pass',
        label: null,
        review: r() < 0.05 ? { as: r() < 0.5 ? 'good' : 'defect', at } : null,
        thumb: { bytes: thumbBytes, mime: thumb.mime, width: thumb.width, height: thumb.height },
      };
      entries.push([`r:${rec.id}`, rec], [`t:${rec.id}`, thumb]);
    }
    await setMany(entries, store);
  }
  await setMany([['usage:thumbs', (await new RecordStore().thumbBytes()) + count * thumbBytes]], store);
  return count;
}

/** Milliseconds to read every record's figures (what History does when it opens). */
export async function timeList(): Promise<{ records: number; ms: number }> {
  const t0 = performance.now();
  const list = await new RecordStore().list();
  return { records: list.length, ms: performance.now() - t0 };
}
