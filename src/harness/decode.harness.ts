// Bad input through the real engine worker (e2e/bad-input.spec.ts): files the user might drop, scored or built
// with the EngineClient exactly as the app does, reporting the engine's own message when it refuses one.
import { DEFAULT_CONFIG, type EngineConfig } from '../patchcore/config';
import { generateDemoSet } from '../demo/generate';
import { encodePngStored } from '../demo/png';
import { EngineClient, isAbort } from '../worker/client';
import { decodeImage } from '../worker/decode';
import type { EngineInfo } from '../worker/protocol';

export type Outcome =
  | { ok: true; width: number; height: number; mapWidth: number; score: number; seconds: number }
  | { ok: false; name: string; message: string };

let client: EngineClient | null = null;
const config: EngineConfig = { ...DEFAULT_CONFIG, backbone: 'mobilenet_v2', coresetRatio: 0.1 };

function engine(): EngineClient {
  if (!client) throw new Error('call harness.decode.start() first');
  return client;
}

function fileFrom(name: string, base64: string, type: string): File {
  const bin = atob(base64);
  const bytes = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
  return new File([bytes], name, { type });
}

/** Starts the engine (smallest backbone, WASM) and builds a model from a few generated demo parts. */
export async function start(): Promise<{ info: EngineInfo; trainCount: number }> {
  client?.terminate();
  client = new EngineClient();
  const info = await client.request('init', { backbone: config.backbone, execution: 'wasm', kernels: 'cpu' }).promise;
  const demo = await generateDemoSet({ good: 4, testGood: 0, testDefective: 0, size: 96 });
  const r = await client.request('build', { images: demo.good.map((f) => ({ name: f.name, blob: f })), holdout: [], config }).promise;
  return { info, trainCount: r.trainCount };
}

/** Scores one file given as base64; the engine's error message when it refuses it. */
export async function score(name: string, base64: string, type = ''): Promise<Outcome> {
  try {
    const r = await engine().request('score', { image: { name, blob: fileFrom(name, base64, type) } }).promise;
    return { ok: true, width: r.width, height: r.height, mapWidth: r.map.width, score: r.score, seconds: r.seconds };
  } catch (e) {
    return { ok: false, name: (e as Error).name, message: (e as Error).message };
  }
}

/** Builds from the given files plus two good demo parts; returns what was skipped and why. */
export async function buildWith(files: { name: string; base64: string; type?: string }[]) {
  const demo = await generateDemoSet({ good: 2, testGood: 0, testDefective: 0, size: 96, seed: 7 });
  const images = [...files.map((f) => ({ name: f.name, blob: fileFrom(f.name, f.base64, f.type ?? '') })), ...demo.good.map((f) => ({ name: f.name, blob: f }))];
  const r = await engine().request('build', { images, holdout: [], config }).promise;
  return { trainCount: r.trainCount, skipped: r.skipped };
}

/**
 * A folder of `count` tiny images handed to build, cancelled once `cancelAfter` images have been processed:
 * what progress arrived, whether the job ended as cancelled, and how long the cancel took.
 */
export async function buildAndCancel(count: number, cancelAfter: number) {
  const images = [];
  for (let i = 0; i < count; i++) {
    const px = new Uint8Array(16 * 16 * 4).fill(100 + (i % 50));
    images.push({ name: `tiny_${String(i).padStart(5, '0')}.png`, blob: new Blob([encodePngStored(px, 16, 16)], { type: 'image/png' }) });
  }
  const progress: { stage: string; done: number; total: number }[] = [];
  let cancelledAt = 0;
  const job = engine().request('build', { images, holdout: [], config }, (p) => {
    progress.push(p);
    if (!cancelledAt && p.done >= cancelAfter) {
      cancelledAt = performance.now();
      job.cancel();
    }
  });
  let outcome: 'done' | 'cancelled' | string;
  try {
    await job.promise;
    outcome = 'done';
  } catch (e) {
    outcome = isAbort(e) ? 'cancelled' : `error: ${(e as Error).message}`;
  }
  const cancelSeconds = cancelledAt ? (performance.now() - cancelledAt) / 1000 : -1;
  return { outcome, progressEvents: progress.length, first: progress[0], last: progress[progress.length - 1], cancelSeconds };
}

/** decodeImage on this thread (same code as the worker): the decoded size, to check orientation and downscaling. */
export async function decodeHere(name: string, base64: string, maxSide?: number) {
  try {
    const d = await decodeImage(fileFrom(name, base64, ''), name, maxSide);
    return { ok: true as const, width: d.width, height: d.height, originalWidth: d.originalWidth, originalHeight: d.originalHeight, topLeft: Array.from(d.data.slice(0, 4)) };
  } catch (e) {
    return { ok: false as const, name: (e as Error).name, message: (e as Error).message };
  }
}

export function stop(): void {
  client?.terminate();
  client = null;
}
