// Where the shared evaluation images live: $PATCHCORE_DATA, else ../shared/data beside the repository.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

const repoRoot = resolve(import.meta.dirname, '..', '..');

export function dataDir(): string | null {
  const dir = process.env.PATCHCORE_DATA ?? resolve(repoRoot, '..', 'shared', 'data');
  return existsSync(dir) ? dir : null;
}

export interface NodeImage {
  name: string;
  mime: string;
  base64: string;
}

/** Image files of a folder, sorted by name (numeric aware), read as base64 for page.evaluate. */
export function readImages(dir: string, limit = Infinity, rename: (file: string) => string = (f) => f): NodeImage[] {
  return readdirSync(dir)
    .filter((f) => /\.(png|jpe?g|webp|bmp)$/i.test(f))
    .sort((a, b) => a.localeCompare(b, undefined, { numeric: true }))
    .slice(0, limit)
    .map((f) => ({ name: rename(f), mime: mimeOf(f), base64: readFileSync(join(dir, f)).toString('base64') }));
}

export function mimeOf(f: string): string {
  const ext = f.toLowerCase().split('.').pop();
  return ext === 'png' ? 'image/png' : ext === 'webp' ? 'image/webp' : ext === 'bmp' ? 'image/bmp' : 'image/jpeg';
}
