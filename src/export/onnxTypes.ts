// The ONNX protobuf classes' types: onnxruntime-web ships onnx.proto compiled with protobufjs (its onnxjs schema),
// which the export uses to read backbone graphs and write the exported model (see src/cli/onnxProto.ts).
export type { onnx } from '../../node_modules/onnxruntime-web/lib/onnxjs/ort-schema/protobuf/onnx';
