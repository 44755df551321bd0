// Where the backbone's cells sit on the image, and two experiments on it that were measured and left off by
// default (docs/accuracy.md: "Grid alignment", "Mirrored border"). Kept as options because saved models may use
// them and cookie-like sets gain from the border. PatchCore asks this module once per model for a Placement; the
// rest of the method does not know the experiments exist.
import type { BackboneManifest } from '../backbone/manifest';
import type { EngineConfig } from './config';
import type { BackboneInput } from './preprocess';
import type { AxisMapping, GridMapping, PatchFeatures } from './types';

export interface Placement {
  /** Pixels mirrored around the backbone input (0: none). */
  padPx: number;
  /** Cells dropped on every side after eq. 1-3 (the padded border). */
  padCells: number;
  /** Where stride-8 cells sample the stride-16 map; undefined: the plain resize (torch, align_corners=False). */
  layer2?: GridMapping;
  /** Where patch scores sit on input pixels; undefined: the plain upsampling. */
  pixels?: GridMapping;
}

export function placement(config: Pick<EngineConfig, 'alignGrids' | 'borderPadPx'>, manifest: BackboneManifest): Placement {
  const pad = config.borderPadPx ?? 0;
  const t1 = manifest.taps[0];
  const t2 = manifest.taps[manifest.taps.length - 1];
  if (pad % t2.stride !== 0) throw new Error(`borderPadPx must be a multiple of ${t2.stride}, got ${pad}`);
  const both = (m: AxisMapping): GridMapping => ({ y: m, x: m });
  const g = config.alignGrids ? gridGeometry(manifest) : null;
  return {
    padPx: pad,
    padCells: pad / t1.stride,
    layer2: g?.layer2 ? both(g.layer2) : undefined,
    pixels: g ? both(g.pixels) : undefined,
  };
}

/**
 * Where the backbone's feature cells sit on its input, from the manifest: stride-8 cell i centres on input pixel
 * off8 + 8 i, stride-16 cell j on off16 + 16 j (pixel i spans i - 0.5..i + 0.5). Gives the two resamplings that
 * keep features and scores where the backbone saw them: the stride-16 map onto the stride-8 grid (eq. 3) and
 * patch scores onto input pixels (sec. 3.3). With the default offsets (stride/2 - 0.5) and grids of exactly
 * input/stride cells both equal torch's align_corners=False resize. A one-tap backbone has no second map to place.
 */
export function gridGeometry(manifest: BackboneManifest): { layer2?: AxisMapping; pixels: AxisMapping } {
  const [t1, t2] = manifest.taps;
  const off1 = t1.offsetPx ?? manifest.receptiveFieldOffsetPx;
  const pixels = { scale: 1 / t1.stride, offset: -off1 / t1.stride };
  if (!t2) return { pixels };
  const off2 = t2.offsetPx ?? t2.stride / 2 - 0.5;
  return { layer2: { scale: t1.stride / t2.stride, offset: (off1 - off2) / t2.stride }, pixels };
}

/** The patch features without c cells on every side (the mirrored border of a padded input). */
export function cropCells(f: PatchFeatures, c: number): PatchFeatures {
  if (c <= 0) return f;
  const gridW = f.gridW - 2 * c;
  const gridH = f.gridH - 2 * c;
  if (gridW < 1 || gridH < 1) throw new Error(`Cannot drop ${c} cells from a ${f.gridW}x${f.gridH} grid`);
  const data = new Float32Array(gridW * gridH * f.cols);
  for (let y = 0; y < gridH; y++) {
    const from = ((y + c) * f.gridW + c) * f.cols;
    data.set(f.data.subarray(from, from + gridW * f.cols), y * gridW * f.cols);
  }
  return { data, rows: gridW * gridH, cols: f.cols, gridW, gridH };
}

/**
 * The input with p pixels mirrored around it on every side (reflection without repeating the edge, as numpy's
 * 'reflect'; indices fold back and forth for inputs narrower than p). p = 0 returns the input.
 */
export function padReflect(input: BackboneInput, p: number): BackboneInput {
  if (p <= 0) return input;
  const { width: W, height: H, data } = input;
  const PW = W + 2 * p;
  const PH = H + 2 * p;
  const fold = (i: number, n: number): number => {
    if (n === 1) return 0;
    const period = 2 * (n - 1);
    const m = ((i % period) + period) % period;
    return m < n ? m : period - m;
  };
  const xs = Int32Array.from({ length: PW }, (_, x) => fold(x - p, W));
  const out = new Float32Array(3 * PW * PH);
  for (let c = 0; c < 3; c++) {
    for (let y = 0; y < PH; y++) {
      const src = c * W * H + fold(y - p, H) * W;
      const dst = c * PW * PH + y * PW;
      for (let x = 0; x < PW; x++) out[dst + x] = data[src + xs[x]];
    }
  }
  return { data: out, width: PW, height: PH };
}
