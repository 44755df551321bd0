// Bring-your-own backbone: an ONNX file plus a small JSON manifest. The manifest is read here; the graph is checked
// against it end to end by the shared factory (factory.ts), which the command line uses too.
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
import { createWebBackbone, type Backbone, type BackboneOptions } from './session';

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

/**
 * Loads a user's ONNX backbone with its manifest and checks that they agree (input and output names, one dummy
 * inference: 4-D outputs, channels and strides; see factory.ts). Returns a ready Backbone; throws an Error a user
 * can act on.
 */
export async function loadCustomBackbone(
  onnxBytes: ArrayBuffer,
  manifestJson: string,
  opts: Omit<BackboneOptions, 'modelBytes'> = {},
): Promise<Backbone> {
  return createWebBackbone(parseManifest(manifestJson), onnxBytes, opts, 'probe');
}
