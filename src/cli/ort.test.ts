// The shared backbone checks (backbone/factory.ts) through both onnxruntime flavours: the same graph and manifest
// load, run and are refused with the same sentences on onnxruntime-web (the app) and onnxruntime-node (this CLI).
import { describe, expect, it } from 'vitest';
import { parseManifest } from '../backbone/custom';
import type { BackboneCore } from '../backbone/factory';
import type { BackboneManifest } from '../backbone/manifest';
import { TINY_MANIFEST, TINY_SIZE as S, tinyBackbone } from '../backbone/onnx/tinyBackbone';
import { createBackbone, createWebBackbone } from '../backbone/session';
import { createNodeBackbone } from './ort';

type Open = (manifest: BackboneManifest, bytes: Uint8Array) => Promise<BackboneCore>;
const flavours: [string, Open][] = [
  ['onnxruntime-web', (m, bytes) => createWebBackbone(m, bytes, { prefer: 'wasm' }, 'probe')],
  ['onnxruntime-node', (m, bytes) => createNodeBackbone(m, bytes, 1)],
];
const manifest = (change: (m: typeof TINY_MANIFEST) => void = () => {}) => {
  const m = structuredClone(TINY_MANIFEST);
  change(m);
  return parseManifest(JSON.stringify(m));
};
const bytes = () => new Uint8Array(tinyBackbone());

describe.each(flavours)('the backbone factory on %s', (_name, open) => {
  it('refuses, in words, a manifest naming an output the model lacks', async () => {
    await expect(open(manifest((m) => (m.taps[1].output = 'layer3')), bytes())).rejects.toThrow(
      'Manifest names output "layer3" but the model\'s outputs are: feat8, feat16',
    );
  });

  it('probes channels and strides, and refuses empty and non-ONNX files', async () => {
    await expect(open(manifest((m) => (m.taps[0].channels = 5)), bytes())).rejects.toThrow('Output "feat8" has 4 channels but the manifest says 5');
    await expect(open(manifest((m) => (m.taps[1].stride = 32)), bytes())).rejects.toThrow(/Output "feat16" is 4x4 cells for a 64 px input/);
    await expect(open(manifest(), new Uint8Array(0))).rejects.toThrow('The model file is empty (0 bytes)');
    await expect(open(manifest(), new TextEncoder().encode('not onnx'))).rejects.toThrow(/^The model file could not be read as ONNX: /);
  });

  it('runs a matching graph into the same feature maps', async () => {
    const bb = await open(manifest(), bytes());
    const [f8, f16] = await bb.run(new Float32Array(3 * S * S).fill(2));
    expect([f8.channels, f8.height, f8.width, f16.channels, f16.height, f16.width]).toEqual([4, 8, 8, 6, 4, 4]);
    expect(f8.data[0]).toBeCloseTo(2, 5);
    expect(f16.data[5]).toBeCloseTo(3, 5);
    await expect(bb.run(new Float32Array(3 * S * 96), S, 96)).rejects.toThrow('tiny takes only a 64x64 input, got 96x64');
    await bb.release();
  });
});

it("the app's built-in path checks names only, with the same sentence", async () => {
  await expect(createBackbone(manifest((m) => (m.taps[1].output = 'layer3')), { prefer: 'wasm', modelBytes: bytes() })).rejects.toThrow(
    'Manifest names output "layer3" but the model\'s outputs are: feat8, feat16',
  );
  // No probe: a wrong channel count is not caught at load time on this path.
  const bb = await createBackbone(manifest((m) => (m.taps[0].channels = 5)), { prefer: 'wasm', modelBytes: bytes() });
  await bb.release();
});
