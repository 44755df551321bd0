// The one backbone factory for both onnxruntime flavours (onnxruntime-web in the app, onnxruntime-node on the
// command line): it checks an ONNX graph against its manifest and wraps the session as the engine's backbone.
// A tap is an NCHW feature map, or a transformer's token sequence that is turned into one here (prefix dropped,
// patch tokens laid out on their grid), so the engine only ever sees maps.
import type { BackboneManifest, BackboneTap } from './manifest';
import type { FeatureMap } from './types';

// ORT is reached only through these structural types, so that this file (and the browser bundle) never imports
// onnxruntime-node: each flavour hands in its own module's session and tensor, which fit them as they are.

/** What the factory reads of an ORT tensor. `location`, `gpuBuffer` and `getData` are onnxruntime-web's GPU outputs. */
export interface FlavourTensor {
  readonly dims: readonly number[];
  readonly data: unknown;
  readonly location?: string;
  readonly gpuBuffer?: unknown;
  getData?(): Promise<unknown>;
  dispose(): void;
}

export interface FlavourSession {
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];
  /** Feeds must be tensors from the same flavour's float32(): each module's run() takes only its own Tensor class. */
  run(feeds: Record<string, FlavourTensor>, fetches: readonly string[]): Promise<{ readonly [name: string]: FlavourTensor }>;
  release(): Promise<void>;
}

/** An onnxruntime flavour: its InferenceSession.create and a float32 Tensor of the same module. */
export interface OrtFlavour<Options> {
  createSession(bytes: Uint8Array, options: Options): Promise<FlavourSession>;
  float32(data: Float32Array, dims: readonly number[]): FlavourTensor;
}

/** What every backbone offers whichever runtime runs it; PatchCore needs only `manifest` and `run`. */
export interface BackboneCore {
  manifest: BackboneManifest;
  /**
   * Input: Float32Array NCHW [1, 3, height, width], already normalised (see patchcore/preprocess.ts). height and
   * width default to the manifest's inputSize; other sizes need manifest.inputMultiple.
   */
  run(input: Float32Array, height?: number, width?: number): Promise<FeatureMap[]>;
  release(): Promise<void>;
}

/**
 * How far the graph is checked against its manifest before use. 'names': the input and the tap outputs exist
 * (no inference). 'probe': also a single input, and a dummy inference at inputSize giving 4-D maps (or token
 * sequences of a whole grid) with the manifest's channels and strides (plus a second, wider one when inputMultiple
 * is set), so that a user's mismatch is reported in words before any training starts.
 */
export type ManifestCheck = 'names' | 'probe';

function fail(msg: string): never {
  throw new Error(msg);
}

/** How far a feature grid may fall short of inputSize / stride: 'valid' stems lose a few cells at the border. */
export function gridMatches(cells: number, inputSize: number, stride: number): boolean {
  const nominal = inputSize / stride;
  return cells <= Math.ceil(nominal) && cells >= Math.floor(nominal * 0.85) - 1;
}

async function checkAgainstManifest(flavour: OrtFlavour<unknown>, session: FlavourSession, manifest: BackboneManifest, check: ManifestCheck) {
  const ins = session.inputNames;
  const outs = session.outputNames;
  if (!ins.includes(manifest.inputName)) fail(`Manifest names input "${manifest.inputName}" but the model's inputs are: ${ins.join(', ')}`);
  if (check === 'probe' && ins.length > 1) {
    fail(`The model has ${ins.length} inputs (${ins.join(', ')}); a backbone must take exactly one image input`);
  }
  for (const t of manifest.taps) {
    if (!outs.includes(t.output)) fail(`Manifest names output "${t.output}" but the model's outputs are: ${outs.join(', ')}`);
  }
  if (check === 'names') return;

  const S = manifest.inputSize;
  const fetches = manifest.taps.map((t) => t.output);
  let result: { readonly [name: string]: FlavourTensor };
  try {
    result = await session.run({ [manifest.inputName]: flavour.float32(new Float32Array(3 * S * S), [1, 3, S, S]) }, fetches);
  } catch (e) {
    fail(`The model failed on a [1, 3, ${S}, ${S}] input (inputSize ${S} in the manifest): ${(e as Error).message}`);
  }
  try {
    for (const t of manifest.taps) {
      const dims = result[t.output].dims;
      if (t.kind === 'tokens') {
        tokenGrid(t, dims, S, S);
        continue;
      }
      if (dims.length !== 4 || dims[0] !== 1) {
        const hint =
          dims.length === 3
            ? '; a [1, tokens, channels] output is a vision transformer\'s patch tokens: give its tap "kind": "tokens" with its "patchSize" and "prefixTokens" (`npx patchcore-web manifest` proposes them)'
            : '';
        fail(`Output "${t.output}" has shape [${dims.join(', ')}]; a feature map must be 4-D [1, channels, height, width]${hint}`);
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
    }
  } finally {
    for (const name of fetches) result[name].dispose();
  }

  const k = manifest.inputMultiple;
  if (k) {
    // A wider-than-square input must run too, or 'fit' would fail on the first landscape image.
    const W = S + 2 * k;
    let r: { readonly [name: string]: FlavourTensor };
    try {
      r = await session.run({ [manifest.inputName]: flavour.float32(new Float32Array(3 * S * W), [1, 3, S, W]) }, fetches);
    } catch (e) {
      fail(
        `The manifest says the model takes sizes in multiples of ${k} ("inputMultiple"), but it failed on a [1, 3, ${S}, ${W}] input: ` +
          `${(e as Error).message}. Remove "inputMultiple" to use square inputs only.`,
      );
    }
    try {
      for (const t of manifest.taps) if (t.kind === 'tokens') tokenGrid(t, r[t.output].dims, S, W);
    } finally {
      for (const name of fetches) r[name].dispose();
    }
  }
}

/**
 * The grid of a tokens tap's patch tokens for an H x W input: [1, prefix + (H/p)(W/p), channels]. Throws a sentence
 * naming the output and the shape it should have (and the prefix that would fit, when another one would).
 */
export function tokenGrid(t: BackboneTap, dims: readonly number[], H: number, W: number): { h: number; w: number } {
  const p = t.stride;
  const prefix = t.prefixTokens ?? 0;
  const h = Math.floor(H / p);
  const w = Math.floor(W / p);
  const want = `[1, ${prefix} + ${h}x${w} = ${prefix + h * w}, ${t.channels}]`;
  if (dims.length !== 3 || dims[0] !== 1) {
    fail(`Output "${t.output}" has shape [${dims.join(', ')}]; patch tokens of a ${W}x${H} px input must be 3-D ${want} (batch, tokens, channels)`);
  }
  const [, n, c] = dims;
  if (c !== t.channels) fail(`Output "${t.output}" has ${c} channels but the manifest says ${t.channels}`);
  if (H % p !== 0 || W % p !== 0) fail(`A ${W}x${H} px input does not divide into ${p} px patches for output "${t.output}"`);
  if (n !== prefix + h * w) {
    const other = n - h * w;
    const hint =
      other >= 0 && other <= 64
        ? ` The count fits ${other} class/register tokens: set "prefixTokens": ${other}.`
        : ` ${n - prefix} patch tokens are not a ${h}x${w} grid of ${p} px patches: check "patchSize" (the model's patch size) and "inputSize".`;
    fail(`Output "${t.output}" has ${n} tokens for a ${W}x${H} px input, but the manifest expects ${want}.${hint}`);
  }
  return { h, w };
}

/** The patch tokens [1, prefix + h*w, C] of a tokens tap as a C x h x w map (the prefix dropped). */
export function tokensToMap(data: Float32Array, t: BackboneTap, dims: readonly number[], H: number, W: number): FeatureMap {
  const { h, w } = tokenGrid(t, dims, H, W);
  const c = dims[2];
  const cells = h * w;
  const from = (t.prefixTokens ?? 0) * c;
  const out = new Float32Array(c * cells);
  for (let i = 0; i < cells; i++) {
    const row = from + i * c;
    for (let k = 0; k < c; k++) out[k * cells + i] = data[row + k];
  }
  return { data: out, channels: c, height: h, width: w };
}

function toFeatureMap(t: FlavourTensor): FeatureMap {
  const [, c, h, w] = t.dims;
  if (t.location === 'gpu-buffer') {
    // Stays on the GPU; the consumer binds it or downloads it, then disposes of it (FeatureMap.gpu).
    let disposed = false;
    return {
      data: new Float32Array(0),
      channels: c,
      height: h,
      width: w,
      gpu: {
        buffer: t.gpuBuffer as GPUBuffer,
        download: async () => new Float32Array((await t.getData!()) as Float32Array),
        dispose: () => {
          if (!disposed) t.dispose();
          disposed = true;
        },
      },
    };
  }
  // Copy: the tensor's buffer may belong to ORT.
  const map: FeatureMap = { data: new Float32Array(t.data as Float32Array), channels: c, height: h, width: w };
  t.dispose();
  return map;
}

/** A tokens tap's tensor as a map on the CPU (downloaded first when ORT left it on the GPU). */
async function tokenMap(t: FlavourTensor, tap: BackboneTap, H: number, W: number): Promise<FeatureMap> {
  try {
    const data = t.location === 'gpu-buffer' ? ((await t.getData!()) as Float32Array) : (t.data as Float32Array);
    return tokensToMap(data, tap, t.dims, H, W);
  } finally {
    t.dispose();
  }
}

function wrap(flavour: OrtFlavour<unknown>, session: FlavourSession, manifest: BackboneManifest): BackboneCore {
  const S = manifest.inputSize;
  const outputs = manifest.taps.map((t) => t.output);
  return {
    manifest,
    async run(input: Float32Array, H = S, W = S): Promise<FeatureMap[]> {
      const m = manifest.inputMultiple;
      if ((H !== S || W !== S) && !(m && H % m === 0 && W % m === 0)) {
        throw new Error(
          m
            ? `${manifest.id} takes inputs whose sides are multiples of ${m}, got ${W}x${H}`
            : `${manifest.id} takes only a ${S}x${S} input, got ${W}x${H}`,
        );
      }
      if (input.length !== 3 * H * W) {
        throw new Error(`${manifest.id} expects a [1,3,${H},${W}] input (${3 * H * W} values), got ${input.length} values`);
      }
      const result = await session.run({ [manifest.inputName]: flavour.float32(input, [1, 3, H, W]) }, outputs);
      return Promise.all(manifest.taps.map((t) => (t.kind === 'tokens' ? tokenMap(result[t.output], t, H, W) : toFeatureMap(result[t.output]))));
    },
    release: () => session.release(),
  };
}

/** A session on the flavour, or a sentence for an empty file or one that is not an ONNX graph. */
async function openSessionOn<Options>(flavour: OrtFlavour<Options>, options: Options, bytes: Uint8Array): Promise<FlavourSession> {
  if (!bytes || bytes.byteLength === 0) fail('The model file is empty (0 bytes)');
  try {
    return await flavour.createSession(bytes, options);
  } catch (e) {
    fail(`The model file could not be read as ONNX: ${e instanceof Error ? e.message : String(e)}`);
  }
}

/**
 * Opens `bytes` on the given flavour with its session options, checks the graph against the manifest and returns
 * the running backbone. Throws an Error a user can act on; the session is released when a check fails.
 */
export async function createBackboneOn<Options>(
  flavour: OrtFlavour<Options>,
  options: Options,
  manifest: BackboneManifest,
  bytes: Uint8Array,
  check: ManifestCheck,
): Promise<BackboneCore> {
  const session = await openSessionOn(flavour, options, bytes);
  const untyped = flavour as OrtFlavour<unknown>;
  try {
    await checkAgainstManifest(untyped, session, manifest, check);
  } catch (e) {
    await session.release();
    throw e;
  }
  return wrap(untyped, session, manifest);
}

/** Output shapes of a graph at a given input size, for proposing a manifest (propose.ts). */
export interface GraphProbe {
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];
  /** Runs a zero [1, 3, height, width] image; the shape of every output, by name. Throws what the runtime said. */
  shapes(height: number, width: number): Promise<Record<string, number[]>>;
  release(): Promise<void>;
}

/** Opens `bytes` on the given flavour for probing its outputs' shapes (no manifest needed). */
export async function openGraphProbe<Options>(flavour: OrtFlavour<Options>, options: Options, bytes: Uint8Array): Promise<GraphProbe> {
  const session = await openSessionOn(flavour, options, bytes);
  return {
    inputNames: session.inputNames,
    outputNames: session.outputNames,
    async shapes(height, width) {
      const r = await session.run({ [session.inputNames[0]]: flavour.float32(new Float32Array(3 * height * width), [1, 3, height, width]) }, session.outputNames);
      const out: Record<string, number[]> = {};
      for (const name of session.outputNames) {
        out[name] = [...r[name].dims];
        r[name].dispose();
      }
      return out;
    },
    release: () => session.release(),
  };
}
