// `export`: a .patchcore model -> DIR/<name>.onnx (the whole method in one graph), DIR/<name>.json (the sidecar)
// and a Triton model repository DIR/triton/<name>/{config.pbtxt, 1/model.onnx}. Everything is written to a
// temporary folder first and moved into place at the end, so a failed export leaves nothing half written.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { buildExportGraph, type GraphSignature, type InputType } from '../export/graph';
import { makeSidecar } from '../export/sidecar';
import { tritonConfig } from '../export/triton';
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

/** A Triton-safe model name: letters, digits, '_', '-', '.'. */
export function exportName(name: string): string {
  const s = name.replace(/[^A-Za-z0-9_.-]+/g, '_').replace(/^[._]+|_+$/g, '').slice(0, 80);
  return s || 'patchcore';
}

export async function exportModel(modelPath: string, outDir: string, opts: ExportOptions = {}): Promise<ExportResult> {
  const { meta, bank } = await loadModelFile(modelPath, opts.custom);
  const files = backboneFiles(meta.backbone.id, opts.custom);
  const name = exportName(opts.name ?? meta.name);
  const inputType = opts.inputType ?? 'float32';
  const built = buildExportGraph(onnxProto(), {
    backboneOnnx: files.onnx,
    manifest: files.manifest,
    config: meta.config,
    bank,
    threshold: meta.calibration.threshold,
    inputType,
    verdict: opts.verdict,
    chunkRows: opts.chunkRows,
    name,
    docString: `patchcore-web model "${meta.name}" (${meta.id}): PatchCore on ${files.manifest.id}, bank ${bank.rows} x ${bank.cols}. Backbone licence: ${files.manifest.license}`,
    metadata: { patchcore_model_id: meta.id, patchcore_threshold: String(meta.calibration.threshold) },
  });
  const bankSha256 = createHash('sha256').update(new Uint8Array(bank.data.buffer, bank.data.byteOffset, bank.data.byteLength)).digest('hex');
  const sidecar = makeSidecar({ meta, manifest: files.manifest, signature: built.signature, inputType, bankSha256, chunkRows: built.chunkRows });

  const out = resolve(outDir);
  const targets = [`${name}.onnx`, `${name}.json`, join('triton', name)].map((p) => join(out, p));
  const clash = targets.find((t) => existsSync(t));
  if (clash) throw new Error(`${clash} already exists: choose another --out folder or --name`);
  const tmp = join(out, `.${name}.${process.pid}.partial`);
  try {
    mkdirSync(join(tmp, 'triton', name, '1'), { recursive: true });
    writeFileSync(join(tmp, `${name}.onnx`), built.bytes);
    writeFileSync(join(tmp, `${name}.json`), JSON.stringify(sidecar, null, 2) + '\n');
    writeFileSync(join(tmp, 'triton', name, 'config.pbtxt'), tritonConfig(name, built.signature));
    writeFileSync(join(tmp, 'triton', name, '1', 'model.onnx'), built.bytes);
    mkdirSync(join(out, 'triton'), { recursive: true });
    renameSync(join(tmp, `${name}.onnx`), targets[0]);
    renameSync(join(tmp, `${name}.json`), targets[1]);
    renameSync(join(tmp, 'triton', name), targets[2]);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  return { onnx: targets[0], sidecar: targets[1], triton: join(out, 'triton'), bytes: built.bytes.byteLength, signature: built.signature };
}
