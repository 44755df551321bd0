// onnxruntime-node for the command line: the node flavour of the shared backbone factory (backbone/factory.ts) and
// the runtime the WASM kernels run their graphs on (patchcore/wasm's KernelRuntime), on native CPU threads.
import { availableParallelism } from 'node:os';
import * as ort from 'onnxruntime-node';
import { createBackboneOn, type BackboneCore, type OrtFlavour } from '../backbone/factory';
import type { BackboneManifest } from '../backbone/manifest';
import type { KernelRuntime } from '../patchcore/wasm/runtime';

/** Intra-op threads of every session: all cores unless PATCHCORE_THREADS says otherwise. */
export function defaultThreads(): number {
  const env = Number(process.env.PATCHCORE_THREADS);
  return Number.isInteger(env) && env > 0 ? env : availableParallelism();
}

function nodeSessionOptions(threads: number): ort.InferenceSession.SessionOptions {
  return { executionProviders: ['cpu'], graphOptimizationLevel: 'all', intraOpNumThreads: threads, interOpNumThreads: 1 };
}

/** onnxruntime-node as the backbone factory's flavour; the CPU provider and threads come in nodeSessionOptions. */
export const nodeFlavour: OrtFlavour<ort.InferenceSession.SessionOptions> = {
  createSession: (bytes, options) => ort.InferenceSession.create(bytes, options),
  float32: (data, dims) => new ort.Tensor('float32', data, dims),
};

/** A session for graphs other than the backbone (the kernels', an exported model), named in its error. */
export async function openNodeSession(bytes: Uint8Array, what: string, threads = defaultThreads()): Promise<ort.InferenceSession> {
  try {
    return await ort.InferenceSession.create(bytes, nodeSessionOptions(threads));
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

export interface NodeBackbone extends BackboneCore {
  threads: number;
}

/**
 * A backbone on onnxruntime-node, built-in or custom, checked against its manifest as the app checks a custom one
 * (the 'probe' check: names, then dummy inferences for shapes, channels and strides). Cheap next to a build.
 */
export async function createNodeBackbone(manifest: BackboneManifest, bytes: Uint8Array, threads = defaultThreads()): Promise<NodeBackbone> {
  const core = await createBackboneOn(nodeFlavour, nodeSessionOptions(threads), manifest, bytes, 'probe');
  return { ...core, threads };
}
