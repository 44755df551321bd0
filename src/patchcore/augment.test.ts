import { describe, expect, it } from 'vitest';
import { trainingViews, viewCount } from './augment';
import type { RgbaImage } from './preprocess';

/** A 3 x 2 image whose pixel (x, y) has red = 10 x + y, so every view's pixels can be traced back. */
function tagged(): RgbaImage {
  const w = 3, h = 2;
  const data = new Uint8ClampedArray(w * h * 4);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) data.set([10 * x + y, 0, 0, 255], (y * w + x) * 4);
  return { data, width: w, height: h };
}
const reds = (img: RgbaImage) => Array.from({ length: img.width * img.height }, (_, i) => img.data[i * 4]);
const key = (img: RgbaImage) => `${img.width}x${img.height}:${reds(img).join(',')}`;

describe('training views', () => {
  it('without augmentation a model learns each image once, as it is', () => {
    const img = tagged();
    expect(trainingViews(img, 'none')).toEqual([img]);
    expect(trainingViews(img, undefined)).toEqual([img]);
    expect(viewCount('none')).toBe(1);
  });

  it('flips give the mirrored and half-turned image, four distinct views of the same pixels', () => {
    const views = trainingViews(tagged(), 'flip');
    expect(views).toHaveLength(viewCount('flip'));
    expect(new Set(views.map(key)).size).toBe(4);
    // Mirrored left-right: the first row reads x = 2, 1, 0.
    expect(reds(views[1]).slice(0, 3)).toEqual([20, 10, 0]);
    // Turned half round: the last pixel comes first.
    expect(reds(views[3])).toEqual([21, 11, 1, 20, 10, 0]);
    for (const v of views) expect([...reds(v)].sort((a, b) => a - b)).toEqual([0, 1, 10, 11, 20, 21]);
  });

  it('rotations give all eight ways the image can lie, quarter turns swapping width and height', () => {
    const views = trainingViews(tagged(), 'rotate');
    expect(views).toHaveLength(viewCount('rotate'));
    expect(new Set(views.map(key)).size).toBe(8);
    expect(views.filter((v) => v.width === 2 && v.height === 3)).toHaveLength(4);
    // A quarter turn clockwise: the left column, read bottom-up, becomes the top row.
    const quarter = views[2];
    expect(reds(quarter).slice(0, 2)).toEqual([1, 0]);
  });
});
