// The ONNX graphs behind the WASM kernels, built at runtime around the caller's data (which becomes initializers),
// so that onnxruntime-web's multi-threaded SIMD MatMul (MLAS) does the O(n * d) inner products.
// Every graph is plain opset 13; integer results leave the graph as float (indices < 2^24), because the protobuf
// writer only declares fp32 value infos.
import { model, node, tensor, valueInfo } from '../../backbone/onnx/protobuf.mjs';

type Chunks = ReturnType<typeof node>;

/** Rows [r0, r1) of a row-major matrix (cols wide), transposed to cols x (r1 - r0) and multiplied by `scale`. */
function transposedRows(data: Float32Array, cols: number, r0: number, r1: number, scale: number, shift?: Float32Array): Float32Array {
  const n = r1 - r0;
  const out = new Float32Array(cols * n);
  for (let r = 0; r < n; r++) {
    const o = (r0 + r) * cols;
    for (let k = 0; k < cols; k++) out[k * n + r] = scale * (shift ? Math.fround(data[o + k] - shift[k]) : data[o + k]);
  }
  return out;
}

/** Candidates of one bank chunk: the `k` smallest |b|^2 - 2 q.b per query, their values and chunk-local rows. */
export interface KnnChunk {
  rows: number;
  values: string;
  indices: string;
}

/**
 * kNN candidates. Input `Q` [M, D] (already shifted by `shift`). Per chunk of bank rows: MatMul with the
 * pre-transposed, -2-scaled chunk [D, rows] (scaling by -2 is exact in fp32), Add the row norms |b|^2 [rows], and
 * TopK(k, smallest, sorted; ties by lower index) along the bank axis. The [M, rows] intermediate is per chunk.
 */
export function knnGraph(
  bank: { data: Float32Array; rows: number; cols: number },
  shift: Float32Array,
  chunkRows: number,
  k: number,
): { bytes: Uint8Array; chunks: KnnChunk[] } {
  const { data, rows, cols } = bank;
  const nodes: Chunks[] = [];
  const initializers: Chunks[] = [];
  const outputs: Chunks[] = [];
  const chunks: KnnChunk[] = [];
  for (let c = 0, r0 = 0; r0 < rows; c++, r0 += chunkRows) {
    const r1 = Math.min(rows, r0 + chunkRows);
    const n = r1 - r0;
    const kk = Math.min(k, n);
    const norms = new Float32Array(n);
    for (let r = 0; r < n; r++) {
      let s = 0;
      const o = (r0 + r) * cols;
      for (let j = 0; j < cols; j++) {
        const v = Math.fround(data[o + j] - shift[j]);
        s += v * v;
      }
      norms[r] = s;
    }
    initializers.push(tensor(`B${c}`, [cols, n], transposedRows(data, cols, r0, r1, -2, shift)));
    initializers.push(tensor(`N${c}`, [n], norms));
    nodes.push(node('Constant', [], [`k${c}`], `k${c}`, { value_ints: [kk] }));
    nodes.push(node('MatMul', ['Q', `B${c}`], [`S${c}`], `matmul${c}`));
    nodes.push(node('Add', [`S${c}`, `N${c}`], [`V${c}`], `add${c}`));
    nodes.push(node('TopK', [`V${c}`, `k${c}`], [`values${c}`, `I${c}`], `topk${c}`, { axis: 1, largest: 0, sorted: 1 }));
    nodes.push(node('Cast', [`I${c}`], [`indices${c}`], `cast${c}`, { to: 1 }));
    outputs.push(valueInfo(`values${c}`, ['M', kk]), valueInfo(`indices${c}`, ['M', kk]));
    chunks.push({ rows: n, values: `values${c}`, indices: `indices${c}` });
  }
  const bytes = model({ name: 'knn', nodes, initializers, inputs: [valueInfo('Q', ['M', cols])], outputs });
  return { bytes, chunks };
}

/** The smallest graph there is: proves the runtime loads here and tells how many threads it got. */
export function identityGraph(): Uint8Array {
  return model({
    name: 'probe',
    nodes: [node('Identity', ['X'], ['Y'], 'identity')],
    initializers: [],
    inputs: [valueInfo('X', [1])],
    outputs: [valueInfo('Y', [1])],
  });
}
