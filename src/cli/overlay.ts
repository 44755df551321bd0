// Overlay PNGs for `inspect --overlays`: the anomaly map coloured as the app colours it (src/ui/lib/heatmap.ts:
// Turbo, anchored at the threshold: src/lib/heat.ts, shared with the app) stretched over the part of the image it
// covers and composited with sharp.
import sharp from 'sharp';
import { paintHeat } from '../lib/heat';
import type { ImageWindow, RgbaImage } from '../patchcore/preprocess';
import type { AnomalyMap } from '../patchcore/types';

export { heatRgba } from '../lib/heat';

/** The image with its heat map on top, as PNG bytes. `opacity` scales the map's alpha (the app's default 0.7). */
export async function overlayPng(image: RgbaImage, map: AnomalyMap, window: ImageWindow, threshold: number, opacity = 0.7): Promise<Buffer> {
  const heat = paintHeat(map.data, threshold, opacity, Buffer.alloc(map.width * map.height * 4));
  const left = Math.round(window.x * image.width);
  const top = Math.round(window.y * image.height);
  const w = Math.max(1, Math.min(image.width - left, Math.round(window.w * image.width)));
  const h = Math.max(1, Math.min(image.height - top, Math.round(window.h * image.height)));
  const layer = await sharp(heat, { raw: { width: map.width, height: map.height, channels: 4 } })
    .resize({ width: w, height: h, fit: 'fill', kernel: 'linear' })
    .png()
    .toBuffer();
  const base = Buffer.from(image.data.buffer, image.data.byteOffset, image.data.byteLength);
  return sharp(base, { raw: { width: image.width, height: image.height, channels: 4 } })
    .composite([{ input: layer, left, top }])
    .png()
    .toBuffer();
}
