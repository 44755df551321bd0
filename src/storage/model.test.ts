import { describe, expect, it } from 'vitest';
import type { BackboneManifest } from '../backbone/manifest';
import { canonicalJson, manifestHash, storedScoreStats } from './model';

const manifest: BackboneManifest = {
  id: 'mobilenet_v2_mid',
  label: 'MobileNetV2',
  description: 'small',
  url: '/models/mobilenet_v2_mid.onnx',
  inputName: 'input',
  inputSize: 224,
  mean: [0.485, 0.456, 0.406],
  std: [0.229, 0.224, 0.225],
  taps: [
    { output: 'a', stride: 8, channels: 32 },
    { output: 'b', stride: 16, channels: 96 },
  ],
  receptiveFieldOffsetPx: 3.5,
  license: 'Apache-2.0',
};

describe('manifest hash', () => {
  it('is the same whatever order the manifest fields were written in', async () => {
    const reordered = Object.fromEntries(Object.entries(manifest).reverse()) as unknown as BackboneManifest;
    expect(canonicalJson(reordered)).toBe(canonicalJson(manifest));
    const h = await manifestHash(manifest);
    expect(h).toMatch(/^[0-9a-f]{64}$/);
    expect(await manifestHash(reordered)).toBe(h);
  });

  it('changes when anything that shapes the features changes', async () => {
    const h = await manifestHash(manifest);
    expect(
      await manifestHash({ ...manifest, taps: [manifest.taps[0], { ...manifest.taps[1]!, channels: 64 }] }),
    ).not.toBe(h);
    expect(await manifestHash({ ...manifest, mean: [0.5, 0.5, 0.5] })).not.toBe(h);
  });
});

describe('score statistics', () => {
  it('summarise the held-out good scores with numpy-style quantiles', () => {
    const s = storedScoreStats([4, 1, 3, 2, 5]);
    expect(s.mean).toBe(3);
    expect(s.std).toBeCloseTo(Math.sqrt(2.5), 12); // sample standard deviation (n - 1)
    expect(s.quantiles.p50).toBe(3);
    expect(s.quantiles.p90).toBeCloseTo(4.6, 12);
    expect(s.quantiles.max).toBe(5);
    expect(s.scores).toEqual([4, 1, 3, 2, 5]);
  });

  it('are all zeros, in the stored shape, for a model without held-out scores', () => {
    expect(storedScoreStats([])).toEqual({ scores: [], mean: 0, std: 0, quantiles: { p50: 0, p90: 0, p95: 0, p99: 0, max: 0 } });
  });
});
