import { describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG } from './config';
import { calibrate, defaultModelName, holdoutSplit, modelConfig, modelWorkingSize, parseWorkingSize, tooFewImages } from './recipe';

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
    expect(c).toEqual({ ...DEFAULT_CONFIG, coresetFloor: c.coresetFloor });
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

  it('needs two images, holds some out spread over the list, and sets no threshold without a held-out score', () => {
    expect(tooFewImages(1)).toMatch(/Found 1 image: add at least 2 good images/);
    expect(tooFewImages(2)).toBeNull();
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
