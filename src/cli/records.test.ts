import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { parseRecordLines } from '../storage/recordFormat';
import { inspect, type Scorer } from './inspect';

/** A scorer that needs no engine: the score is the image's mean red value / 50, so a red image fails. */
const scorer: Scorer = {
  name: 'Bottle, line 3',
  threshold: 2,
  id: 'model-1',
  workingSize: 224,
  async score(img) {
    let red = 0;
    for (let i = 0; i < img.data.length; i += 4) red += img.data[i];
    const score = red / (img.data.length / 4) / 50;
    return { score, map: { data: new Float32Array(4).fill(score), width: 2, height: 2 }, window: { x: 0, y: 0, w: 1, h: 1 } };
  },
  release: async () => undefined,
};

async function png(path: string, r: number): Promise<string> {
  writeFileSync(path, await sharp({ create: { width: 16, height: 12, channels: 3, background: { r, g: 80, b: 80 } } }).png().toBuffer());
  return path;
}

describe('inspect --records', () => {
  it('appends one app-format record per scored image, and a second run appends its own batch', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'records-cli-'));
    const files = [await png(join(dir, 'ok.png'), 40), await png(join(dir, 'red.png'), 250)];
    writeFileSync(join(dir, 'broken.png'), 'not a png');
    const out = join(dir, 'log', 'records.jsonl');
    await inspect(scorer, [...files, join(dir, 'broken.png')], { records: out });
    await inspect(scorer, files.slice(0, 1), { records: out });

    const { records, problems } = parseRecordLines(readFileSync(out, 'utf8'));
    expect(problems).toEqual([]);
    expect(records.map((r) => [r.file.split(/[\\/]/).pop(), r.verdict])).toEqual([['ok.png', 'pass'], ['red.png', 'fail'], ['ok.png', 'pass']]);
    expect(records[1]).toMatchObject({ schema: 1, source: 'cli', model: { id: 'model-1', name: 'Bottle, line 3', version: null }, workingSize: 224, threshold: 2, thumb: null });
    expect(records[1].score).toBeCloseTo(5, 5);
    expect(records[0].batch).toBe(records[1].batch);
    expect(records[2].batch).not.toBe(records[0].batch);
  });
});
