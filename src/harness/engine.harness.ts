// Engine-level scenarios for Playwright that need the real worker: device loss and recovery.
import type { ExecutionPath } from '../backbone/session';
import { DEFAULT_CONFIG } from '../patchcore/config';
import { generateDemoSet } from '../demo/generate';
import { syntheticFeatures } from './synthetic';
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

/**
 * The all-GPU path: backbone on ORT's WebGPU EP and the WGSL kernels on ORT's own device, the feature maps going
 * from ORT's output buffers straight into the aggregate. Compared with the all-CPU path on the same images and
 * model settings; then the shared device is lost, and the engine carries on with the backbone on WASM.
 */
export async function sharedDevice() {
  const set = await generateDemoSet({ good: 2, testGood: 0, testDefective: 1, size: 96 });
  const config = { ...DEFAULT_CONFIG, backbone: 'mobilenet_v2', coresetRatio: 0.1 };
  const run = async (execution: ExecutionPath, kernels: 'webgpu' | 'cpu') => {
    const client = new EngineClient();
    try {
      const info = await client.request('init', { backbone: config.backbone, kernels, execution }).promise;
      const built = await client.request('build', { images: set.good.map(asFile), holdout: [], config }).promise;
      const scored = await client.request('score', { image: asFile(set.test[0].file) }).promise;
      const resident = (await client.request('info', {}).promise)?.gpuResidentMaps ?? 0;
      let lost = null;
      if (execution === 'webgpu') {
        const gone = await client.request('loseDevice', {}).promise;
        const again = await client.request('score', { image: asFile(set.test[0].file) }).promise;
        const after = await client.request('info', {}).promise;
        lost = { lost: gone.lost, score: again.score, info: after };
      }
      return { info, resident, bank: Array.from(built.bank.data), score: scored.score, map: Array.from(scored.map.data), lost };
    } finally {
      client.terminate();
    }
  };
  const gpu = await run('webgpu', 'webgpu');
  const cpu = await run('wasm', 'cpu');
  let bankDiff = 0, bankMax = 0, mapDiff = 0, mapMax = 0;
  for (let i = 0; i < cpu.bank.length; i++) {
    bankDiff = Math.max(bankDiff, Math.abs(gpu.bank[i] - cpu.bank[i]));
    bankMax = Math.max(bankMax, Math.abs(cpu.bank[i]));
  }
  for (let i = 0; i < cpu.map.length; i++) {
    mapDiff = Math.max(mapDiff, Math.abs(gpu.map[i] - cpu.map[i]));
    mapMax = Math.max(mapMax, Math.abs(cpu.map[i]));
  }
  return {
    gpuInfo: gpu.info,
    cpuInfo: cpu.info,
    sameBankSize: gpu.bank.length === cpu.bank.length,
    bankRelDiff: bankDiff / bankMax,
    mapRelDiff: mapDiff / mapMax,
    scores: [gpu.score, cpu.score],
    residentMaps: [gpu.resident, cpu.resident],
    lost: gpu.lost,
  };
}

/**
 * A streamed build (config.coresetChunk): the same generated images built with one exact greedy pass and streamed
 * through the worker's pool of selection workers; then a streamed build cancelled mid-way, timed from cancel to
 * the rejection. Reports bank sizes, the engine's whole-build estimate, and test scores under both banks.
 */
export async function streamedBuild(c: { images: number; chunk: number }) {
  const set = await generateDemoSet({ good: c.images, testGood: 2, testDefective: 2, size: 160 });
  const client = new EngineClient();
  try {
    await client.request('init', { backbone: DEFAULT_CONFIG.backbone, execution: 'wasm', kernels: 'wasm' }).promise;
    const images = set.good.map(asFile);
    const scores = async () => Promise.all(set.test.map(async (t) => (await client.request('score', { image: asFile(t.file) }).promise).score));
    const exact = await client.request('build', { images, holdout: [], config: { ...DEFAULT_CONFIG, coresetChunk: 0, coresetMax: 0 } }).promise;
    const exactScores = await scores();
    let engineEtas = 0;
    const streamedConfig = { ...DEFAULT_CONFIG, coresetChunk: c.chunk };
    const streamed = await client.request('build', { images, holdout: [], config: streamedConfig }, (p) => {
      if (p.etaSeconds !== undefined) engineEtas++;
    }).promise;
    const streamedScores = await scores();

    let cancelledAt = 0;
    const job = client.request('build', { images, holdout: [], config: streamedConfig }, (p) => {
      if (!cancelledAt && p.stage === 'features' && p.done >= Math.floor(c.images / 2)) {
        cancelledAt = performance.now();
        job.cancel();
      }
    });
    const cancel = await job.promise.then(
      () => ({ name: 'completed', seconds: 0 }),
      (e: Error) => ({ name: e.name, seconds: (performance.now() - cancelledAt) / 1000 }),
    );
    // The engine still works after a cancelled streamed build.
    const after = (await client.request('score', { image: asFile(set.test[0].file) }).promise).score;
    return {
      exact: { rows: exact.bank.rows, patches: exact.patchCount },
      streamed: { rows: streamed.bank.rows, patches: streamed.patchCount },
      engineEtas,
      exactScores,
      streamedScores,
      labels: set.test.map((t) => (t.defective ? 1 : 0)),
      cancel,
      scoreAfterCancel: after,
    };
  } finally {
    client.terminate();
  }
}

/**
 * One greedy selection on the benches' synthetic features (synthetic.ts), in one selection worker and split over
 * `shares` workers meeting at a barrier (SelectionPool.selectAll); then a split selection cancelled mid-way, timed
 * from cancel to the rejection. Reports whether both chose the same rows, and their times.
 */
export async function teamSelection(c: { rows: number; cols: number; count: number; shares: number }) {
  const { SelectionPool } = await import('../worker/selectionPool');
  const m = syntheticFeatures(c.rows, c.cols, 11);
  const params = { projectionDim: DEFAULT_CONFIG.projectionDim, seed: 0, startPoints: 10 };
  const pool = new SelectionPool(1, params, undefined, c.shares);
  try {
    let t = performance.now();
    const one = await pool.select(m, c.count);
    const oneSeconds = (performance.now() - t) / 1000;
    let progress = 0;
    t = performance.now();
    const all = await pool.selectAll(m, c.count, () => progress++);
    const teamSeconds = (performance.now() - t) / 1000;
    const ctl = new AbortController();
    const cancelled = new SelectionPool(1, params, ctl.signal, c.shares);
    let cancelledAt = 0;
    const cancel = await cancelled
      .selectAll(m, c.count, (p) => {
        if (!cancelledAt && p.done > c.count / 4) {
          cancelledAt = performance.now();
          ctl.abort();
        }
      })
      .then(
        () => ({ name: 'completed', seconds: 0 }),
        (e: Error) => ({ name: e.name, seconds: (performance.now() - cancelledAt) / 1000 }),
      );
    return { same: one.length === all.length && one.every((v, i) => v === all[i]), count: all.length, distinct: new Set(all).size, oneSeconds, teamSeconds, progress, cancel, isolated: crossOriginIsolated };
  } finally {
    pool.close();
  }
}
