// Turns the nsfwjs tfjs models into small ONNX graphs that stop at the stride-8 and stride-16 taps.
// Both tfjs formats (graph model with folded BN; Keras layers model) go through one tiny IR:
//   conv  {input, output, W (OIHW fp32), wShape, B, strides, pads [t,l,b,r], group, act: null|'relu'|'relu6'}
//   add / concat {inputs, output}; maxpool / avgpool {input, output, kernel, strides, pads}
// Shapes are tracked per tensor (C,H,W) so TF 'SAME' pads become explicit for the chosen input size, and the
// centre of cell (0,0) of every tensor is tracked in input pixels (InceptionV3's 'valid' stem shifts it).
import { model, node, tensor, valueInfo } from '../../src/backbone/onnx/protobuf.mjs';
import { loadNsfwModel } from './nsfwjs.mjs';

/** What each backbone cuts at. Normalisation is left to the manifest (mean = std = 0.5 for all three). */
export const BACKBONES = {
  mobilenet_v2_mid: {
    format: 'graph',
    taps: ['MobilenetV2/expanded_conv_5/add', 'MobilenetV2/expanded_conv_12/add'],
    // The graph computes x*2-1 on a 0..1 input itself; we start after it so all three share one convention.
    skip: ['hub_input/Mul', 'hub_input/Sub'],
  },
  inception_v3: { format: 'layers', taps: ['mixed2', 'mixed5'] },
  mobilenet_v2: { format: 'layers', taps: ['block_5_add', 'block_10_project_BN'] },
};
export const OUTPUT_NAMES = ['stride8', 'stride16'];
export const INPUT_NAME = 'input';

const GRAPH_PREFIX =
  'StatefulPartitionedCall/sequential/keras_layer/StatefulPartitionedCall/StatefulPartitionedCall/StatefulPartitionedCall/predict/';
const short = (s) => (s.startsWith(GRAPH_PREFIX) ? s.slice(GRAPH_PREFIX.length) : s);

/** TF padding for one axis: 'valid' = none; 'same' puts the odd pixel after (bottom/right). */
function padAxis(size, k, s, mode) {
  if (mode === 'valid') return [0, 0];
  const out = Math.ceil(size / s);
  const total = Math.max((out - 1) * s + k - size, 0);
  return [Math.floor(total / 2), total - Math.floor(total / 2)];
}

/** HWIO -> OIHW; depthwise [kh,kw,in,mult] -> [in*mult,1,kh,kw] (output channel = i*mult + m, as TF). */
function kernelToOIHW({ shape: [kh, kw, ci, co], data }, depthwise) {
  const O = depthwise ? ci * co : co;
  const I = depthwise ? 1 : ci;
  const W = new Float32Array(O * I * kh * kw);
  for (let y = 0; y < kh; y++)
    for (let x = 0; x < kw; x++)
      for (let i = 0; i < ci; i++)
        for (let o = 0; o < co; o++) {
          const src = data[((y * kw + x) * ci + i) * co + o];
          if (depthwise) W[((i * co + o) * kh + y) * kw + x] = src;
          else W[((o * ci + i) * kh + y) * kw + x] = src;
        }
  return { W, wShape: [O, I, kh, kw], group: depthwise ? ci : 1 };
}

/** Collects IR nodes while tracking each tensor's shape [C,H,W] and receptive-field geometry. */
class Builder {
  constructor(inputSize) {
    this.nodes = [];
    this.shape = new Map([[INPUT_NAME, [3, inputSize, inputSize]]]);
    this.geom = new Map([[INPUT_NAME, { offsetPx: 0, stride: 1 }]]); // centre of cell (0,0), pixels per cell
    this.producer = new Map();
  }
  #spatial(input, kernel, strides, padding, extraPads = [0, 0, 0, 0]) {
    const [, H, W] = this.shape.get(input);
    const h = H + extraPads[0] + extraPads[2];
    const w = W + extraPads[1] + extraPads[3];
    const [pt, pb] = padAxis(h, kernel[0], strides[0], padding);
    const [pl, pr] = padAxis(w, kernel[1], strides[1], padding);
    const pads = [pt + extraPads[0], pl + extraPads[1], pb + extraPads[2], pr + extraPads[3]];
    const outH = Math.floor((H + pads[0] + pads[2] - kernel[0]) / strides[0]) + 1;
    const outW = Math.floor((W + pads[1] + pads[3] - kernel[1]) / strides[1]) + 1;
    const g = this.geom.get(input);
    const shift = [0, 1].map((a) => (kernel[a] - 1) / 2 - pads[a]);
    if (shift[0] !== shift[1] || strides[0] !== strides[1]) throw new Error(`${input}: anisotropic grid not supported`);
    const geom = { offsetPx: g.offsetPx + g.stride * shift[0], stride: g.stride * strides[0] };
    return { pads, outH, outW, geom };
  }
  conv(input, output, kernel, bias, { strides, padding, depthwise = false, extraPads, act = null }) {
    const { W, wShape, group } = kernelToOIHW(kernel, depthwise);
    const { pads, outH, outW, geom } = this.#spatial(input, wShape.slice(2), strides, padding, extraPads);
    const n = { op: 'conv', input, output, W, wShape, B: bias ?? new Float32Array(wShape[0]), strides, pads, group, act };
    return this.#add(n, [wShape[0], outH, outW], geom);
  }
  pool(op, input, output, kernel, strides, padding) {
    const { pads, outH, outW, geom } = this.#spatial(input, kernel, strides, padding);
    return this.#add({ op, input, output, kernel, strides, pads }, [this.shape.get(input)[0], outH, outW], geom);
  }
  add(inputs, output) {
    const [a, b] = inputs.map((i) => this.shape.get(i));
    if (a.join() !== b.join()) throw new Error(`add ${output}: shapes ${a} vs ${b}`);
    return this.#add({ op: 'add', inputs, output }, a, this.geom.get(inputs[0]));
  }
  concat(inputs, output) {
    const shapes = inputs.map((i) => this.shape.get(i));
    const c = shapes.reduce((s, sh) => s + sh[0], 0);
    const geoms = inputs.map((i) => this.geom.get(i));
    if (new Set(geoms.map((g) => `${g.offsetPx}/${g.stride}`)).size !== 1) throw new Error(`concat ${output}: branches misaligned`);
    return this.#add({ op: 'concat', inputs, output }, [c, shapes[0][1], shapes[0][2]], geoms[0]);
  }
  #add(n, shape, geom) {
    this.nodes.push(n);
    this.shape.set(n.output, shape);
    this.geom.set(n.output, geom);
    this.producer.set(n.output, n);
    return n;
  }
  /** Renames a conv's output (BN / activation folded into it). */
  rename(from, to) {
    const n = this.producer.get(from);
    n.output = to;
    for (const m of [this.shape, this.geom, this.producer]) m.set(to, m.get(from));
    return n;
  }
}

/** Folds inference batch norm y = gamma (x - mean) / sqrt(var + eps) + beta into conv weights and bias. */
function foldBatchNorm(conv, { gamma, beta, mean, variance, epsilon }) {
  const [O] = conv.wShape;
  const per = conv.W.length / O;
  for (let o = 0; o < O; o++) {
    const s = (gamma ? gamma[o] : 1) / Math.sqrt(variance[o] + epsilon);
    for (let k = 0; k < per; k++) conv.W[o * per + k] *= s;
    conv.B[o] = (conv.B[o] - mean[o]) * s + (beta ? beta[o] : 0);
  }
}

/** Names of everything the taps depend on (walking back from them). */
function ancestors(taps, inputsOf) {
  const need = new Set();
  const stack = [...taps];
  while (stack.length) {
    const t = stack.pop();
    if (need.has(t)) continue;
    need.add(t);
    stack.push(...inputsOf(t));
  }
  return need;
}

function fromGraphModel(json, weights, cfg, inputSize) {
  const nodes = new Map(json.modelTopology.node.map((n) => [short(n.name), n]));
  const base = (i) => short(i.split(':')[0].replace(/^\^/, ''));
  const need = ancestors(cfg.taps, (t) => (nodes.get(t)?.input ?? []).map(base).filter((i) => nodes.get(i)?.op !== 'Const'));
  const b = new Builder(inputSize);
  const alias = new Map();
  const resolve = (name) => alias.get(name) ?? name;
  const w = (name) => weights.get(GRAPH_PREFIX + name) ?? weights.get(name);
  const dec = (attr) => (attr?.s ? Buffer.from(attr.s, 'base64').toString() : undefined);
  for (const [name, n] of nodes) {
    if (!need.has(name) || n.op === 'Const') continue;
    const inputs = (n.input ?? []).map(base);
    if (n.op === 'Placeholder') alias.set(name, INPUT_NAME);
    else if (cfg.skip.includes(name)) alias.set(name, resolve(inputs[0] === `${name}/y` ? inputs[1] : inputs[0]));
    else if (n.op === '_FusedConv2D' || n.op === 'FusedDepthwiseConv2dNative') {
      const ops = (n.attr.fused_ops?.list?.s ?? []).map((s) => Buffer.from(s, 'base64').toString());
      if (ops[0] !== 'BiasAdd') throw new Error(`${name}: fused ops ${ops}`);
      const act = ops[1] === 'Relu6' ? 'relu6' : ops[1] === 'Relu' ? 'relu' : null;
      const s = n.attr.strides.list.i.map(Number);
      const padding = dec(n.attr.padding).toLowerCase();
      const depthwise = n.op === 'FusedDepthwiseConv2dNative';
      b.conv(resolve(inputs[0]), name, w(inputs[1]), w(inputs[2]).data.slice(), { strides: [s[1], s[2]], padding, depthwise, act });
    } else if (n.op === 'AddV2' || n.op === 'Add') b.add(inputs.map(resolve), name);
    else throw new Error(`graph model op ${n.op} (${name}) is not supported`);
  }
  return b;
}

function fromLayersModel(json, weights, cfg, inputSize) {
  const layers = new Map(json.modelTopology.model_config.config.layers.map((l) => [l.name, l]));
  const inputsOf = (l) => (l.inbound_nodes[0] ?? []).map((x) => x[0]);
  const need = ancestors(cfg.taps, (t) => inputsOf(layers.get(t)));
  const consumers = new Map();
  for (const l of layers.values()) for (const i of inputsOf(l)) consumers.set(i, (consumers.get(i) ?? 0) + 1);
  const b = new Builder(inputSize);
  const alias = new Map(); // layer name -> tensor name
  const zeroPad = new Map(); // ZeroPadding2D layer -> { input, pads }
  const w = (name) => weights.get(name)?.data;
  for (const [name, l] of layers) {
    if (!need.has(name)) continue;
    const c = l.config;
    const ins = inputsOf(l).map((i) => alias.get(i) ?? i);
    switch (l.class_name) {
      case 'InputLayer':
        alias.set(name, INPUT_NAME);
        break;
      case 'ZeroPadding2D': {
        const [[t, bo], [le, r]] = c.padding;
        zeroPad.set(name, { input: ins[0], pads: [t, le, bo, r] });
        break;
      }
      case 'Conv2D':
      case 'DepthwiseConv2D': {
        const depthwise = l.class_name === 'DepthwiseConv2D';
        const src = inputsOf(l)[0];
        const zp = zeroPad.get(src);
        const kernel = weights.get(`${name}/${depthwise ? 'depthwise_kernel' : 'kernel'}`);
        const bias = c.use_bias ? w(`${name}/bias`).slice() : null;
        const act = { linear: null, relu: 'relu' }[c.activation ?? 'linear'];
        if (act === undefined) throw new Error(`${name}: activation ${c.activation}`);
        b.conv(zp ? zp.input : ins[0], name, kernel, bias, {
          strides: c.strides, padding: c.padding, depthwise, extraPads: zp?.pads, act,
        });
        break;
      }
      case 'BatchNormalization': {
        const src = inputsOf(l)[0];
        const conv = b.producer.get(ins[0]);
        if (conv?.op !== 'conv' || conv.act || consumers.get(src) !== 1) throw new Error(`${name}: BN not after a conv`);
        const p = (k) => w(`${name}/${k}`);
        foldBatchNorm(conv, { gamma: c.scale ? p('gamma') : null, beta: c.center ? p('beta') : null, mean: p('moving_mean'), variance: p('moving_variance'), epsilon: c.epsilon });
        b.rename(ins[0], name);
        break;
      }
      case 'ReLU':
      case 'Activation': {
        const act = l.class_name === 'Activation' ? c.activation : c.max_value === 6 ? 'relu6' : c.max_value == null ? 'relu' : null;
        if (!['relu', 'relu6'].includes(act) || (c.negative_slope ?? 0) !== 0 || (c.threshold ?? 0) !== 0) {
          throw new Error(`${name}: activation ${JSON.stringify(c)} not supported`);
        }
        const conv = b.producer.get(ins[0]);
        if (conv?.op !== 'conv' || conv.act || consumers.get(inputsOf(l)[0]) !== 1) throw new Error(`${name}: activation not after a conv`);
        conv.act = act;
        b.rename(ins[0], name);
        break;
      }
      case 'Add':
        b.add(ins, name);
        break;
      case 'Concatenate':
        if (c.axis !== 3 && c.axis !== -1) throw new Error(`${name}: concat axis ${c.axis}`);
        b.concat(ins, name);
        break;
      case 'MaxPooling2D':
      case 'AveragePooling2D':
        b.pool(l.class_name === 'MaxPooling2D' ? 'maxpool' : 'avgpool', ins[0], name, c.pool_size, c.strides, c.padding);
        break;
      default:
        throw new Error(`Keras layer ${l.class_name} (${name}) is not supported`);
    }
    if (!alias.has(name) && b.shape.has(name)) alias.set(name, name);
  }
  return b;
}

/** Deterministic PRNG (mulberry32) for the permuted-kernel control graph. */
function rng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Shuffles every conv kernel's entries: same value statistics, no learnt structure (a "random features" control). */
export function permuteKernels(ir, seed = 1) {
  const r = rng(seed);
  for (const n of ir.nodes) {
    if (n.op !== 'conv') continue;
    const W = n.W;
    for (let i = W.length - 1; i > 0; i--) {
      const j = Math.floor(r() * (i + 1));
      const t = W[i];
      W[i] = W[j];
      W[j] = t;
    }
  }
  return ir;
}

/** Builds the IR of one backbone. Returns { nodes, taps: [{name, shape:[C,H,W], offsetPx, stride}], params, sha256 }. */
export async function buildIR(id, { inputSize = 224 } = {}) {
  const cfg = BACKBONES[id];
  if (!cfg) throw new Error(`Unknown backbone "${id}". Known: ${Object.keys(BACKBONES).join(', ')}`);
  const src = await loadNsfwModel(id);
  const b = (cfg.format === 'graph' ? fromGraphModel : fromLayersModel)(src.json, src.weights, cfg, inputSize);
  const taps = cfg.taps.map((t, i) => {
    if (!b.shape.has(t)) throw new Error(`${id}: tap ${t} was not built`);
    return { source: t, name: OUTPUT_NAMES[i], shape: b.shape.get(t), ...b.geom.get(t) };
  });
  const params = b.nodes.reduce((s, n) => s + (n.op === 'conv' ? n.W.length + n.B.length : 0), 0);
  return { id, inputSize, nodes: b.nodes, taps, params, weightsSha256: src.sha256 };
}

/** Serialises the IR as an ONNX model (opset 13) with input `input` [1,3,H,W] and outputs stride8 / stride16. */
export function toOnnx(ir, { docString = '' } = {}) {
  const rename = new Map(ir.taps.map((t) => [t.source, t.name]));
  const r = (s) => rename.get(s) ?? s;
  const nodes = [];
  const inits = [];
  let k = 0;
  const uid = (p) => `${p}_${k++}`;
  const clipMin = 'clip_min', clipMax = 'clip_max';
  let usesClip = false;
  for (const n of ir.nodes) {
    if (n.op === 'conv') {
      const wn = `${n.output}/W`, bn = `${n.output}/B`;
      inits.push(tensor(wn, n.wShape, n.W), tensor(bn, [n.wShape[0]], n.B));
      const out = n.act ? `${n.output}/preact` : r(n.output);
      nodes.push(node('Conv', [r(n.input), wn, bn], [out], uid('conv'), {
        kernel_shape: n.wShape.slice(2), strides: n.strides, pads: n.pads, group: n.group, dilations: [1, 1],
      }));
      if (n.act === 'relu') nodes.push(node('Relu', [out], [r(n.output)], uid('relu')));
      if (n.act === 'relu6') {
        usesClip = true;
        nodes.push(node('Clip', [out, clipMin, clipMax], [r(n.output)], uid('relu6')));
      }
    } else if (n.op === 'add') nodes.push(node('Add', n.inputs.map(r), [r(n.output)], uid('add')));
    else if (n.op === 'concat') nodes.push(node('Concat', n.inputs.map(r), [r(n.output)], uid('concat'), { axis: 1 }));
    else if (n.op === 'maxpool' || n.op === 'avgpool') {
      const attrs = { kernel_shape: n.kernel, strides: n.strides, pads: n.pads };
      if (n.op === 'avgpool') attrs.count_include_pad = 0; // TF 'same' average pooling ignores the padding
      nodes.push(node(n.op === 'maxpool' ? 'MaxPool' : 'AveragePool', [r(n.input)], [r(n.output)], uid(n.op), attrs));
    } else throw new Error(`IR op ${n.op}`);
  }
  if (usesClip) inits.push(tensor(clipMin, [], Float32Array.of(0)), tensor(clipMax, [], Float32Array.of(6)));
  return model(
    {
      name: ir.id,
      nodes,
      initializers: inits,
      // Symbolic H, W: the pads above were computed for inputSize and stay right for every size whose parity
      // matches at each stride-2 layer (multiples of 16 here; see manifests.ts inputMultiple).
      inputs: [valueInfo(INPUT_NAME, [1, 3, 'height', 'width'])],
      outputs: ir.taps.map((t) => valueInfo(t.name, [1, t.shape[0], `${t.name}_h`, `${t.name}_w`])),
    },
    { docString },
  );
}
