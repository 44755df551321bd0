// The bank index on real backbone features (hazelnut_small from the shared sets, the default backbone on
// onnxruntime-node): every patch of defective and good test images finds exactly the brute force's nearest memory
// vector, and eq. 7's neighbours are the brute force's. Skips, saying why, when the shared data is absent.
import { existsSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG } from '../patchcore/config';
import { BankIndex } from '../patchcore/cpu/bankIndex';
import { kNearest, nearest } from '../patchcore/cpu/knn';
import { PatchCore } from '../patchcore/patchcore';
import type { Matrix } from '../patchcore/types';
import { decodeFile } from './decode';
import { backboneFiles, openEngine, type Engine } from './model';

const repo = resolve(import.meta.dirname, '..', '..');
const data = process.env.PATCHCORE_DATA ?? resolve(repo, '..', 'shared', 'data');
const set = join(data, 'hazelnut_small');
const present = existsSync(join(set, 'train', 'good'));
if (!present) console.log(`bankIndex.test: skipped, no shared data at ${set} (set PATCHCORE_DATA)`);

let engine: Engine;
let bank: Matrix;
let queries: (Matrix & { gridW: number })[];

beforeAll(async () => {
  if (!present) return;
  engine = await openEngine(backboneFiles(DEFAULT_CONFIG.backbone), 2);
  const pc = new PatchCore(engine.backbone, engine.kernels, { ...DEFAULT_CONFIG, workingSize: 224 });
  const features = async (file: string) => pc.extract(await decodeFile(file, file));
  const good = join(set, 'train', 'good');
  // Every patch of a few good images: a bank of real vectors, unreduced (as clustered as features come).
  const train = await Promise.all(readdirSync(good).sort().slice(0, 3).map((f) => features(join(good, f))));
  const cols = train[0].cols;
  const data = new Float32Array(train.reduce((a, f) => a + f.data.length, 0));
  train.reduce((o, f) => (data.set(f.data, o), o + f.data.length), 0);
  bank = { data, rows: data.length / cols, cols };
  queries = await Promise.all(['crack/000.png', 'hole/000.png', 'good/000.png'].map((f) => features(join(set, 'test', f))));
}, 120_000);
afterAll(async () => {
  await engine?.release();
});

describe.skipIf(!present)('the bank index on real patch features', () => {
  it.each(['none', 'simd'] as const)('finds every patch the nearest memory vector the brute force finds, at the same distance (loops: %s)', (scan) => {
    const index = BankIndex.build(bank)!;
    expect(index).not.toBeNull();
    for (const q of queries) {
      const want = nearest(q, bank);
      const got = index.nearest(q, { gridW: q.gridW, scan });
      expect(Array.from(got.indices)).toEqual(Array.from(want.indices));
      expect(Array.from(got.distances)).toEqual(Array.from(want.distances));
      // It prunes: far fewer than every distance is measured in full.
      expect(index.lastStats.measured).toBeLessThan(0.5 * index.lastStats.bruteForce);
    }
  });

  it("finds eq. 7's nine nearest memory vectors of the worst patch's nearest as the brute force does", () => {
    const index = BankIndex.build(bank)!;
    for (const q of queries) {
      const nn = nearest(q, bank);
      let worst = 0;
      for (let i = 1; i < q.rows; i++) if (nn.distances[i] > nn.distances[worst]) worst = i;
      const mStar = bank.data.slice(nn.indices[worst] * bank.cols, (nn.indices[worst] + 1) * bank.cols);
      const want = kNearest(mStar, bank, 9), got = index.kNearest(mStar, 9);
      expect(Array.from(got.indices)).toEqual(Array.from(want.indices));
      expect(Array.from(got.distances)).toEqual(Array.from(want.distances));
    }
  });

  it("gives the model the same scores through the command line's kernels with the index as without", async () => {
    const config = { ...DEFAULT_CONFIG, workingSize: 224 };
    const withIndex = new PatchCore(engine.backbone, engine.kernels, config);
    withIndex.load(bank, { imageCount: 3 });
    expect(withIndex.index).not.toBeNull();
    for (const q of queries) {
      const a = await withIndex.scoreFeatures({ ...q, gridH: q.rows / q.gridW });
      const nn = nearest(q, bank);
      expect(Array.from(a.patchScores.data)).toEqual(Array.from(nn.distances));
    }
  });
});
