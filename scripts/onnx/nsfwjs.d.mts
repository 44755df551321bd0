// Types for nsfwjs.mjs.
export interface WeightSpec { name: string; shape: number[]; dtype: string; quantization?: { dtype: string; min: number; scale: number } }
export const SOURCES: Record<string, { module: string; exportName: string; sha256: string }>;
export function loadNsfwModel(
  id: string,
  opts?: { verify?: boolean },
): Promise<{
  json: { modelTopology: any; weightsManifest: Array<{ paths: string[]; weights: WeightSpec[] }>; [k: string]: any };
  specs: WeightSpec[];
  weightData: Uint8Array;
  sha256: string;
  weights: Map<string, { shape: number[]; data: Float32Array }>;
}>;
export function dequantise(specs: WeightSpec[], bytes: Uint8Array): Map<string, { shape: number[]; data: Float32Array }>;
