import 'fake-indexeddb/auto';
import { createStore, keys, type UseStore } from 'idb-keyval';
import { describe, expect, it } from 'vitest';
import { withQuota } from './library.fixture';
import {
  countRecords,
  filterRecords,
  newBatchId,
  newRecordId,
  NO_FILTER,
  parseRecordLines,
  passRateBuckets,
  recordLine,
  recordsCsv,
  RECORD_SCHEMA,
  type InspectionRecord,
  type RecordThumb,
} from './recordFormat';
import { RecordSaveError, RecordStore } from './records';

let dbCount = 0;
function freshDb(): () => UseStore {
  const name = `records-test-${++dbCount}-${crypto.randomUUID()}`;
  return () => createStore(name, 'records');
}

const batch = newBatchId(0);
function rec(i: number, over: Partial<InspectionRecord> = {}): InspectionRecord {
  const at = Date.UTC(2026, 0, 1) + i * 60_000;
  const score = 1 + (i % 5) * 0.5;
  return {
    schema: RECORD_SCHEMA,
    id: newRecordId(at),
    at,
    file: `line3/part_${i}.png`,
    source: 'file',
    batch,
    model: { id: 'm1', name: 'Bottle', version: 1 },
    workingSize: 224,
    threshold: 2.6,
    score,
    verdict: score > 2.6 ? 'fail' : 'pass',
    ...over,
  };
}
const thumb = (n: number, fill = 7): RecordThumb => ({ mime: 'image/jpeg', width: 8, height: 8, bytes: new Uint8Array(n).fill(fill) });

describe('inspection records', () => {
  it('keeps every record with its thumbnail across a reopened store, oldest first', async () => {
    const db = freshDb();
    const a = new RecordStore({ store: db() });
    for (let i = 0; i < 5; i++) await a.add(rec(i), thumb(100, i));
    const b = new RecordStore({ store: db() });
    const list = await b.list();
    expect(list.map((r) => r.file)).toEqual([0, 1, 2, 3, 4].map((i) => `line3/part_${i}.png`));
    expect(list[2].thumb).toEqual({ bytes: 100, mime: 'image/jpeg', width: 8, height: 8 });
    expect((await b.thumb(list[3].id))!.bytes[0]).toBe(3);
    expect(await b.thumbBytes()).toBe(500);
  });

  it('marks many verdicts in one go and can take a mark back', async () => {
    const store = new RecordStore({ store: freshDb()(), now: () => 42 });
    const ids: string[] = [];
    for (let i = 0; i < 4; i++) ids.push((await store.add(rec(i), null)).record.id);
    await store.review(ids.slice(0, 3), 'good');
    await store.review([ids[1]], 'defect');
    await store.review([ids[2]], null);
    const byId = new Map((await store.list()).map((r) => [r.id, r]));
    expect(ids.map((id) => byId.get(id)!.review?.as ?? null)).toEqual(['good', 'defect', null, null]);
    expect(byId.get(ids[0])!.review!.at).toBe(42);
  });

  it('trims the oldest thumbnails past the budget, keeps every figure and says what it trimmed', async () => {
    const store = new RecordStore({ store: freshDb()(), now: () => 99 });
    await store.setBudget(1000);
    const trims = [];
    for (let i = 0; i < 12; i++) {
      const { trim } = await store.add(rec(i), thumb(100));
      if (trim) trims.push(trim);
    }
    // 12 x 100 bytes into 1000: at the 11th the oldest go, down to 900 bytes.
    expect(trims).toHaveLength(1);
    expect(trims[0].trimmed).toBe(2);
    expect(trims[0].freedBytes).toBe(200);
    const list = await store.list();
    expect(list).toHaveLength(12);
    expect(list.map((r) => (r.thumb ? 'kept' : 'trimmed'))).toEqual([...Array(2).fill('trimmed'), ...Array(10).fill('kept')]);
    expect(list[0].thumbTrimmedAt).toBe(99);
    expect(list[0].score).toBe(rec(0).score);
    expect(await store.thumb(list[0].id)).toBeNull();
    expect(await store.thumbBytes()).toBe(1000);
    expect(trims[0].upTo).toBe(list[1].at);

    const lower = await store.setBudget(450);
    expect(lower.trimmed).toBe(6); // 1000 -> 400 (90% of 450 is 405)
    expect(await store.thumbBytes()).toBe(400);
  });

  it('a full disk refuses the record in words and leaves every older record and thumbnail as it was', async () => {
    const db = freshDb();
    const quota = withQuota(db(), 2_000);
    const store = new RecordStore({ store: quota, estimate: async () => ({ usage: 10, quota: 12 }) });
    await store.setBudget(1e9);
    await store.add(rec(0), thumb(500));
    const before = await store.list();
    const err = await store.add(rec(1), thumb(5_000)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RecordSaveError);
    expect((err as RecordSaveError).quota).toBe(true);
    expect((err as Error).message).toMatch(/^The record of line3\/part_1\.png could not be saved: browser storage is full \(it needs about [\d.]+ kB; 2 bytes free\)\. Its verdict above stands/);
    expect(await store.list()).toEqual(before);
    expect(((await keys(db())) as string[]).filter((k) => k.startsWith('t:'))).toHaveLength(1);
    expect(await store.thumbBytes()).toBe(500);
  });

  it('a record missing its score is refused before anything is written', async () => {
    const store = new RecordStore({ store: freshDb()() });
    const bad = { ...rec(0), score: undefined } as unknown as InspectionRecord;
    await expect(store.add(bad, null)).rejects.toThrow('is not whole (no score or threshold)');
    expect(await store.list()).toEqual([]);
  });
});

describe('record format', () => {
  const records = Array.from({ length: 30 }, (_, i) =>
    rec(i, { model: { id: i < 20 ? 'm1' : null, name: i < 20 ? 'Bottle' : 'Draft', version: i < 20 ? 1 : null }, review: i % 7 === 0 ? { as: 'good', at: 1 } : null }),
  );

  it('filters by model, verdict, review and time together', () => {
    const f = filterRecords(records, { ...NO_FILTER, modelId: 'm1', verdict: 'fail', reviewed: 'no', from: records[3].at, to: records[18].at });
    expect(f.map((r) => r.file)).toEqual(records.filter((r, i) => i >= 3 && i <= 18 && r.verdict === 'fail' && !r.review).map((r) => r.file));
    expect(f.length).toBeGreaterThan(0);
    expect(filterRecords(records, { ...NO_FILTER, modelId: '' })).toHaveLength(10);
    expect(filterRecords(records, { ...NO_FILTER, reviewed: 'good' }).map((r) => r.file)).toEqual([0, 7, 14, 21, 28].map((i) => `line3/part_${i}.png`));
  });

  it('counts passes, fails and the false alarms a person found', () => {
    const c = countRecords(records);
    expect(c.total).toBe(30);
    expect(c.pass + c.fail).toBe(30);
    expect(c.fail).toBe(records.filter((r) => r.score > 2.6).length);
    expect(c.falseAlarms).toBe(records.filter((r) => r.review?.as === 'good' && r.verdict === 'fail').length);
  });

  it('buckets the pass rate by hour for records within two days', () => {
    const { bucketMs, buckets } = passRateBuckets(records);
    expect(bucketMs).toBe(3_600_000);
    expect(buckets.reduce((n, b) => n + b.total, 0)).toBe(30);
    expect(buckets.reduce((n, b) => n + b.pass, 0)).toBe(countRecords(records).pass);
  });

  it('reads back its own JSON Lines and names a cut-off line', () => {
    const text = records.slice(0, 3).map(recordLine).join('\n') + '\n' + recordLine(records[3]).slice(0, 40);
    const { records: back, problems } = parseRecordLines(text);
    expect(back).toEqual(records.slice(0, 3));
    expect(problems).toEqual(['line 4 is not JSON (cut off?)']);
  });

  it('writes CSV with the results columns first', () => {
    const csv = recordsCsv(records.slice(0, 2)).split('\r\n');
    expect(csv[0]).toBe('time,file,score,verdict,threshold,model,model_id,model_version,working_size,review,label,source,batch');
    expect(csv[1]).toBe(`2026-01-01T00:00:00.000Z,line3/part_0.png,1,pass,2.6,Bottle,m1,1,224,good,,file,${batch}`);
  });

  it('record ids sort by time even within one millisecond', () => {
    const ids = [newRecordId(5), newRecordId(5), newRecordId(6), newRecordId(1000)];
    expect([...ids].sort()).toEqual(ids);
  });
});
