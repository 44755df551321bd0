import { describe, expect, it } from 'vitest';
import { anomalyMap } from './anomalyMap';
import { gaussianBlur } from './cpu/blur';
import { bilinearResize } from './cpu/resize';
import { cpuKernels } from './cpu';
import { imageScore } from './scoring';
import type { Matrix } from './types';

const col = (values: number[]): Matrix => ({ data: Float32Array.from(values), rows: values.length, cols: 1 });

describe('image score (eq. 7, anomalib style)', () => {
  // Memory bank on a line: 0, 1, 3. Test patches 0.5 and 5; the second is the max patch, m* = 3.
  const bank = col([0, 1, 3]);
  const test = col([0.5, 5]);
  const patchScores = Float32Array.from([0.5, 2]);
  const nn = Uint32Array.from([0, 2]);

  it('re-weights the max patch score by 1 - softmax over distances to the support of m*', () => {
    // Support of m* (b = 2): {3, 1}; distances from 5: [2, 4]; w = 1 - e^2 / (e^2 + e^4).
    const s = imageScore(patchScores, nn, test, bank, 2);
    expect(s.maxPatch).toBe(1);
    expect(s.rawMax).toBe(2);
    expect(s.score).toBeCloseTo(2 * (1 - 1 / (1 + Math.exp(2))), 6);
    // b = 3 adds memory vector 0 at distance 5.
    const w3 = 1 - Math.exp(2) / (Math.exp(2) + Math.exp(4) + Math.exp(5));
    expect(imageScore(patchScores, nn, test, bank, 3).score).toBeCloseTo(2 * w3, 6);
  });

  it('is the plain max patch score when re-weighting is off or the bank is too small', () => {
    expect(imageScore(patchScores, nn, test, bank, 0).score).toBe(2);
    expect(imageScore(patchScores, nn, test, bank, 1).score).toBe(2);
    expect(imageScore(patchScores, Uint32Array.from([0, 0]), test, col([3]), 9).score).toBe(2);
  });

  it('clamps b to the bank size and stays finite for huge distances', () => {
    const far = imageScore(Float32Array.from([1e6]), Uint32Array.from([0]), col([1e6]), bank, 50);
    expect(Number.isFinite(far.score)).toBe(true);
  });
});

describe('anomaly map', () => {
  it('is the bilinear upsampling of the patch scores, then the Gaussian blur', async () => {
    const patch = { data: Float32Array.from([0, 1, 2, 3, 4, 5, 6, 7, 8]), width: 3, height: 3 };
    const map = await anomalyMap(patch, 24, 24, 4);
    const want = gaussianBlur(bilinearResize(patch, 24, 24), 4);
    expect(map.width).toBe(24);
    expect(map.data).toEqual(want.data);
    const viaKernels = await anomalyMap(patch, 24, 24, 4, { blur: async (m, s) => gaussianBlur(m, s) });
    expect(viaKernels.data).toEqual(want.data);
    // The CPU kernels do both steps in one pass: the same map to fp32 rounding.
    const onePass = await anomalyMap(patch, 24, 24, 4, cpuKernels);
    onePass.data.forEach((v, i) => expect(v).toBeCloseTo(want.data[i], 5));
  });
});
