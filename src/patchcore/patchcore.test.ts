import { describe, expect, it } from 'vitest';
import type { BackboneManifest } from '../backbone/manifest';
import { DEFAULT_CONFIG, type EngineConfig } from './config';
import { cpuKernels } from './cpu';
import { PatchCore, type Backbone } from './patchcore';
import { rng } from './random';
import type { FeatureMap } from './types';

const S = 64;
const manifest: BackboneManifest = {
  id: 'blocks', label: 'test', description: 'block means', url: '', inputName: 'input', inputSize: S,
  mean: [0, 0, 0], std: [1, 1, 1],
  taps: [{ output: 'a', stride: 8, channels: 3 }, { output: 'b', stride: 16, channels: 3 }],
  receptiveFieldOffsetPx: 3.5, license: 'test',
};

/** A stand-in backbone: per-channel means (and local contrast) of stride x stride blocks of the NCHW input. */
function blockMeans(input: Float32Array, stride: number): FeatureMap {
  const g = S / stride;
  const data = new Float32Array(3 * g * g);
  for (let c = 0; c < 3; c++)
    for (let y = 0; y < S; y++)
      for (let x = 0; x < S; x++) data[c * g * g + Math.floor(y / stride) * g + Math.floor(x / stride)] += input[c * S * S + y * S + x] / (stride * stride);
  return { data, channels: 3, height: g, width: g };
}
const backbone: Backbone = { manifest, run: async (x) => [blockMeans(x, 8), blockMeans(x, 16)] };

function texture(seed: number, defect = false) {
  const r = rng(seed);
  const data = new Uint8ClampedArray(S * S * 4);
  for (let i = 0; i < S * S; i++) {
    const v = 120 + r() * 20;
    data.set([v, v * 0.9, v * 0.8, 255], i * 4);
  }
  if (defect) for (let y = 20; y < 30; y++) for (let x = 36; x < 46; x++) data.set([250, 40, 40, 255], (y * S + x) * 4);
  return { data, width: S, height: S };
}

describe('PatchCore pipeline', () => {
  const config: EngineConfig = { ...DEFAULT_CONFIG, backbone: 'blocks', inputSize: S, coresetRatio: 0.25, sigmaPx: 2 };

  it('a defective image scores above every good one, and its map peaks on the defect', async () => {
    const pc = new PatchCore(backbone, cpuKernels, config);
    const stages = new Set<string>();
    const bank = await pc.fit(Array.from({ length: 8 }, (_, i) => texture(i)), 8, { onProgress: (p) => stages.add(p.stage) });
    expect(bank.rows).toBe(Math.floor(8 * 64 * 0.25));
    expect(bank.cols).toBe(6);
    expect([...stages]).toEqual(['features', 'coreset']);
    const good = await Promise.all([100, 101, 102].map((s) => pc.score(texture(s))));
    const bad = await pc.score(texture(103, true));
    for (const g of good) expect(bad.score).toBeGreaterThan(g.score);
    expect(bad.map.width).toBe(S);
    let peak = 0;
    for (let i = 1; i < bad.map.data.length; i++) if (bad.map.data[i] > bad.map.data[peak]) peak = i;
    const px = peak % S, py = Math.floor(peak / S);
    expect(px).toBeGreaterThanOrEqual(30);
    expect(px).toBeLessThan(52);
    expect(py).toBeGreaterThanOrEqual(14);
    expect(py).toBeLessThan(36);
  });

  it('cancelling a build rejects with AbortError', async () => {
    const pc = new PatchCore(backbone, cpuKernels, config);
    const ctl = new AbortController();
    ctl.abort();
    await expect(pc.fit([texture(1)], 1, { signal: ctl.signal })).rejects.toMatchObject({ name: 'AbortError' });
    expect(pc.bank).toBeNull();
  });

  it('scoring without a memory bank says what to do', async () => {
    const pc = new PatchCore(backbone, cpuKernels, config);
    await expect(pc.score(texture(1))).rejects.toThrow(/build it from good images first/);
  });
});
