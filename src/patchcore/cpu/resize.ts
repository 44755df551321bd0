// Bilinear resampling, used for the anomaly map upsampling (sec. 3.3) and for putting the stride-16 features on the
// stride-8 grid (eq. 3). By default torch's F.interpolate(mode='bilinear', align_corners=False) convention; an
// explicit AxisMapping places the samples elsewhere (e.g. at the backbone cells' receptive-field centres).
import type { AnomalyMap, AxisMapping, GridMapping } from '../types';

/** torch's align_corners=False: src = (dst + 0.5) * in / out - 0.5. */
export function torchMapping(inSize: number, outSize: number): AxisMapping {
  const scale = inSize / outSize;
  return { scale, offset: 0.5 * scale - 0.5 };
}

/**
 * Source taps of a 1-D linear resize from `inSize` to `outSize` samples: src = mapping.scale * dst +
 * mapping.offset (default torch's, see torchMapping), clamped below at 0; i0 = floor(src), i1 = min(i0 + 1,
 * in - 1), weight of i1 = src - i0. Past the last sample i0 == i1, so the edge value repeats.
 */
export interface LinearTaps {
  i0: Int32Array;
  i1: Int32Array;
  /** Weight of i1; i0 gets 1 - w1. */
  w1: Float64Array;
}

export function linearTaps(inSize: number, outSize: number, mapping: AxisMapping = torchMapping(inSize, outSize)): LinearTaps {
  const i0 = new Int32Array(outSize);
  const i1 = new Int32Array(outSize);
  const w1 = new Float64Array(outSize);
  for (let o = 0; o < outSize; o++) {
    const src = Math.max(0, mapping.scale * o + mapping.offset);
    const lo = Math.min(Math.floor(src), inSize - 1);
    i0[o] = lo;
    i1[o] = Math.min(lo + 1, inSize - 1);
    w1[o] = Math.min(1, src - lo);
  }
  return { i0, i1, w1 };
}

/** Resizes a single-channel map to width x height (default align_corners=False; no antialiasing). */
export function bilinearResize(map: AnomalyMap, width: number, height: number, mapping?: GridMapping): AnomalyMap {
  if (map.width < 1 || map.height < 1) throw new Error(`Cannot resize an empty ${map.width}x${map.height} map`);
  const tx = linearTaps(map.width, width, mapping?.x);
  const ty = linearTaps(map.height, height, mapping?.y);
  const src = map.data;
  const sw = map.width;
  const out = new Float32Array(width * height);
  for (let y = 0; y < height; y++) {
    const r0 = ty.i0[y] * sw, r1 = ty.i1[y] * sw, wy = ty.w1[y], vy = 1 - wy;
    const o = y * width;
    for (let x = 0; x < width; x++) {
      const x0 = tx.i0[x], x1 = tx.i1[x], wx = tx.w1[x], vx = 1 - wx;
      out[o + x] = vy * (vx * src[r0 + x0] + wx * src[r0 + x1]) + wy * (vx * src[r1 + x0] + wx * src[r1 + x1]);
    }
  }
  return { data: out, width, height };
}
