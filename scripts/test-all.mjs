#!/usr/bin/env node
// Runs every suite (vitest unit tests, then the production build, then the Playwright specs in the system
// Chromium) and ends with one line `N passed, N failed` summing them all. Exit code is non-zero on any failure.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';

const root = join(import.meta.dirname, '..');
const reports = join(root, '.cache', 'test-reports');
rmSync(reports, { recursive: true, force: true });
mkdirSync(reports, { recursive: true });
const only = process.argv[2]; // optional: 'unit' or 'e2e'

function run(cmd, args, env = {}) {
  console.log(`\n$ ${cmd} ${args.join(' ')}`);
  const r = spawnSync(cmd, args, { cwd: root, stdio: 'inherit', env: { ...process.env, ...env } });
  return r.status ?? 1;
}
function readJson(p) {
  try {
    return JSON.parse(readFileSync(p, 'utf8'));
  } catch {
    return null;
  }
}

let passed = 0, failed = 0, skipped = 0;

if (only !== 'e2e') {
  const out = join(reports, 'vitest.json');
  const code = run('npx', ['vitest', 'run', '--reporter=default', '--reporter=json', `--outputFile.json=${out}`]);
  const j = readJson(out);
  if (j) {
    passed += j.numPassedTests; failed += j.numFailedTests; skipped += j.numPendingTests + (j.numTodoTests ?? 0);
    if (code !== 0 && j.numFailedTests === 0) failed += 1; // a suite that failed to load
  } else {
    console.log('vitest wrote no report: counting the unit suite as one failure');
    failed += 1;
  }
}

if (only !== 'unit') {
  if (run('npm', ['run', 'build']) !== 0) {
    console.log('production build failed: counting it as one failure and skipping Playwright');
    failed += 1;
  } else {
    const out = join(reports, 'playwright.json');
    const code = run('npx', ['playwright', 'test'], { PW_JSON: out });
    const j = existsSync(out) ? readJson(out) : null;
    if (j?.stats) {
      passed += j.stats.expected + (j.stats.flaky ?? 0);
      failed += j.stats.unexpected;
      skipped += j.stats.skipped;
      if (code !== 0 && j.stats.unexpected === 0) failed += 1; // e.g. web server did not start
    } else {
      console.log('playwright wrote no report: counting the e2e suite as one failure');
      failed += 1;
    }
  }
}

console.log(`\n${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
process.exit(failed > 0 ? 1 : 0);
