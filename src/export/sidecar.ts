// The JSON sidecar of an exported graph: what a server needs to feed it exactly as the browser fed the engine
// (framing, working size, decoding), what the outputs mean, and where the model and its threshold came from.
import type { BackboneManifest } from '../backbone/manifest';
import type { EngineConfig } from '../patchcore/config';
import type { Framing } from '../patchcore/preprocess';
import type { ModelMeta } from '../storage/model';
import type { GraphSignature, InputType } from './graph';

export const SIDECAR_KIND = 'patchcore-web onnx export';
export const SIDECAR_VERSION = 1;

export interface Sidecar {
  kind: typeof SIDECAR_KIND;
  version: typeof SIDECAR_VERSION;
  model: { name: string; id: string; description: string; createdAt: string; trainImageCount: number; patchCount: number | null };
  backbone: { id: string; label: string; manifestHash: string | null; mean: number[]; std: number[] };
  /** How an image becomes the graph's input; `preprocessInput` in src/cli/graphScorer.ts does exactly this. */
  input: {
    name: string;
    dtype: InputType;
    layout: 'NCHW';
    channels: 'RGB';
    range: [0, 255];
    framing: Framing;
    /** Shorter side ('fit') or the square's side ('squash', 'crop'). */
    workingSize: number;
    /** 'fit': the longer side is a multiple of this, at most maxAspect * workingSize. */
    multiple: number | null;
    maxAspect: number;
    decoding: string;
    resize: string;
  };
  outputs: GraphSignature['outputs'];
  threshold: { value: number; how: string; falseAlarmRate: number | null; heldOutImages: number };
  bank: { rows: number; cols: number; sha256: string; chunkRows: number };
  engine: EngineConfig;
  exportedAt: string;
}

export function thresholdHow(meta: ModelMeta): string {
  const n = meta.scoreStats.scores.length;
  const far = meta.calibration.falseAlarmRate;
  if (far !== undefined) return `false-alarm rate ${far} on ${n} held-out good images (normal prediction bound, src/patchcore/calibration.ts)`;
  if (meta.calibration.f1Threshold === meta.calibration.threshold) return 'F1-optimal on labelled good and defective images';
  return 'set by hand';
}

export function makeSidecar(args: {
  meta: ModelMeta;
  manifest: BackboneManifest;
  signature: GraphSignature;
  inputType: InputType;
  bankSha256: string;
  chunkRows: number;
  exportedAt?: Date;
}): Sidecar {
  const { meta, manifest, signature } = args;
  const c = meta.config;
  return {
    kind: SIDECAR_KIND,
    version: SIDECAR_VERSION,
    model: {
      name: meta.name,
      id: meta.id,
      description: meta.description,
      createdAt: new Date(meta.createdAt).toISOString(),
      trainImageCount: meta.trainImageCount,
      patchCount: meta.patchCount ?? null,
    },
    backbone: { id: manifest.id, label: manifest.label, manifestHash: meta.backbone.manifestHash, mean: [...manifest.mean], std: [...manifest.std] },
    input: {
      name: signature.inputs[0].name,
      dtype: args.inputType,
      layout: 'NCHW',
      channels: 'RGB',
      range: [0, 255],
      framing: c.framing,
      workingSize: c.workingSize,
      multiple: manifest.inputMultiple ?? null,
      maxAspect: c.maxAspect ?? 3,
      decoding: 'EXIF orientation applied, sRGB, longest side capped at 2048 px (high-quality downscale) before anything else',
      resize:
        "src/patchcore/preprocess.ts inputGeometry + resize: separable triangle filter widened by the scale when shrinking " +
        '(area-like), bilinear with half-pixel centres when enlarging; float values 0..255, not rounded (uint8 input: rounded)',
    },
    outputs: signature.outputs,
    threshold: { value: meta.calibration.threshold, how: thresholdHow(meta), falseAlarmRate: meta.calibration.falseAlarmRate ?? null, heldOutImages: meta.scoreStats.scores.length },
    bank: { rows: meta.bankShape.rows, cols: meta.bankShape.cols, sha256: args.bankSha256, chunkRows: args.chunkRows },
    engine: c,
    exportedAt: (args.exportedAt ?? new Date()).toISOString(),
  };
}
