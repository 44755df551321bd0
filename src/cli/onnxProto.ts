// Loads the ONNX protobuf classes in Node: onnx.proto compiled by protobufjs, as onnxruntime-web ships it
// (lib/onnxjs/ort-schema/protobuf/onnx.js, not in the package's export map, so it is required by path).
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { OnnxProto } from '../export/graph';

let cached: OnnxProto | null = null;

export function onnxProto(): OnnxProto {
  if (cached) return cached;
  const require = createRequire(import.meta.url);
  const dist = dirname(require.resolve('onnxruntime-web'));
  const mod = require(join(dist, '..', 'lib', 'onnxjs', 'ort-schema', 'protobuf', 'onnx.js')) as { onnx: OnnxProto };
  cached = mod.onnx;
  return cached;
}
