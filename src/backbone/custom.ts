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
//     "taps": [                                 required: one or two outputs, finest grid first
//       { "output": "layer2", "stride": 8,  "channels": 128 },
//       { "output": "layer3", "stride": 16, "channels": 256 }
//     ],                                        a CNN: NCHW maps; strides whole pixels that divide inputSize,
//                                               the second a multiple of the first
//     or a vision transformer's patch tokens [1, prefix + h*w, C]:
//     "taps": [ { "output": "last_hidden_state", "kind": "tokens", "patchSize": 14, "prefixTokens": 5, "channels": 384 } ],
//                                               prefixTokens: class + register tokens before the patches (default 0)
//     "distance": "cosine",                     optional: "l2" or "cosine", the default for models on this backbone
//                                               (default "cosine" with token taps, else "l2")
//     "inputMultiple": 32,                      optional: the graph also takes any H x W that are multiples of this
//                                               (symbolic dims), so images keep their aspect ratio; checked by
//                                               a second dummy inference. Must divide inputSize. Unset: squares only.
//     "receptiveFieldOffsetPx": 3.5,            optional: input pixel at the centre of cell (0,0) of the first tap
//                                               (default stride/2 - 0.5)
//     "license": "..."                          optional: shown in the model panel
//   }
import { defaultDistance, type BackboneManifest, type BackboneTap } from './manifest';
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
  if (!Array.isArray(m.taps) || m.taps.length < 1 || m.taps.length > 2) {
    fail('Manifest "taps" must list one or two outputs: a CNN\'s stride-8 and stride-16 feature maps, or one grid alone (e.g. a vision transformer\'s patch tokens)');
  }
  const S = m.inputSize as number;
  const taps = m.taps.map((t: Record<string, unknown>, i: number): BackboneTap => {
    const where = `Manifest tap ${i + 1}`;
    if (!t || typeof t.output !== 'string') fail(`${where} needs "output": the name of a model output`);
    if (t.kind !== undefined && t.kind !== 'map' && t.kind !== 'tokens') {
      fail(`${where} ("${t.output}") has "kind" ${JSON.stringify(t.kind)}; it must be "map" (NCHW feature map) or "tokens" (a transformer's patch tokens)`);
    }
    const tokens = t.kind === 'tokens';
    // A transformer's cell is its patch: "patchSize" says so in its own words ("stride" is taken too).
    const stride = tokens && t.patchSize !== undefined ? t.patchSize : t.stride;
    const strideName = tokens ? '"patchSize"' : '"stride"';
    if (!isNum(stride) || !Number.isInteger(stride) || stride < 2 || stride > 64) {
      fail(`${where} ("${t.output}") needs ${strideName}: a whole number of pixels per feature cell from 2 to 64, got ${JSON.stringify(stride)}`);
    }
    if (!isNum(t.channels) || !Number.isInteger(t.channels) || t.channels <= 0) fail(`${where} ("${t.output}") needs a positive whole "channels"`);
    // The engine lays cells edge to edge over the input, so a cell must divide the input's side.
    if (S % stride !== 0) {
      fail(
        `${where} ("${t.output}") has ${strideName} ${stride}, which does not divide the ${S} px input ("inputSize"): the engine cannot place ` +
          `its cells on the image. Use an input size that is a multiple of ${stride}${tokens ? '' : ', or check the stride (a CNN stage halves the grid: 4, 8, 16, 32)'}`,
      );
    }
    const prefix = t.prefixTokens ?? 0;
    if (tokens && (!isNum(prefix) || !Number.isInteger(prefix) || prefix < 0 || prefix > 64)) {
      fail(`${where} ("${t.output}") has "prefixTokens" ${JSON.stringify(t.prefixTokens)}; it must be the whole number of class and register tokens before the patch tokens (0 to 64)`);
    }
    if (!tokens && t.prefixTokens !== undefined) fail(`${where} ("${t.output}") has "prefixTokens" but is not "kind": "tokens"`);
    return {
      output: t.output,
      ...(tokens ? { kind: 'tokens' as const, prefixTokens: prefix as number } : {}),
      stride,
      channels: t.channels,
      ...(isNum(t.offsetPx) ? { offsetPx: t.offsetPx } : {}),
    };
  }) as [BackboneTap] | [BackboneTap, BackboneTap];
  if (m.inputMultiple !== undefined) {
    const k = m.inputMultiple;
    if (!isNum(k) || !Number.isInteger(k) || k < 1 || k > 256 || S % k !== 0) {
      fail(`Manifest "inputMultiple" must be a whole number of pixels from 1 to 256 that divides inputSize ${m.inputSize}, got ${JSON.stringify(k)}`);
    }
    const coarsest = taps[taps.length - 1].stride;
    if (k % coarsest !== 0) fail(`Manifest "inputMultiple" ${k} must be a multiple of the coarsest tap's stride ${coarsest}, so that every input size gives whole cells`);
  }
  if (taps.length === 2) {
    if (taps[0].output === taps[1].output) fail(`Manifest taps both name output "${taps[0].output}"; they must be two different outputs`);
    if (taps[1].stride % taps[0].stride !== 0 || taps[1].stride < taps[0].stride) {
      fail(
        `Manifest taps have strides ${taps[0].stride} and ${taps[1].stride}; the second grid is resized onto the first, so list the finer grid first ` +
          `and give the coarser a stride that is a multiple of it (8 and 16 for a CNN's layer2 and layer3)`,
      );
    }
  }
  if (m.distance !== undefined && m.distance !== 'l2' && m.distance !== 'cosine') {
    fail(`Manifest "distance" must be "l2" or "cosine", got ${JSON.stringify(m.distance)}`);
  }
  // Kept only where it is not the paper's Euclidean, so that CNN manifests hash as before.
  const distance = defaultDistance({ distance: m.distance, taps });
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
    ...(distance !== 'l2' || m.distance === 'l2' ? { distance } : {}),
    receptiveFieldOffsetPx: isNum(m.receptiveFieldOffsetPx) ? m.receptiveFieldOffsetPx : taps[0].stride / 2 - 0.5,
    license: str('license', 'User-supplied model; licence not stated'),
  };
}

/**
 * Loads a user's ONNX backbone with its manifest and checks that they agree (input and output names, one dummy
 * inference: 4-D maps or token sequences, channels and strides; see factory.ts). Returns a ready Backbone; throws an Error a user
 * can act on.
 */
export async function loadCustomBackbone(
  onnxBytes: ArrayBuffer,
  manifestJson: string,
  opts: Omit<BackboneOptions, 'modelBytes'> = {},
): Promise<Backbone> {
  return createWebBackbone(parseManifest(manifestJson), onnxBytes, opts, 'probe');
}
