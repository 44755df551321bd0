#!/usr/bin/env node
// npm run bench -- <suite> [args]: runs scripts/bench/<suite>.mjs. Every suite prints a table and writes
// bench-results/<suite>.json. Without a suite, lists them.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

const dir = join(import.meta.dirname, 'bench');
const suites = existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith('.mjs') && !f.startsWith('_')).map((f) => f.slice(0, -4)) : [];
const [suite, ...rest] = process.argv.slice(2);
if (!suite || !suites.includes(suite)) {
  console.log(`usage: npm run bench -- <${suites.join('|')}> [options]`);
  process.exit(suite ? 2 : 0);
}
const r = spawnSync(process.execPath, [join(dir, `${suite}.mjs`), ...rest], { stdio: 'inherit' });
process.exit(r.status ?? 1);
