#!/usr/bin/env node
// npm run eval -- <folder> [--backbone NAME] [--coreset 0.1] [--out DIR] [--framing fit|squash|crop] [--kernels auto|webgpu|cpu]
//                 [--execution auto|webgpu|wasm] [--limit-train N [--draw K (0: evenly spaced, K > 0: a seeded random draw)]] [--limit-test N] [--align-grids] [--border-pad PX]
//                 [--working-size auto|native|PX] [--roi x0,y0,x1,y1] [--rebuild] [--expect DIR/metrics.json]
// Trains on <folder>/train/good and scores every <folder>/test/<type>/* in headless Chromium, through the same
// built bundle and worker as the app, then prints image AUROC, pixel AUROC, PRO and F1-max per defect type and
// overall, and writes DIR/metrics.json and DIR/report.html. The model's options are checked and resolved by the
// app's own recipe (src/patchcore/recipe.ts, loaded through tsx), so eval cannot drift from what the app builds.
// --expect compares every test image's score with an earlier run's metrics.json and fails on any difference (the
// check that a refactoring left the model unchanged).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { basename, extname, join, relative, resolve } from 'node:path';
import { tsImport } from 'tsx/esm/api';
import { launchChromium, pipeConsole } from './lib/browser.mjs';
import { startServer } from './lib/server.mjs';

const { parseWorkingSize, checkModelOptions } = await tsImport('../src/patchcore/recipe.ts', import.meta.url);
const { parseRegion } = await tsImport('../src/patchcore/region.ts', import.meta.url);
const { rng } = await tsImport('../src/patchcore/random.ts', import.meta.url);
const { DEFAULT_CONFIG } = await tsImport('../src/patchcore/config.ts', import.meta.url);
const { imagesShorterSide } = await tsImport('../src/cli/files.ts', import.meta.url);

const root = resolve(import.meta.dirname, '..');
const DIST = resolve(process.env.PATCHCORE_DIST ?? join(root, 'dist'));
const IMAGE_EXT = new Set(['.png', '.jpg', '.jpeg', '.bmp', '.webp']);

/** The input protocol in words: the authors' crop, or the whole image (aspect kept or squashed). */
function protocol(m) {
  const grid = (m.align_grids ? ', cells at receptive-field centres' : ', plain grid resize') + (m.border_pad_px ? `, ${m.border_pad_px} px mirrored border` : '');
  const roi = m.region ? `, inspection region ${[m.region.x0, m.region.y0, m.region.x1, m.region.y1].join(',')}` : '';
  if (m.framing === 'crop') return 'centre crop' + grid + roi;
  return (m.framing === 'fit' ? `whole image, aspect kept (longest side <= ${m.max_aspect}x)` : 'whole image squashed to a square') + grid + roi;
}

function parseArgs(argv) {
  const d = DEFAULT_CONFIG;
  const a = { folder: null, backbone: d.backbone, coreset: d.coresetRatio, out: null, framing: d.framing, kernels: 'auto', execution: 'auto', limitTrain: 0, limitTest: 0, rebuild: false, seed: d.seed, reweight: d.reweightNeighbors, maxAspect: d.maxAspect, alignGrids: false, borderPad: 0, workingSize: 'auto' };
  for (let i = 0; i < argv.length; i++) {
    const k = argv[i];
    const v = () => argv[++i];
    if (k === '--backbone') a.backbone = v();
    else if (k === '--coreset') a.coreset = Number(v());
    else if (k === '--coreset-max') a.coresetMax = Number(v());
    else if (k === '--coreset-floor') a.coresetFloor = Number(v());
    else if (k === '--coreset-chunk') a.coresetChunk = Number(v());
    else if (k === '--out') a.out = v();
    else if (k === '--framing') a.framing = v();
    else if (k === '--max-aspect') a.maxAspect = Number(v());
    else if (k === '--kernels') a.kernels = v();
    else if (k === '--execution') a.execution = v();
    else if (k === '--limit-train') a.limitTrain = Number(v());
    else if (k === '--limit-test') a.limitTest = Number(v());
    else if (k === '--draw') a.draw = Number(v());
    else if (k === '--seed') a.seed = Number(v());
    else if (k === '--reweight') a.reweight = Number(v());
    else if (k === '--align-grids') a.alignGrids = true;
    else if (k === '--border-pad') a.borderPad = Number(v());
    else if (k === '--working-size' || k === '--input-size') a.workingSize = parseWorkingSize(v(), k);
    else if (k === '--roi') a.roi = parseRegion(v());
    else if (k === '--expect') a.expect = v();
    else if (k === '--augment') a.augment = v();
    else if (k === '--distance') a.distance = v();
    else if (k === '--calibrate') a.calibrate = true;
    else if (k === '--shift-scan') a.shiftScan = v().split(',').map(Number);
    else if (k === '--rebuild') a.rebuild = true;
    else if (k === '--help' || k === '-h') a.help = true;
    else if (!a.folder) a.folder = k;
    else throw new Error(`Unknown argument ${k}`);
  }
  checkModelOptions(options(a));
  if (a.distance !== undefined && a.distance !== 'l2' && a.distance !== 'cosine') throw new Error(`--distance must be l2 or cosine, got ${a.distance}`);
  if (!(a.maxAspect >= 1)) throw new Error(`--max-aspect must be a number >= 1, got ${a.maxAspect}`);
  return a;
}

/** The model's options as Build or the command line would take them (src/patchcore/recipe.ts ModelOptions). */
function options(a) {
  return { backbone: a.backbone, coresetRatio: a.coreset, framing: a.framing, workingSize: a.workingSize, region: a.roi ?? null, augment: a.augment, seed: a.seed };
}

/** Experiment fields beyond the model's options, set on the resolved config. */
function experiment(a) {
  return {
    maxAspect: a.maxAspect,
    reweightNeighbors: a.reweight,
    alignGrids: a.alignGrids,
    borderPadPx: a.borderPad,
    ...(a.coresetMax !== undefined ? { coresetMax: a.coresetMax } : {}),
    ...(a.coresetFloor !== undefined ? { coresetFloor: a.coresetFloor } : {}),
    ...(a.coresetChunk !== undefined ? { coresetChunk: a.coresetChunk } : {}),
    ...(a.distance !== undefined ? { distance: a.distance } : {}),
  };
}

/**
 * Every test image's score against an earlier run's metrics.json: the list of differences beyond `tol` (relative),
 * images present in one run only included.
 */
function compareScores(now, before, tol = 1e-6) {
  const old = new Map(before.images.map((x) => [x.file, x.score]));
  const diffs = [];
  for (const x of now.images) {
    const b = old.get(x.file);
    old.delete(x.file);
    if (b === undefined) diffs.push(`${x.file}: scored now (${x.score}), not before`);
    else if (Math.abs(x.score - b) > tol * Math.max(1, Math.abs(b))) diffs.push(`${x.file}: ${b} before, ${x.score} now`);
  }
  for (const [file, b] of old) diffs.push(`${file}: scored before (${b}), not now`);
  return diffs;
}

const images = (dir) =>
  existsSync(dir) ? readdirSync(dir).filter((f) => IMAGE_EXT.has(extname(f).toLowerCase())).sort().map((f) => join(dir, f)) : [];

/** Train list and test list (with masks where ground_truth has them) of an MVTec-layout folder. */
export function listDataset(folder, { limitTrain = 0, limitTest = 0, draw = 0 } = {}) {
  const trainDir = join(folder, 'train', 'good');
  const train = images(trainDir);
  if (!train.length) throw new Error(`${trainDir} has no images: expected the MVTec layout <folder>/train/good/*.png`);
  const testRoot = join(folder, 'test');
  if (!existsSync(testRoot)) throw new Error(`${testRoot} is missing: expected <folder>/test/<type>/*`);
  const test = [];
  for (const type of readdirSync(testRoot).sort()) {
    if (!statSync(join(testRoot, type)).isDirectory()) continue;
    let files = images(join(testRoot, type));
    if (limitTest) files = files.slice(0, limitTest);
    for (const f of files) {
      const stem = basename(f, extname(f));
      let mask;
      if (type !== 'good') {
        for (const ext of ['.png', '.bmp', '.jpg']) {
          const m = join(folder, 'ground_truth', type, `${stem}_mask${ext}`);
          if (existsSync(m)) { mask = m; break; }
        }
      }
      test.push({ file: f, type, mask });
    }
  }
  return { train: !limitTrain ? train : draw ? drawn(train, limitTrain, draw) : spread(train, limitTrain), test };
}

/**
 * n items evenly spaced over a sorted list: a quick run sees the whole training set's variety (file names often
 * group by acquisition, e.g. magnetic_tile's exp1..exp6, ~127 files each), not just its first n files.
 */
function spread(list, n) {
  if (n >= list.length) return list;
  return Array.from({ length: n }, (_, i) => list[Math.floor((i * list.length) / n)]);
}

/**
 * n items drawn at random (seeded by `draw`, in list order): which few images a person happens to photograph
 * matters with a handful, so few-shot figures are measured over several draws (--draw 1, 2, ...).
 */
function drawn(list, n, draw) {
  if (n >= list.length) return list;
  const next = rng(draw);
  const idx = list.map((_, i) => i);
  for (let i = 0; i < n; i++) {
    const j = i + Math.floor(next() * (idx.length - i));
    [idx[i], idx[j]] = [idx[j], idx[i]];
  }
  return idx.slice(0, n).sort((x, y) => x - y).map((i) => list[i]);
}

const pct = (x) => (x == null ? '  n/a ' : (x * 100).toFixed(1).padStart(6));

function printTable(m) {
  const rows = [['overall', m], ...Object.entries(m.per_type)];
  const native = !!m.pixel_native;
  console.log(`\n${'type'.padEnd(18)} ${'n'.padStart(4)}  imgAUROC pixAUROC    PRO  F1max${native ? '  | native: pixAUROC    PRO' : ''}`);
  for (const [name, r] of rows) {
    const nat = native ? `  |         ${pct(r.pixel_native?.pixel_auroc)} ${pct(r.pixel_native?.pro)}` : '';
    console.log(`${name.padEnd(18)} ${String(r.count ?? m.test_images).padStart(4)}  ${pct(r.image_auroc)}   ${pct(r.pixel_auroc)} ${pct(r.pro)} ${pct(r.f1_max)}${nat}`);
  }
  console.log(`pixel metrics at the model's input scale (masks resized like the image)${native ? "; 'native': maps resized to each mask's own size" : ''}`);
  console.log(`\nbackbone ${m.backbone} (${m.execution_path}), kernels ${m.kernels}, bank ${m.bank_size} x ${m.feature_dim}, coreset ${m.coreset_ratio}${m.coreset_max ? ` (at most ${m.coreset_max})` : ''}, ${m.coreset_chunk ? `streamed in chunks of ${m.coreset_chunk}` : 'exact greedy'}, ${protocol(m)} ${m.working_size}px`);
  console.log(`seconds: features ${m.seconds.features.toFixed(1)}, coreset ${m.seconds.coreset.toFixed(1)}, score/image ${(m.seconds.score_per_image ?? 0).toFixed(3)}, total ${m.seconds.total.toFixed(1)}`);
  if (m.seconds.score_stages) console.log(`score/image by stage: ${Object.entries(m.seconds.score_stages).map(([k, v]) => `${k} ${v.toFixed(3)}`).join(', ')}`);
  if (m.calibration) {
    const c = m.calibration;
    console.log(`calibrated as the app does: threshold ${c.threshold.toPrecision(4)} from ${c.held_out} held-out + ${c.learnt_scored} learnt-image scores (target ${pct(c.target_false_alarm_rate)}% false alarms); on the test set: false alarms ${pct(c.test_false_alarm_rate)}%, defects flagged ${pct(c.test_detection_rate)}%`);
    if (c.note) console.log(c.note);
  }
  if (m.pixel_centre) console.log(`inside the authors' centre-crop window only: pixel AUROC ${pct(m.pixel_centre.pixel_auroc)}, PRO ${pct(m.pixel_centre.pro)}`);
  for (const s of m.shift_scan ?? []) console.log(`maps moved ${s.shift_px} px down/right: pixel AUROC ${pct(s.pixel_auroc)}, PRO ${pct(s.pro)}`);
  if (m.unreadable.length) {
    console.log(`\n${m.unreadable.length} file(s) could not be read and were skipped:`);
    for (const u of m.unreadable) console.log(`  ${u.file}: ${u.reason}`);
  }
}

function rocSvg(roc) {
  const pts = roc.map((p) => `${(p.fpr * 200).toFixed(1)},${(200 - p.tpr * 200).toFixed(1)}`).join(' ');
  return `<svg viewBox="-10 -10 220 220" width="240" height="240"><rect width="200" height="200" fill="#fff" stroke="#999"/><line x1="0" y1="200" x2="200" y2="0" stroke="#ccc" stroke-dasharray="4"/><polyline fill="none" stroke="#c33" stroke-width="2" points="${pts}"/><text x="100" y="215" font-size="9" text-anchor="middle">FPR</text><text x="-6" y="100" font-size="9" transform="rotate(-90,-6,100)" text-anchor="middle">TPR</text></svg>`;
}

function reportHtml(m, title) {
  const esc = (s) => String(s).replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]);
  const rows = [['overall', m], ...Object.entries(m.per_type)]
    .map(([n, r]) => `<tr><td>${esc(n)}</td><td>${pct(r.image_auroc)}</td><td>${pct(r.pixel_auroc)}</td><td>${pct(r.pro)}</td><td>${pct(r.f1_max)}</td>${m.pixel_native ? `<td>${pct(r.pixel_native?.pixel_auroc)}</td><td>${pct(r.pixel_native?.pro)}</td>` : ''}</tr>`)
    .join('');
  const grid = m.overlays
    .map((o) => `<figure><img src="${o.png}" alt="${esc(o.file)}"><figcaption>${esc(o.type)} · ${esc(basename(o.file))} · ${o.score.toFixed(3)}</figcaption></figure>`)
    .join('');
  return `<!doctype html><meta charset="utf-8"><title>${esc(title)}</title>
<style>body{font:14px system-ui;margin:2em;color:#222}table{border-collapse:collapse}td,th{padding:4px 10px;border-bottom:1px solid #ddd;text-align:right}td:first-child,th:first-child{text-align:left}figure{display:inline-block;margin:6px}figcaption{font-size:11px;color:#555}img{display:block}</style>
<h1>PatchCore evaluation: ${esc(title)}</h1>
<p>backbone <b>${esc(m.backbone)}</b> (${esc(m.execution_path)}), kernels ${esc(m.kernels)}, bank ${m.bank_size} × ${m.feature_dim}, coreset ${m.coreset_ratio}, ${protocol(m)} ${m.working_size} px; ${m.train_images} train / ${m.test_images} test images.</p>
<table><tr><th>type</th><th>image AUROC</th><th>pixel AUROC</th><th>PRO (FPR≤0.3)</th><th>F1-max</th>${m.pixel_native ? '<th>pixel AUROC (native size)</th><th>PRO (native size)</th>' : ''}</tr>${rows}</table>
<p>Pixel metrics at the model's input scale: each mask resized (nearest) the way its image was${m.pixel_native ? "; the 'native size' columns resize each map to its mask's own size instead (larger files weigh more)" : ''}.</p>
${m.pixel_centre ? `<p>Inside the window the authors' centre crop would keep (the same pixels a <code>--framing crop</code> run is measured on): pixel AUROC ${pct(m.pixel_centre.pixel_auroc)}, PRO ${pct(m.pixel_centre.pro)}.</p>` : ''}
<h2>Image-level ROC</h2>${rocSvg(m.roc)}
<h2>Overlays</h2><p>Left: image. Right: anomaly map (per-image normalised) with the ground-truth outline in green.</p>${grid}
<p>Seconds: features ${m.seconds.features.toFixed(1)}, coreset ${m.seconds.coreset.toFixed(1)}, per test image ${(m.seconds.score_per_image ?? 0).toFixed(3)}.</p>`;
}

async function main() {
  const a = parseArgs(process.argv.slice(2));
  if (a.help || !a.folder) {
    console.log('usage: npm run eval -- <mvtec-layout-folder> [--backbone mobilenet_v2_mid|inception_v3|mobilenet_v2] [--coreset 0.1] [--coreset-max N (0: none)] [--coreset-floor N (0: none)] [--coreset-chunk N (0: exact greedy)] [--out DIR] [--framing fit|squash|crop] [--max-aspect 3] [--kernels auto|webgpu|cpu] [--execution auto|webgpu|wasm] [--limit-train N] [--draw K (0: evenly spaced, K > 0: a seeded random draw)] [--limit-test N] [--align-grids] [--border-pad PX] [--working-size auto|native|PX] [--roi x0,y0,x1,y1] [--augment none|flip|rotate] [--distance l2|cosine] [--calibrate] [--seed N] [--reweight B] [--shift-scan -4,0,4] [--rebuild] [--expect DIR/metrics.json]');
    process.exit(a.folder ? 0 : 2);
  }
  const folder = resolve(a.folder);
  if (!existsSync(folder)) {
    console.error(`${folder} does not exist`);
    process.exit(2);
  }
  const set = listDataset(folder, a);
  console.log(`${basename(folder)}: ${set.train.length} train images, ${set.test.length} test images (${set.test.filter((t) => t.mask).length} with masks)`);
  if (a.rebuild || !existsSync(join(DIST, 'harness.html'))) {
    console.log('building the app (dist/) ...');
    const r = spawnSync('npm', ['run', 'build'], { cwd: root, stdio: 'inherit' });
    if (r.status !== 0) process.exit(r.status ?? 1);
  }
  const server = await startServer({ root: DIST, mounts: { '/__data/': folder } });
  const browser = await launchChromium();
  let metrics;
  try {
    const page = await browser.newPage();
    pipeConsole(page, 'eval');
    await page.exposeFunction('__evalProgress', (msg) => console.log(`  ${msg}`));
    await page.goto(`${server.url}/harness.html`);
    await page.waitForFunction(() => document.body.dataset.ready === 'true');
    const rel = (f) => relative(folder, f).split('\\').join('/');
    const spec = {
      base: '/__data/',
      train: set.train.map(rel),
      test: set.test.map((t) => ({ path: rel(t.file), type: t.type, mask: t.mask ? rel(t.mask) : undefined })),
      shiftScan: a.shiftScan,
      options: options(a),
      experiment: experiment(a),
      execution: a.execution,
      kernels: a.kernels,
      // What 'auto' and 'native' resolve from, read as the command line's build reads it.
      imageShorterSide: await imagesShorterSide(set.train),
      calibrate: !!a.calibrate,
    };
    page.setDefaultTimeout(0);
    metrics = await page.evaluate((s) => window.harness.eval.run(s), spec);
  } finally {
    await browser.close();
    await server.close();
  }
  printTable(metrics);
  const out = resolve(a.out ?? join(root, 'eval-results', basename(folder)));
  mkdirSync(out, { recursive: true });
  const { overlays, ...rest } = metrics;
  writeFileSync(join(out, 'metrics.json'), JSON.stringify({ dataset: basename(folder), limit_train: a.limitTrain, draw: a.draw ?? 0, ...rest }, null, 1));
  writeFileSync(join(out, 'report.html'), reportHtml(metrics, basename(folder)));
  console.log(`\nwrote ${join(out, 'metrics.json')} and report.html (${overlays.length} overlays)`);
  if (a.expect) {
    const diffs = compareScores(metrics, JSON.parse(readFileSync(a.expect, 'utf8')));
    if (diffs.length) {
      console.log(`\n${diffs.length} of ${metrics.images.length} image scores differ from ${a.expect}:`);
      for (const d of diffs.slice(0, 20)) console.log(`  ${d}`);
      process.exitCode = 3;
    } else console.log(`\nevery one of the ${metrics.images.length} image scores matches ${a.expect}`);
  }
}

main().catch((e) => {
  console.error(e?.stack ?? e);
  process.exit(1);
});
