// Overlay PNGs for `inspect --overlays`: the anomaly map coloured as the app colours it (src/ui/lib/heatmap.ts:
// Turbo, anchored at the threshold: nothing below half of it, a faint cool tint up to it, an opaque hot ramp above)
// stretched over the part of the image it covers and composited with sharp. The colour ramp is repeated here
// because the command line must not import the UI layer.
import sharp from 'sharp';
import type { ImageWindow, RgbaImage } from '../patchcore/preprocess';
import type { AnomalyMap } from '../patchcore/types';

function turbo(t: number): [number, number, number] {
  const x = Math.min(1, Math.max(0, t));
  const r = 0.13572138 + x * (4.6153926 + x * (-42.66032258 + x * (132.13108234 + x * (-152.94239396 + x * 59.28637943))));
  const g = 0.09140261 + x * (2.19418839 + x * (4.84296658 + x * (-14.18503333 + x * (4.27729857 + x * 2.82956604))));
  const b = 0.1066733 + x * (12.64194608 + x * (-60.58204836 + x * (110.36276771 + x * (-89.90310912 + x * 27.34824973))));
  const c = (v: number) => Math.round(255 * Math.min(1, Math.max(0, v)));
  return [c(r), c(g), c(b)];
}

export function heatRgba(value: number, threshold: number): [number, number, number, number] {
  const v = threshold > 0 ? value / threshold : 0;
  if (v < 0.5) return [0, 0, 0, 0];
  if (v < 1) {
    const u = (v - 0.5) / 0.5;
    return [...turbo(0.12 + 0.25 * u), 0.05 + 0.3 * u * u];
  }
  const u = Math.min(1, (v - 1) / 0.5);
  return [...turbo(0.62 + 0.38 * u), 0.6 + 0.3 * u];
}

/** The image with its heat map on top, as PNG bytes. `opacity` scales the map's alpha (the app's default 0.7). */
export async function overlayPng(image: RgbaImage, map: AnomalyMap, window: ImageWindow, threshold: number, opacity = 0.7): Promise<Buffer> {
  const heat = Buffer.alloc(map.width * map.height * 4);
  for (let i = 0; i < map.data.length; i++) {
    const [r, g, b, a] = heatRgba(map.data[i], threshold);
    heat[i * 4] = r;
    heat[i * 4 + 1] = g;
    heat[i * 4 + 2] = b;
    heat[i * 4 + 3] = Math.round(255 * a * opacity);
  }
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
