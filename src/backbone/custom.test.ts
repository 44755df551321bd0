// A user's own ONNX backbone loads with a matching manifest, and every kind of mismatch is explained in words.
import { describe, expect, it } from 'vitest';
import { TINY_MANIFEST as good, TINY_SIZE as S, tinyBackbone } from './onnx/tinyBackbone';
import { loadCustomBackbone, parseManifest } from './custom';

const withChanges = (f: (m: any) => void) => {
  const m = structuredClone(good);
  f(m);
  return JSON.stringify(m);
};

describe('bring-your-own backbone', () => {
  it('a small ONNX model with a matching manifest loads and runs', async () => {
    const bb = await loadCustomBackbone(tinyBackbone(), JSON.stringify(good), { prefer: 'wasm' });
    expect(bb.manifest.label).toBe('tiny');
    expect(bb.manifest.receptiveFieldOffsetPx).toBe(3.5);
    const [f8, f16] = await bb.run(new Float32Array(3 * S * S).fill(2));
    expect([f8.channels, f8.height, f8.width]).toEqual([4, 8, 8]);
    expect([f16.channels, f16.height, f16.width]).toEqual([6, 4, 4]);
    expect(f8.data[0]).toBeCloseTo(2, 5); // 192 inputs of 2, weights 1/192
    expect(f16.data[5]).toBeCloseTo(2 + 1, 5); // 16 values of 2, weights 1/16, bias 1
    await bb.release();
  });

  it('a manifest naming an output the model lacks lists the outputs it has', async () => {
    const json = withChanges((m) => (m.taps[0].output = 'layer2'));
    await expect(loadCustomBackbone(tinyBackbone(), json, { prefer: 'wasm' })).rejects.toThrow(
      'Manifest names output "layer2" but the model\'s outputs are: feat8, feat16',
    );
  });

  it('wrong input name, channels or stride are each reported against the model', async () => {
    const bytes = tinyBackbone();
    await expect(loadCustomBackbone(bytes, withChanges((m) => (m.inputName = 'pixels')), { prefer: 'wasm' })).rejects.toThrow(
      'Manifest names input "pixels" but the model\'s inputs are: image',
    );
    await expect(loadCustomBackbone(bytes, withChanges((m) => (m.taps[1].channels = 7)), { prefer: 'wasm' })).rejects.toThrow(
      'Output "feat16" has 6 channels but the manifest says 7',
    );
    await expect(loadCustomBackbone(bytes, withChanges((m) => (m.taps[0].stride = 4)), { prefer: 'wasm' })).rejects.toThrow(
      /Output "feat8" is 8x8 cells for a 64 px input \(stride about 8\.0\), but the manifest says stride 4/,
    );
    await expect(loadCustomBackbone(bytes, withChanges((m) => (m.inputSize = 96)), { prefer: 'wasm' })).rejects.toThrow(
      /The model failed on a \[1, 3, 96, 96\] input/,
    );
  });

  it('"inputMultiple" lets a graph with free H, W take non-square inputs, and is checked against the graph', async () => {
    const json = withChanges((m) => (m.inputMultiple = 16));
    const bb = await loadCustomBackbone(tinyBackbone(true), json, { prefer: 'wasm' });
    expect(bb.manifest.inputMultiple).toBe(16);
    const [f8, f16] = await bb.run(new Float32Array(3 * 64 * 96).fill(2), 64, 96);
    expect([f8.height, f8.width, f16.height, f16.width]).toEqual([8, 12, 4, 6]);
    await expect(bb.run(new Float32Array(3 * 64 * 72), 64, 72)).rejects.toThrow('tiny takes inputs whose sides are multiples of 16, got 72x64');
    await bb.release();
    // A fixed 64 x 64 graph that claims otherwise is caught before use.
    await expect(loadCustomBackbone(tinyBackbone(false), json, { prefer: 'wasm' })).rejects.toThrow(
      /The manifest says the model takes sizes in multiples of 16 \("inputMultiple"\), but it failed on a \[1, 3, 64, 96\] input/,
    );
    expect(() => parseManifest(withChanges((m) => (m.inputMultiple = 48)))).toThrow(/"inputMultiple" must be a whole number of pixels from 1 to 256 that divides inputSize 64/);
    // Without it, only the square is taken.
    const square = await loadCustomBackbone(tinyBackbone(true), JSON.stringify(good), { prefer: 'wasm' });
    await expect(square.run(new Float32Array(3 * 64 * 96), 64, 96)).rejects.toThrow('tiny takes only a 64x64 input, got 96x64');
    await square.release();
  });

  it('broken manifests and non-ONNX files get plain-language errors', async () => {
    expect(() => parseManifest('{"id": ')).toThrow(/^The manifest is not valid JSON/);
    expect(() => parseManifest('{"id": "x"}')).toThrow('The manifest is missing required fields: inputName, inputSize, mean, std, taps');
    expect(() => parseManifest(withChanges((m) => (m.taps = [])))).toThrow(/"taps" must list one or two outputs/);
    expect(() => parseManifest(withChanges((m) => m.taps.push({ output: 'feat32', stride: 32, channels: 2 })))).toThrow(/"taps" must list one or two outputs/);
    expect(() => parseManifest(withChanges((m) => (m.taps[0].kind = 'grid')))).toThrow(/must be "map" \(NCHW feature map\) or "tokens"/);
    expect(() => parseManifest(withChanges((m) => (m.std = [1, 0, 1])))).toThrow(/"std" must be three positive numbers/);
    await expect(loadCustomBackbone(new ArrayBuffer(0), JSON.stringify(good))).rejects.toThrow('The model file is empty (0 bytes)');
    const junk = new TextEncoder().encode('this is a PNG, honest').buffer as ArrayBuffer;
    await expect(loadCustomBackbone(junk, JSON.stringify(good), { prefer: 'wasm' })).rejects.toThrow(/^The model file could not be read as ONNX/);
  });
});
