// Synthetic media for the webcam spec: a Y4M clip for Chromium's fake camera, and PNG stills of the same scene
// (encoded here with zlib) so a model can be built from what the camera will show.
import { writeFileSync } from 'node:fs';
import { deflateSync } from 'node:zlib';
import { pngChunk } from './imageBytes';

/** A calm textured scene: a grey disc on a ribbed background, drifting slowly. RGBA, row-major. */
export function scene(t: number, w: number, h: number): Uint8ClampedArray {
  const px = new Uint8ClampedArray(w * h * 4);
  const cx = w / 2 + Math.sin(t / 10) * 6, cy = h / 2 + Math.cos(t / 13) * 4, r = Math.min(w, h) * 0.3;
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const i = (y * w + x) * 4;
      const rib = 90 + 25 * Math.sin((x + y * 0.3) / 5);
      const d = Math.hypot(x - cx, y - cy);
      const v = d < r ? 170 + 30 * Math.cos(d / 6) : rib;
      px[i] = v;
      px[i + 1] = v * 0.95 + 8;
      px[i + 2] = v * 0.85 + 16;
      px[i + 3] = 255;
    }
  }
  return px;
}

/** YUV4MPEG2 4:2:0 file of `frames` frames of scene(t). */
export function writeY4m(path: string, frames: number, w: number, h: number): void {
  const header = Buffer.from(`YUV4MPEG2 W${w} H${h} F15:1 Ip A1:1 C420jpeg\n`);
  const parts: Buffer[] = [header];
  for (let t = 0; t < frames; t++) {
    const rgba = scene(t, w, h);
    const Y = Buffer.alloc(w * h), U = Buffer.alloc((w / 2) * (h / 2)), V = Buffer.alloc((w / 2) * (h / 2));
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        const i = (y * w + x) * 4;
        Y[y * w + x] = Math.round(0.299 * rgba[i] + 0.587 * rgba[i + 1] + 0.114 * rgba[i + 2]);
      }
    }
    for (let y = 0; y < h / 2; y++) {
      for (let x = 0; x < w / 2; x++) {
        const i = (2 * y * w + 2 * x) * 4;
        const r = rgba[i], g = rgba[i + 1], b = rgba[i + 2];
        U[y * (w / 2) + x] = Math.round(128 - 0.168736 * r - 0.331264 * g + 0.5 * b);
        V[y * (w / 2) + x] = Math.round(128 + 0.5 * r - 0.418688 * g - 0.081312 * b);
      }
    }
    parts.push(Buffer.from('FRAME\n'), Y, U, V);
  }
  writeFileSync(path, Buffer.concat(parts));
}

/** RGBA -> PNG bytes (8-bit RGBA, filter 0). */
export function encodePng(rgba: Uint8ClampedArray, w: number, h: number): Buffer {
  const raw = Buffer.alloc((w * 4 + 1) * h);
  for (let y = 0; y < h; y++) {
    raw[y * (w * 4 + 1)] = 0;
    Buffer.from(rgba.buffer, rgba.byteOffset + y * w * 4, w * 4).copy(raw, y * (w * 4 + 1) + 1);
  }
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(w, 0);
  ihdr.writeUInt32BE(h, 4);
  ihdr[8] = 8;
  ihdr[9] = 6;
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    pngChunk('IHDR', ihdr),
    pngChunk('IDAT', deflateSync(raw)),
    pngChunk('IEND', Buffer.alloc(0)),
  ]);
}
