// Small JPEG previews of a few training images, stored with a saved model so the library can show what it
// was built from. Which images and what size: src/lib/thumbnails.ts (shared with the command line's sharp twin).
import { spreadThumbnails, THUMBNAIL_COUNT, THUMBNAIL_JPEG_QUALITY, THUMBNAIL_SIDE } from '../lib/thumbnails';
import type { Thumbnail } from '../storage/model';
import { decodeBitmap } from '../worker/decode';

export function makeThumbnails(files: File[], count = THUMBNAIL_COUNT, side = THUMBNAIL_SIDE): Promise<Thumbnail[]> {
  return spreadThumbnails(
    files,
    async (file, side): Promise<Thumbnail> => {
      const bmp = (await decodeBitmap(file, file.name, side * 2)).bitmap;
      const s = side / Math.max(bmp.width, bmp.height);
      const w = Math.max(1, Math.round(bmp.width * s)), h = Math.max(1, Math.round(bmp.height * s));
      const c = new OffscreenCanvas(w, h);
      c.getContext('2d')!.drawImage(bmp, 0, 0, w, h);
      bmp.close();
      const blob = await c.convertToBlob({ type: 'image/jpeg', quality: THUMBNAIL_JPEG_QUALITY });
      return { mime: 'image/jpeg', width: w, height: h, bytes: new Uint8Array(await blob.arrayBuffer()) };
    },
    count,
    side,
  );
}
