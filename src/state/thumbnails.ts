// Small JPEG previews of a few training images, stored with a saved model so the library can show what it
// was built from.
import type { Thumbnail } from '../storage/model';
import { decodeBitmap } from '../worker/decode';

export async function makeThumbnails(files: File[], count = 4, side = 96): Promise<Thumbnail[]> {
  const out: Thumbnail[] = [];
  const step = Math.max(1, Math.floor(files.length / count));
  for (let i = 0; i < files.length && out.length < count; i += step) {
    try {
      const bmp = (await decodeBitmap(files[i], files[i].name, side * 2)).bitmap;
      const s = side / Math.max(bmp.width, bmp.height);
      const w = Math.max(1, Math.round(bmp.width * s)), h = Math.max(1, Math.round(bmp.height * s));
      const c = new OffscreenCanvas(w, h);
      c.getContext('2d')!.drawImage(bmp, 0, 0, w, h);
      bmp.close();
      const blob = await c.convertToBlob({ type: 'image/jpeg', quality: 0.8 });
      out.push({ mime: 'image/jpeg', width: w, height: h, bytes: new Uint8Array(await blob.arrayBuffer()) });
    } catch {
      // A preview is optional; an unreadable file was already reported by the build.
    }
  }
  return out;
}
