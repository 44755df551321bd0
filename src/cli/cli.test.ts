// The command line end to end on a few real images (hazelnut_small from the shared sets): build writes a .patchcore
// the app's import reads, inspect writes the app's CSV and exits by verdict, export's graph agrees with the engine
// (the CI-sized parity check), a custom backbone goes through build and export, and bad input is reported in words
// without half-written files. Skips, saying why, when the shared data is absent.
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MOBILENET_V2 } from '../backbone/manifests';
import { holdoutCount } from '../patchcore/calibration';
import { decodeModelFile } from '../storage/exportFormat';
import { exportModel } from './export';
import { graphScorer } from './graphScorer';
import { engineScorer, exitCode, inspect } from './inspect';
import { buildModel, MODELS_DIR, readCustomBackbone, saveModelFile } from './model';

const repo = resolve(import.meta.dirname, '..', '..');
const data = process.env.PATCHCORE_DATA ?? resolve(repo, '..', 'shared', 'data');
const set = join(data, 'hazelnut_small');
const present = existsSync(join(set, 'train', 'good'));
if (!present) console.log(`cli.test: skipped, no shared data at ${set} (set PATCHCORE_DATA)`);

const TRAIN = 12;
let dir: string;
let trainFiles: string[];
let testFiles: string[];
let model: string;

beforeAll(async () => {
  if (!present) return;
  dir = mkdtempSync(join(tmpdir(), 'patchcore-cli-'));
  const good = join(set, 'train', 'good');
  trainFiles = readdirSync(good).sort().slice(0, TRAIN).map((f) => join(good, f));
  testFiles = ['crack/000.png', 'good/000.png', 'hole/000.png', 'good/001.png'].map((f) => join(set, 'test', f));
  model = join(dir, 'hazelnut.patchcore');
  const built = await buildModel(trainFiles, { name: 'hazelnut', threads: 2 });
  await saveModelFile(model, built.meta, built.bank);
});
afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe.skipIf(!present)('the command line on hazelnut_small', () => {
  it('builds a .patchcore file the app imports, calibrated on held-out images as the app does', async () => {
    const { meta, bank } = await decodeModelFile(readFileSync(model), { knownBackbones: ['mobilenet_v2_mid'] });
    const held = holdoutCount(TRAIN, 0.15);
    expect(meta.trainImageCount).toBe(TRAIN - held);
    // Fewer than 5 held out: the learnt images' leave-one-out scores join them, as in the app.
    expect(held).toBeLessThan(5);
    expect(meta.scoreStats.scores).toHaveLength(TRAIN);
    expect(meta.calibration.falseAlarmRate).toBe(0.05);
    expect(meta.calibration.threshold).toBeGreaterThan(Math.max(...meta.scoreStats.scores));
    expect(meta.config.framing).toBe('fit');
    expect(meta.backbone.manifestHash).toMatch(/^[0-9a-f]{64}$/);
    expect(meta.thumbnails.length).toBeGreaterThan(0);
    expect(bank.rows).toBe(Math.floor((meta.patchCount ?? 0) * 0.1));
  });

  it('builds from a folder as a command of its own: exits 0 once the file is written (its selection threads keep it alive)', async () => {
    const folder = join(dir, 'spawned-train');
    mkdirSync(folder, { recursive: true });
    for (const f of trainFiles.slice(0, 8)) copyFileSync(f, join(folder, basename(f)));
    const out = join(dir, 'spawned.patchcore');
    const run = spawnSync(process.execPath, [join(repo, 'bin', 'patchcore-web.mjs'), 'build', folder, '--out', out], {
      encoding: 'utf8',
      cwd: repo,
      env: { ...process.env, PATCHCORE_THREADS: '2' },
    });
    expect(run.status, run.stderr).toBe(0);
    const { bank } = await decodeModelFile(readFileSync(out), { knownBackbones: ['mobilenet_v2_mid'] });
    expect(bank.rows).toBeGreaterThan(0);
  }, 120_000);

  it('inspects images into the app\'s CSV, flags defects, and exits 1 when any fails', async () => {
    const scorer = await engineScorer(model, undefined, 2);
    const out = join(dir, 'inspect');
    const report = await inspect(scorer, testFiles, { outDir: out, overlays: true });
    await scorer.release();
    const csv = readFileSync(join(out, 'results.csv'), 'utf8').split('\r\n');
    expect(csv[0]).toBe('file,score,verdict,threshold,model');
    expect(csv).toHaveLength(testFiles.length + 2); // header, rows, final CRLF
    expect(readdirSync(join(out, 'overlays'))).toHaveLength(testFiles.length);
    expect(report.rows.map((r) => r.file)).toEqual(testFiles);
    expect(report.rows.filter((r) => r.verdict === 'fail').length).toBeGreaterThan(0);
    expect(exitCode(report)).toBe(1);
    expect(exitCode({ rows: report.rows.map((r) => ({ ...r, verdict: 'pass' })), errors: [] })).toBe(0);
  });

  it('exports a graph whose scores, maps and verdicts match the engine\'s (parity)', async () => {
    const out = join(dir, 'export');
    const r = await exportModel(model, out, {});
    expect(existsSync(join(out, 'triton', 'hazelnut', 'config.pbtxt'))).toBe(true);
    expect(existsSync(join(out, 'triton', 'hazelnut', '1', 'model.onnx'))).toBe(true);
    const sidecar = JSON.parse(readFileSync(r.sidecar, 'utf8'));
    expect(sidecar.model.name).toBe('hazelnut');
    expect(sidecar.bank.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(sidecar.threshold.how).toMatch(/false-alarm rate 0.05/);
    const engine = await engineScorer(model, undefined, 2);
    const graph = await graphScorer(r.onnx, 2);
    const { decodeFile } = await import('./decode');
    for (const f of testFiles) {
      const img = await decodeFile(f, f);
      const [a, b] = [await engine.score(img), await graph.score(img)];
      expect(Math.abs(b.score - a.score)).toBeLessThanOrEqual(1e-3 * a.score);
      expect(b.score > graph.threshold).toBe(a.score > engine.threshold);
      let lo = Infinity, hi = -Infinity, worst = 0;
      a.map.data.forEach((v, i) => {
        lo = Math.min(lo, v);
        hi = Math.max(hi, v);
        worst = Math.max(worst, Math.abs(v - b.map.data[i]));
      });
      expect(worst).toBeLessThanOrEqual(1e-3 * (hi - lo));
    }
    await engine.release();
    await graph.release();
    // A second export to the same place is refused and leaves the first intact.
    await expect(exportModel(model, out, {})).rejects.toThrow(/already exists/);
    expect(readdirSync(out).filter((f) => f.includes('partial'))).toEqual([]);
  });

  it('keeps a working size and an inspection region in the model, and its export scores the region as the engine does', async () => {
    const built = await buildModel(trainFiles.slice(0, 6), { name: 'roi', threads: 2, workingSize: 320, region: { x0: 0.1, y0: 0.1, x1: 0.9, y1: 0.9 } });
    expect(built.meta.config.workingSize).toBe(320);
    expect(built.meta.config.region).toEqual({ x0: 0.1, y0: 0.1, x1: 0.9, y1: 0.9 });
    // hazelnut_small is 256 x 256: 40 x 40 cells at 320 px, of which the middle 32 x 32 have their centre inside.
    expect(built.meta.patchCount).toBe((6 - holdoutCount(6, 0.15)) * 32 * 32);
    const file = join(dir, 'roi.patchcore');
    await saveModelFile(file, built.meta, built.bank);
    const r = await exportModel(file, join(dir, 'roi-export'));
    const engine = await engineScorer(file, undefined, 2);
    const graph = await graphScorer(r.onnx, 2);
    const { decodeFile } = await import('./decode');
    for (const f of testFiles.slice(0, 4)) {
      const img = await decodeFile(f, f);
      const [a, b] = [await engine.score(img), await graph.score(img)];
      expect(Math.abs(b.score - a.score)).toBeLessThanOrEqual(1e-3 * a.score);
    }
    await engine.release();
    await graph.release();
  });

  it('builds and exports with a custom backbone, which the model then needs to be given', async () => {
    const cb = join(dir, 'custom');
    mkdirSync(cb, { recursive: true });
    copyFileSync(join(MODELS_DIR, 'mobilenet_v2.onnx'), join(cb, 'mine.onnx'));
    const { url: _url, sha256: _sha, ...manifest } = { ...MOBILENET_V2, id: 'my_mobilenet', label: 'Mine' };
    writeFileSync(join(cb, 'mine.json'), JSON.stringify(manifest));
    const custom = readCustomBackbone(join(cb, 'mine.onnx'), join(cb, 'mine.json'));
    const built = await buildModel(trainFiles.slice(0, 6), { custom, threads: 2, name: 'custom' });
    const file = join(cb, 'custom.patchcore');
    await saveModelFile(file, built.meta, built.bank);
    expect(built.meta.backbone).toEqual({ id: 'my_mobilenet', manifestHash: null });
    await expect(engineScorer(file, undefined, 2)).rejects.toThrow(/--backbone-onnx/);
    const r = await exportModel(file, join(cb, 'export'), { custom });
    const graph = await graphScorer(r.onnx, 2);
    const engine = await engineScorer(file, custom, 2);
    const { decodeFile } = await import('./decode');
    const img = await decodeFile(testFiles[0], 'crack');
    expect(Math.abs((await graph.score(img)).score - (await engine.score(img)).score)).toBeLessThanOrEqual(1e-3 * (await engine.score(img)).score);
    await graph.release();
    await engine.release();
  });

  it('reports a corrupt model, non-images and unreadable images in words, exit code 2, nothing half written', () => {
    const bad = join(dir, 'bad');
    mkdirSync(bad, { recursive: true });
    const bytes = readFileSync(model);
    bytes[bytes.length - 100] ^= 0xff;
    writeFileSync(join(bad, 'damaged.patchcore'), bytes);
    const imgs = join(bad, 'images');
    mkdirSync(imgs, { recursive: true });
    copyFileSync(testFiles[1], join(imgs, 'ok.png'));
    writeFileSync(join(imgs, 'notes.txt'), 'not an image');
    writeFileSync(join(imgs, 'empty.png'), '');
    writeFileSync(join(imgs, 'cut.png'), readFileSync(testFiles[0]).subarray(0, 2000));
    const cli = (...args: string[]) => spawnSync(process.execPath, [join(repo, 'bin', 'patchcore-web.mjs'), ...args], { encoding: 'utf8', cwd: repo, env: { ...process.env, PATCHCORE_THREADS: '2' } });

    const damaged = cli('inspect', join(bad, 'damaged.patchcore'), imgs);
    expect(damaged.status).toBe(2);
    expect(damaged.stderr).toMatch(/damaged: its checksum does not match/);

    const out = join(bad, 'out');
    const run = cli('inspect', model, imgs, '--out', out);
    expect(run.status).toBe(2);
    expect(run.stderr).toMatch(/notes\.txt: not a PNG, JPEG, WebP or BMP image/);
    expect(run.stderr).toMatch(/empty\.png is empty \(0 bytes\)/);
    expect(run.stderr).toMatch(/cut\.png looks like a PNG file but could not be decoded/);
    const csv = readFileSync(join(out, 'results.csv'), 'utf8');
    expect(csv).toMatch(/^ok\.png,/m); // the readable image was still inspected
    expect(readdirSync(out)).toEqual(['results.csv']);

    const usage = cli('build', imgs);
    expect(usage.status).toBe(2);
    expect(usage.stderr).toMatch(/--out model\.patchcore/);
    const badRoi = cli('build', imgs, '--out', join(bad, 'r.patchcore'), '--roi', '0.6,0,0.4,1');
    expect(badRoi.status).toBe(2);
    expect(badRoi.stderr).toMatch(/0 <= x0 < x1 <= 1/);
    const badSize = cli('build', imgs, '--out', join(bad, 'r.patchcore'), '--input-size', 'huge');
    expect(badSize.status).toBe(2);
    expect(badSize.stderr).toMatch(/--input-size must be auto, native or a multiple of 16 pixels/);
    // 250 px is a whole number the backbone cannot take: refused before any image is read, not deep in onnxruntime.
    const oddSize = cli('build', imgs, '--out', join(bad, 'r.patchcore'), '--working-size', '250');
    expect(oddSize.status).toBe(2);
    expect(oddSize.stderr).toMatch(/--working-size must be auto, native or a multiple of 16 pixels from 32 to 1024 .* got "250"/);
    expect(existsSync(join(bad, 'r.patchcore'))).toBe(false);
    const noModel = cli('export', join(bad, 'damaged.patchcore'), '--out', join(bad, 'x'));
    expect(noModel.status).toBe(2);
    expect(existsSync(join(bad, 'x'))).toBe(false);
  });
});
