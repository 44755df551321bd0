// The files of one export, as the command line writes them and the app zips them: <name>.onnx (the whole method in
// one graph), <name>.json (the sidecar) and the Triton repository entry triton/<name>/{config.pbtxt, 1/model.onnx}.
// Paths are relative and use '/'; the caller decides where they go (a folder, a ZIP).
import type { BackboneManifest } from '../backbone/manifest';
import type { MemoryBank } from '../patchcore/types';
import type { ModelMeta } from '../storage/model';
import { buildExportGraph, type GraphSignature, type InputType, type OnnxProto } from './graph';
import { makeSidecar } from './sidecar';
import { tritonConfig } from './triton';

export interface ExportFile {
  path: string;
  bytes: Uint8Array;
}

export interface ExportFilesOptions {
  meta: ModelMeta;
  bank: MemoryBank;
  manifest: BackboneManifest;
  backboneOnnx: Uint8Array;
  /** Triton-safe name (exportName in triton.ts). */
  name: string;
  /** SHA-256 of the bank's float32 bytes, hex; the caller hashes (src/lib/hash.ts sha256Hex, async), so this stays synchronous. */
  bankSha256: string;
  inputType?: InputType;
  verdict?: boolean;
  chunkRows?: number;
}

export function exportFiles(onnx: OnnxProto, opts: ExportFilesOptions): { files: ExportFile[]; signature: GraphSignature } {
  const { meta, bank, manifest, name } = opts;
  const inputType = opts.inputType ?? 'float32';
  const built = buildExportGraph(onnx, {
    backboneOnnx: opts.backboneOnnx,
    manifest,
    config: meta.config,
    bank,
    threshold: meta.calibration.threshold,
    inputType,
    verdict: opts.verdict,
    chunkRows: opts.chunkRows,
    name,
    docString: `patchcore-web model "${meta.name}" (${meta.id}): PatchCore on ${manifest.id}, bank ${bank.rows} x ${bank.cols}. Backbone licence: ${manifest.license}`,
    metadata: { patchcore_model_id: meta.id, patchcore_threshold: String(meta.calibration.threshold) },
  });
  const sidecar = makeSidecar({ meta, manifest, signature: built.signature, inputType, bankSha256: opts.bankSha256, chunkRows: built.chunkRows });
  const text = (s: string) => new TextEncoder().encode(s);
  return {
    signature: built.signature,
    files: [
      { path: `${name}.onnx`, bytes: built.bytes },
      { path: `${name}.json`, bytes: text(JSON.stringify(sidecar, null, 2) + '\n') },
      { path: `triton/${name}/config.pbtxt`, bytes: text(tritonConfig(name, built.signature)) },
      { path: `triton/${name}/1/model.onnx`, bytes: built.bytes },
    ],
  };
}
