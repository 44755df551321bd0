// The scan's WebAssembly (src/patchcore/wasm/scan.wasm.ts) is checked in as bytes: these tests keep it what
// scan.wat compiles to, so an edit to the .wat without `node scripts/build-wasm.mjs` fails here, not in the field.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SCAN_WAT, compileScan, expandMadd, scanModuleSource } from './lib/wat.mjs';

describe('the scan module built from scan.wat', () => {
  it('is what the checked-in scan.wasm.ts holds (run scripts/build-wasm.mjs after editing the .wat)', async () => {
    const checkedIn = readFileSync(join(import.meta.dirname, '..', 'src', 'patchcore', 'wasm', 'scan.wasm.ts'), 'utf8');
    expect(checkedIn).toBe(await scanModuleSource());
  });

  it('has two builds that differ only in the multiply-add: every MADD becomes mul + add, or one relaxed_madd', async () => {
    const text = readFileSync(SCAN_WAT, 'utf8');
    const n = (text.match(/MADD\(/g) ?? []).length;
    expect(n).toBeGreaterThan(8);
    const plain = expandMadd(text, false), relaxed = expandMadd(text, true);
    expect((plain.match(/f32x4\.add \(f32x4\.mul/g) ?? []).length).toBe(n);
    expect((relaxed.match(/\(f32x4\.relaxed_madd /g) ?? []).length).toBe(n);
    const a = await compileScan(false), b = await compileScan(true);
    expect(WebAssembly.validate(a)).toBe(true);
    expect(a.length).toBeGreaterThan(b.length);
  });
});
