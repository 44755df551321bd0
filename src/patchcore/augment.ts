// Training views of a good image for parts that appear in any orientation: the few-shot methods' lever (more
// patches from the same photos, seen as the part may lie). Opt-in per model: where the orientation is fixed (a
// bottle seen from above on a fixture, a printed label), a rotated good part would teach the model that a wrongly
// placed part is good.
import type { RgbaImage } from './preprocess';

/**
 * 'none': the image as it is. 'flip': also mirrored left-right, top-bottom and both (= turned 180 degrees).
 * 'rotate': every quarter turn, each also mirrored (the 8 ways a square can lie).
 */
export type Augment = 'none' | 'flip' | 'rotate';

export const AUGMENTS: readonly Augment[] = ['none', 'flip', 'rotate'];

/** How many views of each training image a model with this setting learns from. */
export function viewCount(augment: Augment | undefined): number {
  return augment === 'rotate' ? 8 : augment === 'flip' ? 4 : 1;
}

/** One view: pixel (x, y) of the result comes from the source pixel the transform maps it to. */
function transform(img: RgbaImage, quarterTurns: number, mirror: boolean): RgbaImage {
  const { width: w, height: h, data } = img;
  const swap = quarterTurns % 2 === 1;
  const W = swap ? h : w;
  const H = swap ? w : h;
  const out = new Uint8ClampedArray(W * H * 4);
  const src = new Uint32Array(data.buffer, data.byteOffset, w * h);
  const dst = new Uint32Array(out.buffer);
  for (let y = 0; y < H; y++) {
    for (let x0 = 0; x0 < W; x0++) {
      const x = mirror ? W - 1 - x0 : x0;
      let sx: number, sy: number;
      switch (quarterTurns) {
        case 1: sx = y; sy = h - 1 - x; break; // turned a quarter clockwise
        case 2: sx = w - 1 - x; sy = h - 1 - y; break;
        case 3: sx = w - 1 - y; sy = x; break;
        default: sx = x; sy = y;
      }
      dst[y * W + x0] = src[sy * w + sx];
    }
  }
  return { data: out, width: W, height: H };
}

/** The views a model learns from one good image (the image itself first). */
export function trainingViews(img: RgbaImage, augment: Augment | undefined): RgbaImage[] {
  if (!augment || augment === 'none') return [img];
  // Pixels as 32-bit words need a 4-byte aligned start; a copy when a caller hands a view into a larger buffer.
  const base = img.data.byteOffset % 4 === 0 ? img : { ...img, data: new Uint8ClampedArray(img.data) };
  if (augment === 'flip') return [img, transform(base, 0, true), transform(base, 2, true), transform(base, 2, false)];
  const out = [img, transform(base, 0, true)];
  for (let q = 1; q < 4; q++) out.push(transform(base, q, false), transform(base, q, true));
  return out;
}
