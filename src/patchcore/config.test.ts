import { describe, expect, it } from 'vitest';
import { AUTO_MAX_SIZE, coresetMaxFor, DEFAULT_CONFIG, MAX_WORKING_SIZE, autoWorkingSize, resolveWorkingSize } from './config';

describe('working size', () => {
  it("'auto' shrinks at most 2.5 times, from the default size up to its ceiling", () => {
    expect(autoWorkingSize(100)).toBe(DEFAULT_CONFIG.workingSize);
    expect(autoWorkingSize(320)).toBe(DEFAULT_CONFIG.workingSize);
    expect(autoWorkingSize(560)).toBe(224);
    expect(autoWorkingSize(561)).toBe(320);
    expect(autoWorkingSize(800)).toBe(320);
    expect(autoWorkingSize(1000)).toBe(448);
    expect(autoWorkingSize(4000)).toBe(AUTO_MAX_SIZE);
    expect(resolveWorkingSize('auto', 1000)).toBe(448);
    // Sizes unknown (no readable header): the default.
    expect(resolveWorkingSize('auto', null)).toBe(DEFAULT_CONFIG.workingSize);
  });

  it("'native' is the images' own shorter side, a multiple of 16, within the default and the ceiling", () => {
    expect(resolveWorkingSize('native', 1000)).toBe(992);
    expect(resolveWorkingSize('native', 5000)).toBe(MAX_WORKING_SIZE);
    expect(resolveWorkingSize('native', 100)).toBe(DEFAULT_CONFIG.workingSize);
    expect(resolveWorkingSize(448, 100)).toBe(448);
  });
});

describe('bank ceiling by working size', () => {
  it('keeps the default ceiling up to 224 px and shrinks it in proportion above', () => {
    expect(coresetMaxFor(224)).toBe(DEFAULT_CONFIG.coresetMax);
    expect(coresetMaxFor(448)).toBe(10000);
    expect(coresetMaxFor(320)).toBe(14000);
    expect(coresetMaxFor(448, 0)).toBe(0);
  });
});

describe('reading the images\' size', () => {
  it('spreads distinct indices over the set and takes the median shorter side of what could be read', async () => {
    const { spreadIndices, medianShorterSide } = await import('./config');
    expect(spreadIndices(9, 3)).toEqual([0, 3, 6]);
    expect(spreadIndices(2, 3)).toEqual([0, 1]);
    expect(spreadIndices(0, 3)).toEqual([]);
    expect(medianShorterSide([{ width: 1500, height: 1000 }, null, { width: 300, height: 400 }, { width: 900, height: 700 }])).toBe(700);
    expect(medianShorterSide([null])).toBeNull();
  });
});
