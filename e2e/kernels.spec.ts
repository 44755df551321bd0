// The WGSL kernels agree with their TypeScript twins on seeded random inputs, in Chromium's WebGPU (SwiftShader
// here: correct but slow, so the inputs are small). Each check runs inside the harness page (src/harness/kernels.harness.ts).
import { expect, test, type Page } from '@playwright/test';

const TOL = 1e-4;

type KernelHarness = typeof import('../src/harness/kernels.harness');

async function call<K extends keyof KernelHarness>(
  page: Page,
  fn: K,
  arg?: Parameters<KernelHarness[K]>[0],
): Promise<Awaited<ReturnType<KernelHarness[K]>>> {
  return page.evaluate(
    async ([name, a]) => {
      const h = (window as unknown as { harness: { kernels: Record<string, (x: unknown) => Promise<unknown>> } }).harness;
      return h.kernels[name as string](a);
    },
    [fn, arg] as const,
  ) as Promise<Awaited<ReturnType<KernelHarness[K]>>>;
}

test.describe.configure({ mode: 'serial' });

let page: Page;

test.beforeAll(async ({ browser }) => {
  page = await browser.newPage();
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warning') console.log(`[page ${m.type()}] ${m.text()}`);
  });
  await page.goto('/harness.html');
  await expect(page.locator('body')).toHaveAttribute('data-ready', 'true');
  const info = await call(page, 'info');
  console.log(`WebGPU adapter: ${info.description}, max binding ${info.limits.maxStorageBufferBindingSize} B`);
});

test.afterAll(async () => {
  await page?.close();
});

test('automatic backend choice keeps SwiftShader off the kernels, an explicit webgpu preference uses it', async () => {
  const auto = await call(page, 'choose', 'auto');
  console.log(`auto: ${auto.name} — ${auto.reason}`);
  expect(auto.name).toBe('wasm');
  expect(auto.reason).toMatch(/software/);
  expect((await call(page, 'choose', 'webgpu')).name).toBe('webgpu');
});

test('patch features of both layers match the twin, with and without channel pooling', async () => {
  const cases = [
    { seed: 1, map1: [24, 12, 12], map2: [40, 6, 6], opts: { patchSize: 3, layerDim: 'native', targetDim: 'none' } },
    { seed: 2, map1: [24, 11, 13], map2: [40, 6, 7], opts: { patchSize: 3, layerDim: 16, targetDim: 20 } },
    // Pooling up (fewer channels than bins) and a 5 x 5 neighbourhood.
    { seed: 3, map1: [6, 9, 9], map2: [10, 5, 5], opts: { patchSize: 5, layerDim: 8, targetDim: 'none' } },
    // Receptive-field placement of the stride-16 cells (mobilenet_v2_mid's geometry on y, another on x).
    {
      seed: 4,
      map1: [24, 12, 14],
      map2: [40, 6, 7],
      opts: { patchSize: 3, layerDim: 'native', targetDim: 'none', layer2: { y: { scale: 0.5, offset: -0.5 }, x: { scale: 0.48, offset: 0.3 } } },
    },
  ] as const;
  for (const c of cases) {
    const r = await call(page, 'aggregate', { ...c, map1: [...c.map1], map2: [...c.map2], opts: { ...c.opts } });
    console.log(`aggregate ${JSON.stringify(c.opts)}: ${r.rows}x${r.cols} maxRel ${r.maxRel.toExponential(2)}`, r.timing);
    expect(r.shapeMatches).toBe(true);
    expect(r.maxRel).toBeLessThan(TOL);
  }
});

test('nearest memory vector and its distance match the twin, also when the bank is split across bindings', async () => {
  const cases = [
    { seed: 11, queries: 100, bank: 700, dim: 64 },
    // Sizes off the 64 x 64 x 16 tile grid.
    { seed: 12, queries: 77, bank: 333, dim: 50 },
    // 200 bank rows per binding -> 4 bank chunks, merged on the GPU; queries split in 2 chunks too.
    { seed: 13, queries: 150, bank: 700, dim: 64, maxBindingBytes: 64 * 4 * 200 },
  ];
  for (const c of cases) {
    const r = await call(page, 'nearest', c);
    console.log(
      `nearest ${c.queries}x${c.bank}x${c.dim} (${r.bankChunks} bank chunk(s)): maxRel ${r.distances.maxRel.toExponential(2)}, ties ${r.ties}`,
      r.timing,
    );
    expect(r.distances.maxRel).toBeLessThan(TOL);
    expect(r.indexMismatches).toBe(0);
  }
});

test('a memory bank kept on the GPU between calls is reused, and re-uploaded when its values change', async () => {
  const r = await call(page, 'nearestResidentBank', { seed: 14, queries: 64, bank: 500, dim: 32 });
  console.log(`resident bank: first ${r.firstMs.toFixed(0)} ms, reused ${r.reusedMs.toFixed(0)} ms`);
  expect(r.reusedMaxRel).toBeLessThan(TOL);
  expect(r.afterChangeMaxRel).toBeLessThan(TOL);
});

test('gaussian blur matches scipy-style reflect blurring of the twin, including kernels wider than the map', async () => {
  for (const c of [
    { seed: 21, width: 40, height: 30, sigmaPx: 4 },
    { seed: 22, width: 10, height: 7, sigmaPx: 4 },
    { seed: 23, width: 33, height: 17, sigmaPx: 1.3 },
  ]) {
    const r = await call(page, 'blur', c);
    console.log(`blur ${c.width}x${c.height} sigma ${c.sigmaPx}: maxRel ${r.maxRel.toExponential(2)}`, r.timing);
    expect(r.maxRel).toBeLessThan(TOL);
  }
});

test('the greedy coreset picks the same points in the same order as the twin for the same seed', async () => {
  const cases = [
    { seed: 31, n: 600, dim: 64, count: 60, projectionDim: 32, startPoints: 10 },
    { seed: 32, n: 500, dim: 24, count: 50, projectionDim: 0, startPoints: 10, clusters: 12 },
    // Projection of the features in row chunks (80 KB bindings -> 2 chunks).
    { seed: 33, n: 600, dim: 64, count: 40, projectionDim: 32, startPoints: 3, maxBindingBytes: 80_000 },
  ];
  for (const c of cases) {
    const r = await call(page, 'coreset', c);
    console.log(
      `coreset n=${c.n} d=${c.dim} k=${c.projectionDim} count=${c.count}: equal ${r.equal}` +
        (r.equal ? '' : ` (diverged at step ${r.firstDifference}, gap ${r.tieGap.toExponential(2)}, overlap ${r.overlap})`),
      r.timing,
    );
    // Allowed: a different order only from a genuine near-tie that fp32 rounding broke the other way.
    if (!r.equal) expect(r.tieGap).toBeLessThan(TOL);
    const last = r.progress[r.progress.length - 1];
    expect(last).toEqual({ stage: 'coreset', done: c.count, total: c.count });
  }
});

test('a coreset run can be cancelled and the kernels keep working', async () => {
  const r = await call(page, 'coresetCancel', { seed: 41, n: 400, dim: 32, count: 200, projectionDim: 16, startPoints: 10 });
  expect(r.rejected).toBe('AbortError');
  expect(r.progressBeforeAbort).toBe(1);
  expect(r.usableAfter).toBe(true);
});

test('the bank index finds what brute force finds, alone (its best SIMD scan) and split over search helpers in Web Workers, which also make shares of an image\'s input', async () => {
  const r = await call(page, 'indexSearch', { rows: 3000, cols: 48, queries: 600, gridW: 30, helpers: 2 });
  console.log(`index in Chromium: scan ${r.scan}, measured ${(100 * r.measuredShare).toFixed(1)}% of brute force`);
  // Chromium has relaxed SIMD; the helpers are the bundle's own search.worker.
  expect(r.scan).toBe('relaxed');
  expect(r.alone).toBe(true);
  expect(r.ready).toBe(true);
  expect(r.team).toBe(true);
  expect(r.measuredShare).toBeLessThan(0.5);
  console.log(`1500 x 1000 photo to 672 x 448: ${(1000 * r.preprocessSeconds.one).toFixed(1)} ms on one thread, ${(1000 * r.preprocessSeconds.shared).toFixed(1)} ms shared with 2 helpers`);
  expect(r.preprocessSame).toBe(true);
  expect(r.helperShareSame).toBe(true);
});
