// Types for convert.mjs (imported by the TypeScript tests and e2e specs).
export interface IRTap {
  source: string;
  name: string;
  shape: [number, number, number];
  offsetPx: number;
  stride: number;
}
export interface IR {
  id: string;
  inputSize: number;
  nodes: Array<{ op: string; [k: string]: unknown }>;
  taps: [IRTap, IRTap];
  params: number;
  weightsSha256: string;
}
export interface EnsembleMember {
  id: string;
  /** Maps the shared input to what this member expects: x * scale + bias. */
  input?: { scale: number; bias: number };
  /** Multiplies this member's taps (balances the members' spreads). */
  scale?: number;
}
export const BACKBONES: Record<
  string,
  {
    format?: 'graph' | 'layers';
    /** Source tensor per output; a list is concatenated along channels (same stride). Unset for an ensemble. */
    taps?: [string | string[], string | string[]];
    /** Built by `npm run backbones:extra` where its weights are present, never at install. */
    installable?: boolean;
    /** Networks on one input whose taps are concatenated per stride; the other fields are then unset. */
    ensemble?: EnsembleMember[];
    skip?: string[];
    /** human-models file (without .json) the weights come from; unset: nsfwjs. */
    human?: string;
    prefix?: string;
    start?: string;
    inputLayout?: 'NHWC' | 'NCHW';
  }
>;
export const OUTPUT_NAMES: [string, string];
export function usesHumanModels(id: string): boolean;
export const INPUT_NAME: string;
export function buildIR(id: string, opts?: { inputSize?: number }): Promise<IR>;
export function permuteKernels(ir: IR, seed?: number): IR;
export function toOnnx(ir: IR, opts?: { docString?: string }): Uint8Array;
