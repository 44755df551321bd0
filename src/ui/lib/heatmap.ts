// Drawing an AnomalyMap over its image: a colour scale anchored at the decision threshold (cool and faint
// below it, hot above it) and the outline of the region above it. Pure canvas 2D; no engine, no React.
import type { ImageWindow } from '../../patchcore/preprocess';
import { coversAll, type Region } from '../../patchcore/region';
import type { AnomalyMap } from '../../patchcore/types';

export { heatRgba, turbo } from '../../lib/heat';
import { paintHeat } from '../../lib/heat';

/** The map coloured at its own resolution; the caller stretches it over the image with smoothing. */
export function heatImage(map: AnomalyMap, threshold: number, opacity: number): ImageData {
  const out = new ImageData(map.width, map.height);
  paintHeat(map.data, threshold, opacity, out.data);
  return out;
}

/**
 * Marching squares at `level`: line segments (x0, y0, x1, y1, ...) in map pixel-centre coordinates, with edge
 * crossings linearly interpolated so the outline is smooth after stretching.
 */
export function contourSegments(map: AnomalyMap, level: number): Float32Array {
  const { width: w, height: h, data } = map;
  const seg: number[] = [];
  const lerp = (a: number, b: number) => {
    const d = b - a;
    return d === 0 ? 0.5 : (level - a) / d;
  };
  for (let y = 0; y + 1 < h; y++) {
    for (let x = 0; x + 1 < w; x++) {
      const a = data[y * w + x], b = data[y * w + x + 1], c = data[(y + 1) * w + x + 1], d = data[(y + 1) * w + x];
      const code = (a >= level ? 8 : 0) | (b >= level ? 4 : 0) | (c >= level ? 2 : 0) | (d >= level ? 1 : 0);
      if (code === 0 || code === 15) continue;
      const top: [number, number] = [x + lerp(a, b), y];
      const right: [number, number] = [x + 1, y + lerp(b, c)];
      const bottom: [number, number] = [x + lerp(d, c), y + 1];
      const left: [number, number] = [x, y + lerp(a, d)];
      const push = (p: [number, number], q: [number, number]) => seg.push(p[0], p[1], q[0], q[1]);
      switch (code) {
        case 1: case 14: push(left, bottom); break;
        case 2: case 13: push(bottom, right); break;
        case 3: case 12: push(left, right); break;
        case 4: case 11: push(top, right); break;
        case 6: case 9: push(top, bottom); break;
        case 7: case 8: push(left, top); break;
        case 5: push(left, top); push(bottom, right); break;
        case 10: push(top, right); push(left, bottom); break;
      }
    }
  }
  return Float32Array.from(seg);
}

export interface OverlayOptions {
  threshold: number;
  opacity: number;
  contour: boolean;
  /** The part of the image the map covers (the engine reports it with every score; see Framing). */
  window: ImageWindow;
  /** The model's inspection region: the rest of the image is dimmed and the region outlined. */
  region?: Region;
}

/** Dims the image outside the inspection region and outlines it (dashed), so the part that counts is plain. */
export function drawRegion(
  ctx: CanvasRenderingContext2D | OffscreenCanvasRenderingContext2D,
  r: Region,
  dest: { x: number; y: number; w: number; h: number },
): void {
  const x0 = dest.x + r.x0 * dest.w, y0 = dest.y + r.y0 * dest.h;
  const x1 = dest.x + r.x1 * dest.w, y1 = dest.y + r.y1 * dest.h;
  ctx.save();
  ctx.fillStyle = 'rgba(15, 20, 30, 0.45)';
  ctx.beginPath();
  ctx.rect(dest.x, dest.y, dest.w, dest.h);
  ctx.rect(x0, y0, x1 - x0, y1 - y0);
  ctx.fill('evenodd');
  ctx.setLineDash([6, 4]);
  ctx.lineWidth = Math.max(1.5, Math.min(dest.w, dest.h) / 300);
  ctx.strokeStyle = '#ffd24a';
  ctx.strokeRect(x0, y0, x1 - x0, y1 - y0);
  ctx.restore();
}

/**
 * Draws heatmap (and outline) for an image drawn at (dx, dy, dw, dh) on ctx. The map is stretched over the
 * part of the image it covers (all of it, or the centre crop) with bilinear smoothing.
 */
export function drawOverlay(
  ctx: CanvasRenderingContext2D | OffscreenCanvasRenderingContext2D,
  map: AnomalyMap,
  dest: { x: number; y: number; w: number; h: number },
  opts: OverlayOptions,
): void {
  const win = opts.window;
  const region = { x: win.x * dest.w, y: win.y * dest.h, w: win.w * dest.w, h: win.h * dest.h };
  const rx = dest.x + region.x, ry = dest.y + region.y;
  const sx = region.w / map.width, sy = region.h / map.height;
  if (opts.opacity > 0) {
    const tile = new OffscreenCanvas(map.width, map.height);
    tile.getContext('2d')!.putImageData(heatImage(map, opts.threshold, opts.opacity), 0, 0);
    ctx.save();
    ctx.imageSmoothingEnabled = true;
    ctx.imageSmoothingQuality = 'high';
    ctx.drawImage(tile, rx, ry, region.w, region.h);
    ctx.restore();
  }
  if (opts.region && !coversAll(opts.region)) drawRegion(ctx, opts.region, dest);
  if (opts.contour) {
    const seg = contourSegments(map, opts.threshold);
    if (seg.length === 0) return;
    ctx.save();
    ctx.beginPath();
    // +0.5: map values sit at pixel centres.
    for (let i = 0; i < seg.length; i += 4) {
      ctx.moveTo(rx + (seg[i] + 0.5) * sx, ry + (seg[i + 1] + 0.5) * sy);
      ctx.lineTo(rx + (seg[i + 2] + 0.5) * sx, ry + (seg[i + 3] + 0.5) * sy);
    }
    ctx.lineCap = 'round';
    ctx.lineWidth = Math.max(2.5, Math.min(dest.w, dest.h) / 160);
    ctx.strokeStyle = 'rgba(0, 0, 0, 0.55)';
    ctx.stroke();
    ctx.lineWidth = Math.max(1.25, Math.min(dest.w, dest.h) / 320);
    ctx.strokeStyle = '#ffffff';
    ctx.stroke();
    ctx.restore();
  }
}

/** Image with its overlay, at the image's own size, for "download overlay" and the webcam snapshot. */
export function composeOverlay(
  image: CanvasImageSource & { width: number; height: number },
  map: AnomalyMap,
  opts: OverlayOptions,
  caption?: { text: string; fail: boolean },
): OffscreenCanvas {
  const w = image.width, h = image.height;
  const c = new OffscreenCanvas(w, h);
  const ctx = c.getContext('2d')!;
  ctx.drawImage(image, 0, 0, w, h);
  drawOverlay(ctx, map, { x: 0, y: 0, w, h }, opts);
  if (caption) {
    const fs = Math.max(12, Math.round(Math.min(w, h) / 22));
    ctx.font = `600 ${fs}px system-ui, sans-serif`;
    const pad = fs * 0.4;
    const tw = ctx.measureText(caption.text).width;
    ctx.fillStyle = caption.fail ? 'rgba(180, 30, 40, 0.85)' : 'rgba(20, 120, 70, 0.85)';
    ctx.fillRect(pad, pad, tw + pad * 2, fs + pad * 2);
    ctx.fillStyle = '#fff';
    ctx.textBaseline = 'top';
    ctx.fillText(caption.text, pad * 2, pad * 2);
  }
  return c;
}
