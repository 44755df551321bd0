// The images a command is given: files and folders (walked recursively), sorted as the app sorts a dropped folder
// (numeric-aware by path), with everything that is not an image listed by name and reason instead of dropped.
import { readdirSync, statSync } from 'node:fs';
import { basename, join, relative, resolve } from 'node:path';
import sharp from 'sharp';
import { SIZE_SAMPLE, medianShorterSide, spreadIndices } from '../patchcore/config';

/** The app's image extensions (src/ui/lib/files.ts), so a folder gives the same images in both. */
export const IMAGE_EXT = /\.(png|jpe?g|webp|bmp)$/i;

export interface ImagePath {
  /** Absolute path on disk. */
  file: string;
  /** Path inside the given folder (the app's name for the image), or the file's path as given. */
  name: string;
}

export interface Skipped {
  name: string;
  reason: string;
}

const byPath = (a: ImagePath, b: ImagePath) => a.name.localeCompare(b.name, undefined, { numeric: true });

function walk(dir: string, root: string, images: ImagePath[], skipped: Skipped[], prefix: string): void {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.name.startsWith('.')) continue; // .DS_Store and friends, as the app
    const full = join(dir, entry.name);
    const name = prefix + relative(root, full);
    if (entry.isDirectory()) walk(full, root, images, skipped, prefix);
    else if (IMAGE_EXT.test(entry.name)) images.push({ file: full, name });
    else skipped.push({ name, reason: 'not a PNG, JPEG, WebP or BMP image' });
  }
}

/** Collects the images of the given files and folders; a path that does not exist is an error for the caller. */
export function collectImages(paths: string[]): { images: ImagePath[]; skipped: Skipped[]; folderName: string | null } {
  const images: ImagePath[] = [];
  const skipped: Skipped[] = [];
  let folderName: string | null = null;
  for (const p of paths) {
    const abs = resolve(p);
    let st;
    try {
      st = statSync(abs);
    } catch {
      throw new Error(`${p} does not exist`);
    }
    if (st.isDirectory()) {
      folderName ??= basename(abs);
      const found: ImagePath[] = [];
      // As the app: paths inside a single folder are relative to it; with several, each keeps its folder's name.
      walk(abs, abs, found, skipped, paths.length === 1 ? '' : `${basename(abs)}/`);
      images.push(...found.sort(byPath));
    } else if (IMAGE_EXT.test(abs)) images.push({ file: abs, name: p });
    else skipped.push({ name: p, reason: 'not a PNG, JPEG, WebP or BMP image' });
  }
  return { images, skipped, folderName: paths.length === 1 ? folderName : null };
}

/**
 * The median shorter side of up to SIZE_SAMPLE files spread over the list, from their headers (what 'auto' and
 * 'native' working sizes resolve from, as the app's Build reads it); null when none can be read.
 */
export async function imagesShorterSide(files: string[]): Promise<number | null> {
  const sizes = await Promise.all(
    spreadIndices(files.length, SIZE_SAMPLE).map(async (i) => {
      const meta = await sharp(files[i]).metadata().catch(() => null);
      return meta?.width && meta.height ? { width: meta.width, height: meta.height } : null;
    }),
  );
  return medianShorterSide(sizes);
}
