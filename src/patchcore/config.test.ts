import { describe, expect, it } from 'vitest';
import { AUTO_LARGE_IMAGE, AUTO_LARGE_SIZE, DEFAULT_CONFIG, MAX_WORKING_SIZE, autoInputSize, resolveInputSize } from './config';

describe('working size', () => {
  it("'auto' keeps the default for small images and works larger above the rule's threshold", () => {
    expect(autoInputSize(320)).toBe(DEFAULT_CONFIG.inputSize);
    expect(autoInputSize(AUTO_LARGE_IMAGE)).toBe(DEFAULT_CONFIG.inputSize);
    expect(autoInputSize(1000)).toBe(AUTO_LARGE_SIZE);
    expect(resolveInputSize('auto', 1000)).toBe(AUTO_LARGE_SIZE);
    // Sizes unknown (no readable header): the default.
    expect(resolveInputSize('auto', null)).toBe(DEFAULT_CONFIG.inputSize);
  });

  it("'native' is the images' own shorter side, a multiple of 16, within the default and the ceiling", () => {
    expect(resolveInputSize('native', 1000)).toBe(992);
    expect(resolveInputSize('native', 5000)).toBe(MAX_WORKING_SIZE);
    expect(resolveInputSize('native', 100)).toBe(DEFAULT_CONFIG.inputSize);
    expect(resolveInputSize(448, 100)).toBe(448);
  });
});
