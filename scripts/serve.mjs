#!/usr/bin/env node
// `npm start`: serves the production build (dist/) on 127.0.0.1 with the same headers as the preview server
// (cross-origin isolation for threaded WASM, self-only CSP). PORT picks the port (default 4173).
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { startServer } from './lib/server.mjs';

const dist = resolve(import.meta.dirname, '..', 'dist');
if (!existsSync(join(dist, 'index.html'))) {
  console.error('dist/ has no build: run `npm run build` first (npm start does both).');
  process.exit(1);
}
const port = Number(process.env.PORT ?? 4173);
try {
  const { url } = await startServer({ root: dist, port });
  console.log(`patchcore-web is running at ${url}/  (Ctrl+C to stop)`);
} catch (e) {
  console.error(e.code === 'EADDRINUSE' ? `Port ${port} is in use: set PORT to another one, e.g. PORT=4180 npm start` : e.message);
  process.exit(1);
}
