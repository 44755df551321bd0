// The exported graph against the TypeScript engine on the same pixels: onnxruntime-node running the graph vs
// PatchCore.score with the plain TypeScript twins, on generated demo washers (no data set needed). Small bank
// chunks so the nearest-neighbour search crosses chunk boundaries; shapes kept ('fit'), squashed, batched, uint8.
import { readFileSync } from 'node:fs';
import * as ort from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MOBILENET_V2 } from '../backbone/manifests';
import { createNodeBackbone, type NodeBackbone } from '../cli/ort';
import { onnxProto } from '../cli/onnxProto';
import { MODELS_DIR } from '../cli/model';
import { renderPart } from '../demo/render';
import { cpuKernels } from '../patchcore/cpu';
import { DEFAULT_CONFIG, type EngineConfig } from '../patchcore/config';
import { PatchCore } from '../patchcore/patchcore';
import { preprocess, type RgbaImage } from '../patchcore/preprocess';
import { buildExportGraph, maxPatches, defaultChunkRows, unsupported, type GraphSignature } from './graph';
import { parseManifest } from '../backbone/custom';
import { openGraphProbe } from '../backbone/factory';
import { resNetLike, vitLike } from '../backbone/onnx/tinyFamilies.fixture';
import { proposeManifest } from '../backbone/propose';
import { nodeFlavour } from '../cli/ort';
import { modelConfig } from '../patchcore/recipe';
import { tritonConfig } from './triton';

const onnxFile = `${MODELS_DIR}${MOBILENET_V2.id}.onnx`;
let backbone: NodeBackbone;
const backboneBytes = () => new Uint8Array(readFileSync(onnxFile));

beforeAll(async () => {
  backbone = await createNodeBackbone(MOBILENET_V2, backboneBytes(), 2);
});
afterAll(() => backbone?.release());

/** A demo washer, optionally cut to a landscape strip (so 'fit' keeps a non-square shape). */
function part(seed: number, defect?: 'scratch' | 'dent', rows?: number): RgbaImage {
  const p = renderPart(seed, 192, defect);
  const h = rows ?? p.height;
  return { data: p.rgba.slice(0, p.width * h * 4), width: p.width, height: h };
}

/** The graph's float input for an image: preprocess() without the normalisation (RGB 0..255). */
function rawInput(img: RgbaImage, config: EngineConfig) {
  const k = 1 / 255;
  return preprocess(img, { ...MOBILENET_V2, mean: [0, 0, 0], std: [k, k, k] }, { workingSize: config.workingSize, framing: config.framing, maxAspect: config.maxAspect });
}

async function fitted(config: EngineConfig): Promise<PatchCore> {
  const pc = new PatchCore(backbone, cpuKernels, config);
  await pc.fit([0, 1, 2, 3].map((s) => part(100 + s)), 4);
  return pc;
}

function relClose(got: number, want: number, rel = 1e-3): void {
  expect(Math.abs(got - want), `${got} vs ${want}`).toBeLessThanOrEqual(rel * Math.abs(want));
}

function mapClose(got: Float32Array, want: Float32Array): void {
  expect(got.length).toBe(want.length);
  let lo = Infinity, hi = -Infinity, worst = 0;
  for (let i = 0; i < want.length; i++) {
    lo = Math.min(lo, want[i]);
    hi = Math.max(hi, want[i]);
    worst = Math.max(worst, Math.abs(got[i] - want[i]));
  }
  expect(worst).toBeLessThanOrEqual(1e-3 * (hi - lo));
}

async function session(bytes: Uint8Array) {
  return ort.InferenceSession.create(bytes, { intraOpNumThreads: 2 });
}

describe('the exported graph', () => {
  it('scores and maps images as the engine does, with their shapes kept, across bank chunks', async () => {
    const config: EngineConfig = { ...DEFAULT_CONFIG, backbone: MOBILENET_V2.id, coresetRatio: 0.25 };
    const pc = await fitted(config);
    const threshold = 7;
    const g = buildExportGraph(onnxProto(), { backboneOnnx: backboneBytes(), manifest: MOBILENET_V2, config, bank: pc.bank!, threshold, chunkRows: 300 });
    expect(pc.bank!.rows).toBeGreaterThan(600); // three chunks at least
    const s = await session(g.bytes);
    for (const img of [part(7, 'scratch'), part(8, undefined, 120), part(9, 'dent', 100)]) {
      const want = await pc.score(img);
      const x = rawInput(img, config);
      const r = await s.run({ image: new ort.Tensor('float32', x.data, [1, 3, x.height, x.width]) });
      relClose((r.score.data as Float32Array)[0], want.score);
      expect(r.anomaly_map.dims).toEqual([1, want.map.height, want.map.width]);
      mapClose(r.anomaly_map.data as Float32Array, want.map.data);
      expect((r.fail.data as Uint8Array)[0] === 1).toBe(want.score > threshold);
    }
    await s.release();
  });

  it('scores only the inspection region as the engine does, also a region smaller than one cell', async () => {
    for (const region of [{ x0: 0.1, y0: 0.25, x1: 0.6, y1: 0.9 }, { x0: 0.5, y0: 0.5, x1: 0.51, y1: 0.51 }]) {
      const config: EngineConfig = { ...DEFAULT_CONFIG, backbone: MOBILENET_V2.id, coresetRatio: 0.25, region };
      const pc = await fitted(config);
      const g = buildExportGraph(onnxProto(), { backboneOnnx: backboneBytes(), manifest: MOBILENET_V2, config, bank: pc.bank!, threshold: 5 });
      const s = await session(g.bytes);
      for (const img of [part(7, 'scratch'), part(8, 'dent', 120)]) {
        const want = await pc.score(img);
        const x = rawInput(img, config);
        const r = await s.run({ image: new ort.Tensor('float32', x.data, [1, 3, x.height, x.width]) });
        relClose((r.score.data as Float32Array)[0], want.score);
        // One cell leaves a flat map (every cell takes its score): compare it relative to its level then.
        const got = r.anomaly_map.data as Float32Array;
        const flat = Math.max(...want.map.data) === Math.min(...want.map.data);
        if (flat) want.map.data.forEach((v, i) => relClose(got[i], v, 1e-5));
        else mapClose(got, want.map.data);
      }
      await s.release();
    }
  });

  it('takes a batch of squashed images as uint8 and gives each its own score and map', async () => {
    const config: EngineConfig = { ...DEFAULT_CONFIG, backbone: MOBILENET_V2.id, framing: 'squash', coresetRatio: 0.1 };
    const pc = await fitted(config);
    const g = buildExportGraph(onnxProto(), { backboneOnnx: backboneBytes(), manifest: MOBILENET_V2, config, bank: pc.bank!, threshold: 1, inputType: 'uint8' });
    const s = await session(g.bytes);
    const imgs = [part(11, 'scratch'), part(12)];
    const xs = imgs.map((im) => rawInput(im, config));
    const S = config.workingSize;
    const batch = new Uint8Array(2 * 3 * S * S);
    xs.forEach((x, b) => x.data.forEach((v, i) => (batch[b * 3 * S * S + i] = Math.round(v))));
    const r = await s.run({ image: new ort.Tensor('uint8', batch, [2, 3, S, S]) });
    expect(r.anomaly_map.dims).toEqual([2, S, S]);
    for (let b = 0; b < 2; b++) {
      // The engine on the same rounded pixels.
      const x = new Float32Array(batch.subarray(b * 3 * S * S, (b + 1) * 3 * S * S));
      const norm = x.map((v, i) => (v / 255 - MOBILENET_V2.mean[Math.floor(i / (S * S))]) / MOBILENET_V2.std[Math.floor(i / (S * S))]);
      const maps = await backbone.run(norm, S, S);
      const features = await cpuKernels.aggregate(maps, config.aggregate);
      const want = await pc.scoreFeatures(features, { width: S, height: S });
      relClose((r.score.data as Float32Array)[b], want.score);
      mapClose((r.anomaly_map.data as Float32Array).subarray(b * S * S, (b + 1) * S * S), want.map.data);
    }
    await s.release();
  });

  it('exports the networks people bring as the engine runs them: a ViT/14\'s tokens with cosine distance, a ResNet\'s layer2 and layer3', async () => {
    for (const [bytes, file] of [[vitLike(), 'dinov2.onnx'], [resNetLike(), 'resnet18.onnx']] as const) {
      const probe = await openGraphProbe(nodeFlavour, {}, bytes);
      const manifest = parseManifest(JSON.stringify((await proposeManifest(probe, { fileName: file }).finally(() => probe.release())).manifest));
      const bb = await createNodeBackbone(manifest, bytes, 1);
      const config = modelConfig({ backbone: manifest.id, coresetRatio: 0.5 }, 192, manifest);
      expect(config.distance).toBe(file === 'dinov2.onnx' ? 'cosine' : undefined);
      const pc = new PatchCore(bb, cpuKernels, config);
      await pc.fit([0, 1, 2].map((s) => part(100 + s)), 3);
      const g = buildExportGraph(onnxProto(), { backboneOnnx: bytes, manifest, config, bank: pc.bank!, threshold: 1, chunkRows: 100 });
      const s = await session(g.bytes);
      for (const img of [part(7, 'scratch'), part(8, undefined, 120)]) {
        const want = await pc.score(img);
        const k = 1 / 255;
        const x = preprocess(img, { ...manifest, mean: [0, 0, 0], std: [k, k, k] }, { workingSize: config.workingSize, framing: config.framing, maxAspect: config.maxAspect });
        const r = await s.run({ image: new ort.Tensor('float32', x.data, [1, 3, x.height, x.width]) });
        relClose((r.score.data as Float32Array)[0], want.score);
        mapClose(r.anomaly_map.data as Float32Array, want.map.data);
      }
      await s.release();
      await bb.release();
    }
  });

  it('refuses an input of another size or channel count with the dimension named', async () => {
    const config: EngineConfig = { ...DEFAULT_CONFIG, backbone: MOBILENET_V2.id, framing: 'squash' };
    const pc = await fitted(config);
    const g = buildExportGraph(onnxProto(), { backboneOnnx: backboneBytes(), manifest: MOBILENET_V2, config, bank: pc.bank!, threshold: 1 });
    const s = await session(g.bytes);
    await expect(s.run({ image: new ort.Tensor('float32', new Float32Array(3 * 100 * 224), [1, 3, 100, 224]) })).rejects.toThrow(/dimensions.*image/i);
    await expect(s.run({ image: new ort.Tensor('float32', new Float32Array(224 * 224), [1, 1, 224, 224]) })).rejects.toThrow(/dimensions.*image/i);
    await s.release();
  });

  it('writes a Triton config whose inputs and outputs are the graph\'s own names, types and shapes', async () => {
    const config: EngineConfig = { ...DEFAULT_CONFIG, backbone: MOBILENET_V2.id };
    const pc = await fitted(config);
    const g = buildExportGraph(onnxProto(), { backboneOnnx: backboneBytes(), manifest: MOBILENET_V2, config, bank: pc.bank!, threshold: 1 });
    const text = tritonConfig('washers', g.signature);
    const parsed = parseTritonConfig(text);
    expect(parsed.name).toBe('washers');
    expect(parsed.backend).toBe('onnxruntime');
    expect(text).toMatch(/dynamic_batching \{ \}/);
    // The declared graph interface, read back from the ONNX bytes.
    const model = onnxProto().ModelProto.decode(g.bytes);
    const elem: Record<number, string> = { 1: 'FP32', 2: 'UINT8', 9: 'BOOL' };
    const declared = (vs: NonNullable<NonNullable<typeof model.graph>['input']>) =>
      vs.map((v) => ({
        name: v.name!,
        type: elem[v.type!.tensorType!.elemType!] as GraphSignature['inputs'][0]['type'],
        dims: v.type!.tensorType!.shape!.dim!.map((d) => (d.dimParam ? -1 : Number(d.dimValue))),
      }));
    const sig: GraphSignature = { inputs: declared(model.graph!.input!), outputs: declared(model.graph!.output!) };
    expect(sig).toEqual(g.signature);
    for (const [list, io] of [[parsed.inputs, sig.inputs], [parsed.outputs, sig.outputs]] as const) {
      expect(list.map((e) => e.name)).toEqual(io.map((t) => t.name));
      list.forEach((e, i) => {
        expect(e.type).toBe(`TYPE_${io[i].type}`);
        const dims = io[i].dims.slice(1);
        expect(e.reshape ?? e.dims).toEqual(dims);
      });
    }
    // And what the graph really gives for a batch of 2 (Triton adds the batch dimension in front).
    const s = await session(g.bytes);
    const r = await s.run({ image: new ort.Tensor('float32', new Float32Array(2 * 3 * 224 * 320).fill(128), [2, 3, 224, 320]) });
    for (const e of parsed.outputs) {
      const dims = r[e.name].dims as number[];
      expect(dims[0]).toBe(2);
      const want = e.reshape ?? e.dims;
      expect(dims.slice(1).length).toBe(want.length);
      want.forEach((d, i) => d !== -1 && expect(dims[1 + i]).toBe(d));
    }
    await s.release();
  });

  it('keeps the largest per-image block under 64 MB and refuses what it cannot express', () => {
    const config: EngineConfig = { ...DEFAULT_CONFIG };
    const manifest = { ...MOBILENET_V2, id: 'x' };
    expect(maxPatches(config, manifest)).toBe(84 * 28);
    expect(maxPatches(config, manifest) * defaultChunkRows(config, manifest) * 4).toBeLessThanOrEqual(32 * 2 ** 20);
    expect(unsupported({ ...config, alignGrids: true })).toMatch(/alignGrids/);
    expect(unsupported({ ...config, borderPadPx: 16 })).toMatch(/borderPadPx/);
    expect(unsupported({ ...config, region: { x0: 0.1, y0: 0.1, x1: 0.9, y1: 0.9 } })).toBeNull();
    expect(unsupported({ ...config, framing: 'crop', region: { x0: 0.1, y0: 0.1, x1: 0.9, y1: 0.9 } })).toMatch(/inspection region/);
    expect(unsupported(config)).toBeNull();
  });
});

interface TritonEntry {
  name: string;
  type: string;
  dims: number[];
  reshape?: number[];
}

/** Just enough of the protobuf text format to read back what triton.ts writes. */
function parseTritonConfig(text: string): { name: string; backend: string; inputs: TritonEntry[]; outputs: TritonEntry[] } {
  const block = (key: string) => {
    const m = text.match(new RegExp(`^${key} \\[([\\s\\S]*?)^\\]`, 'm'));
    if (!m) throw new Error(`no ${key} block`);
    return [...m[1].matchAll(/\{([\s\S]*?)\n {2}\}/g)].map(([, body]) => {
      const nums = (s?: string) => (s ? s.split(',').map((v) => v.trim()).filter(Boolean).map(Number) : []);
      const reshape = body.match(/reshape: \{ shape: \[([^\]]*)\] \}/);
      return {
        name: body.match(/name: "([^"]+)"/)![1],
        type: body.match(/data_type: (\w+)/)![1],
        dims: nums(body.match(/dims: \[([^\]]*)\]/)![1]),
        ...(reshape ? { reshape: nums(reshape[1]) } : {}),
      };
    });
  };
  return { name: text.match(/^name: "([^"]+)"/m)![1], backend: text.match(/^backend: "([^"]+)"/m)![1], inputs: block('input'), outputs: block('output') };
}
