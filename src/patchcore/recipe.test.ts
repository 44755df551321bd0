import { describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG } from './config';
import { S, backbone, texture } from './blocks.fixture';
import { cpuKernels } from './cpu';
import { PatchCore } from './patchcore';
import type { RgbaImage } from './preprocess';
import { calibrate, calibrationNote, calibrationScores, defaultModelName, holdoutSplit, learn, modelConfig, modelWorkingSize, parseWorkingSize, tooFewImages, type ImageSource } from './recipe';

/** Seeded textures named by their seed, as the recipe reads a caller's images. */
const textures: ImageSource<number> = { name: (i) => `good_${i}.png`, decode: async (i) => texture(i) };
const fewShot = { ...modelConfig({ workingSize: S }, null), backbone: 'blocks', coresetFloor: 10000, sigmaPx: 2 };

describe('the model recipe', () => {
  it('takes a working size the backbone can use and refuses one it cannot, in words', () => {
    expect(parseWorkingSize('auto')).toBe('auto');
    expect(parseWorkingSize('native')).toBe('native');
    expect(parseWorkingSize('448')).toBe(448);
    expect(parseWorkingSize(320)).toBe(320);
    for (const bad of ['250', '16', '2048', 'big', '', 224.5]) {
      expect(() => parseWorkingSize(bad, '--working-size')).toThrow(/--working-size must be auto, native or a multiple of 16 pixels from 32 to 1024/);
    }
  });

  it('resolves auto from the images, and a custom backbone keeps its own square unless it takes other sizes', () => {
    expect(modelWorkingSize('auto', 300, null)).toBe(224);
    expect(modelWorkingSize('auto', 1000, null)).toBe(448);
    expect(modelWorkingSize(320, 1000, null)).toBe(320);
    expect(modelWorkingSize(448, 1000, { inputSize: 256 })).toBe(256);
    expect(modelWorkingSize('auto', 1000, { inputSize: 256, inputMultiple: 32 })).toBe(256);
    expect(modelWorkingSize(448, 1000, { inputSize: 256, inputMultiple: 28 })).toBe(448);
    expect(modelWorkingSize(440, 1000, { inputSize: 256, inputMultiple: 32 })).toBe(448);
  });

  it('makes the default config from no choices, the ceiling following the working size, and experiments last', () => {
    const c = modelConfig({}, 320);
    expect(c).toEqual(DEFAULT_CONFIG);
    const big = modelConfig({ workingSize: 448, region: { x0: 0.1, y0: 0, x1: 1, y1: 1 } }, 1000);
    expect([big.workingSize, big.coresetMax, big.region?.x0]).toEqual([448, 10000, 0.1]);
    expect(modelConfig({ workingSize: 448 }, null, null, { coresetMax: 0, reweightNeighbors: 0 })).toMatchObject({ coresetMax: 0, reweightNeighbors: 0 });
  });

  it('refuses options that do not go together or make no sense, before any image is read', () => {
    expect(() => modelConfig({ coresetRatio: 0 }, 300)).toThrow(/memory size/);
    expect(() => modelConfig({ framing: 'zoom' as never }, 300)).toThrow(/framing must be one of fit, squash, crop/);
    expect(() => modelConfig({ augment: 'twist' as never }, 300)).toThrow(/training views must be one of none, flip, rotate/);
    expect(() => modelConfig({ augment: 'rotate', region: { x0: 0, y0: 0, x1: 0.5, y1: 1 } }, 300)).toThrow(/inspection region and turned or mirrored/);
    expect(modelConfig({ augment: 'flip' }, 300).augment).toBe('flip');
    expect(modelConfig({ augment: 'none' }, 300)).not.toHaveProperty('augment');
  });

  it('with a handful of images, scores each learnt image against the others and says what the threshold rests on', async () => {
    const { train, holdout } = holdoutSplit([0, 1, 2, 3, 4]);
    expect([train.length, holdout.length]).toEqual([4, 1]);
    const learnt = await learn(new PatchCore(backbone, cpuKernels, fewShot), train, holdout, textures);
    expect(learnt.bank.rows).toBe(4 * 64); // every patch kept under the floor
    expect(learnt.holdoutScores).toHaveLength(1);
    expect(learnt.learntScores.map((s) => s.name)).toEqual(train.map((i) => `good_${i}.png (left out)`));
    // Left out of the memory, a good image scores like an unseen good one, not 0 as against itself.
    for (const s of learnt.learntScores) expect(s.score).toBeGreaterThan(0);
    const scores = calibrationScores(learnt);
    expect(scores).toHaveLength(5);
    const { threshold } = calibrate(scores, 0.05);
    expect(threshold).toBeGreaterThan(Math.max(...scores.map((s) => s.score)) * 0.999);
    expect(calibrationNote(learnt)).toMatch(/rests on 1 held-out image and 4 learnt images, each scored against a memory of the others/);
  });

  it('leaves each learnt image out of a coreset memory made as the model\'s when the model keeps a share', async () => {
    const coreset = { ...fewShot, coresetFloor: 0, coresetRatio: 0.25 };
    const learnt = await learn(new PatchCore(backbone, cpuKernels, coreset), [0, 1, 2, 3], [4], textures);
    expect(learnt.bank.rows).toBe(Math.floor(4 * 64 * 0.25));
    expect(learnt.learntScores).toHaveLength(4);
    for (const s of learnt.learntScores) expect(s.score).toBeGreaterThan(0);
  });

  it('builds from one image, its halves scored against each other, and flags a defect above that threshold', async () => {
    const pc = new PatchCore(backbone, cpuKernels, fewShot);
    const learnt = await learn(pc, [7], [], textures);
    expect(learnt.learntScores).toEqual([{ name: 'good_7.png (its halves)', score: expect.any(Number) }]);
    const { threshold } = calibrate(calibrationScores(learnt));
    expect(calibrationNote(learnt)).toMatch(/rests on the halves of the one image/);
    expect((await pc.score(texture(103, true) as RgbaImage)).score).toBeGreaterThan(threshold);
  });

  it('needs an image, holds some out spread over the list, and sets no threshold without a good score', () => {
    expect(tooFewImages(0)).toMatch(/Found no images: add good images of the part/);
    expect(tooFewImages(1)).toBeNull();
    const { train, holdout } = holdoutSplit(Array.from({ length: 20 }, (_, i) => i));
    expect(holdout).toHaveLength(5);
    expect(train).toHaveLength(15);
    expect(() => calibrate([])).toThrow(/None of the held-out good images could be scored/);
    const c = calibrate([{ name: 'a', score: 1 }, { name: 'b', score: 1.2 }, { name: 'c', score: 1.1 }], 0.05);
    expect(c.falseAlarmRate).toBe(0.05);
    expect(c.threshold).toBeGreaterThan(1.2);
    expect(defaultModelName('bottle', Date.UTC(2026, 0, 2))).toMatch(/^bottle \(/);
  });
});
