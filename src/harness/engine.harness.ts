// Engine-level scenarios for Playwright that need the real worker: device loss and recovery.
import { DEFAULT_CONFIG } from '../patchcore/config';
import { generateDemoSet } from '../demo/generate';
import { EngineClient } from '../worker/client';
import type { ImageFile } from '../worker/protocol';

const asFile = (f: File): ImageFile => ({ name: f.name, blob: f });

/**
 * Builds on the WebGPU kernels, destroys the device once between jobs and once in the middle of a build, and
 * reports what the engine did about it.
 */
export async function deviceLoss() {
  const set = await generateDemoSet({ good: 3, testGood: 1, testDefective: 1, size: 128 });
  const client = new EngineClient();
  try {
    const before = await client.request('init', { backbone: DEFAULT_CONFIG.backbone, kernels: 'webgpu', execution: 'wasm' }).promise;
    const config = { ...DEFAULT_CONFIG, coresetRatio: 0.05 };
    const built = await client.request('build', { images: set.good.map(asFile), holdout: [], config }).promise;
    const probe = asFile(set.test[1].file);
    const scoreBefore = (await client.request('score', { image: probe }).promise).score;

    // 1. Lost between jobs: the next request recovers and gives the same answer.
    const lost1 = await client.request('loseDevice', {}).promise;
    const scoreAfter = (await client.request('score', { image: probe }).promise).score;
    const infoAfter = await client.request('info', {}).promise;

    // 2. Lost in the middle of a build: the build restarts on a fresh device and completes.
    const stages: string[] = [];
    let lost2: Promise<{ lost: boolean }> | null = null;
    const job = client.request('build', { images: set.good.map(asFile), holdout: [], config }, (p) => {
      stages.push(p.stage);
      if (p.stage === 'coreset' && !lost2) lost2 = client.request('loseDevice', {}).promise;
    });
    const rebuilt = await job.promise;
    const lost2Result = lost2 ? await lost2 : { lost: false };
    return {
      before: before.kernels,
      bankRows: built.bank.rows,
      lost1: lost1.lost,
      scoreBefore,
      scoreAfter,
      infoAfter,
      lost2: lost2Result.lost,
      recoveredMidJob: stages.includes('recovering'),
      rebuiltRows: rebuilt.bank.rows,
    };
  } finally {
    client.terminate();
  }
}
