// Types for humanModels.mjs (imported by the TypeScript tests).
export const HUMAN_SOURCES: Record<string, { sha256: string }>;
export function humanModelsDir(): string;
export function decodeWeights(specs: unknown[], bytes: Uint8Array): Map<string, { shape: number[]; data: Float32Array }>;
export function loadHumanModel(
  file: string,
  opts?: { verify?: boolean; dir?: string },
): { json: any; specs: any[]; weightData: Buffer; sha256: string; weights: Map<string, { shape: number[]; data: Float32Array }> };
