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

/** A stand-in backbone: per-channel means of stride x stride blocks of the NCHW input (any H x W). */
function blockMeans(input: Float32Array, stride: number, H: number, W: number): FeatureMap {
  const gh = H / stride, gw = W / stride;
  const data = new Float32Array(3 * gh * gw);
  for (let c = 0; c < 3; c++)
    for (let y = 0; y < H; y++)
      for (let x = 0; x < W; x++) data[c * gh * gw + Math.floor(y / stride) * gw + Math.floor(x / stride)] += input[c * H * W + y * W + x] / (stride * stride);
  return { data, channels: 3, height: gh, width: gw };
}
const backbone: Backbone = { manifest, run: async (x, H = S, W = S) => [blockMeans(x, 8, H, W), blockMeans(x, 16, H, W)] };

function texture(seed: number, defect = false, W = S, H = S) {
  const r = rng(seed);
  const data = new Uint8ClampedArray(W * H * 4);
  for (let i = 0; i < W * H; i++) {
    const v = 120 + r() * 20;
    data.set([v, v * 0.9, v * 0.8, 255], i * 4);
  }
  if (defect) for (let y = 20; y < 30; y++) for (let x = 36; x < 46; x++) data.set([250, 40, 40, 255], (y * W + x) * 4);
  return { data, width: W, height: H };
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

  it("'fit' learns from images of different shapes at one scale and maps each at its own shape", async () => {
    const fitManifest = { ...manifest, inputMultiple: 16 };
    const fitBackbone: Backbone = { ...backbone, manifest: fitManifest };
    const pc = new PatchCore(fitBackbone, cpuKernels, { ...config, resize: 'fit', maxAspect: 3 });
    // Square, 2:1 landscape and 1:2 portrait good images: 8x8, 16x8 and 8x16 cells of stride 8.
    const shapes: [number, number][] = [[64, 64], [128, 64], [64, 128], [64, 64], [128, 64], [64, 128]];
    const bank = await pc.fit(shapes.map(([w, h], i) => texture(i, false, w, h)), shapes.length);
    expect(bank.rows).toBe(Math.floor((64 + 128 + 128 + 64 + 128 + 128) * 0.25));
    const wide = await pc.score(texture(200, true, 128, 64));
    expect([wide.map.width, wide.map.height]).toEqual([128, 64]);
    expect([wide.patchScores.width, wide.patchScores.height]).toEqual([16, 8]);
    const good = await pc.score(texture(201, false, 128, 64));
    expect(wide.score).toBeGreaterThan(good.score);
    let peak = 0;
    for (let i = 1; i < wide.map.data.length; i++) if (wide.map.data[i] > wide.map.data[peak]) peak = i;
    expect(peak % 128).toBeGreaterThanOrEqual(30);
    expect(peak % 128).toBeLessThan(52);
    // A model saved before 'fit' existed (no resize field) keeps squashing, so its stored bank stays valid.
    const old = new PatchCore(fitBackbone, cpuKernels, { ...config, resize: undefined });
    old.bank = bank;
    const squashed = await old.score(texture(202, false, 128, 64));
    expect([squashed.map.width, squashed.map.height]).toEqual([S, S]);
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
