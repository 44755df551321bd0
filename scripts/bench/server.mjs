#!/usr/bin/env node
// npm run bench -- server [memory|throughput|parity|all|decoder] [--rows 50000] [--set bottle] [--limit 40]
//   [--sets hazelnut_small,transistor_small,cookie,bottle] [--train N] [--threads N]
// decoder needs the built app (npm run build) and Chromium, as the other bench suites.
// The command line and the exported graph on onnxruntime-node (no browser): the size and peak memory of a
// 50,000 x 184 bank export on a 1,500 x 1,000 image, inspect images/s, and engine-vs-graph parity on the shared
// sets. The work is in _server.mts (TypeScript, run through tsx). Writes bench-results/server-<mode>.json.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

const r = spawnSync(process.execPath, ['--import', 'tsx', join(import.meta.dirname, '_server.mts'), ...process.argv.slice(2)], { stdio: 'inherit' });
process.exit(r.status ?? 1);
