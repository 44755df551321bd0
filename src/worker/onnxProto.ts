// The ONNX protobuf classes in the page's bundle: onnx.proto compiled by protobufjs, as onnxruntime-web ships it
// (lib/onnxjs/ort-schema/protobuf/onnx.js). The package's export map hides that file, so it is imported by path;
// Vite bundles it (and protobufjs/minimal) into the worker, served from the app's own origin. The command line
// loads the same file in Node (src/cli/onnxProto.ts).
import * as proto from '../../node_modules/onnxruntime-web/lib/onnxjs/ort-schema/protobuf/onnx';
import type { OnnxProto } from '../export/graph';

/** The `onnx` namespace, whether the CommonJS module arrives as named exports or as a default object. */
export function onnxProto(): OnnxProto {
  const mod = proto as unknown as { onnx?: OnnxProto; default?: { onnx?: OnnxProto } };
  const onnx = mod.onnx ?? mod.default?.onnx;
  if (!onnx) throw new Error('The ONNX protobuf classes did not load');
  return onnx;
}
