// Types for protobuf.mjs: chunks are nested arrays of Uint8Array, flattened by model().
export type Chunks = unknown[];
export type AttrValue = number | number[] | string | { f: number } | { floats: number[] };
export function tensor(name: string, dims: number[], data: Float32Array): Chunks;
export function node(opType: string, inputs: string[], outputs: string[], name: string, attrs?: Record<string, AttrValue>): Chunks;
export function valueInfo(name: string, dims: Array<number | string>): Chunks;
export function model(
  graph: { name: string; nodes: Chunks[]; initializers: Chunks[]; inputs: Chunks[]; outputs: Chunks[] },
  opts?: { producer?: string; opset?: number; docString?: string },
): Uint8Array;
