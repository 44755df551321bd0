// A tiny ONNX protobuf writer: just the messages a float32 feed-forward graph needs (opset 13, fp32 tensors).
// Field numbers are from onnx/onnx.proto3; everything is encoded by hand so the build needs no dependency.
// Plain JavaScript (types in protobuf.d.mts) because scripts/onnx/convert.mjs runs it under bare node at install.

const enc = new TextEncoder();
const FLOAT = 1; // TensorProto.DataType.FLOAT
const ATTR = { FLOAT: 1, INT: 2, STRING: 3, FLOATS: 6, INTS: 7 };

/** Protobuf bytes are built as nested arrays of Uint8Array chunks and flattened once at the end. */
function varint(n) {
  const out = [];
  let v = BigInt(n);
  if (v < 0n) v += 1n << 64n; // negative int64: ten-byte two's complement
  do {
    let b = Number(v & 0x7fn);
    v >>= 7n;
    if (v > 0n) b |= 0x80;
    out.push(b);
  } while (v > 0n);
  return Uint8Array.from(out);
}
const key = (field, wire) => varint((field << 3) | wire);
const size = (chunks) => chunks.reduce((s, c) => s + c.length, 0);
const vint = (field, n) => [key(field, 0), varint(n)];
function bytes(field, payload) {
  const parts = payload instanceof Uint8Array ? [payload] : payload.flat(Infinity);
  return [key(field, 2), varint(size(parts)), ...parts];
}
const str = (field, s) => bytes(field, enc.encode(s));
const f32 = (field, x) => {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setFloat32(0, x, true);
  return [key(field, 5), b];
};

/** TensorProto with raw little-endian fp32 data. */
export function tensor(name, dims, data) {
  const raw = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  return [...dims.map((d) => vint(1, d)), vint(2, FLOAT), str(8, name), bytes(9, raw)];
}

/** AttributeProto from a JS value: integer, float (wrap as {f}), string, int[] or {floats}. */
function attribute(name, v) {
  if (typeof v === 'string') return [str(1, name), str(4, v), vint(20, ATTR.STRING)];
  if (Array.isArray(v)) return [str(1, name), ...v.map((i) => vint(8, i)), vint(20, ATTR.INTS)];
  if (typeof v === 'object' && 'floats' in v) return [str(1, name), ...v.floats.map((x) => f32(7, x)), vint(20, ATTR.FLOATS)];
  if (typeof v === 'object' && 'f' in v) return [str(1, name), f32(2, v.f), vint(20, ATTR.FLOAT)];
  if (Number.isInteger(v)) return [str(1, name), vint(3, v), vint(20, ATTR.INT)];
  throw new Error(`attribute ${name}: unsupported value ${JSON.stringify(v)}`);
}

/** NodeProto. `attrs` values: integers, int arrays, strings, {f: float}, {floats: [...]}. */
export function node(opType, inputs, outputs, name, attrs = {}) {
  return [
    ...inputs.map((i) => str(1, i)),
    ...outputs.map((o) => str(2, o)),
    str(3, name),
    str(4, opType),
    ...Object.entries(attrs).map(([k, v]) => bytes(5, attribute(k, v))),
  ];
}

/** ValueInfoProto for an fp32 tensor; a string dim is symbolic (dim_param). */
export function valueInfo(name, dims) {
  const dim = (d) => bytes(1, typeof d === 'string' ? str(2, d) : vint(1, d));
  const shape = bytes(2, dims.map(dim));
  const tensorType = bytes(1, [vint(1, FLOAT), shape]);
  return [str(1, name), bytes(2, tensorType)];
}

/**
 * ModelProto bytes. graph = { name, nodes: node()[], initializers: tensor()[], inputs/outputs: valueInfo()[] }.
 * `docString` lands in ModelProto.doc_string (provenance, licence).
 */
export function model(graph, { producer = 'patchcore-web', opset = 13, docString = '' } = {}) {
  const g = [
    ...graph.nodes.map((n) => bytes(1, n)),
    str(2, graph.name),
    ...graph.initializers.map((t) => bytes(5, t)),
    ...graph.inputs.map((v) => bytes(11, v)),
    ...graph.outputs.map((v) => bytes(12, v)),
  ];
  const parts = [
    vint(1, 8), // ir_version 8 (ONNX 1.10+)
    str(2, producer),
    ...(docString ? [str(6, docString)] : []),
    bytes(7, g),
    bytes(8, [str(1, ''), vint(2, opset)]),
  ].flat(Infinity);
  const out = new Uint8Array(size(parts));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}
