// onnxruntime-node for the command line: the backbone (the engine's Backbone interface) and the runtime the WASM
// kernels run their graphs on (patchcore/wasm's KernelRuntime), both on native CPU threads instead of WebAssembly.
import { availableParallelism } from 'node:os';
import * as ort from 'onnxruntime-node';
import type { BackboneManifest } from '../backbone/manifest';
import type { Backbone } from '../backbone/session';
import type { FeatureMap } from '../backbone/types';
import type { KernelRuntime } from '../patchcore/wasm/runtime';

/** Intra-op threads of every session: all cores unless PATCHCORE_THREADS says otherwise. */
export function defaultThreads(): number {
  const env = Number(process.env.PATCHCORE_THREADS);
  return Number.isInteger(env) && env > 0 ? env : availableParallelism();
}

function sessionOptions(threads: number): ort.InferenceSession.SessionOptions {
  return { executionProviders: ['cpu'], graphOptimizationLevel: 'all', intraOpNumThreads: threads, interOpNumThreads: 1 };
}

export async function openNodeSession(bytes: Uint8Array, what: string, threads = defaultThreads()): Promise<ort.InferenceSession> {
  try {
    return await ort.InferenceSession.create(bytes, sessionOptions(threads));
  } catch (e) {
    throw new Error(`The ${what} could not be loaded as an ONNX model: ${(e as Error).message}`);
  }
}

/** The WASM kernels' graphs (kNN, coreset GEMV) on onnxruntime-node. */
export function nodeKernelRuntime(threads = defaultThreads()): KernelRuntime {
  return {
    open: (bytes, what) => openNodeSession(bytes, what, threads) as never,
    tensor: (data, dims) => new ort.Tensor('float32', data, dims) as never,
    threads: () => threads,
  };
}

export interface NodeBackbone extends Pick<Backbone, 'manifest' | 'run'> {
  threads: number;
  release(): Promise<void>;
}

/**
 * A backbone on onnxruntime-node, checked against its manifest as the app checks a custom one: the input and the
 * two tap outputs exist, and a dummy inference gives 4-D maps with the manifest's channels.
 */
export async function createNodeBackbone(manifest: BackboneManifest, bytes: Uint8Array, threads = defaultThreads()): Promise<NodeBackbone> {
  if (bytes.byteLength === 0) throw new Error(`The backbone file for ${manifest.id} is empty (0 bytes)`);
  const session = await openNodeSession(bytes, `backbone ${manifest.id}`, threads);
  const outputs = manifest.taps.map((t) => t.output);
  const S = manifest.inputSize;
  try {
    if (!session.inputNames.includes(manifest.inputName)) {
      throw new Error(`Manifest names input "${manifest.inputName}" but the model's inputs are: ${session.inputNames.join(', ')}`);
    }
    for (const o of outputs) {
      if (!session.outputNames.includes(o)) throw new Error(`Manifest names output "${o}" but the model's outputs are: ${session.outputNames.join(', ')}`);
    }
    const probe = await session.run({ [manifest.inputName]: new ort.Tensor('float32', new Float32Array(3 * S * S), [1, 3, S, S]) }, outputs);
    manifest.taps.forEach((t) => {
      const dims = probe[t.output].dims;
      if (dims.length !== 4 || dims[1] !== t.channels) {
        throw new Error(`Output "${t.output}" has shape [${dims.join(', ')}] but the manifest says ${t.channels} channels`);
      }
    });
  } catch (e) {
    await session.release();
    throw new Error(`The backbone ${manifest.id} does not match its manifest: ${(e as Error).message}`);
  }
  return {
    manifest,
    threads,
    async run(input: Float32Array, H = S, W = S): Promise<[FeatureMap, FeatureMap]> {
      const m = manifest.inputMultiple;
      if ((H !== S || W !== S) && !(m && H % m === 0 && W % m === 0)) {
        throw new Error(m ? `${manifest.id} takes inputs whose sides are multiples of ${m}, got ${W}x${H}` : `${manifest.id} takes only a ${S}x${S} input, got ${W}x${H}`);
      }
      if (input.length !== 3 * H * W) throw new Error(`${manifest.id} expects a [1,3,${H},${W}] input (${3 * H * W} values), got ${input.length} values`);
      const result = await session.run({ [manifest.inputName]: new ort.Tensor('float32', input, [1, 3, H, W]) }, outputs);
      const maps = outputs.map((name): FeatureMap => {
        const t = result[name];
        const [, c, h, w] = t.dims as number[];
        return { data: t.data as Float32Array, channels: c, height: h, width: w };
      });
      return [maps[0], maps[1]];
    },
    release: () => session.release(),
  };
}
