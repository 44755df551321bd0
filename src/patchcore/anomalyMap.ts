// The pixel anomaly map of sec. 3.3: patch scores upsampled bilinearly to the image, then Gaussian-smoothed.
import { gaussianBlur } from './cpu/blur';
import { bilinearResize } from './cpu/resize';
import type { AnomalyMap, GridMapping, Kernels } from './types';

/**
 * Patch scores (gridW x gridH) -> width x height map: bilinear (by default align_corners=False; `cells` says where
 * each pixel falls on the patch grid otherwise), then a Gaussian of sigmaPx with scipy's truncation and reflect
 * border. The blur runs on `kernels` when given (e.g. the GPU); kernels with a one-pass map (the CPU's) do both.
 */
export async function anomalyMap(
  patchScores: AnomalyMap,
  width: number,
  height: number,
  sigmaPx: number,
  kernels?: Pick<Kernels, 'blur' | 'upsampleBlur'>,
  cells?: GridMapping,
): Promise<AnomalyMap> {
  if (kernels?.upsampleBlur) return kernels.upsampleBlur(patchScores, width, height, sigmaPx, cells);
  const up = bilinearResize(patchScores, width, height, cells);
  return kernels ? kernels.blur(up, sigmaPx) : gaussianBlur(up, sigmaPx);
}
