// Vite config: the app, its worker, and the test/eval harness page, all served cross-origin isolated
// (COOP/COEP) so onnxruntime-web can use threaded WASM, with a self-only Content-Security-Policy.
import { defaultClientConditions, defineConfig } from 'vite';
import react from '@vitejs/plugin-react';
import { resolve } from 'node:path';
import { contentSecurityPolicy, offline } from './scripts/vite-plugin-offline.mjs';

const isolation = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
  'Cross-Origin-Resource-Policy': 'same-origin',
};

export default defineConfig({
  plugins: [
    react(),
    // dist/sw.js precaching the build. ORT loads its runtime from /ort/ (src/backbone/session.ts sets
    // wasmPaths), so the copy of the .wasm Vite emits under assets/ is never requested: not worth 26 MB twice.
    offline({ exclude: [/^assets\/ort-wasm[^/]*\.wasm$/] }),
  ],
  server: { host: '127.0.0.1', headers: { ...isolation, 'Content-Security-Policy': contentSecurityPolicy({ dev: true }) } },
  preview: { host: '127.0.0.1', headers: { ...isolation, 'Content-Security-Policy': contentSecurityPolicy() } },
  // ORT's "extern wasm" build loads its runtime from ort.env.wasm.wasmPaths (/ort/, copied by scripts/copy-ort.mjs)
  // instead of bundling a second 27 MB copy of the .wasm into assets/.
  resolve: { conditions: ['onnxruntime-web-use-extern-wasm', ...defaultClientConditions] },
  worker: { format: 'es' },
  optimizeDeps: { exclude: ['onnxruntime-web'] },
  build: {
    target: 'es2022',
    chunkSizeWarningLimit: 2000,
    rollupOptions: {
      input: {
        main: resolve(import.meta.dirname, 'index.html'),
        harness: resolve(import.meta.dirname, 'harness.html'),
      },
    },
  },
});
