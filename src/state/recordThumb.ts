// The thumbnail a record keeps: the inspected image, small, with its heatmap over the part the map covers, as JPEG.
// Drawn with canvas 2D on the main thread like the library's thumbnails (src/state/thumbnails.ts): a few
// milliseconds per image, no engine work.
import { paintHeat } from '../lib/heat';
import type { RecordThumb } from '../storage/recordFormat';
import type { ScoreResult } from '../worker/protocol';
import { decodeBitmap } from '../worker/decode';

/** Longer side of a record's thumbnail: enough to see where the heat is in a list or a printed report. */
export const RECORD_THUMB_SIDE = 128;
const QUALITY = 0.72;

/** The image (a file, or a webcam frame) with its heatmap at RECORD_THUMB_SIDE, JPEG-encoded. */
export async function recordThumb(source: Blob | ImageData, name: string, result: Pick<ScoreResult, 'map' | 'window'>, threshold: number): Promise<RecordThumb> {
  let image: CanvasImageSource & { width: number; height: number };
  let close = () => undefined as void;
  if (source instanceof Blob) {
    const bmp = (await decodeBitmap(source, name, RECORD_THUMB_SIDE * 2)).bitmap;
    image = bmp;
    close = () => bmp.close();
  } else {
    const c = new OffscreenCanvas(source.width, source.height);
    c.getContext('2d')!.putImageData(source, 0, 0);
    image = c;
  }
  try {
    const s = RECORD_THUMB_SIDE / Math.max(image.width, image.height);
    const w = Math.max(1, Math.round(image.width * Math.min(1, s))), h = Math.max(1, Math.round(image.height * Math.min(1, s)));
    const canvas = new OffscreenCanvas(w, h);
    const ctx = canvas.getContext('2d')!;
    ctx.drawImage(image, 0, 0, w, h);
    const { map, window: win } = result;
    const tile = new OffscreenCanvas(map.width, map.height);
    const heat = new ImageData(map.width, map.height);
    paintHeat(map.data, threshold, 0.7, heat.data);
    tile.getContext('2d')!.putImageData(heat, 0, 0);
    ctx.imageSmoothingEnabled = true;
    ctx.drawImage(tile, win.x * w, win.y * h, win.w * w, win.h * h);
    const blob = await canvas.convertToBlob({ type: 'image/jpeg', quality: QUALITY });
    return { mime: 'image/jpeg', width: w, height: h, bytes: new Uint8Array(await blob.arrayBuffer()) };
  } finally {
    close();
  }
}
