import { describe, expect, it } from 'vitest';
import { S, backbone, blockMeans, manifest, texture, type FakeBackbone } from './blocks.fixture';
import type { BackboneManifest } from '../backbone/manifest';
import { DEFAULT_CONFIG, type EngineConfig } from './config';
import { cpuKernels } from './cpu';
import { BUILTIN_BACKBONES } from '../backbone/manifests';
import { PatchCore } from './patchcore';
import { gridGeometry } from './placement';
import type { FeatureMap } from '../backbone/types';

describe('PatchCore pipeline', () => {
  const config: EngineConfig = { ...DEFAULT_CONFIG, backbone: 'blocks', workingSize: S, coresetRatio: 0.25, sigmaPx: 2 };

  it('keeps every patch of a few images under the bank floor, and a coreset of at least the floor past it', async () => {
    const few = new PatchCore(backbone, cpuKernels, { ...config, coresetRatio: 0.1, coresetFloor: 1000 });
    const small = await few.fit(Array.from({ length: 4 }, (_, i) => texture(i)), 4);
    expect(small.bank.rows).toBe(4 * 64);
    const many = new PatchCore(backbone, cpuKernels, { ...config, coresetRatio: 0.1, coresetFloor: 300 });
    const big = await many.fit(Array.from({ length: 8 }, (_, i) => texture(i)), 8);
    expect([big.patchCount, big.bank.rows]).toEqual([8 * 64, 300]);
  });

  it('learns the mirrored and turned views of each good image when asked, and still flags a defect', async () => {
    const pc = new PatchCore(backbone, cpuKernels, { ...config, augment: 'rotate' });
    const fitted = await pc.fit(Array.from({ length: 2 }, (_, i) => texture(i)), 2);
    expect([fitted.imageCount, fitted.patchCount]).toEqual([2, 2 * 8 * 64]);
    const good = await pc.score(texture(100));
    const bad = await pc.score(texture(103, true));
    expect(bad.score).toBeGreaterThan(good.score);
  });

  it('a defective image scores above every good one, and its map peaks on the defect', async () => {
    const pc = new PatchCore(backbone, cpuKernels, config);
    const stages = new Set<string>();
    const { bank, patchCount, imageCount } = await pc.fit(Array.from({ length: 8 }, (_, i) => texture(i)), 8, { onProgress: (p) => stages.add(p.stage) });
    expect([patchCount, imageCount]).toEqual([8 * 64, 8]);
    expect(bank.rows).toBe(Math.floor(8 * 64 * 0.25));
    expect(bank.cols).toBe(6);
    expect([...stages]).toEqual(['features', 'coreset']);
    const good = await Promise.all([100, 101, 102].map((s) => pc.score(texture(s))));
    const bad = await pc.score(texture(103, true));
    for (const g of good) expect(bad.score).toBeGreaterThan(g.score);
    expect(bad.map.width).toBe(S);
    let peak = 0;
    for (let i = 1; i < bad.map.data.length; i++) if (bad.map.data[i] > bad.map.data[peak]) peak = i;
    const px = peak % S, py = Math.floor(peak / S);
    expect(px).toBeGreaterThanOrEqual(30);
    expect(px).toBeLessThan(52);
    expect(py).toBeGreaterThanOrEqual(14);
    expect(py).toBeLessThan(36);
  });

  it("'fit' learns from images of different shapes at one scale and maps each at its own shape", async () => {
    const fitManifest = { ...manifest, inputMultiple: 16 };
    const fitBackbone: FakeBackbone = { ...backbone, manifest: fitManifest };
    const pc = new PatchCore(fitBackbone, cpuKernels, { ...config, framing: 'fit', maxAspect: 3 });
    // Square, 2:1 landscape and 1:2 portrait good images: 8x8, 16x8 and 8x16 cells of stride 8.
    const shapes: [number, number][] = [[64, 64], [128, 64], [64, 128], [64, 64], [128, 64], [64, 128]];
    const { bank, patchCount } = await pc.fit(shapes.map(([w, h], i) => texture(i, false, w, h)), shapes.length);
    expect(patchCount).toBe(64 + 128 + 128 + 64 + 128 + 128);
    expect(bank.rows).toBe(Math.floor(patchCount * 0.25));
    const wide = await pc.score(texture(200, true, 128, 64));
    expect([wide.map.width, wide.map.height]).toEqual([128, 64]);
    expect([wide.patchScores.width, wide.patchScores.height]).toEqual([16, 8]);
    const good = await pc.score(texture(201, false, 128, 64));
    expect(wide.score).toBeGreaterThan(good.score);
    let peak = 0;
    for (let i = 1; i < wide.map.data.length; i++) if (wide.map.data[i] > wide.map.data[peak]) peak = i;
    expect(peak % 128).toBeGreaterThanOrEqual(30);
    expect(peak % 128).toBeLessThan(52);
    // A model saved before 'fit' existed is migrated to 'squash' (storage/model.ts), so its stored bank stays valid.
    const old = new PatchCore(fitBackbone, cpuKernels, { ...config, framing: 'squash' });
    old.load(bank, { imageCount: shapes.length });
    const squashed = await old.score(texture(202, false, 128, 64));
    expect([squashed.map.width, squashed.map.height]).toEqual([S, S]);
  });

  it('places features and scores at the cells\' receptive-field centres when alignGrids is on', async () => {
    // mobilenet_v2_mid (TF 'SAME' pads put the odd pixel after): stride-8 cell i centres on pixel 7 + 8 i,
    // stride-16 cell j on 15 + 16 j.
    const mid = BUILTIN_BACKBONES.find((b) => b.id === 'mobilenet_v2_mid')!;
    expect(gridGeometry(mid)).toEqual({ layer2: { scale: 0.5, offset: -0.5 }, pixels: { scale: 0.125, offset: -0.875 } });
    // Default offsets (stride/2 - 0.5) on exact grids are torch's align_corners=False resize.
    expect(gridGeometry(manifest)).toEqual({ layer2: { scale: 0.5, offset: -0.25 }, pixels: { scale: 0.125, offset: -3.5 / 8 } });

    // A stand-in backbone whose cells see blocks shifted by half a stride, as such a graph does.
    const shifted = (input: Float32Array, stride: number, H: number, W: number): FeatureMap => {
      const gh = H / stride, gw = W / stride, half = stride / 2;
      const data = new Float32Array(3 * gh * gw);
      for (let c = 0; c < 3; c++)
        for (let y = half; y < H; y++)
          for (let x = half; x < W; x++) {
            const cy = Math.floor((y - half) / stride), cx = Math.floor((x - half) / stride);
            data[c * gh * gw + cy * gw + cx] += input[c * H * W + y * W + x] / (stride * stride);
          }
      return { data, channels: 3, height: gh, width: gw };
    };
    const m: BackboneManifest = { ...manifest, taps: [{ ...manifest.taps[0], offsetPx: 7.5 }, { ...manifest.taps[1]!, offsetPx: 15.5 }], receptiveFieldOffsetPx: 7.5 };
    const bb: FakeBackbone = { manifest: m, run: async (x, H = S, W = S) => [shifted(x, 8, H, W), shifted(x, 16, H, W)] };
    /** Centre of mass along x of the map above half its maximum (the defect spans x 36..45, centre 40.5). */
    const centreX = async (alignGrids: boolean) => {
      const pc = new PatchCore(bb, cpuKernels, { ...config, alignGrids, coresetRatio: 1 });
      await pc.fit([1, 2, 3, 4].map((i) => texture(i)), 4);
      const { map } = await pc.score(texture(300, true));
      const max = Math.max(...map.data);
      let sw = 0, sx = 0;
      for (let i = 0; i < map.data.length; i++) if (map.data[i] > max / 2) (sw += map.data[i]), (sx += map.data[i] * (i % map.width));
      return sx / sw;
    };
    const aligned = await centreX(true);
    const plain = await centreX(false);
    expect(Math.abs(aligned - 40.5)).toBeLessThan(1.5);
    // The plain resize draws each cell where a block of [8i, 8i + 8) would sit, 4 px before what it saw.
    expect(aligned - plain).toBeGreaterThan(2);
  });

  it('borderPadPx runs the backbone on a mirrored border and keeps the grid, interior features and map size', async () => {
    const sizes: number[][] = [];
    const recording: FakeBackbone = { manifest, run: async (x, H = S, W = S) => (sizes.push([H, W]), [blockMeans(x, 8, H, W), blockMeans(x, 16, H, W)]) };
    const plain = new PatchCore(recording, cpuKernels, config);
    const padded = new PatchCore(recording, cpuKernels, { ...config, borderPadPx: 16 });
    const img = texture(7);
    const a = await plain.extract(img);
    const b = await padded.extract(img);
    expect(sizes).toEqual([[S, S], [S + 32, S + 32]]);
    expect([b.gridW, b.gridH, b.rows, b.cols]).toEqual([a.gridW, a.gridH, a.rows, a.cols]);
    // Away from the border (3x3 average and the stride-16 resize both reach at most 2 cells) nothing changes.
    const row = (f: typeof a, y: number, x: number) => Array.from(f.data.subarray((y * f.gridW + x) * f.cols, (y * f.gridW + x + 1) * f.cols));
    for (let c = 0; c < a.cols; c++) expect(row(b, 4, 4)[c]).toBeCloseTo(row(a, 4, 4)[c], 4);
    // At the corner the plain 3x3 average counts 5 zero-padded cells; the padded one averages mirrored texture.
    expect(row(b, 0, 0)[0]).toBeGreaterThan(row(a, 0, 0)[0] * 1.5);
    await padded.fit([1, 2, 3].map((i) => texture(i)), 3);
    const scored = await padded.score(texture(103, true));
    expect([scored.map.width, scored.map.height]).toEqual([S, S]);
    expect([scored.patchScores.width, scored.patchScores.height]).toEqual([S / 8, S / 8]);
    expect(() => new PatchCore(recording, cpuKernels, { ...config, borderPadPx: 8 })).toThrow(/multiple of 16/);
  });

  it('cancelling a build rejects with AbortError', async () => {
    const pc = new PatchCore(backbone, cpuKernels, config);
    const ctl = new AbortController();
    ctl.abort();
    await expect(pc.fit([texture(1)], 1, { signal: ctl.signal })).rejects.toMatchObject({ name: 'AbortError' });
    expect(pc.bank).toBeNull();
  });

  it('extend adds images: the bank is a coreset of every patch seen, old and new, and the counts add up', async () => {
    const pc = new PatchCore(backbone, cpuKernels, config);
    await pc.fit([0, 1, 2, 3].map((i) => texture(i)), 4);
    const before = pc.bank!;
    const r = await pc.extend([4, 5, 6, 7].map((i) => texture(i)), 4);
    expect([r.patchCount, r.imageCount, r.added]).toEqual([8 * 64, 8, 4]);
    // The old bank joins the new patches and the union is reduced to 25% of all 512 patches: rows of both survive.
    expect(r.bank.rows).toBe(Math.floor(8 * 64 * 0.25));
    const key = (b: typeof before, i: number) => Array.from(b.data.subarray(i * b.cols, (i + 1) * b.cols)).join();
    const old = new Set(Array.from({ length: before.rows }, (_, i) => key(before, i)));
    const kept = Array.from({ length: r.bank.rows }, (_, i) => key(r.bank, i)).filter((k) => old.has(k)).length;
    expect(kept).toBeGreaterThan(0);
    expect(kept).toBeLessThan(r.bank.rows);
    expect(pc.bank).toBe(r.bank);
    const bad = await pc.score(texture(103, true));
    const good = await pc.score(texture(100));
    expect(bad.score).toBeGreaterThan(good.score);
  });

  it('extend re-selects when the union outgrows the coreset size, and estimates the patch count of older models', async () => {
    const pc = new PatchCore(backbone, cpuKernels, { ...config, coresetCount: 40 });
    await pc.fit([0, 1].map((i) => texture(i)), 2);
    expect(pc.bank!.rows).toBe(40);
    // A model saved before its patch count was kept: 2 images, count unknown -> 2 x 64 estimated from the new ones.
    const old = new PatchCore(backbone, cpuKernels, { ...config, coresetCount: 40 });
    old.load(pc.bank!, { imageCount: 2 });
    const r = await old.extend([2, 3].map((i) => texture(i)), 2);
    expect([r.patchCount, r.imageCount]).toEqual([4 * 64, 4]);
    expect(r.bank.rows).toBe(40); // 40 old + 40 new, re-selected down to the fixed size
  });

  it('extend leaves the model unchanged when it fails, and needs a fitted model', async () => {
    const pc = new PatchCore(backbone, cpuKernels, config);
    await expect(pc.extend([texture(1)], 1)).rejects.toThrow(/build it from good images first/);
    await pc.fit([texture(1)], 1);
    const bank = pc.bank;
    await expect(pc.extend([], 0)).rejects.toThrow(/could be read as images/);
    const ctl = new AbortController();
    ctl.abort();
    await expect(pc.extend([texture(2)], 1, { signal: ctl.signal })).rejects.toMatchObject({ name: 'AbortError' });
    expect(pc.bank).toBe(bank);
    expect([pc.patchCount, pc.imageCount]).toEqual([64, 1]);
  });

  it('scoring without a memory bank says what to do', async () => {
    const pc = new PatchCore(backbone, cpuKernels, config);
    await expect(pc.score(texture(1))).rejects.toThrow(/build it from good images first/);
  });
});

describe('inspection region', () => {
  const config: EngineConfig = { ...DEFAULT_CONFIG, backbone: 'blocks', workingSize: S, coresetRatio: 0.25, sigmaPx: 2 };
  // The defect of texture(.., true) covers x 36-45, y 20-29 of the 64 x 64 image. Features are locally aware (3 x 3
  // neighbourhoods, the stride-16 map resized), so cells next to it see it too: the left region keeps well clear.
  const leftHalf = { x0: 0, y0: 0, x1: 0.3, y1: 1 };

  it('patches outside the region are not learnt: the bank comes from the region\'s cells only', async () => {
    const pc = new PatchCore(backbone, cpuKernels, { ...config, region: leftHalf });
    const { patchCount } = await pc.fit(Array.from({ length: 4 }, (_, i) => texture(i)), 4);
    // 8 x 8 cells, centres at (x + 0.5) / 8: x = 0 and 1 are inside [0, 0.3].
    expect(patchCount).toBe(4 * 8 * 2);
  });

  it('a defect outside the region cannot decide the verdict; inside it still does', async () => {
    const whole = new PatchCore(backbone, cpuKernels, config);
    const left = new PatchCore(backbone, cpuKernels, { ...config, region: leftHalf });
    const right = new PatchCore(backbone, cpuKernels, { ...config, region: { x0: 0.5, y0: 0, x1: 1, y1: 1 } });
    const train = Array.from({ length: 8 }, (_, i) => texture(i));
    for (const pc of [whole, left, right]) await pc.fit(train, 8);
    const goods = [100, 101, 102].map((s) => texture(s));
    const bad = texture(103, true);
    const margin = async (pc: PatchCore) => (await pc.score(bad)).score - Math.max(...(await Promise.all(goods.map((g) => pc.score(g)))).map((r) => r.score));
    expect(await margin(whole)).toBeGreaterThan(0);
    expect(await margin(right)).toBeGreaterThan(0);
    // Left only: the defect itself is outside; what remains is the little its neighbours' features see of it.
    const leftBad = await left.score(bad);
    expect(leftBad.score).toBeLessThan((await whole.score(bad)).score / 5);
    // The map stays on the full grid and carries the region for the viewer; outside cells hold the lowest score.
    expect(leftBad.patchScores.width).toBe(8);
    expect(leftBad.region).toEqual(leftHalf);
    const low = Math.min(...leftBad.patchScores.data);
    expect(leftBad.patchScores.data[3 * 8 + 5]).toBe(low);
  });
});
