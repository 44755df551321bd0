// Small overlay thumbnails for the evaluation report: image, heatmap, ground-truth contour.
import type { ImageWindow } from '../patchcore/preprocess';
import type { AnomalyMap } from '../patchcore/types';

const THUMB = 192;

/** Maps t in 0..1 to an inferno-like RGB ramp. */
export function heatColor(t: number): [number, number, number] {
  const stops: [number, number, number, number][] = [
    [0, 0, 0, 4], [0.25, 87, 16, 110], [0.5, 188, 55, 84], [0.75, 249, 142, 9], [1, 252, 255, 164],
  ];
  t = Math.min(1, Math.max(0, t));
  for (let i = 1; i < stops.length; i++) {
    if (t <= stops[i][0]) {
      const [t0, r0, g0, b0] = stops[i - 1];
      const [t1, r1, g1, b1] = stops[i];
      const u = (t - t0) / (t1 - t0);
      return [r0 + (r1 - r0) * u, g0 + (g1 - g0) * u, b0 + (b1 - b0) * u];
    }
  }
  return [252, 255, 164];
}

/**
 * Renders image | image with heatmap and GT contour, side by side, as a PNG data URL. The map and mask cover
 * `window` of the image (all of it, or the authors' centre crop).
 */
export async function renderOverlay(
  image: Blob,
  map: AnomalyMap,
  mask: { data: Uint8Array; width: number; height: number },
  window: ImageWindow,
): Promise<string> {
  const bmp = await createImageBitmap(image);
  const c = new OffscreenCanvas(THUMB * 2, THUMB);
  const ctx = c.getContext('2d')!;
  const { width: W, height: H } = bmp;
  ctx.drawImage(bmp, window.x * W, window.y * H, window.w * W, window.h * H, 0, 0, THUMB, THUMB);
  ctx.drawImage(c, 0, 0, THUMB, THUMB, THUMB, 0, THUMB, THUMB);
  bmp.close();
  let lo = Infinity, hi = -Infinity;
  for (const v of map.data) {
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  const img = ctx.getImageData(THUMB, 0, THUMB, THUMB);
  for (let y = 0; y < THUMB; y++) {
    const my = Math.min(map.height - 1, Math.floor((y * map.height) / THUMB));
    const ky = Math.min(mask.height - 1, Math.floor((y * mask.height) / THUMB));
    for (let x = 0; x < THUMB; x++) {
      const mx = Math.min(map.width - 1, Math.floor((x * map.width) / THUMB));
      const kx = Math.min(mask.width - 1, Math.floor((x * mask.width) / THUMB));
      const t = (map.data[my * map.width + mx] - lo) / (hi - lo || 1);
      const [r, g, b] = heatColor(t);
      const i = (y * THUMB + x) * 4;
      const a = 0.55;
      img.data[i] = img.data[i] * (1 - a) + r * a;
      img.data[i + 1] = img.data[i + 1] * (1 - a) + g * a;
      img.data[i + 2] = img.data[i + 2] * (1 - a) + b * a;
      const m = mask.data[ky * mask.width + kx];
      const edge =
        m &&
        (x === 0 || y === 0 || x === THUMB - 1 || y === THUMB - 1 ||
          !mask.data[ky * mask.width + Math.min(mask.width - 1, Math.floor(((x + 1) * mask.width) / THUMB))] ||
          !mask.data[Math.min(mask.height - 1, Math.floor(((y + 1) * mask.height) / THUMB)) * mask.width + kx] ||
          !mask.data[ky * mask.width + Math.floor(((x - 1) * mask.width) / THUMB)] ||
          !mask.data[Math.floor(((y - 1) * mask.height) / THUMB) * mask.width + kx]);
      if (edge) {
        img.data[i] = 60; img.data[i + 1] = 255; img.data[i + 2] = 120;
      }
    }
  }
  ctx.putImageData(img, THUMB, 0);
  const blob = await c.convertToBlob({ type: 'image/png' });
  const buf = new Uint8Array(await blob.arrayBuffer());
  let s = '';
  for (let i = 0; i < buf.length; i += 0x8000) s += String.fromCharCode(...buf.subarray(i, i + 0x8000));
  return 'data:image/png;base64,' + btoa(s);
}
