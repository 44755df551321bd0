// The networks people bring, as small graphs of the same structure: a torchvision-style ResNet (layer2, layer3) and a
// DINOv2-style ViT (one output of class, register and patch tokens). The manifest is proposed from the graph, the
// backbone runs with it, and every misfit is refused in words before any image.
import { describe, expect, it } from 'vitest';
import { loadCustomBackbone, parseManifest } from './custom';
import { resNetLike, vitLike, RESNET_LIKE_CHANNELS } from './onnx/tinyFamilies.fixture';
import { IMAGENET_MEAN, IMAGENET_STD, idFromFileName, proposeManifest } from './propose';
import { openWebGraphProbe } from './session';

async function propose(bytes: Uint8Array, fileName: string) {
  const probe = await openWebGraphProbe(bytes);
  try {
    return await proposeManifest(probe, { fileName });
  } finally {
    await probe.release();
  }
}

const load = (bytes: Uint8Array, manifest: object) => loadCustomBackbone(bytes.slice().buffer, JSON.stringify(manifest), { prefer: 'wasm' });

describe('a ResNet exported with layer2 and layer3 as outputs', () => {
  it('gets its manifest proposed: stride-8 and stride-16 taps, ImageNet normalisation, sizes in multiples of 16', async () => {
    const { manifest, notes } = await propose(resNetLike({ outputs: ['layer1', 'layer2', 'layer3', 'layer4', 'logits'] }), 'models/resnet18-l2l3.onnx');
    expect(manifest).toEqual({
      id: 'resnet18-l2l3',
      label: 'resnet18-l2l3',
      description: 'Custom backbone from resnet18-l2l3.onnx',
      inputName: 'input',
      inputSize: 224,
      inputMultiple: 16,
      mean: IMAGENET_MEAN,
      std: IMAGENET_STD,
      taps: [
        { output: 'layer2', stride: 8, channels: RESNET_LIKE_CHANNELS.layer2 },
        { output: 'layer3', stride: 16, channels: RESNET_LIKE_CHANNELS.layer3 },
      ],
    });
    expect(notes[0]).toBe('layer2 [1, 12, 28, 28] is the stride-8 map and layer3 [1, 16, 14, 14] the stride-16 map of a 224 px input');
    const bb = await load(resNetLike(), manifest);
    expect(bb.manifest.distance).toBeUndefined(); // the paper's Euclidean distance
    const maps = await bb.run(new Float32Array(3 * 224 * 256), 224, 256);
    expect(maps.map((m) => [m.channels, m.height, m.width])).toEqual([[12, 28, 32], [16, 14, 16]]);
    await bb.release();
  });

  it('with only one of the two outputs, or a manifest that says otherwise, is refused in words', async () => {
    const { manifest } = await propose(resNetLike(), 'r18.onnx');
    // The manifest names two outputs; the network exported only layer2.
    await expect(load(resNetLike({ outputs: ['layer2'] }), manifest)).rejects.toThrow('Manifest names output "layer3" but the model\'s outputs are: layer2');
    // A rank-3 output named as a CNN map.
    const asMap = { ...manifest, inputName: 'pixel_values', inputMultiple: undefined, taps: [{ output: 'last_hidden_state', stride: 8, channels: 8 }] };
    await expect(load(vitLike(), asMap)).rejects.toThrow(
      /Output "last_hidden_state" has shape \[1, 261, 8\]; a feature map must be 4-D \[1, channels, height, width\]; a \[1, tokens, channels\] output is a vision transformer's patch tokens: give its tap "kind": "tokens"/,
    );
    // A stride the engine cannot place on its input, before any model is opened.
    expect(() => parseManifest(JSON.stringify({ ...manifest, taps: [{ ...manifest.taps[0], stride: 12 }, manifest.taps[1]] }))).toThrow(
      'Manifest tap 1 ("layer2") has "stride" 12, which does not divide the 224 px input ("inputSize"): the engine cannot place its cells on the image.',
    );
    expect(() => parseManifest(JSON.stringify({ ...manifest, taps: [manifest.taps[1], manifest.taps[0]] }))).toThrow(/list the finer grid first/);
    expect(() => parseManifest(JSON.stringify({ ...manifest, inputMultiple: 8 }))).toThrow(/"inputMultiple" 8 must be a multiple of the coarsest tap's stride 16/);
    // Only one stride-8 map: proposed as a single tap, said so.
    const one = await propose(resNetLike({ outputs: ['layer2', 'logits'] }), 'r18.onnx');
    expect(one.manifest.taps).toEqual([{ output: 'layer2', stride: 8, channels: 12 }]);
    expect(one.notes[0]).toMatch(/^Only one feature map fits: layer2 \[1, 12, 28, 28\] at stride 8/);
    // Nothing that fits: the outputs and their shapes are listed.
    await expect(propose(resNetLike({ outputs: ['layer4', 'logits'] }), 'r18.onnx')).rejects.toThrow(
      /No output of the model is a feature map at 1\/8 or 1\/16 of a 224 px input .* Its outputs are: layer4 \[1, 20, 7, 7\], logits \[1, 20\]/,
    );
  });
});

describe('a DINOv2-style ViT/14 exported with its tokens', () => {
  it('gets a tokens tap proposed (patch size 14, class + 4 register tokens dropped) and cosine distance', async () => {
    const { manifest, notes } = await propose(vitLike(), 'dinov2_vits14_reg.onnx');
    expect(manifest.taps).toEqual([{ output: 'last_hidden_state', kind: 'tokens', patchSize: 14, prefixTokens: 5, channels: 8 }]);
    expect([manifest.inputName, manifest.inputSize, manifest.inputMultiple, manifest.distance]).toEqual(['pixel_values', 224, 14, 'cosine']);
    expect(notes[0]).toBe(
      'last_hidden_state [1, 261, 8] holds 5 class/register tokens and 16x16 patch tokens of 14 px for a 224 px input; features are compared by cosine distance',
    );
    const parsed = parseManifest(JSON.stringify(manifest));
    expect(parsed.taps[0]).toEqual({ output: 'last_hidden_state', kind: 'tokens', prefixTokens: 5, stride: 14, channels: 8 });
    expect(parsed.receptiveFieldOffsetPx).toBe(6.5);
    // Without "distance", a tokens manifest still defaults to cosine.
    const { distance: _, ...plain } = manifest;
    expect(parseManifest(JSON.stringify(plain)).distance).toBe('cosine');
    // No registers (DINOv2 without them): one class token.
    expect((await propose(vitLike({ prefixTokens: 1 }), 'v.onnx')).manifest.taps[0]).toMatchObject({ patchSize: 14, prefixTokens: 1 });
  });

  it('runs as an h x w map of its patch tokens, class and register tokens dropped', async () => {
    const { manifest } = await propose(vitLike(), 'dinov2.onnx');
    const bb = await load(vitLike(), manifest);
    const H = 224, W = 280;
    const input = Float32Array.from({ length: 3 * H * W }, (_, i) => Math.sin(i * 0.37));
    const [map, more] = await bb.run(input, H, W);
    expect(more).toBeUndefined();
    expect([map.channels, map.height, map.width]).toEqual([8, 16, 20]);
    // The map equals the raw tokens past the prefix, transposed: check it against a plain ONNX run.
    const ort = await import('onnxruntime-web/webgpu');
    const s = await ort.InferenceSession.create(vitLike(), { executionProviders: ['wasm'] });
    const raw = (await s.run({ pixel_values: new ort.Tensor('float32', input, [1, 3, H, W]) })).last_hidden_state;
    expect(raw.dims).toEqual([1, 5 + 16 * 20, 8]);
    const t = raw.data as Float32Array;
    for (const [cell, ch] of [[0, 0], [37, 5], [319, 7]]) expect(map.data[ch * 320 + cell]).toBeCloseTo(t[(5 + cell) * 8 + ch], 5);
    await s.release();
    await bb.release();
  });

  it('is refused in words when its tokens are not the grid of the input, before any image', async () => {
    const { manifest } = await propose(vitLike(), 'dinov2.onnx');
    // The manifest miscounts the register tokens.
    await expect(load(vitLike(), { ...manifest, taps: [{ ...manifest.taps[0], prefixTokens: 1 }] })).rejects.toThrow(
      'Output "last_hidden_state" has 261 tokens for a 224x224 px input, but the manifest expects [1, 1 + 16x16 = 257, 8]. The count fits 5 class/register tokens: set "prefixTokens": 5.',
    );
    // A patch embedding that does not tile the input (kernel 16 at stride 14: 15 x 15 patches for 224 px).
    await expect(load(vitLike({ kernel: 16 }), manifest)).rejects.toThrow(
      'Output "last_hidden_state" has 230 tokens for a 224x224 px input, but the manifest expects [1, 5 + 16x16 = 261, 8]. 225 patch tokens are not a 16x16 grid of 14 px patches',
    );
    await expect(propose(vitLike({ kernel: 16 }), 'v.onnx')).rejects.toThrow(/No output of the model .* Its outputs are: last_hidden_state \[1, 230, 8\], pooler_output \[1, 8\]/);
    // A patch size that does not divide the input.
    expect(() => parseManifest(JSON.stringify({ ...manifest, inputSize: 256, inputMultiple: undefined }))).toThrow(
      /Manifest tap 1 \("last_hidden_state"\) has "patchSize" 14, which does not divide the 256 px input/,
    );
  });

  it('file names become ids a manifest may hold, never a built-in backbone\'s', () => {
    expect(idFromFileName('/tmp/my model (v2).onnx')).toBe('my_model_v2_');
    expect(idFromFileName('C:\\x\\mobilenet_v2_mid.onnx')).toBe('mobilenet_v2_mid_custom');
    expect(idFromFileName('.onnx')).toBe('custom_backbone');
  });
});
