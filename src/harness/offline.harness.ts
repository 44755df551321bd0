// Offline use from the harness page (e2e/offline.spec.ts): register the service worker exactly as the app does,
// see what it stored, and run a tiny build + score through the engine worker.
import { DEFAULT_CONFIG, type EngineConfig } from '../patchcore/config';
import { generateDemoSet } from '../demo/generate';
import { EngineClient } from '../worker/client';

export { registerOffline } from '../offline/register';

/** What the page sees of the offline machinery right now. */
export async function state() {
  const names = (await caches.keys()).filter((n) => n.startsWith('patchcore-web-'));
  const stored: string[] = [];
  for (const n of names) for (const r of await (await caches.open(n)).keys()) stored.push(new URL(r.url).pathname);
  return {
    controlled: !!navigator.serviceWorker.controller,
    crossOriginIsolated,
    offlineMark: document.documentElement.dataset.offline ?? null,
    caches: names,
    stored: stored.sort(),
  };
}

/** Engine init (backbone fetched through the page's service worker) plus a build from 6 parts and 2 scores. */
export async function buildAndScore(backbone = 'mobilenet_v2_mid') {
  const client = new EngineClient();
  try {
    const info = await client.request('init', { backbone, execution: 'wasm', kernels: 'cpu' }).promise;
    const demo = await generateDemoSet({ good: 6, testGood: 1, testDefective: 1, size: 128 });
    const config: EngineConfig = { ...DEFAULT_CONFIG, backbone };
    const built = await client.request('build', { images: demo.good.map((f) => ({ name: f.name, blob: f })), holdout: [], config }).promise;
    const scores = [];
    for (const t of demo.test) {
      const r = await client.request('score', { image: { name: t.file.name, blob: t.file } }).promise;
      scores.push({ name: r.name, defective: t.defective, score: r.score });
    }
    return { info, trainCount: built.trainCount, bankRows: built.bank.rows, scores };
  } finally {
    client.terminate();
  }
}
