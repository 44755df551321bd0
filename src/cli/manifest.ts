// `patchcore-web manifest model.onnx`: the manifest of a custom backbone proposed from its outputs' shapes
// (backbone/propose.ts) on onnxruntime-node, then checked as a build would check it before it is written.
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { parseManifest } from '../backbone/custom';
import { openGraphProbe } from '../backbone/factory';
import { proposeManifest, type Proposal, type ProposeOptions } from '../backbone/propose';
import { createNodeBackbone, nodeFlavour } from './ort';

/** The proposal for the ONNX file at `path`, already through parseManifest and the factory's probe. */
export async function proposeManifestFile(path: string, opts: Omit<ProposeOptions, 'fileName'> = {}, threads = 1): Promise<Proposal & { json: string }> {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(path);
  } catch {
    throw new Error(`${path} does not exist or cannot be read`);
  }
  const probe = await openGraphProbe(nodeFlavour, { executionProviders: ['cpu'], intraOpNumThreads: threads }, bytes);
  let proposal: Proposal;
  try {
    proposal = await proposeManifest(probe, { ...opts, fileName: basename(path) });
  } finally {
    await probe.release();
  }
  const json = `${JSON.stringify(proposal.manifest, null, 2)}\n`;
  // What a build would do with it: a proposal that does not pass is a bug here, not the user's to find later.
  const backbone = await createNodeBackbone(parseManifest(json), bytes, threads);
  await backbone.release();
  return { ...proposal, json };
}
