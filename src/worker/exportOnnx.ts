// The worker's side of "Export ONNX": the model's backbone bytes (the built-in file from the app's origin, or the
// custom backbone the page sends), the bank's hash, and the export's files (src/export/files.ts), off the page's
// thread. The page zips them.
import { builtinManifest } from '../backbone/manifests';
import { parseManifest } from '../backbone/custom';
import { fetchModel } from '../backbone/session';
import { exportFiles, type ExportFile } from '../export/files';
import { exportName } from '../export/triton';
import { sha256Hex } from '../lib/hash';
import { onnxProto } from './onnxProto';
import type { RequestMap } from './protocol';

export async function exportOnnx(args: RequestMap['exportOnnx']['args']): Promise<{ name: string; files: ExportFile[] }> {
  const { meta, bank, custom } = args;
  const id = meta.backbone.id;
  let manifest, backboneOnnx: Uint8Array;
  if (custom) {
    manifest = parseManifest(custom.manifest);
    if (manifest.id !== id) throw new Error(`The model needs backbone "${id}" but the custom backbone given is "${manifest.id}"`);
    backboneOnnx = new Uint8Array(custom.onnx);
  } else {
    manifest = builtinManifest(id);
    backboneOnnx = await fetchModel(manifest.url);
  }
  const name = exportName(meta.name);
  const bankBytes = new Uint8Array(bank.data.buffer, bank.data.byteOffset, bank.data.byteLength);
  const { files } = exportFiles(onnxProto(), { meta, bank, manifest, backboneOnnx, name, bankSha256: await sha256Hex(bankBytes), inputType: args.inputType });
  return { name, files };
}
