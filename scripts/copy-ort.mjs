#!/usr/bin/env node
// Copies the one onnxruntime-web runtime variant the app uses into public/ort/, so nothing loads from a CDN.
// The app imports 'onnxruntime-web/webgpu' (native WebGPU EP + the WASM CPU EP in one binary), whose runtime is
// the asyncify build: ort-wasm-simd-threaded.asyncify.{mjs,wasm}. src/backbone/session.ts points wasmPaths here.
import { copyFileSync, existsSync, mkdirSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

export const ORT_FILES = ['ort-wasm-simd-threaded.asyncify.mjs', 'ort-wasm-simd-threaded.asyncify.wasm'];

const root = join(import.meta.dirname, '..');
const outDir = join(root, 'public', 'ort');
let dist;
try {
  dist = dirname(createRequire(import.meta.url).resolve('onnxruntime-web/ort-wasm-simd-threaded.asyncify.wasm'));
} catch {
  console.error('copy-ort: the npm package "onnxruntime-web" is not installed. Run `npm install` first.');
  process.exit(1);
}
mkdirSync(outDir, { recursive: true });
let copied = 0;
for (const f of ORT_FILES) {
  const src = join(dist, f);
  const dst = join(outDir, f);
  const s = statSync(src);
  if (existsSync(dst)) {
    const d = statSync(dst);
    if (d.size === s.size && d.mtimeMs >= s.mtimeMs) continue;
  }
  copyFileSync(src, dst);
  copied++;
}
console.log(`copy-ort: ${copied ? `copied ${copied} file(s)` : 'up to date'} in public/ort (${ORT_FILES.join(', ')})`);
