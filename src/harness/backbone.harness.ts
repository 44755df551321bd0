// Backbone checks run in the page for e2e/backbone.spec.ts and scripts/bench/backbone.mjs:
// WebGPU vs WASM agreement, "are these features pretrained" on real images, and throughput.
import { detectGpu, type GpuInfo } from '../backbone/gpuAdapter';
import type { BackboneManifest } from '../backbone/manifest';
import { builtinManifest } from '../backbone/manifests';
import { createBackbone, type Backbone, type ExecutionPath } from '../backbone/session';
import { preprocess, type RgbaImage } from '../patchcore/preprocess';
import type { FeatureMap } from '../backbone/types';

export async function environment(): Promise<{ crossOriginIsolated: boolean; cores: number; gpu: GpuInfo }> {
  return { crossOriginIsolated, cores: navigator.hardwareConcurrency, gpu: await detectGpu() };
}

/** Deterministic normalised-looking input in -1..1. */
function randomInput(size: number, seed: number): Float32Array {
  let a = seed >>> 0;
  const x = new Float32Array(3 * size * size);
  for (let i = 0; i < x.length; i++) {
    a = (Math.imul(a, 1664525) + 1013904223) >>> 0;
    x[i] = (a / 4294967296) * 2 - 1;
  }
  return x;
}

async function fetchBytes(url: string): Promise<ArrayBuffer> {
  const r = await fetch(url);
  if (!r.ok) throw new Error(`${url}: HTTP ${r.status}`);
  return r.arrayBuffer();
}

/** Runs one backbone on WASM and on WebGPU (forced, even on SwiftShader) with the same input; max |diff| per tap. */
export async function compareProviders(id: string, seed = 1): Promise<{ id: string; adapter?: string; maxAbsDiff: number[]; maxAbs: number[]; shapes: number[][] }> {
  const manifest = builtinManifest(id);
  const bytes = await fetchBytes(manifest.url);
  const input = randomInput(manifest.inputSize, seed);
  const wasm = await createBackbone(manifest, { prefer: 'wasm', modelBytes: bytes });
  const a = await wasm.run(input);
  await wasm.release();
  const gpu = await createBackbone(manifest, { prefer: 'webgpu', modelBytes: bytes });
  if (gpu.executionPath !== 'webgpu') throw new Error(`expected the WebGPU EP, got ${gpu.executionPath}`);
  const b = await gpu.run(input);
  await gpu.release();
  const maxAbsDiff = [0, 1].map((t) => a[t].data.reduce((m, v, i) => Math.max(m, Math.abs(v - b[t].data[i])), 0));
  const maxAbs = [0, 1].map((t) => a[t].data.reduce((m, v) => Math.max(m, Math.abs(v)), 0));
  const shapes = [0, 1].map((t) => [a[t].channels, a[t].height, a[t].width, b[t].channels, b[t].height, b[t].width]);
  return { id, adapter: gpu.adapterInfo, maxAbsDiff, maxAbs, shapes };
}

async function decode(url: string): Promise<RgbaImage> {
  const bmp = await createImageBitmap(new Blob([await fetchBytes(url)]));
  const c = new OffscreenCanvas(bmp.width, bmp.height);
  const ctx = c.getContext('2d', { willReadFrequently: true })!;
  ctx.drawImage(bmp, 0, 0);
  const { data, width, height } = ctx.getImageData(0, 0, bmp.width, bmp.height);
  return { data, width, height };
}

/**
 * Cell (y, x) of a tap -> does the stride x stride box around its receptive-field centre touch the defect
 * (mask > 127)? The image is squashed to S x S, so mask coordinates scale per axis.
 */
function defectCells(mask: RgbaImage, manifest: BackboneManifest, tap: 0 | 1, map: FeatureMap): boolean[] {
  const S = manifest.inputSize;
  const t = manifest.taps[tap]!;
  const offset = t.offsetPx ?? (tap === 0 ? manifest.receptiveFieldOffsetPx : t.stride / 2 - 0.5);
  const span = (c: number, size: number) => {
    const lo = Math.max(0, Math.floor(((offset + t.stride * c - t.stride / 2 + 0.5) * size) / S));
    const hi = Math.min(size - 1, Math.floor(((offset + t.stride * c + t.stride / 2 + 0.5) * size) / S) - 1);
    return [lo, hi];
  };
  const cells: boolean[] = [];
  for (let y = 0; y < map.height; y++)
    for (let x = 0; x < map.width; x++) {
      const [y0, y1] = span(y, mask.height);
      const [x0, x1] = span(x, mask.width);
      let hit = false;
      for (let py = y0; py <= y1 && !hit; py++) for (let px = x0; px <= x1 && !hit; px++) hit = mask.data[(py * mask.width + px) * 4] > 127;
      cells.push(hit);
    }
  return cells;
}

/** L2 distance from cell i of `a` to its nearest cell in any of `bank` (channels-first maps). */
function nearest(a: FeatureMap, i: number, bank: FeatureMap[]): number {
  const na = a.height * a.width;
  let best = Infinity;
  for (const b of bank) {
    const n = b.height * b.width;
    for (let j = 0; j < n; j++) {
      let d = 0;
      for (let c = 0; c < a.channels && d < best; c++) {
        const diff = a.data[c * na + i] - b.data[c * n + j];
        d += diff * diff;
      }
      if (d < best) best = d;
    }
  }
  return Math.sqrt(best);
}

/** Mann-Whitney AUROC: probability that a random positive scores above a random negative (ties count half). */
function auroc(pos: number[], neg: number[]): number {
  const all = [...pos.map((v) => [v, 1]), ...neg.map((v) => [v, 0])].sort((x, y) => x[0] - y[0]);
  let rankSum = 0;
  for (let i = 0; i < all.length; ) {
    let j = i;
    while (j < all.length && all[j][0] === all[i][0]) j++;
    const rank = (i + j + 1) / 2; // average 1-based rank of the tie group
    for (let k = i; k < j; k++) if (all[k][1]) rankSum += rank;
    i = j;
  }
  return (rankSum - (pos.length * (pos.length + 1)) / 2) / (pos.length * neg.length);
}

export interface SanitySpec {
  id: string;
  /** Another graph with the same manifest (the permuted-kernel control); default the shipped one. */
  modelUrl?: string;
  /** Good images whose cells form the memory. */
  memory: string[];
  /** Other good images: all their cells are negatives. */
  goods: string[];
  /** Defective images with masks: their cells touching the defect are positives. */
  defects: { image: string; mask: string }[];
  /** Compare unit-length cell vectors (cosine), so a few high-magnitude channels cannot dominate. */
  unitLength?: boolean;
}

function unitCells(m: FeatureMap): FeatureMap {
  const n = m.height * m.width;
  const data = new Float32Array(m.data);
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let c = 0; c < m.channels; c++) s += data[c * n + i] ** 2;
    const inv = 1 / Math.sqrt(s || 1);
    for (let c = 0; c < m.channels; c++) data[c * n + i] *= inv;
  }
  return { ...m, data };
}

export interface SanityResult {
  id: string;
  model: string;
  /** Per tap: mean NN distance to the memory of defect cells / of good cells. */
  ratio: number[];
  /** Per tap: AUROC of that NN distance, defect cells vs good cells. */
  auroc: number[];
  defectCells: number[];
}

/**
 * PatchCore's premise on real images, with a tiny memory bank: defect patches lie farther from good patches than
 * other good patches do.
 */
export async function featureSanity(spec: SanitySpec): Promise<SanityResult> {
  const manifest = builtinManifest(spec.id);
  const bytes = await fetchBytes(spec.modelUrl ?? manifest.url);
  const bb = await createBackbone(manifest, { prefer: 'wasm', modelBytes: bytes });
  const features = async (url: string) => {
    const maps = await bb.run(preprocess(await decode(url), manifest).data);
    return spec.unitLength ? (maps.map(unitCells) as [FeatureMap, FeatureMap]) : maps;
  };
  const memory = [];
  for (const u of spec.memory) memory.push(await features(u));
  const goods = [];
  for (const u of spec.goods) goods.push(await features(u));
  const defects = [];
  for (const d of spec.defects) defects.push({ maps: await features(d.image), mask: await decode(d.mask) });
  await bb.release();
  const mean = (v: number[]) => v.reduce((a, b) => a + b, 0) / v.length;
  const result: SanityResult = { id: spec.id, model: spec.modelUrl ?? manifest.url, ratio: [], auroc: [], defectCells: [] };
  for (const tap of [0, 1] as const) {
    const bank = memory.map((m) => m[tap]);
    const good: number[] = [];
    for (const g of goods) for (let i = 0; i < g[tap].height * g[tap].width; i++) good.push(nearest(g[tap], i, bank));
    const bad: number[] = [];
    for (const d of defects) {
      const on = defectCells(d.mask, manifest, tap, d.maps[tap]);
      for (let i = 0; i < on.length; i++) if (on[i]) bad.push(nearest(d.maps[tap], i, bank));
    }
    result.ratio.push(mean(bad) / mean(good));
    result.auroc.push(auroc(bad, good));
    result.defectCells.push(bad.length);
  }
  return result;
}

export interface BenchResult {
  id: string;
  executionPath: string;
  threads: number;
  adapter?: string;
  modelBytes: number;
  sessionMs: number;
  firstInferenceMs: number;
  imagesPerSec: number;
  runs: number;
}

/** Throughput of one backbone on one execution path. Threads are fixed per page: use a fresh page per setting. */
export async function bench(id: string, prefer: ExecutionPath, threads: number, minMs = 3000, maxRuns = 50): Promise<BenchResult> {
  const manifest = builtinManifest(id);
  const bytes = await fetchBytes(manifest.url);
  const t0 = performance.now();
  const bb: Backbone = await createBackbone(manifest, { prefer, threads, modelBytes: bytes });
  const t1 = performance.now();
  const input = randomInput(manifest.inputSize, 7);
  await bb.run(input);
  const t2 = performance.now();
  let runs = 0;
  while (runs < maxRuns && (runs < 3 || performance.now() - t2 < minMs)) {
    await bb.run(input);
    runs++;
  }
  const t3 = performance.now();
  await bb.release();
  return {
    id, executionPath: bb.executionPath, threads: bb.threads, adapter: bb.adapterInfo, modelBytes: bytes.byteLength,
    sessionMs: t1 - t0, firstInferenceMs: t2 - t1, imagesPerSec: (runs * 1000) / (t3 - t2), runs,
  };
}

