// `npm run dev` serves source files as they are, so CommonJS that the production build converts can break there:
// the library's "Export ONNX" needs onnxruntime-web's ONNX protobuf classes (CommonJS), which vite.config.ts wraps
// as a module on the dev server. This starts a dev server of its own and loads them the way the worker does.
import { expect, test } from '@playwright/test';
import { spawn, type ChildProcess } from 'node:child_process';
import { resolve } from 'node:path';

const PORT = Number(process.env.E2E_DEV_PORT ?? 5199);
let dev: ChildProcess | null = null;
let output = '';

test.beforeAll(async () => {
  dev = spawn(process.execPath, [resolve('node_modules/vite/bin/vite.js'), '--host', '127.0.0.1', '--port', String(PORT), '--strictPort'], { stdio: ['ignore', 'pipe', 'pipe'] });
  dev.stdout!.on('data', (d) => (output += d));
  dev.stderr!.on('data', (d) => (output += d));
  const t0 = Date.now();
  while (Date.now() - t0 < 60_000) {
    const up = await fetch(`http://127.0.0.1:${PORT}/`).then((r) => r.ok, () => false);
    if (up) return;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`the dev server did not start:\n${output}`);
});

test.afterAll(() => {
  dev?.kill();
});

test("the dev server loads the ONNX protobuf classes that Export ONNX writes with", async ({ page }) => {
  await page.goto(`http://127.0.0.1:${PORT}/`);
  // The module's URL on the dev server (a path TypeScript must not resolve: it is the browser's to fetch).
  const r = await page.evaluate(async (url) => {
    try {
      const m = await import(/* @vite-ignore */ url);
      const onnx = m.onnxProto();
      const bytes = onnx.ModelProto.encode(onnx.ModelProto.create({ irVersion: 8, producerName: 'patchcore-web' })).finish();
      return { producer: onnx.ModelProto.decode(bytes).producerName as string };
    } catch (e) {
      return { error: String(e) };
    }
  }, '/src/worker/onnxProto.ts');
  expect(r).toEqual({ producer: 'patchcore-web' });
});
