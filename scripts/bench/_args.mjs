// What the bench suites read first: the repository, the built app they measure (PATCHCORE_DIST, else dist/), and
// their `--name value` options.
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';

export const root = resolve(import.meta.dirname, '..', '..');
export const dist = resolve(process.env.PATCHCORE_DIST ?? join(root, 'dist'));
export const argv = process.argv.slice(2);

/** The value after `--name`, else `def`. */
export const opt = (name, def) => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? argv[i + 1] : def;
};

/** Whether the built app is there (its harness page). */
export const hasBuild = () => existsSync(join(dist, 'harness.html'));

/** Stops with a message when there is no built app to measure. */
export function requireBuild() {
  if (hasBuild()) return;
  console.error(`${dist} has no build: run npm run build first`);
  process.exit(2);
}
