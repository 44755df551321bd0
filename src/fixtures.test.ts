// Test fixtures (*.fixture.ts) sit beside the tests that use them; the app itself must never bundle one.
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

const SRC = import.meta.dirname;

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sources(join(dir, e.name)) : /\.(ts|tsx)$/.test(e.name) ? [join(dir, e.name)] : [],
  );
}

/** Tests, fixtures and the harness page are test code; everything else ships in the app. */
const isTestCode = (file: string) => /\.(test|fixture)\.ts$/.test(file) || relative(SRC, file).startsWith('harness/');

describe('test fixtures', () => {
  it('are imported by tests and the harness page only, never by app code', () => {
    const offenders = sources(SRC)
      .filter((f) => !isTestCode(f))
      .filter((f) => /from\s+['"][^'"]*\.fixture['"]/.test(readFileSync(f, 'utf8')))
      .map((f) => relative(SRC, f));
    expect(offenders).toEqual([]);
  });
});
