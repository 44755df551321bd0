// Image -> backbone input: resize (area-averaged when shrinking, bilinear otherwise) in one of three shapes (whole
// image with its aspect ratio kept, whole image squashed to a square, or the authors' centre crop), and per-channel
// normalisation into a Float32Array NCHW [1, 3, H, W]. Framework-free: runs in workers and node.

/** Decoded RGBA pixels, row-major, 4 bytes per pixel (ImageData has this shape). */
export interface RgbaImage {
  data: Uint8ClampedArray;
  width: number;
  height: number;
}

/** Per-channel x' = (x - mean) / std on RGB in 0..1, and the input size (a BackboneManifest fits). */
export interface Normalisation {
  mean: readonly [number, number, number];
  std: readonly [number, number, number];
  inputSize: number;
  /** When set, the backbone takes any H x W that are multiples of this (see BackboneManifest.inputMultiple). */
  inputMultiple?: number;
}

/**
 * How an image becomes the backbone input (the model's framing; one field of its config):
 * - 'fit': the whole image, aspect ratio kept: shorter side = size, longer side rounded to the backbone's
 *   inputMultiple and capped at maxAspect * size. Needs a backbone with inputMultiple (else it squashes).
 * - 'squash': the whole image resized to size x size.
 * - 'crop': the authors' protocol (torchvision Resize(256) + CenterCrop(224)): shorter side to round(size / 0.875),
 *   then the centre size x size. Drops the border.
 */
export type Framing = 'fit' | 'squash' | 'crop';

export const FRAMINGS: readonly Framing[] = ['fit', 'squash', 'crop'];

export interface PreprocessOptions {
  /** Shorter side (the square's side for 'squash' and 'crop'); default the manifest's inputSize. */
  workingSize?: number;
  /** Default 'squash'. */
  framing?: Framing;
  /** 'fit' only: the longest side is at most maxAspect * size (default 3). */
  maxAspect?: number;
}

/** A normalised backbone input, NCHW [1, 3, height, width]. */
export interface BackboneInput {
  data: Float32Array;
  width: number;
  height: number;
}

/**
 * Where the backbone input comes from: the image is resized to resizeW x resizeH, and the input is the
 * width x height window at (left, top) of that (the whole of it except for 'crop').
 */
export interface InputGeometry {
  resizeW: number;
  resizeH: number;
  left: number;
  top: number;
  width: number;
  height: number;
}

/**
 * Resampling weights for one axis: output pixel o covers source span [o*scale, (o+1)*scale). Shrinking uses a
 * triangle filter widened by the scale (antialiased, area-like); enlarging is plain bilinear (half-pixel centres,
 * as align_corners=False).
 */
function axisWeights(src: number, dst: number): { start: Int32Array; count: Int32Array; weights: Float32Array; taps: number } {
  const scale = src / dst;
  const support = Math.max(1, scale); // triangle half-width in source pixels
  const taps = Math.ceil(support) * 2 + 1;
  const start = new Int32Array(dst);
  const count = new Int32Array(dst);
  const weights = new Float32Array(dst * taps);
  for (let o = 0; o < dst; o++) {
    const centre = (o + 0.5) * scale - 0.5;
    const lo = Math.max(0, Math.ceil(centre - support));
    const hi = Math.min(src - 1, Math.floor(centre + support));
    let sum = 0;
    let n = 0;
    for (let i = lo; i <= hi && n < taps; i++, n++) {
      const w = Math.max(0, 1 - Math.abs(i - centre) / support);
      weights[o * taps + n] = w;
      sum += w;
    }
    if (sum === 0) {
      // Upscaling beyond the border: clamp to the nearest edge pixel.
      start[o] = Math.min(src - 1, Math.max(0, Math.round(centre)));
      count[o] = 1;
      weights[o * taps] = 1;
      continue;
    }
    start[o] = lo;
    count[o] = n;
    for (let k = 0; k < n; k++) weights[o * taps + k] /= sum;
  }
  return { start, count, weights, taps };
}

/** The resize's weights per axis for one image and geometry (cheap: computed per call). */
interface ResizeWeights {
  wx: ReturnType<typeof axisWeights>;
  wy: ReturnType<typeof axisWeights>;
}

function resizeWeights(imgW: number, imgH: number, g: InputGeometry): ResizeWeights {
  return { wx: axisWeights(imgW, g.resizeW), wy: axisWeights(imgH, g.resizeH) };
}

/**
 * Rows [y0, y1) of the resized image, separably, as planar RGB floats in 0..1 (3 planes of (y1 - y0) x outW).
 * `img.data` may hold only some of the image's rows, from row `firstRow` on (the rows sourceRows() names). Every
 * value is summed as for the whole image, so shares of rows put together are the whole resize, bit for bit.
 */
function resizeRows(img: RgbaImage, outW: number, w: ResizeWeights, y0: number, y1: number, firstRow: number): Float32Array[] {
  const { data, width } = img;
  const { wx, wy } = w;
  const [r0, r1] = spanOf(wy, y0, y1);
  if (r0 < firstRow || data.length < (r1 - firstRow) * width * 4) {
    throw new Error(`preprocess: rows ${y0}-${y1} read source rows ${r0}-${r1}, but only ${data.length} bytes from row ${firstRow} were given`);
  }
  // Horizontal pass over the source rows these output rows read: (r1 - r0) x outW, three planes.
  const tmp = [0, 1, 2].map(() => new Float32Array((r1 - r0) * outW));
  for (let y = r0; y < r1; y++) {
    const row = (y - firstRow) * width * 4;
    const to = (y - r0) * outW;
    for (let o = 0; o < outW; o++) {
      let r = 0, g = 0, b = 0;
      const s = wx.start[o];
      for (let k = 0; k < wx.count[o]; k++) {
        const w = wx.weights[o * wx.taps + k];
        const p = row + (s + k) * 4;
        r += w * data[p];
        g += w * data[p + 1];
        b += w * data[p + 2];
      }
      tmp[0][to + o] = r;
      tmp[1][to + o] = g;
      tmp[2][to + o] = b;
    }
  }
  // Vertical pass.
  const out = [0, 1, 2].map(() => new Float32Array((y1 - y0) * outW));
  for (let c = 0; c < 3; c++) {
    const t = tmp[c];
    const o2 = out[c];
    for (let o = y0; o < y1; o++) {
      const s = wy.start[o];
      for (let k = 0; k < wy.count[o]; k++) {
        const w = wy.weights[o * wy.taps + k] / 255;
        const srcRow = (s + k - r0) * outW;
        const dstRow = (o - y0) * outW;
        for (let x = 0; x < outW; x++) o2[dstRow + x] += w * t[srcRow + x];
      }
    }
  }
  return out;
}

/** The source rows [first, end) that resized rows [y0, y1) read. */
function spanOf(wy: ResizeWeights['wy'], y0: number, y1: number): [number, number] {
  let first = Infinity, end = 0;
  for (let o = y0; o < y1; o++) {
    first = Math.min(first, wy.start[o]);
    end = Math.max(end, wy.start[o] + wy.count[o]);
  }
  return y1 > y0 ? [first, end] : [0, 0];
}

/** Throws, in words, unless the image has pixels and the bytes of all of them. */
export function checkImage(img: RgbaImage): void {
  if (img.width < 1 || img.height < 1 || img.data.length < img.width * img.height * 4) {
    throw new Error(`preprocess: image ${img.width}x${img.height} has ${img.data.length} bytes, expected RGBA`);
  }
}

/** RGBA image -> normalised NCHW backbone input. Default: the whole image squashed to the manifest's square. */
export function preprocess(img: RgbaImage, norm: Normalisation, opts: PreprocessOptions = {}): BackboneInput & { window: ImageWindow } {
  checkImage(img);
  const g = geometryOf(img, norm, opts);
  const data = preprocessRows(img, norm, g, 0, g.height);
  return { data, width: g.width, height: g.height, window: imageWindow(g) };
}

/** The input geometry preprocess() gives this image under these options. */
export function geometryOf(img: { width: number; height: number }, norm: Normalisation, opts: PreprocessOptions = {}): InputGeometry {
  return inputGeometry(img.width, img.height, opts.workingSize ?? norm.inputSize, opts.framing ?? 'squash', norm.inputMultiple, opts.maxAspect);
}

/**
 * Rows [y0, y1) of the backbone input of geometry `g`: 3 planes of (y1 - y0) x g.width, normalised. Shares of rows
 * put together plane by plane are preprocess()'s input, bit for bit (a thread may compute each share). `img.data`
 * may start at source row `firstRow` and must hold the rows sourceRows() names.
 */
export function preprocessRows(img: RgbaImage, norm: Normalisation, g: InputGeometry, y0: number, y1: number, firstRow = 0): Float32Array {
  if (img.width < 1 || img.height < 1) throw new Error(`preprocess: image ${img.width}x${img.height} is empty`);
  const { resizeW: RW, left, top, width: W } = g;
  const planes = resizeRows(img, RW, resizeWeights(img.width, img.height, g), y0 + top, y1 + top, firstRow);
  const rows = y1 - y0;
  const out = new Float32Array(3 * W * rows);
  for (let c = 0; c < 3; c++) {
    const m = norm.mean[c];
    const inv = 1 / norm.std[c];
    const p = planes[c];
    for (let y = 0; y < rows; y++) {
      for (let x = 0; x < W; x++) out[c * W * rows + y * W + x] = (p[y * RW + x + left] - m) * inv;
    }
  }
  return out;
}

/** The source rows [first, end) of an image of this height that rows [y0, y1) of the backbone input read. */
export function sourceRows(imgH: number, g: InputGeometry, y0: number, y1: number): [number, number] {
  return spanOf(axisWeights(imgH, g.resizeH), y0 + g.top, y1 + g.top);
}

/**
 * A copy of only the source rows that rows [y0, y1) of the backbone input read, with the row it starts at: what
 * preprocessRows(image, norm, g, y0, y1, firstRow) needs on another thread.
 */
export function sourceBand(img: RgbaImage, g: InputGeometry, y0: number, y1: number): { image: RgbaImage; firstRow: number } {
  const [first, end] = sourceRows(img.height, g, y0, y1);
  return { image: { data: img.data.slice(first * img.width * 4, end * img.width * 4), width: img.width, height: img.height }, firstRow: first };
}

/**
 * The part of the source image the backbone input (and so the anomaly map) covers, in fractions of the image's
 * width and height: the whole image (0, 0, 1, 1) except under 'crop'. What a viewer needs to lay a map on the image.
 */
export interface ImageWindow {
  x: number;
  y: number;
  w: number;
  h: number;
}

export function imageWindow(g: InputGeometry): ImageWindow {
  return { x: g.left / g.resizeW, y: g.top / g.resizeH, w: g.width / g.resizeW, h: g.height / g.resizeH };
}

/**
 * The input geometry of an imgW x imgH image (see Framing). 'fit' without a `multiple` (a backbone that only
 * takes its own square) falls back to 'squash'.
 */
export function inputGeometry(imgW: number, imgH: number, S: number, framing: Framing, multiple?: number, maxAspect = 3): InputGeometry {
  if (framing === 'crop') {
    const c = cropGeometry(imgW, imgH, S, true);
    return { resizeW: c.width, resizeH: c.height, left: c.left, top: c.top, width: S, height: S };
  }
  if (framing === 'squash' || !multiple) return { resizeW: S, resizeH: S, left: 0, top: 0, width: S, height: S };
  const longest = Math.max(S, Math.floor((maxAspect * S) / multiple) * multiple);
  const long = (a: number, b: number) => Math.min(longest, Math.max(S, Math.round((S * a) / b / multiple) * multiple));
  const width = imgW >= imgH ? long(imgW, imgH) : S;
  const height = imgW >= imgH ? S : long(imgH, imgW);
  return { resizeW: width, resizeH: height, left: 0, top: 0, width, height };
}

/**
 * The authors' crop in the older shape: the image is resized to width x height, and the input is the S x S window
 * at (left, top) of that. Whole image: S x S at 0,0. Centre crop: shorter side round(S / 0.875), centre window,
 * as torchvision's Resize(int) + CenterCrop (offsets rounded like CenterCrop).
 */
export function cropGeometry(imgW: number, imgH: number, S: number, centerCrop: boolean): { width: number; height: number; left: number; top: number } {
  if (!centerCrop) return { width: S, height: S, left: 0, top: 0 };
  const R = Math.round(S / 0.875);
  const short = Math.min(imgW, imgH);
  const width = imgW === short ? R : Math.max(R, Math.floor((R * imgW) / short));
  const height = imgH === short ? R : Math.max(R, Math.floor((R * imgH) / short));
  return { width, height, left: Math.round((width - S) / 2), top: Math.round((height - S) / 2) };
}
