// A stand-in backbone for the engine's tests (per-channel block means at stride 8 and 16, any H x W) and seeded
// texture images with an optional square defect.
import type { BackboneManifest } from '../backbone/manifest';
import type { Backbone } from '../backbone/session';
import type { FeatureMap } from '../backbone/types';
import { rng } from './random';

/** What PatchCore asks of a backbone: these tests stand in for the ONNX one. */
export type FakeBackbone = Pick<Backbone, 'manifest' | 'run'>;

export const S = 64;
export const manifest: BackboneManifest = {
  id: 'blocks', label: 'test', description: 'block means', url: '', inputName: 'input', inputSize: S,
  mean: [0, 0, 0], std: [1, 1, 1],
  taps: [{ output: 'a', stride: 8, channels: 3 }, { output: 'b', stride: 16, channels: 3 }],
  receptiveFieldOffsetPx: 3.5, license: 'test',
};

/** A stand-in backbone: per-channel means of stride x stride blocks of the NCHW input (any H x W). */
export function blockMeans(input: Float32Array, stride: number, H: number, W: number): FeatureMap {
  const gh = H / stride, gw = W / stride;
  const data = new Float32Array(3 * gh * gw);
  for (let c = 0; c < 3; c++)
    for (let y = 0; y < H; y++)
      for (let x = 0; x < W; x++) data[c * gh * gw + Math.floor(y / stride) * gw + Math.floor(x / stride)] += input[c * H * W + y * W + x] / (stride * stride);
  return { data, channels: 3, height: gh, width: gw };
}
export const backbone: FakeBackbone = { manifest, run: async (x, H = S, W = S) => [blockMeans(x, 8, H, W), blockMeans(x, 16, H, W)] };

export function texture(seed: number, defect = false, W = S, H = S) {
  const r = rng(seed);
  const data = new Uint8ClampedArray(W * H * 4);
  for (let i = 0; i < W * H; i++) {
    const v = 120 + r() * 20;
    data.set([v, v * 0.9, v * 0.8, 255], i * 4);
  }
  if (defect) for (let y = 20; y < 30; y++) for (let x = 36; x < 46; x++) data.set([250, 40, 40, 255], (y * W + x) * 4);
  return { data, width: W, height: H };
}

