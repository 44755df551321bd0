// `export`: a .patchcore model -> DIR/<name>.onnx (the whole method in one graph), DIR/<name>.json (the sidecar)
// and a Triton model repository DIR/triton/<name>/{config.pbtxt, 1/model.onnx}. Everything is written to a
// temporary folder first and moved into place at the end, so a failed export leaves nothing half written.
import { existsSync, mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { exportFiles } from '../export/files';
import type { GraphSignature, InputType } from '../export/graph';
import { exportName } from '../export/triton';
import { sha256Hex } from '../lib/hash';
import { backboneFiles, loadModelFile, type CustomBackbone } from './model';
import { onnxProto } from './onnxProto';

export interface ExportOptions {
  custom?: CustomBackbone;
  inputType?: InputType;
  /** File and Triton model name; default: the model's name made safe. */
  name?: string;
  verdict?: boolean;
  chunkRows?: number;
}

export interface ExportResult {
  onnx: string;
  sidecar: string;
  triton: string;
  bytes: number;
  signature: GraphSignature;
}

export { exportName };

export async function exportModel(modelPath: string, outDir: string, opts: ExportOptions = {}): Promise<ExportResult> {
  const { meta, bank } = await loadModelFile(modelPath, opts.custom);
  const files = backboneFiles(meta.backbone.id, opts.custom);
  const name = exportName(opts.name ?? meta.name);
  const bankSha256 = await sha256Hex(new Uint8Array(bank.data.buffer, bank.data.byteOffset, bank.data.byteLength));
  const { files: written, signature } = exportFiles(onnxProto(), {
    meta,
    bank,
    manifest: files.manifest,
    backboneOnnx: files.onnx,
    name,
    bankSha256,
    inputType: opts.inputType,
    verdict: opts.verdict,
    chunkRows: opts.chunkRows,
  });

  const out = resolve(outDir);
  const targets = [`${name}.onnx`, `${name}.json`, join('triton', name)].map((p) => join(out, p));
  const clash = targets.find((t) => existsSync(t));
  if (clash) throw new Error(`${clash} already exists: choose another --out folder or --name`);
  const tmp = join(out, `.${name}.${process.pid}.partial`);
  try {
    for (const f of written) {
      mkdirSync(dirname(join(tmp, f.path)), { recursive: true });
      writeFileSync(join(tmp, f.path), f.bytes);
    }
    mkdirSync(join(out, 'triton'), { recursive: true });
    renameSync(join(tmp, `${name}.onnx`), targets[0]);
    renameSync(join(tmp, `${name}.json`), targets[1]);
    renameSync(join(tmp, 'triton', name), targets[2]);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  return { onnx: targets[0], sidecar: targets[1], triton: join(out, 'triton'), bytes: written[0].bytes.byteLength, signature };
}
