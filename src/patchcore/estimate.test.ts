import { describe, expect, it } from 'vitest';
import type { BackboneManifest } from '../backbone/manifest';
import type { FeatureMap } from '../backbone/types';
import { DEFAULT_CONFIG, type EngineConfig } from './config';
import { cpuKernels } from './cpu';
import { estimateCost } from './estimate';
import { planMemory } from './memory';
import { PatchCore } from './patchcore';
import { rng } from './random';

const manifest: BackboneManifest = {
  id: 'flat', label: 'test', description: 'constant maps', url: '', inputName: 'input', inputSize: 64, inputMultiple: 16,
  mean: [0, 0, 0], std: [1, 1, 1],
  taps: [{ output: 'a', stride: 8, channels: 2 }, { output: 'b', stride: 16, channels: 2 }],
  receptiveFieldOffsetPx: 3.5, license: 'test',
};
/** Maps of the right shape with seeded values: what the estimate needs of a backbone is its grid and its time. */
const backbone = {
  manifest,
  run: async (_x: Float32Array, H = 64, W = 64): Promise<[FeatureMap, FeatureMap]> => {
    const r = rng(H * 1000 + W);
    const map = (s: number): FeatureMap => ({ data: Float32Array.from({ length: 2 * (H / s) * (W / s) }, () => r()), channels: 2, height: H / s, width: W / s });
    return [map(8), map(16)];
  },
};
const image = (w: number, h: number) => ({ data: new Uint8ClampedArray(w * h * 4).fill(128), width: w, height: h });

describe('cost estimate before a build', () => {
  it('counts patches and bank at the working size, inside the region, and plans the selection as the builder will', async () => {
    const config: EngineConfig = { ...DEFAULT_CONFIG, backbone: 'flat', workingSize: 128, region: { x0: 0, y0: 0, x1: 0.5, y1: 1 } };
    const pc = new PatchCore(backbone, cpuKernels, config);
    const e = await estimateCost(pc, [image(300, 200), image(300, 200)], 40, { parallel: 1, decodeSeconds: 0.01 });
    // 300 x 200 at 128 px: 192 x 128 input, 24 x 16 cells, the left half of them inside the region.
    expect([e.inputWidth, e.inputHeight]).toEqual([192, 128]);
    expect(e.patchesPerImage).toBe(12 * 16);
    expect(e.patches).toBe(40 * 12 * 16);
    expect(e.bank).toBe(Math.floor(40 * 12 * 16 * 0.1));
    expect(e.featureSeconds).toBeGreaterThanOrEqual(0.01);
    expect(e.inspectSeconds).toBeGreaterThan(e.featureSeconds);
    expect(e.buildSeconds).toBeGreaterThanOrEqual(40 * e.featureSeconds);
    expect(e.memoryBytes).toBe(planMemory(e.patches, config, 1).peakRows * (4 + config.projectionDim) * 4);
    expect(e.bankBytes).toBe(e.bank * 4 * 4);
  });

  it('counts the calibration: held-out images scored, and with few images each learnt one against the others', async () => {
    const config: EngineConfig = { ...DEFAULT_CONFIG, backbone: 'flat', workingSize: 64 };
    const pc = new PatchCore(backbone, cpuKernels, config);
    const many = await estimateCost(pc, [image(64, 64), image(64, 64)], 34, { parallel: 1, holdoutCount: 6 });
    // 6 held out (enough): the calibration is their inspections, nothing else.
    expect(many.calibrationSeconds).toBeCloseTo(6 * many.inspectSeconds, 9);
    const few = await estimateCost(pc, [image(64, 64), image(64, 64)], 4, { parallel: 1, holdoutCount: 1 });
    // 4 learnt + 1 held out: each learnt image is extracted once more and searched, besides the held-out one.
    expect(few.calibrationSeconds).toBeGreaterThan(few.inspectSeconds + 4 * few.featureSeconds);
    expect(few.buildSeconds).toBeGreaterThan(4 * few.featureSeconds + few.calibrationSeconds);
    const one = await estimateCost(pc, [image(64, 64)], 1, { parallel: 1, holdoutCount: 0 });
    expect(one.calibrationSeconds).toBeGreaterThan(one.featureSeconds);
  });
});
