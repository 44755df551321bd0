// Vite config: the app, its worker, and the test/eval harness page, all served cross-origin isolated
// (COOP/COEP) so onnxruntime-web can use threaded WASM, with a self-only Content-Security-Policy.
import { defaultClientConditions, defineConfig, type Plugin } from 'vite';
import react from '@vitejs/plugin-react';
import { resolve } from 'node:path';
import { contentSecurityPolicy, offline } from './scripts/vite-plugin-offline.mjs';

const isolation = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
  'Cross-Origin-Resource-Policy': 'same-origin',
};

/**
 * Dev server only: onnxruntime-web's ONNX protobuf classes (imported by path in src/worker/onnxProto.ts for the
 * library's "Export ONNX") are CommonJS. The production build converts them; the dev server serves files as they
 * are, so this wraps that one file as a module (protobufjs/minimal, its one require, comes in as an import).
 */
function onnxProtoAsModule(): Plugin {
  return {
    name: 'onnx-proto-as-module',
    apply: 'serve',
    transform(code, id) {
      if (!/onnxruntime-web\/lib\/onnxjs\/ort-schema\/protobuf\/onnx\.js$/.test(id.split('?')[0])) return null;
      const wrapped =
        `import $protobufMinimal from 'protobufjs/minimal';\nconst module = { exports: {} };\nconst require = () => $protobufMinimal;\n` +
        `${code}\nexport default module.exports;\nexport const onnx = module.exports.onnx;\n`;
      return { code: wrapped, map: null };
    },
  };
}

export default defineConfig({
  plugins: [
    react(),
    onnxProtoAsModule(),
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
  optimizeDeps: { exclude: ['onnxruntime-web'], include: ['protobufjs/minimal'] },
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
