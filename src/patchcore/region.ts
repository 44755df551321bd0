// The inspection region: the part of the image the inspector says counts (a rectangle drawn in Build, `--roi` in
// eval and on the command line). Patches whose cell centre lies outside it are neither learnt (they never reach the
// memory bank) nor scored (they cannot decide the verdict). The paper scores every patch, so one unusual patch of
// background, fixture or tray can decide an image; the region is how industrial tools let people say "not there".

import type { ImageWindow } from './preprocess';
import type { PatchFeatures } from './types';

/** A rectangle in fractions of the image's width (x) and height (y): 0 <= x0 < x1 <= 1, 0 <= y0 < y1 <= 1. */
export interface Region {
  x0: number;
  y0: number;
  x1: number;
  y1: number;
}

/** A region, or the reason it is not one (a sentence). */
export function checkRegion(r: unknown): Region {
  const o = r as Partial<Region> | null;
  const vals = o && [o.x0, o.y0, o.x1, o.y1];
  if (!vals || vals.some((v) => typeof v !== 'number' || !Number.isFinite(v))) {
    throw new Error('An inspection region needs four numbers x0, y0, x1, y1 (fractions of the image, 0 to 1)');
  }
  const [x0, y0, x1, y1] = vals as number[];
  if (x0 < 0 || y0 < 0 || x1 > 1 || y1 > 1 || x0 >= x1 || y0 >= y1) {
    throw new Error(`The inspection region ${[x0, y0, x1, y1].join(',')} is not a rectangle inside the image: need 0 <= x0 < x1 <= 1 and 0 <= y0 < y1 <= 1`);
  }
  return { x0, y0, x1, y1 };
}

/** "x0,y0,x1,y1" (eval's and the command line's `--roi`) to a Region. */
export function parseRegion(text: string): Region {
  const parts = text.split(',').map((s) => Number(s.trim()));
  if (parts.length !== 4 || parts.some((v) => !Number.isFinite(v))) {
    throw new Error(`--roi wants four fractions x0,y0,x1,y1 (for example 0.1,0.1,0.9,0.9), got "${text}"`);
  }
  return checkRegion({ x0: parts[0], y0: parts[1], x1: parts[2], y1: parts[3] });
}

/** True when the region leaves out nothing (or there is none). */
export function coversAll(r: Region | null | undefined): boolean {
  return !r || (r.x0 <= 0 && r.y0 <= 0 && r.x1 >= 1 && r.y1 >= 1);
}

/**
 * The region's cells on a gridW x gridH feature grid that covers `window` of the image: 1 where the cell centre is
 * inside. Never empty: a region smaller than a cell keeps the cell nearest to its centre. null when the region
 * leaves out nothing.
 */
export function regionCells(gridW: number, gridH: number, window: ImageWindow, region: Region | null | undefined): Uint8Array | null {
  if (coversAll(region)) return null;
  const r = region!;
  const mask = new Uint8Array(gridW * gridH);
  let inside = 0;
  for (let y = 0; y < gridH; y++) {
    const fy = window.y + (window.h * (y + 0.5)) / gridH;
    if (fy < r.y0 || fy > r.y1) continue;
    for (let x = 0; x < gridW; x++) {
      const fx = window.x + (window.w * (x + 0.5)) / gridW;
      if (fx >= r.x0 && fx <= r.x1) {
        mask[y * gridW + x] = 1;
        inside++;
      }
    }
  }
  if (inside === 0) {
    const cx = ((r.x0 + r.x1) / 2 - window.x) / window.w;
    const cy = ((r.y0 + r.y1) / 2 - window.y) / window.h;
    const x = Math.min(gridW - 1, Math.max(0, Math.floor(cx * gridW)));
    const y = Math.min(gridH - 1, Math.max(0, Math.floor(cy * gridH)));
    mask[y * gridW + x] = 1;
  }
  return mask;
}

/** The rows of `features` whose cell is in `mask`, in order (a plain matrix: they no longer form a grid). */
export function keepRows(features: PatchFeatures, mask: Uint8Array): { data: Float32Array; rows: number; cols: number } {
  const { cols } = features;
  let rows = 0;
  for (let i = 0; i < mask.length; i++) rows += mask[i];
  const data = new Float32Array(rows * cols);
  for (let i = 0, r = 0; i < mask.length; i++) {
    if (mask[i]) data.set(features.data.subarray(i * cols, (i + 1) * cols), cols * r++);
  }
  return { data, rows, cols };
}

/**
 * Patch scores of the kept rows back on the full grid; cells outside the region get the smallest score inside, so
 * the map stays calm there.
 */
export function spreadScores(scores: Float32Array, mask: Uint8Array): Float32Array {
  let low = Number.POSITIVE_INFINITY;
  for (const s of scores) if (s < low) low = s;
  const out = new Float32Array(mask.length).fill(Number.isFinite(low) ? low : 0);
  for (let i = 0, r = 0; i < mask.length; i++) if (mask[i]) out[i] = scores[r++];
  return out;
}
