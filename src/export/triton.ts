// A Triton Inference Server model repository entry for an exported graph: <name>/config.pbtxt (onnxruntime
// backend, dynamic batching) beside <name>/1/model.onnx. Inputs and outputs are written from the graph's own
// signature; dims leave out the batch dimension (max_batch_size > 0), and per-image scalars are declared [1]
// reshaped to [] as Triton requires for a graph output of shape [batch].
import type { GraphSignature, TensorSig } from './graph';

export const TRITON_MAX_BATCH = 16;

/** A Triton-safe (and file-safe) model name: letters, digits, '_', '-', '.'. */
export function exportName(name: string): string {
  const s = name.replace(/[^A-Za-z0-9_.-]+/g, '_').replace(/^[._]+|_+$/g, '').slice(0, 80);
  return s || 'patchcore';
}

function entry(t: TensorSig): string {
  const dims = t.dims.slice(1);
  const scalar = dims.length === 0;
  return [
    '  {',
    `    name: "${t.name}"`,
    `    data_type: TYPE_${t.type}`,
    `    dims: [ ${scalar ? '1' : dims.join(', ')} ]`,
    ...(scalar ? ['    reshape: { shape: [ ] }'] : []),
    '  }',
  ].join('\n');
}

/** config.pbtxt text for the model `name` (the repository folder's name). */
export function tritonConfig(name: string, signature: GraphSignature, maxBatch = TRITON_MAX_BATCH): string {
  return [
    `name: "${name}"`,
    'backend: "onnxruntime"',
    `max_batch_size: ${maxBatch}`,
    'input [',
    signature.inputs.map(entry).join(',\n'),
    ']',
    'output [',
    signature.outputs.map(entry).join(',\n'),
    ']',
    'dynamic_batching { }',
    '',
  ].join('\n');
}
