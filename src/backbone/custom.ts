// Bring-your-own backbone: an ONNX file plus a small JSON manifest, checked end to end (names, a dummy inference,
// channels and strides) so that a mismatch is reported in words before any training starts.
//
// Manifest format (JSON; fields of BackboneManifest in src/backbone/manifest.ts):
//   {
//     "id": "resnet18_l2l3",                    required, letters/digits/_-.
//     "label": "ResNet-18 layer2+layer3",       optional (defaults to id)
//     "description": "...",                     optional
//     "inputName": "input",                     required: the NCHW float32 [1,3,S,S] graph input
//     "inputSize": 224,                         required: S, 32..1024
//     "mean": [0.485, 0.456, 0.406],            required: applied to RGB in 0..1, x' = (x - mean) / std
//     "std":  [0.229, 0.224, 0.225],            required, all > 0
//     "taps": [                                 required: exactly two NCHW outputs
//       { "output": "layer2", "stride": 8,  "channels": 128 },
//       { "output": "layer3", "stride": 16, "channels": 256 }
//     ],
//     "inputMultiple": 32,                      optional: the graph also takes any H x W that are multiples of this
//                                               (symbolic dims), so images keep their aspect ratio; checked by
//                                               a second dummy inference. Must divide inputSize. Unset: squares only.
//     "receptiveFieldOffsetPx": 3.5,            optional: input pixel at the centre of cell (0,0) of the first tap
//                                               (default stride/2 - 0.5)
//     "license": "..."                          optional: shown in the model panel
//   }
import type { BackboneManifest, BackboneTap } from './manifest';
import { openSession, wrapSession, type Backbone, type BackboneOptions } from './session';
import * as ort from 'onnxruntime-web/webgpu';

function fail(msg: string): never {
  throw new Error(msg);
}

const isNum = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
const triple = (v: unknown): v is [number, number, number] => Array.isArray(v) && v.length === 3 && v.every(isNum);

/** Parses and checks a manifest's JSON text on its own (no model needed). Throws readable errors. */
export function parseManifest(manifestJson: string): BackboneManifest {
  let m: Record<string, unknown>;
  try {
    m = JSON.parse(manifestJson);
  } catch (e) {
    fail(`The manifest is not valid JSON: ${(e as Error).message}`);
  }
  if (!m || typeof m !== 'object' || Array.isArray(m)) fail('The manifest must be a JSON object, e.g. {"id": "my_backbone", ...}');
  const missing = ['id', 'inputName', 'inputSize', 'mean', 'std', 'taps'].filter((k) => m[k] === undefined);
  if (missing.length) fail(`The manifest is missing required field${missing.length > 1 ? 's' : ''}: ${missing.join(', ')}`);
  if (typeof m.id !== 'string' || !/^[\w.-]{1,64}$/.test(m.id)) fail('Manifest "id" must be 1-64 letters, digits, "_", "-" or "."');
  if (typeof m.inputName !== 'string' || !m.inputName) fail('Manifest "inputName" must be the name of the model input');
  if (!isNum(m.inputSize) || !Number.isInteger(m.inputSize) || m.inputSize < 32 || m.inputSize > 1024) {
    fail(`Manifest "inputSize" must be a whole number of pixels between 32 and 1024, got ${JSON.stringify(m.inputSize)}`);
  }
  if (!triple(m.mean)) fail('Manifest "mean" must be three numbers (R, G, B), e.g. [0.485, 0.456, 0.406]');
  if (!triple(m.std) || m.std.some((s) => s <= 0)) fail('Manifest "std" must be three positive numbers (R, G, B)');
  if (!Array.isArray(m.taps) || m.taps.length !== 2) fail('Manifest "taps" must list exactly two outputs: the stride-8 and the stride-16 feature map');
  const taps = m.taps.map((t: Record<string, unknown>, i: number): BackboneTap => {
    const where = `Manifest tap ${i + 1}`;
    if (!t || typeof t.output !== 'string') fail(`${where} needs "output": the name of a model output`);
    if (!isNum(t.stride) || t.stride <= 0) fail(`${where} ("${t.output}") needs a positive "stride" (pixels per feature cell)`);
    if (!isNum(t.channels) || !Number.isInteger(t.channels) || t.channels <= 0) fail(`${where} ("${t.output}") needs a positive whole "channels"`);
    return { output: t.output, stride: t.stride, channels: t.channels, ...(isNum(t.offsetPx) ? { offsetPx: t.offsetPx } : {}) };
  }) as [BackboneTap, BackboneTap];
  if (m.inputMultiple !== undefined) {
    const k = m.inputMultiple;
    if (!isNum(k) || !Number.isInteger(k) || k < 1 || k > 256 || (m.inputSize as number) % k !== 0) {
      fail(`Manifest "inputMultiple" must be a whole number of pixels from 1 to 256 that divides inputSize ${m.inputSize}, got ${JSON.stringify(k)}`);
    }
  }
  if (taps[0].output === taps[1].output) fail(`Manifest taps both name output "${taps[0].output}"; they must be two different outputs`);
  const str = (k: string, dflt: string) => (typeof m[k] === 'string' ? (m[k] as string) : dflt);
  return {
    id: m.id,
    label: str('label', m.id),
    description: str('description', 'Custom backbone'),
    url: str('url', ''),
    inputName: m.inputName,
    inputSize: m.inputSize,
    ...(m.inputMultiple !== undefined ? { inputMultiple: m.inputMultiple as number } : {}),
    mean: m.mean,
    std: m.std,
    taps,
    receptiveFieldOffsetPx: isNum(m.receptiveFieldOffsetPx) ? m.receptiveFieldOffsetPx : taps[0].stride / 2 - 0.5,
    license: str('license', 'User-supplied model; licence not stated'),
  };
}

/** How far a feature grid may fall short of inputSize / stride: 'valid' stems lose a few cells at the border. */
function gridMatches(cells: number, inputSize: number, stride: number): boolean {
  const nominal = inputSize / stride;
  return cells <= Math.ceil(nominal) && cells >= Math.floor(nominal * 0.85) - 1;
}

/**
 * Loads a user's ONNX backbone with its manifest and checks that they agree (input and output names, one dummy
 * inference: 4-D outputs, channels and strides). Returns a ready Backbone; throws an Error a user can act on.
 */
export async function loadCustomBackbone(
  onnxBytes: ArrayBuffer,
  manifestJson: string,
  opts: Omit<BackboneOptions, 'modelBytes'> = {},
): Promise<Backbone> {
  const manifest = parseManifest(manifestJson);
  if (!onnxBytes || onnxBytes.byteLength === 0) fail('The model file is empty (0 bytes)');
  let opened;
  try {
    opened = await openSession(onnxBytes, opts);
  } catch (e) {
    fail(`The model file could not be read as ONNX: ${(e as Error).message.replace(/^The backbone could not be loaded as an ONNX model on \w+: /, '')}`);
  }
  const { session } = opened;
  try {
    const ins = session.inputNames;
    const outs = session.outputNames;
    if (!ins.includes(manifest.inputName)) {
      fail(`Manifest names input "${manifest.inputName}" but the model's inputs are: ${ins.join(', ')}`);
    }
    if (ins.length > 1) fail(`The model has ${ins.length} inputs (${ins.join(', ')}); a backbone must take exactly one image input`);
    for (const t of manifest.taps) {
      if (!outs.includes(t.output)) fail(`Manifest names output "${t.output}" but the model's outputs are: ${outs.join(', ')}`);
    }
    const S = manifest.inputSize;
    let result: ort.InferenceSession.ReturnType;
    try {
      const x = new ort.Tensor('float32', new Float32Array(3 * S * S), [1, 3, S, S]);
      result = await session.run({ [manifest.inputName]: x }, manifest.taps.map((t) => t.output));
    } catch (e) {
      fail(`The model failed on a [1, 3, ${S}, ${S}] input (inputSize ${S} in the manifest): ${(e as Error).message}`);
    }
    for (const t of manifest.taps) {
      const dims = result[t.output].dims as number[];
      if (dims.length !== 4 || dims[0] !== 1) {
        fail(`Output "${t.output}" has shape [${dims.join(', ')}]; a feature map must be 4-D [1, channels, height, width]`);
      }
      const [, c, h, w] = dims;
      if (c !== t.channels) fail(`Output "${t.output}" has ${c} channels but the manifest says ${t.channels}`);
      if (!gridMatches(h, S, t.stride) || !gridMatches(w, S, t.stride)) {
        const nominal = Math.round(S / t.stride);
        fail(
          `Output "${t.output}" is ${h}x${w} cells for a ${S} px input (stride about ${(S / h).toFixed(1)}), ` +
            `but the manifest says stride ${t.stride} (expected about ${nominal}x${nominal})`,
        );
      }
      result[t.output].dispose();
    }
    const k = manifest.inputMultiple;
    if (k) {
      // A wider-than-square input must run too, or 'fit' would fail on the first landscape image.
      const W = S + 2 * k;
      try {
        const x = new ort.Tensor('float32', new Float32Array(3 * S * W), [1, 3, S, W]);
        const r = await session.run({ [manifest.inputName]: x }, manifest.taps.map((t) => t.output));
        for (const t of manifest.taps) r[t.output].dispose();
      } catch (e) {
        fail(`The manifest says the model takes sizes in multiples of ${k} ("inputMultiple"), but it failed on a [1, 3, ${S}, ${W}] input: ${(e as Error).message}. Remove "inputMultiple" to use square inputs only.`);
      }
    }
    return wrapSession(manifest, opened);
  } catch (e) {
    await session.release();
    throw e;
  }
}
