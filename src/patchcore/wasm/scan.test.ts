import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkScan } from './scan.fixture';
import { bestScan, scanAvailable } from './scan';

const here = import.meta.dirname;

describe('the scan in WebAssembly', () => {
  it('runs plain SIMD here (Node 20 has it), and keeps relaxed SIMD for runtimes that validate it', () => {
    expect(scanAvailable('simd')).toBe(true);
    expect(scanAvailable('typescript')).toBe(true);
    expect(bestScan()).toBe(scanAvailable('relaxed') ? 'relaxed' : 'simd');
  });

  it("plain SIMD keeps the same rows as its TypeScript twin (one run and every cluster's run), with the same fp32 sums, and drops nothing the double sum keeps", () => {
    const c = checkScan('simd');
    expect(c.sameKeptAsTwin).toBe(true);
    expect(c.maxSumDiff).toBe(0);
    expect(c.keepsAllTheDoubleSumKeeps).toBe(true);
    expect(c.runsAgree).toBe(true);
    expect(c.distanceAgrees).toBe(true);
    expect(c.indexExact).toBe(true);
  });

  it('the twin itself drops nothing the double sum keeps, and the index on it is exact', () => {
    const c = checkScan('typescript');
    expect(c.keepsAllTheDoubleSumKeeps).toBe(true);
    expect(c.runsAgree).toBe(true);
    expect(c.distanceAgrees).toBe(true);
    expect(c.indexExact).toBe(true);
  });

  it('relaxed SIMD (fused multiply-add), in a Node started with the flag: detected, and as exact as the others', () => {
    const r = spawnSync(process.execPath, ['--experimental-wasm-relaxed-simd', '--import', 'tsx', join(here, 'scan.fixture.ts')], { encoding: 'utf8', timeout: 120_000 });
    expect(r.status, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout.trim().split('\n').pop()!);
    expect(out.best).toBe('relaxed');
    expect(out.relaxed.sameKeptAsTwin).toBe(true);
    // Fused rounding may differ from the twin's two roundings in the last bits only.
    expect(out.relaxed.maxSumDiff).toBeLessThan(1e-5);
    expect(out.relaxed.keepsAllTheDoubleSumKeeps).toBe(true);
    expect(out.relaxed.runsAgree).toBe(true);
    expect(out.relaxed.distanceAgrees).toBe(true);
    expect(out.relaxed.indexExact).toBe(true);
  });
});
