// Models on the networks people bring, end to end on the CPU kernels: a ResNet-like graph with layer2 and layer3
// (two taps, Euclidean distance) and a DINOv2-like ViT/14 with class and register tokens (one tap, cosine distance).
// Random weights: this holds the plumbing (manifest, shapes, config, bank, scores, the cost estimate), not accuracy.
import { describe, expect, it } from 'vitest';
import { loadCustomBackbone } from '../backbone/custom';
import { resNetLike, vitLike } from '../backbone/onnx/tinyFamilies.fixture';
import { proposeManifest } from '../backbone/propose';
import { openWebGraphProbe, type Backbone } from '../backbone/session';
import { cpuKernels } from './cpu';
import { aggregate, normaliseRows } from './cpu/features';
import { createAggregate } from './gpu/features';
import { estimateCost } from './estimate';
import { PatchCore } from './patchcore';
import { rng } from './random';
import { modelConfig } from './recipe';
import type { Kernels } from './types';
import { createWasmKernels } from './wasm/index';

async function backboneFor(bytes: Uint8Array, fileName: string): Promise<Backbone> {
  const probe = await openWebGraphProbe(bytes);
  const { manifest } = await proposeManifest(probe, { fileName }).finally(() => probe.release());
  return loadCustomBackbone(bytes.slice().buffer, JSON.stringify(manifest), { prefer: 'wasm' });
}

/** A noisy grey part, W x H, with a red square when `defect`. */
function part(seed: number, defect = false, W = 224, H = 224) {
  const r = rng(seed);
  const data = new Uint8ClampedArray(W * H * 4);
  for (let i = 0; i < W * H; i++) {
    const v = 110 + r() * 30;
    data.set([v, v, v * 0.95, 255], i * 4);
  }
  if (defect) for (let y = 80; y < 128; y++) for (let x = 96; x < 144; x++) data.set([240, 30, 30, 255], (y * W + x) * 4);
  return { data, width: W, height: H };
}

async function buildAndScore(bb: Backbone, kernels: Kernels) {
  const config = modelConfig({ backbone: bb.manifest.id, coresetRatio: 0.25 }, 224, bb.manifest);
  const pc = new PatchCore(bb, kernels, config);
  const fit = await pc.fit([1, 2, 3, 4].map((s) => part(s)), 4);
  const good = await pc.score(part(9));
  const bad = await pc.score(part(10, true));
  return { config, pc, fit, good, bad };
}

describe('bring your own network, end to end', () => {
  it('a ResNet with layer2 and layer3 builds a Euclidean model whose map covers the image', async () => {
    const bb = await backboneFor(resNetLike(), 'resnet18.onnx');
    const { config, fit, good, bad } = await buildAndScore(bb, cpuKernels);
    expect(config.distance).toBeUndefined(); // Euclidean, as the paper
    expect(config.workingSize).toBe(224);
    expect(fit.patchCount).toBe(4 * 28 * 28);
    expect(fit.bank.cols).toBe(12 + 16);
    expect([good.patchScores.width, good.patchScores.height, good.map.width, good.map.height]).toEqual([28, 28, 224, 224]);
    expect(bad.score).toBeGreaterThan(good.score);
    await bb.release();
  });

  it('a DINOv2-style ViT/14 builds a cosine model: unit-length memory vectors, scores within [0, 2]', async () => {
    const bb = await backboneFor(vitLike(), 'dinov2_vits14_reg.onnx');
    for (const kernels of [cpuKernels, await createWasmKernels()] as Kernels[]) {
      const { config, pc, fit, good, bad } = await buildAndScore(bb, kernels);
      expect(config.distance).toBe('cosine');
      expect(fit.patchCount).toBe(4 * 16 * 16);
      expect(fit.bank.cols).toBe(8);
      for (let r = 0; r < fit.bank.rows; r++) {
        const v = fit.bank.data.subarray(r * 8, (r + 1) * 8);
        expect(Math.hypot(...v)).toBeCloseTo(1, 5);
      }
      expect([good.patchScores.width, good.patchScores.height]).toEqual([16, 16]);
      expect(bad.score).toBeGreaterThan(good.score);
      expect(bad.maxPatchScore).toBeLessThanOrEqual(2);
      // A wide image keeps its shape: 224 x 308 px is 16 x 22 patches of 14 px.
      const wide = await pc.score(part(11, false, 308, 224));
      expect([wide.patchScores.width, wide.patchScores.height, wide.map.width, wide.map.height]).toEqual([22, 16, 308, 224]);
    }
    await bb.release();
  });

  it('Build\'s cost estimate measures a token backbone like any other', async () => {
    const bb = await backboneFor(vitLike(), 'dinov2.onnx');
    const config = modelConfig({ backbone: bb.manifest.id }, 224, bb.manifest);
    const est = await estimateCost(new PatchCore(bb, cpuKernels, config), [part(1), part(2), part(3)], 40, { parallel: 0 });
    expect([est.inputWidth, est.inputHeight, est.patchesPerImage, est.patches]).toEqual([224, 224, 256, 40 * 256]);
    expect(est.bankBytes).toBe(est.bank * 8 * 4);
    expect(est.buildSeconds).toBeGreaterThan(0);
    await bb.release();
  });

  it('the WebGPU kernels hand a one-tap backbone\'s map to the TypeScript twin, which gives the same features', async () => {
    const map = { data: Float32Array.from({ length: 8 * 5 * 7 }, (_, i) => Math.cos(i)), channels: 8, height: 5, width: 7 };
    const opts = { patchSize: 3, layerDim: 'native' as const, targetDim: 'none' as const };
    // No GPU is touched for one map: a device that cannot do anything is enough.
    const viaGpuKernels = await createAggregate({} as GPUDevice)([map], opts);
    expect(viaGpuKernels).toEqual(aggregate([map], opts));
    expect([viaGpuKernels.rows, viaGpuKernels.cols, viaGpuKernels.gridW, viaGpuKernels.gridH]).toEqual([35, 8, 7, 5]);
  });

  it('cosine scaling leaves a row of zeros at zero and every other row at unit length', () => {
    const m = normaliseRows({ data: Float32Array.of(3, 4, 0, 0, 0, 0, -1, 0, 0), rows: 3, cols: 3 });
    expect([...m.data]).toEqual([0.6, 0.8, 0, 0, 0, 0, -1, 0, 0].map(Math.fround));
  });
});
