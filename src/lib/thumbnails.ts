// Which training images a saved model keeps previews of, and at what size: one choice for the app (canvas) and the
// command line (sharp), which decode differently but must store the same thumbnails.

/** Previews per model: enough to recognise the part in the library, few enough to keep saved models small. */
export const THUMBNAIL_COUNT = 4;
/** Longer side of a preview, in pixels; the aspect ratio is kept. */
export const THUMBNAIL_SIDE = 96;
/** JPEG quality as a fraction (canvas convertToBlob); sharp takes it in percent. */
export const THUMBNAIL_JPEG_QUALITY = 0.8;

/**
 * Thumbnails of up to `count` items spread over the list: items 0, step, 2 step, ... (step = floor(length / count))
 * are tried in order until `count` are made. `make` decodes and encodes one; an item it fails on is skipped (a
 * preview is optional, and an unreadable file was already reported by the build), and the later candidates fill in.
 */
export async function spreadThumbnails<T, R>(
  items: readonly T[],
  make: (item: T, side: number) => Promise<R>,
  count = THUMBNAIL_COUNT,
  side = THUMBNAIL_SIDE,
): Promise<R[]> {
  const out: R[] = [];
  const step = Math.max(1, Math.floor(items.length / count));
  for (let i = 0; i < items.length && out.length < count; i += step) {
    try {
      out.push(await make(items[i], side));
    } catch {
      // Skipped: see above.
    }
  }
  return out;
}
