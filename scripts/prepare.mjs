#!/usr/bin/env node
// Runs after `npm install` / `npm ci`: builds the backbone ONNX graphs from the installed nsfwjs weights and
// copies onnxruntime-web's .wasm files into public/, so the app serves everything from its own origin.
// Idempotent and cached: a second run with nothing changed takes well under a second.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

for (const step of ['build-backbones.mjs', 'copy-ort.mjs']) {
  const r = spawnSync(process.execPath, [join(import.meta.dirname, step)], { stdio: 'inherit' });
  if (r.status !== 0) process.exit(r.status ?? 1);
}
