// The layers of src/ and the one direction imports may take between them: down, or within a layer. Every .ts and
// .tsx file is read, tests included (a test sits in the layer of its folder and follows the same rule).
//
//   ui                      React components                                 5
//   state                   zustand stores                                   4
//   worker, storage         the engine's worker; the IndexedDB model library  3
//   demo, offline           synthetic demo images; service-worker set-up       3 (beside worker and storage)
//   cli, export             the Node command line; the ONNX export graph       3 (beside the worker)
//   patchcore               the method                                       2
//   backbone                running the pretrained network                   1
//   lib                     tiny helpers every layer shares; imports nothing  0
//
// src/main.tsx (the page's entry) may import any layer. src/harness is test and eval glue driven by e2e/ and
// scripts/: it may import anything, and nothing else under src/ may import it. Nothing under src/ may import
// from scripts/ or e2e/ (scripts and specs import from src/, not the other way round).
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const RANK: Record<string, number> = {
  lib: 0,
  backbone: 1,
  patchcore: 2,
  worker: 3,
  storage: 3,
  demo: 3,
  offline: 3,
  cli: 3,
  export: 3,
  state: 4,
  ui: 5,
};
const ENTRY = 'entry'; // files directly in src/
const HARNESS = 'harness';

/** The layer of a path relative to the repository root ('src/ui/App.tsx' -> 'ui'), or null outside src/. */
function layerOf(path: string): string | null {
  const parts = path.split('/');
  if (parts[0] !== 'src') return null;
  return parts.length === 2 ? ENTRY : parts[1];
}

/** Relative module specifiers of static imports and re-exports, side-effect imports and dynamic import(). */
export function importSpecifiers(source: string): string[] {
  const found: string[] = [];
  const patterns = [
    /^\s*(?:import|export)\b[^;'"]*?\bfrom\s*['"]([^'"]+)['"]/gm,
    /^\s*import\s*['"]([^'"]+)['"]/gm,
    /\bimport\s*\(\s*['"]([^'"]+)['"]\s*\)/g,
  ];
  for (const re of patterns) for (const m of source.matchAll(re)) if (m[1].startsWith('.')) found.push(m[1].replace(/\?.*$/, ''));
  return found;
}

/** One line per import that runs against the layers: `from -> spec (why)`. Paths relative to the repository root. */
export function layerViolations(files: { path: string; source: string }[]): string[] {
  const out: string[] = [];
  for (const { path, source } of files) {
    const from = layerOf(path);
    if (from === null) continue;
    if (from !== ENTRY && from !== HARNESS && !(from in RANK)) {
      out.push(`${path}: folder src/${from} has no layer; give it one in src/layers.test.ts`);
      continue;
    }
    for (const spec of importSpecifiers(source)) {
      const target = join(dirname(path), spec).split('\\').join('/');
      const to = layerOf(target);
      const line = `${path} -> ${spec}`;
      if (to === null) {
        if (/^(scripts|e2e)\//.test(target)) out.push(`${line} (src/ imports from ${target.split('/')[0]}/)`);
        continue;
      }
      if (to === from || from === ENTRY || from === HARNESS) continue;
      if (to === HARNESS) out.push(`${line} (only e2e/ and scripts/ drive the harness)`);
      else if (to === ENTRY) out.push(`${line} (imports the page's entry)`);
      else if (!(to in RANK)) out.push(`${line} (src/${to} has no layer)`);
      else if (RANK[to] > RANK[from]) out.push(`${line} (${from} is below ${to})`);
    }
  }
  return out;
}

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');

function sourceFiles(dir: string): { path: string; source: string }[] {
  return readdirSync(join(root, dir), { withFileTypes: true }).flatMap((e) => {
    const path = `${dir}/${e.name}`;
    if (e.isDirectory()) return sourceFiles(path);
    return /\.tsx?$/.test(e.name) ? [{ path, source: readFileSync(join(root, path), 'utf8') }] : [];
  });
}

describe('layers', () => {
  it('no import under src/ runs up the layers or out to scripts/ and e2e/', () => {
    const files = sourceFiles('src');
    expect(files.length).toBeGreaterThan(100);
    expect(files.some((f) => relative('src', f.path) === 'layers.test.ts')).toBe(true);
    const imports = files.reduce((n, f) => n + importSpecifiers(f.source).length, 0);
    expect(imports).toBeGreaterThan(300);
    const bad = layerViolations(files);
    expect(bad, `imports against the layers:\n${bad.join('\n')}`).toEqual([]);
  });

  it('catches each kind of wrong import and lets the right ones through', () => {
    const file = (path: string, ...specs: string[]) => ({
      path,
      source: specs.map((s, i) => (i % 2 ? `export { x${i} } from '${s}';` : `import type { X${i} } from '${s}';`)).join('\n'),
    });
    const bad = layerViolations([
      file('src/state/inspect.ts', '../ui/lib/files', './model', '../patchcore/calibration', '../lib/format'),
      file('src/backbone/session.ts', '../patchcore/types', './types'),
      file('src/patchcore/wasm/graphs.ts', '../../../scripts/onnx/protobuf.mjs', '../../backbone/onnx/protobuf.mjs'),
      file('src/storage/model.ts', '../worker/protocol', '../harness/storage.harness'),
      file('src/lib/format.ts', '../backbone/types'),
      file('src/harness/eval.harness.ts', '../ui/App', '../state/model'),
      file('src/main.tsx', './ui/App', './offline/register'),
      { path: 'src/ui/App.tsx', source: "const m = await import('../harness/main');\nimport './styles.css';" },
      file('src/newthing/a.ts', '../lib/format'),
    ]);
    expect(bad).toEqual([
      'src/state/inspect.ts -> ../ui/lib/files (state is below ui)',
      'src/backbone/session.ts -> ../patchcore/types (backbone is below patchcore)',
      'src/patchcore/wasm/graphs.ts -> ../../../scripts/onnx/protobuf.mjs (src/ imports from scripts/)',
      'src/storage/model.ts -> ../harness/storage.harness (only e2e/ and scripts/ drive the harness)',
      'src/lib/format.ts -> ../backbone/types (lib is below backbone)',
      'src/ui/App.tsx -> ../harness/main (only e2e/ and scripts/ drive the harness)',
      'src/newthing/a.ts: folder src/newthing has no layer; give it one in src/layers.test.ts',
    ]);
  });
});
