#!/usr/bin/env node
// npm run bench -- peers [--sizes 20000,100000] [--banks 2000,16000,50000] [--threads N]
// The app's greedy selection and kNN side by side with native peers on the same data and the same machine:
// - coreset, 10% of N x 184: the app in one selection worker and split over every core (SelectionPool.selectAll),
//   against a plain farthest-first loop in C (scripts/bench/peers/coreset.c, gcc -O3 -march=native -ffast-math -fopenmp) on 1
//   thread and on all; skipped with a note when there is no C compiler.
// - kNN, 784 queries against banks of 2k / 16k / 50k x 184: the app's WASM kNN (the default path on a CPU) against
//   faiss IndexFlatL2 on 1 thread and on all (Debian's python3-faiss); skipped with a note when it is not installed.
// The data is the bench's seeded synthetic features (src/harness/synthetic.ts), made in the page and, through tsx,
// in Node for the peers: the same matrices. Writes bench-results/peers.json.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { tsImport } from 'tsx/esm/api';
import { launchChromium, openHarness } from '../lib/browser.mjs';
import { startServer } from '../lib/server.mjs';
import { dist, opt, requireBuild, root } from './_args.mjs';

const sizes = opt('sizes', '20000,100000').split(',').map(Number);
const banks = opt('banks', '2000,16000,50000').split(',').map(Number);
const threads = Number(opt('threads', cpus().length));
const D = 184;
const QUERIES = 784;

requireBuild();

const { syntheticFeatures } = await tsImport('../../src/harness/synthetic.ts', import.meta.url);
const work = mkdtempSync(join(tmpdir(), 'patchcore-peers-'));
const write = (name, m) => {
  const file = join(work, name);
  writeFileSync(file, Buffer.from(m.data.buffer, m.data.byteOffset, m.data.byteLength));
  return file;
};
const run = (cmd, args, env = {}) => {
  const r = spawnSync(cmd, args, { encoding: 'utf8', env: { ...process.env, ...env } });
  if (r.status !== 0) throw new Error(`${cmd} failed: ${(r.stderr || r.error?.message || '').trim()}`);
  return r.stdout.trim();
};

// The native coreset peer, when a C compiler is here.
let cBin = null;
let cNote = '';
const cc = spawnSync('sh', ['-c', 'command -v cc || command -v gcc'], { encoding: 'utf8' }).stdout.trim();
if (cc) {
  cBin = join(work, 'coreset');
  const r = spawnSync(cc, ['-O3', '-march=native', '-ffast-math', '-fopenmp', join(import.meta.dirname, 'peers', 'coreset.c'), '-o', cBin, '-lm'], { encoding: 'utf8' });
  if (r.status !== 0) [cBin, cNote] = [null, `the C peer did not compile: ${r.stderr.trim().split('\n')[0]}`];
} else cNote = 'no C compiler (cc) here: the C peer is skipped';
const python = existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';
const hasFaiss = spawnSync(python, ['-c', 'import faiss'], { encoding: 'utf8' }).status === 0;
const faissNote = hasFaiss ? '' : `faiss is not installed for ${python} (apt-get install -y python3-faiss): the faiss peer is skipped`;

const results = { machine: { cores: cpus().length }, threads, coreset: [], knn: [], notes: [cNote, faissNote].filter(Boolean) };
const server = await startServer({ root: dist });
const browser = await launchChromium();
try {
  const page = await openHarness(browser, server.url, 'bench');
  const call = (fn, arg) => page.evaluate(([f, a]) => window.harness.bench[f](a), [fn, arg]);
  for (const n of sizes) {
    const app = await call('selection', { n, d: D, ratio: 0.1, shares: threads });
    const row = { n, d: D, count: app.count, app: { oneWorker: app.oneSeconds, allCores: app.teamSeconds, same: app.same } };
    if (cBin) {
      const file = write(`features-${n}.f32`, syntheticFeatures(n, D));
      const secs = (t) => Number(run(cBin, [file, String(n), String(D), String(app.count)], { OMP_NUM_THREADS: String(t) }).split(' ')[0]);
      row.c = { oneThread: secs(1), allThreads: secs(threads) };
      rmSync(file);
    }
    results.coreset.push(row);
    console.log(`coreset 10% of ${n} x ${D}: app ${app.oneSeconds.toFixed(2)} s in one worker, ${app.teamSeconds.toFixed(2)} s on ${threads}${row.c ? `; C ${row.c.oneThread.toFixed(2)} s on 1 thread, ${row.c.allThreads.toFixed(2)} s on ${threads}` : ''}`);
  }
  const qFile = hasFaiss ? write('queries.f32', syntheticFeatures(QUERIES, D, 3)) : null;
  for (const bank of banks) {
    const app = await call('knn', { backend: 'wasm', queries: QUERIES, bank, d: D, reps: 3 });
    const row = { bank, app: { ms: app.msPerCall } };
    if (hasFaiss) {
      const bFile = write(`bank-${bank}.f32`, syntheticFeatures(bank, D, 2));
      const ms = (t) => Number(run(python, [join(import.meta.dirname, 'peers', 'knn_faiss.py'), qFile, String(QUERIES), bFile, String(bank), String(D), String(t), '3']));
      row.faiss = { oneThread: ms(1), allThreads: ms(threads) };
      rmSync(bFile);
    }
    results.knn.push(row);
    console.log(`knn ${QUERIES} queries vs ${bank} x ${D}: app ${app.msPerCall.toFixed(0)} ms${row.faiss ? `; faiss ${row.faiss.oneThread.toFixed(0)} ms on 1 thread, ${row.faiss.allThreads.toFixed(0)} ms on ${threads}` : ''}`);
  }
} finally {
  await browser.close();
  await server.close();
  rmSync(work, { recursive: true, force: true });
}

const f = (x) => (x == null ? '-' : x.toFixed(x < 10 ? 2 : 0));
const ratio = (a, b) => (a == null || b == null ? '-' : `${(a / b).toFixed(2)}x`);
console.log(`\n## Coreset, 10% of N x ${D}, seconds (${threads} threads = every core here)`);
console.log(`| N | app, one worker | C, 1 thread | app / C | app, ${threads} workers | C, ${threads} threads | app / C |\n|---|---|---|---|---|---|---|`);
for (const r of results.coreset) console.log(`| ${r.n} | ${f(r.app.oneWorker)} | ${f(r.c?.oneThread)} | ${ratio(r.app.oneWorker, r.c?.oneThread)} | ${f(r.app.allCores)} | ${f(r.c?.allThreads)} | ${ratio(r.app.allCores, r.c?.allThreads)} |`);
console.log(`\n## kNN, ${QUERIES} queries x bank, d = ${D}, ms`);
console.log(`| bank | app (WASM, all cores) | faiss, 1 thread | faiss, ${threads} threads | app / faiss (${threads}) |\n|---|---|---|---|---|`);
for (const r of results.knn) console.log(`| ${r.bank} | ${f(r.app.ms)} | ${f(r.faiss?.oneThread)} | ${f(r.faiss?.allThreads)} | ${ratio(r.app.ms, r.faiss?.allThreads)} |`);
for (const n of results.notes) console.log(`note: ${n}`);
mkdirSync(join(root, 'bench-results'), { recursive: true });
writeFileSync(join(root, 'bench-results', 'peers.json'), JSON.stringify(results, null, 1));
console.log('\nwrote bench-results/peers.json');
