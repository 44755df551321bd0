// One ONNX graph for a whole saved model, for onnxruntime anywhere and NVIDIA Triton: image -> normalisation ->
// backbone (the model's own ONNX nodes, copied in) -> locally aware features (eq. 1-3) -> nearest memory vector
// against the bank (an initializer, searched in row chunks so no intermediate grows past ~32 MB per image) ->
// eq. 7 image score -> anomaly map (bilinear upsampling, Gaussian sigma with scipy's reflect border) -> verdict.
// A transformer's token output is laid out on its patch grid first; one tap alone is its own features; the cosine
// distance scales every patch vector to unit length before the search, as the engine does.
// Each step mirrors the TypeScript engine (src/patchcore/); src/export/graph.test.ts holds them to it numerically.
// The batch dimension is dynamic, and so are height and width when the model keeps image shapes ('fit').
// Framework-free: the caller hands in the ONNX protobuf classes (see onnxProto.ts) and the backbone's bytes.
import { coversAll } from '../patchcore/region';
import type { BackboneManifest, BackboneTap } from '../backbone/manifest';
import { gaussianKernel } from '../patchcore/cpu/blur';
import type { EngineConfig } from '../patchcore/config';
import { inputGeometry } from '../patchcore/preprocess';
import type { MemoryBank } from '../patchcore/types';
import type { onnx as OnnxNs } from './onnxTypes';

export type OnnxProto = typeof OnnxNs;
export type InputType = 'uint8' | 'float32';

export interface ExportGraphOptions {
  /** The backbone's ONNX bytes (built-in from public/models, or a custom one). */
  backboneOnnx: Uint8Array;
  manifest: BackboneManifest;
  config: EngineConfig;
  bank: MemoryBank;
  threshold: number;
  /** Element type of the image input; values are RGB 0..255 either way. Default float32. */
  inputType?: InputType;
  /** Add the pass/fail output (score > threshold). Default true. */
  verdict?: boolean;
  /** Bank rows per distance chunk; default: as many as keep the [patches x rows] block under ~32 MB per image. */
  chunkRows?: number;
  name?: string;
  docString?: string;
  metadata?: Record<string, string>;
}

/** The graph's interface, as the sidecar and the Triton config describe it. */
export interface GraphSignature {
  inputs: TensorSig[];
  outputs: TensorSig[];
}
export interface TensorSig {
  name: string;
  type: 'FP32' | 'UINT8' | 'BOOL';
  /** With the batch dimension first; -1 where dynamic. */
  dims: number[];
}

export const INPUT_NAME = 'image';
export const OUTPUT_SCORE = 'score';
export const OUTPUT_MAP = 'anomaly_map';
export const OUTPUT_VERDICT = 'fail';

/** Most patches one image can have under a config: the grid of its largest working size. */
export function maxPatches(config: EngineConfig, manifest: BackboneManifest): number {
  const workingSize = config.workingSize;
  const g = inputGeometry(workingSize * 100, workingSize, workingSize, config.framing, manifest.inputMultiple, config.maxAspect);
  const stride = manifest.taps[0].stride;
  return Math.ceil(g.width / stride) * Math.ceil(g.height / stride);
}

/** Bank rows per chunk so that the [patches, rows] fp32 block of one image stays under `bytes`. */
export function defaultChunkRows(config: EngineConfig, manifest: BackboneManifest, bytes = 32 * 2 ** 20): number {
  return Math.max(256, Math.min(16384, Math.floor(bytes / (4 * maxPatches(config, manifest)))));
}

/** What the graph cannot express of a config, in words; null when it can be exported. */
export function unsupported(config: EngineConfig): string | null {
  if (config.alignGrids) return 'it uses the "alignGrids" experiment (receptive-field placement), which the export does not implement';
  if ((config.borderPadPx ?? 0) !== 0) return 'it uses the "borderPadPx" experiment (mirrored border), which the export does not implement';
  if (!coversAll(config.region) && config.framing === 'crop') {
    return 'it has an inspection region and the centre-crop framing, whose window moves with each image\'s shape, which the exported graph does not implement (the .patchcore file and `patchcore-web inspect` honour it)';
  }
  const a = config.aggregate;
  if (a.layerDim !== 'native' || a.targetDim !== 'none') return 'it pools feature channels (layerDim/targetDim), which the export does not implement';
  if (!(a.patchSize >= 1)) return `its patch size ${a.patchSize} is not a positive whole number`;
  return null;
}

const num = (v: unknown): number => (typeof v === 'number' ? v : Number(String(v)));

export function buildExportGraph(onnx: OnnxProto, opts: ExportGraphOptions): { bytes: Uint8Array; signature: GraphSignature; chunkRows: number } {
  const { manifest, config, bank, threshold } = opts;
  const why = unsupported(config);
  if (why) throw new Error(`This model cannot be exported: ${why}.`);
  const channels = manifest.taps.map((t) => t.channels);
  if (bank.cols !== channels.reduce((a, b) => a + b, 0)) {
    throw new Error(`The memory bank has ${bank.cols} dimensions but the backbone ${manifest.id} gives ${channels.join(' + ')}`);
  }
  let backbone: OnnxNs.ModelProto;
  try {
    backbone = onnx.ModelProto.decode(opts.backboneOnnx);
  } catch (e) {
    throw new Error(`The backbone file of ${manifest.id} is not an ONNX model: ${(e as Error).message}`);
  }
  const bg = backbone.graph;
  if (!bg) throw new Error(`The backbone file of ${manifest.id} has no graph`);
  const backboneNodes = bg.node ?? [];
  const backboneInits = bg.initializer ?? [];
  if (backboneInits.some((t) => t.dataLocation === onnx.TensorProto.DataLocation.EXTERNAL)) {
    throw new Error(`The backbone ${manifest.id} keeps its weights in external files; save it as one .onnx file first`);
  }
  const aiOnnx = backbone.opsetImport.find((o) => !o.domain || o.domain === 'ai.onnx');
  const opset = Math.max(13, aiOnnx ? num(aiOnnx.version) : 13);
  const taken = new Set<string>([...backboneNodes.flatMap((n) => [...(n.input ?? []), ...(n.output ?? [])]), ...backboneInits.map((t) => t.name ?? '')]);

  for (const own of [INPUT_NAME, OUTPUT_SCORE, OUTPUT_MAP, OUTPUT_VERDICT]) {
    if (taken.has(own)) throw new Error(`The backbone ${manifest.id} already uses the tensor name "${own}", which the export needs for its own input or outputs`);
  }
  const nodes: OnnxNs.INodeProto[] = [];
  const inits: OnnxNs.ITensorProto[] = [];
  let k = 0;
  const fresh = (hint: string) => {
    let n: string;
    do n = `pc/${hint}_${k++}`;
    while (taken.has(n));
    taken.add(n);
    return n;
  };
  type Attr = number | number[] | string | { f: number };
  const attr = (name: string, v: Attr): OnnxNs.IAttributeProto => {
    const T = onnx.AttributeProto.AttributeType;
    if (typeof v === 'string') return { name, type: T.STRING, s: new TextEncoder().encode(v) };
    if (Array.isArray(v)) return { name, type: T.INTS, ints: v };
    if (typeof v === 'object') return { name, type: T.FLOAT, f: v.f };
    return { name, type: T.INT, i: v };
  };
  /** Adds a node; returns its (first) output name. */
  const op = (type: string, inputs: string[], attrs: Record<string, Attr> = {}, outName?: string): string => {
    const outs = [outName ?? fresh(type.toLowerCase())];
    nodes.push({ opType: type, input: inputs, output: outs, name: fresh(`n_${type}`), attribute: Object.entries(attrs).map(([n, v]) => attr(n, v)) });
    return outs[0];
  };
  const opMulti = (type: string, inputs: string[], count: number, attrs: Record<string, Attr> = {}): string[] => {
    const outs = Array.from({ length: count }, (_, i) => fresh(`${type.toLowerCase()}${i}`));
    nodes.push({ opType: type, input: inputs, output: outs, name: fresh(`n_${type}`), attribute: Object.entries(attrs).map(([n, v]) => attr(n, v)) });
    return outs;
  };
  const f32 = (hint: string, dims: number[], data: Float32Array): string => {
    const name = fresh(hint);
    inits.push({ name, dims, dataType: onnx.TensorProto.DataType.FLOAT, rawData: new Uint8Array(data.buffer, data.byteOffset, data.byteLength) });
    return name;
  };
  const i64 = (hint: string, values: number[], dims: number[] = [values.length]): string => {
    const name = fresh(hint);
    const data = BigInt64Array.from(values.map((v) => BigInt(v)));
    inits.push({ name, dims, dataType: onnx.TensorProto.DataType.INT64, rawData: new Uint8Array(data.buffer) });
    return name;
  };
  // ReduceMin/Max/Sum take their axes as an attribute before opset 18 (ReduceSum: 13), as an input from then on.
  const reduce = (type: 'ReduceMin' | 'ReduceMax' | 'ReduceSum', x: string, axes: number[], keepdims: 0 | 1) =>
    type === 'ReduceSum' || opset >= 18 ? op(type, [x, i64('axes', axes)], { keepdims }) : op(type, [x], { axes, keepdims });
  const slice = (x: string, starts: number[], ends: number[], axes: number[], steps?: number[]) =>
    op('Slice', [x, i64('starts', starts), i64('ends', ends), i64('axes', axes), ...(steps ? [i64('steps', steps)] : [])]);

  // --- Input and normalisation (preprocess.ts: x' = (x/255 - mean) / std) --------------------------------------
  const inputType = opts.inputType ?? 'float32';
  const workingSize = config.workingSize;
  const keepsShape = config.framing === 'fit' && !!manifest.inputMultiple;
  const hw: (number | string)[] = keepsShape ? ['height', 'width'] : [workingSize, workingSize];
  let x: string = INPUT_NAME;
  if (inputType === 'uint8') x = op('Cast', [x], { to: onnx.TensorProto.DataType.FLOAT });
  x = op('Div', [x, f32('c255', [], Float32Array.of(255))]);
  x = op('Sub', [x, f32('mean', [1, 3, 1, 1], Float32Array.from(manifest.mean))]);
  op('Mul', [x, f32('inv_std', [1, 3, 1, 1], Float32Array.from(manifest.std, (s) => 1 / s))], {}, manifest.inputName);

  // --- Backbone: its nodes and weights as they are; its declared inputs/outputs/value infos are replaced ---------
  // A tokens tap [N, prefix + h*w, C] as an NCHW map (backbone/factory.ts tokensToMap): prefix dropped, the patch
  // tokens reshaped to the (H/p) x (W/p) grid of the backbone's input.
  const asMap = (t: BackboneTap): string => {
    if (t.kind !== 'tokens') return t.output;
    const patches = slice(t.output, [t.prefixTokens ?? 0], [2 ** 62], [1]); // [N, h*w, C]
    const cells = op('Div', [slice(op('Shape', [manifest.inputName]), [2], [4], [0]), i64('patch', [t.stride])]); // [h, w]
    const nhwc = op('Reshape', [patches, op('Concat', [i64('n0', [0]), cells, i64('c', [t.channels])], { axis: 0 })]);
    return op('Transpose', [nhwc], { perm: [0, 3, 1, 2] });
  };
  const [t8, t16] = manifest.taps.map(asMap);

  // --- Eq. 1-3 (cpu/features.ts): p x p mean with zero padding (divisor p*p), stride-16 map resized onto the
  // stride-8 grid (bilinear, align_corners=False), concatenated channels-last, shifted by the bank mean ----------
  const p = config.aggregate.patchSize;
  const lo = Math.floor(p / 2), hi = p - 1 - lo;
  const pool = (m: string) => op('AveragePool', [m], { kernel_shape: [p, p], strides: [1, 1], pads: [lo, lo, hi, hi], count_include_pad: 1 });
  const a1 = pool(t8);
  const shape1 = op('Shape', [a1]);
  const grid = slice(shape1, [2], [4], [0]); // [h, w] of the stride-8 grid
  const linear = { mode: 'linear', coordinate_transformation_mode: 'half_pixel' };
  let cat = a1; // [N, D, h, w]
  if (t16) {
    const a2 = pool(t16);
    const shape2 = op('Shape', [a2]);
    const sizes2 = op('Concat', [slice(shape2, [0], [2], [0]), grid], { axis: 0 });
    const up2 = op('Resize', [a2, '', '', sizes2], linear);
    cat = op('Concat', [a1, up2], { axis: 1 });
  }
  const D = bank.cols;
  const nhwc = op('Transpose', [cat], { perm: [0, 2, 3, 1] });
  let feats = op('Reshape', [nhwc, i64('shape', [0, -1, D])]); // [N, P, D]
  if (config.distance === 'cosine') {
    // cpu/features.ts normaliseRows: x / max(|x|, 1e-12) per patch vector.
    const norm = op('Sqrt', [reduce('ReduceSum', op('Mul', [feats, feats]), [2], 1)]); // [N, P, 1]
    feats = op('Div', [feats, op('Max', [norm, f32('eps', [], Float32Array.of(1e-12))])]);
  }

  // Shifting both sides by the bank mean leaves distances alone and shrinks |b|^2, so fp32 cancels less (as
  // patchcore/wasm/knn.ts).
  const mean = new Float64Array(D);
  for (let r = 0; r < bank.rows; r++) for (let j = 0; j < D; j++) mean[j] += bank.data[r * D + j];
  const mu = Float32Array.from(mean, (s) => s / bank.rows);
  const shifted = new Float32Array(bank.rows * D);
  const norms = new Float32Array(bank.rows);
  for (let r = 0; r < bank.rows; r++) {
    let s = 0;
    for (let j = 0; j < D; j++) {
      const v = Math.fround(bank.data[r * D + j] - mu[j]);
      shifted[r * D + j] = v;
      s += v * v;
    }
    norms[r] = s;
  }
  const fs = op('Sub', [feats, f32('bank_mean', [D], mu)]); // [N, P, D]
  const fs2 = op('Reshape', [fs, i64('shape', [-1, D])]); // [N*P, D]
  const qn = reduce('ReduceSum', op('Mul', [fs2, fs2]), [1], 1); // [N*P, 1]
  const bankName = f32('memory_bank', [bank.rows, D], shifted);
  const normName = f32('memory_bank_sq_norms', [bank.rows], norms);

  // --- Eq. 6 (cpu/knn.ts): min over bank rows of |b|^2 - 2 q.b per chunk, then over chunks; ties -> lowest row --
  const chunkRows = Math.max(1, opts.chunkRows ?? defaultChunkRows(config, manifest));
  const mins: string[] = [];
  const args: string[] = [];
  for (let r0 = 0; r0 < bank.rows; r0 += chunkRows) {
    const r1 = Math.min(bank.rows, r0 + chunkRows);
    const whole = r0 === 0 && r1 === bank.rows;
    const chunk = whole ? bankName : slice(bankName, [r0], [r1], [0]);
    const cn = whole ? normName : slice(normName, [r0], [r1], [0]);
    const v = op('Gemm', [fs2, chunk, cn], { alpha: { f: -2 }, beta: { f: 1 }, transB: 1 }); // [N*P, rows]
    mins.push(reduce('ReduceMin', v, [1], 1));
    const a = op('ArgMin', [v], { axis: 1, keepdims: 1, select_last_index: 0 });
    args.push(r0 === 0 ? a : op('Add', [a, i64('offset', [r0], [])]));
  }
  const allMin = mins.length > 1 ? op('Concat', mins, { axis: 1 }) : mins[0];
  const allArg = args.length > 1 ? op('Concat', args, { axis: 1 }) : args[0];
  const best = reduce('ReduceMin', allMin, [1], 1); // [N*P, 1]
  const which = op('ArgMin', [allMin], { axis: 1, keepdims: 1, select_last_index: 0 });
  const nnIndex = op('GatherElements', [allArg, which], { axis: 1 }); // [N*P, 1] bank row
  const d2 = op('Max', [op('Add', [best, qn]), f32('zero', [], Float32Array.of(0))]);
  // [N*P, 1] -> [N, P]: the patch count is the grid's h * w.
  const np = op('Concat', [i64('minus1', [-1]), op('ReduceProd', [grid], { keepdims: 1 })], { axis: 0 });
  const allPatches = op('Reshape', [op('Sqrt', [d2]), np]); // [N, P]
  const nnIdx = op('Reshape', [nnIndex, np]); // [N, P]

  // --- The inspection region (region.ts): only cells whose centre lies inside count; the others take the lowest
  // inside score. With 'fit' and 'squash' the input is the whole image, so a cell's centre is ((j + 0.5) / w,
  // (i + 0.5) / h) of it. A region smaller than a cell keeps the cell nearest its centre. ---------------------------
  const BIG = 3.0e38;
  let patch = allPatches; // scores for eq. 7's max and the map
  let forArgMax = allPatches;
  if (!coversAll(config.region)) {
    const r = config.region!;
    const T = onnx.TensorProto.DataType;
    const dims = [slice(grid, [0], [1], [0]), slice(grid, [1], [2], [0])]; // [h], [w]
    const scalar = (n: string) => op('Squeeze', [n, i64('axes', [0])]);
    const centres = (n: string) =>
      op('Div', [op('Add', [op('Cast', [op('Range', [i64('zero', [0], []), scalar(n), i64('one', [1], [])])], { to: T.FLOAT }), f32('half', [], Float32Array.of(0.5))]), op('Cast', [n], { to: T.FLOAT })]);
    const within = (c: string, a: number, b: number) =>
      op('And', [op('GreaterOrEqual', [c, f32('lo', [], Float32Array.of(a))]), op('LessOrEqual', [c, f32('hi', [], Float32Array.of(b))])]);
    const inY = within(centres(dims[0]), r.y0, r.y1); // [h]
    const inX = within(centres(dims[1]), r.x0, r.x1); // [w]
    const cells = op('Reshape', [op('And', [op('Unsqueeze', [inY, i64('axes', [1])]), op('Unsqueeze', [inX, i64('axes', [0])])]), i64('shape', [1, -1])]); // [1, P]
    // The fallback cell: floor of the region's centre on the grid, clamped.
    const cellOf = (n: string, c: number) => {
      const nf = op('Cast', [n], { to: T.FLOAT });
      const at = op('Cast', [op('Floor', [op('Mul', [f32('c', [], Float32Array.of(c)), nf])])], { to: T.INT64 });
      return op('Min', [op('Max', [at, i64('zero', [0])]), op('Sub', [n, i64('one', [1])])]);
    };
    const fallbackIndex = op('Add', [op('Mul', [cellOf(dims[0], (r.y0 + r.y1) / 2), dims[1]]), cellOf(dims[1], (r.x0 + r.x1) / 2)]); // [1]
    const all = op('Range', [i64('zero', [0], []), scalar(op('ReduceProd', [grid], { keepdims: 1 })), i64('one', [1], [])]);
    const fallback = op('Unsqueeze', [op('Equal', [all, fallbackIndex]), i64('axes', [0])]); // [1, P]
    const anyInside = op('Cast', [reduce('ReduceMax', op('Cast', [cells], { to: T.FLOAT }), [0, 1], 0)], { to: T.BOOL });
    // (Where on booleans has no onnxruntime kernel: the same choice in logic.)
    const inside = op('Or', [op('And', [anyInside, cells]), op('And', [op('Not', [anyInside]), fallback])]); // [1, P]
    const lowest = reduce('ReduceMin', op('Where', [inside, allPatches, f32('big', [], Float32Array.of(BIG))]), [1], 1); // [N, 1]
    patch = op('Where', [inside, allPatches, lowest]);
    forArgMax = op('Where', [inside, allPatches, f32('minus_big', [], Float32Array.of(-BIG))]);
  }

  // --- Eq. 7 (scoring.ts): s* the max patch score, m* its nearest memory vector, N_b(m*) the b nearest memory
  // vectors of m* (m* first), w = 1 - softmax(|m_test,* - n|, n in N_b)[0] -----------------------------------
  const rawMax = reduce('ReduceMax', patch, [1], 0); // [N]
  const b = config.reweightNeighbors;
  let score = rawMax;
  if (b > 1 && bank.rows >= 2) {
    const kk = Math.min(b, bank.rows);
    const maxPatch = op('ArgMax', [forArgMax], { axis: 1, keepdims: 1, select_last_index: 0 }); // [N, 1]
    const mIdx = op('Reshape', [op('GatherElements', [nnIdx, maxPatch], { axis: 1 }), i64('shape', [-1])]); // [N]
    const mStar = op('Gather', [bankName, mIdx], { axis: 0 }); // [N, D]
    const dm = op('Gemm', [mStar, bankName, normName], { alpha: { f: -2 }, beta: { f: 1 }, transB: 1 }); // [N, rows]
    const [, support] = opMulti('TopK', [dm, i64('k', [kk])], 2, { axis: 1, largest: 0, sorted: 1 }); // [N, b]
    const neighbours = op('Gather', [bankName, support], { axis: 0 }); // [N, b, D]
    const at = op('Expand', [op('Unsqueeze', [maxPatch, i64('axes', [2])]), op('Concat', [op('Shape', [maxPatch]), i64('d', [D])], { axis: 0 })]); // [N, 1, D]
    const query = op('GatherElements', [fs, at], { axis: 1 }); // [N, 1, D]
    const diff = op('Sub', [neighbours, query]);
    const dist = op('Sqrt', [reduce('ReduceSum', op('Mul', [diff, diff]), [2], 0)]); // [N, b]
    const soft = op('Softmax', [dist], { axis: 1 });
    const first = op('Reshape', [slice(soft, [0], [1], [1]), i64('shape', [-1])]); // [N]
    const w = op('Sub', [f32('one', [], Float32Array.of(1)), first]);
    score = op('Mul', [w, rawMax]);
  }
  op('Identity', [score], {}, OUTPUT_SCORE);

  // --- Anomaly map (anomalyMap.ts): patch scores [N, 1, h, w] -> bilinear to the input size -> Gaussian sigma,
  // radius floor(4 sigma + 0.5), scipy 'reflect' border (d c b a | a b c d), along y then x -------------------
  const ps = op('Reshape', [patch, op('Concat', [i64('n1', [0, 1]), grid], { axis: 0 })]);
  const inShape = op('Shape', [INPUT_NAME]);
  const sizesMap = op('Concat', [slice(op('Shape', [ps]), [0], [2], [0]), slice(inShape, [2], [4], [0])], { axis: 0 });
  let map = op('Resize', [ps, '', '', sizesMap], linear); // [N, 1, H, W]
  const sigma = config.sigmaPx;
  if (sigma > 0) {
    const kernel = Float32Array.from(gaussianKernel(sigma));
    const r = (kernel.length - 1) / 2;
    const INT_MIN = -(2 ** 62);
    for (const axis of [2, 3]) {
      // Mirror r rows (columns) on each side, the edge row included: rows r-1..0 before, H-1..H-r after.
      const before = slice(map, [r - 1], [INT_MIN], [axis], [-1]);
      const after = slice(map, [-1], [-(r + 1)], [axis], [-1]);
      const padded = op('Concat', [before, map, after], { axis });
      const kdims = axis === 2 ? [1, 1, kernel.length, 1] : [1, 1, 1, kernel.length];
      map = op('Conv', [padded, f32('gauss', kdims, kernel)], { kernel_shape: kdims.slice(2), pads: [0, 0, 0, 0], strides: [1, 1] });
    }
  }
  op('Reshape', [map, op('Concat', [i64('n0', [0]), slice(inShape, [2], [4], [0])], { axis: 0 })], {}, OUTPUT_MAP); // [N, H, W]
  const verdict = opts.verdict ?? true;
  if (verdict) op('Greater', [OUTPUT_SCORE, f32('threshold', [], Float32Array.of(threshold))], {}, OUTPUT_VERDICT);

  // --- The model -----------------------------------------------------------------------------------------------
  const T = onnx.TensorProto.DataType;
  const vi = (name: string, elemType: number, dims: (number | string)[]): OnnxNs.IValueInfoProto => ({
    name,
    type: { tensorType: { elemType, shape: { dim: dims.map((d) => (typeof d === 'string' ? { dimParam: d } : { dimValue: d })) } } },
  });
  const inputDims: (number | string)[] = ['batch', 3, ...hw];
  // Our normalisation nodes, the backbone's, then ours again: the node list stays topologically sorted.
  const split = nodes.findIndex((n) => n.output?.includes(manifest.inputName)) + 1;
  const graph: OnnxNs.IGraphProto = {
    name: opts.name ?? 'patchcore',
    node: [...nodes.slice(0, split), ...backboneNodes, ...nodes.slice(split)],
    initializer: [...backboneInits, ...inits],
    input: [vi(INPUT_NAME, inputType === 'uint8' ? T.UINT8 : T.FLOAT, inputDims)],
    output: [
      vi(OUTPUT_SCORE, T.FLOAT, ['batch']),
      vi(OUTPUT_MAP, T.FLOAT, ['batch', ...hw]),
      ...(verdict ? [vi(OUTPUT_VERDICT, T.BOOL, ['batch'])] : []),
    ],
  };
  const model: OnnxNs.IModelProto = {
    irVersion: Math.max(8, num(backbone.irVersion ?? 8)),
    opsetImport: [{ domain: '', version: opset }, ...backbone.opsetImport.filter((o) => o.domain && o.domain !== 'ai.onnx')],
    producerName: 'patchcore-web',
    producerVersion: '1',
    docString: opts.docString ?? '',
    graph,
    functions: backbone.functions,
    metadataProps: Object.entries(opts.metadata ?? {}).map(([key, value]) => ({ key, value })),
  };
  const bytes = onnx.ModelProto.encode(model).finish();
  const dyn = (d: number | string) => (typeof d === 'string' ? -1 : d);
  const signature: GraphSignature = {
    inputs: [{ name: INPUT_NAME, type: inputType === 'uint8' ? 'UINT8' : 'FP32', dims: inputDims.map(dyn) }],
    outputs: [
      { name: OUTPUT_SCORE, type: 'FP32', dims: [-1] },
      { name: OUTPUT_MAP, type: 'FP32', dims: [-1, ...hw.map(dyn)] },
      ...(verdict ? [{ name: OUTPUT_VERDICT, type: 'BOOL' as const, dims: [-1] }] : []),
    ],
  };
  return { bytes, signature, chunkRows };
}
