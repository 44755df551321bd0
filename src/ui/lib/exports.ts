// Exports of inspection results: a CSV of scores and verdicts, and the heatmap overlays as PNGs (one, or all
// of them in a ZIP).
import { isFail } from '../../patchcore/calibration';
import type { InspectItem } from '../../state/inspect';
import type { CurrentModel } from '../../state/model';
import { numberDuplicates } from '../../state/names';
import { canvasToPng, downloadBlob, safeFileName } from './download';
import { composeOverlay } from './heatmap';
import { decodeBitmap } from '../../worker/decode';
import { zipStore } from '../../lib/zip';
import { resultsCsv, type ResultRow } from '../../lib/csv';

/** The scored images as rows of the results CSV (src/lib/csv.ts, the same file `patchcore-web inspect` writes). */
export function resultRows(items: InspectItem[], model: Pick<CurrentModel, 'threshold' | 'name'>): ResultRow[] {
  return items
    .filter((i) => i.result)
    .map((i) => ({
      file: i.name,
      score: i.result!.score,
      verdict: isFail(i.result!.score, model.threshold) ? 'fail' : 'pass',
      threshold: model.threshold,
      model: model.name,
    }));
}

export function downloadCsv(items: InspectItem[], model: Pick<CurrentModel, 'threshold' | 'name'>): void {
  const blob = new Blob([resultsCsv(resultRows(items, model))], { type: 'text/csv;charset=utf-8' });
  downloadBlob(blob, `${safeFileName(model.name, 'model')} results.csv`);
}

export async function overlayPng(item: InspectItem, model: Pick<CurrentModel, 'threshold' | 'config'>, opacity: number): Promise<Blob> {
  if (!item.result) throw new Error(`${item.name} has not been scored yet`);
  // Full size up to 4096 px: a 50-megapixel photo's overlay is not worth a 200 MB canvas.
  const bmp = (await decodeBitmap(item.file, item.name, 4096)).bitmap;
  try {
    const fail = isFail(item.result.score, model.threshold);
    const canvas = composeOverlay(
      bmp,
      item.result.map,
      { threshold: model.threshold, opacity, contour: true, window: item.result.window, region: item.result.region },
      { text: `${fail ? 'FAIL' : 'PASS'}  ${item.result.score.toFixed(3)} / ${model.threshold.toFixed(3)}`, fail },
    );
    return await canvasToPng(canvas);
  } finally {
    bmp.close();
  }
}

/** One download: the image's name flattened into a file name, "crack/000.png" -> "crack_000.overlay.png". */
function overlayName(name: string): string {
  return safeFileName(name.replace(/[\\/]/g, '_').replace(/\.[^.]+$/, ''), 'image') + '.overlay.png';
}

/**
 * ZIP entries for the overlays of the named images, one each and all different: folders are kept as ZIP folders
 * ("crack/000.png" -> "crack/000.overlay.png", never the same entry as "crack_000.png"), and names that still meet
 * ("000.png" and "000.jpg", or characters made file-name-safe) are numbered.
 */
export function overlayEntryNames(names: readonly string[]): string[] {
  const entries = names.map((name) => {
    const parts = name.split('/');
    const folders = parts.slice(0, -1).map((p) => (/^\.*$/.test(p) ? '_' : safeFileName(p, '_')));
    return [...folders, overlayName(parts[parts.length - 1])].join('/');
  });
  return numberDuplicates(entries);
}

export async function downloadOverlay(item: InspectItem, model: Pick<CurrentModel, 'threshold' | 'config'>, opacity: number): Promise<void> {
  downloadBlob(await overlayPng(item, model, opacity), overlayName(item.name));
}

export async function downloadAllOverlays(
  items: InspectItem[],
  model: Pick<CurrentModel, 'threshold' | 'config' | 'name'>,
  opacity: number,
  onProgress?: (done: number, total: number) => void,
): Promise<void> {
  const scored = items.filter((i) => i.result);
  const names = overlayEntryNames(scored.map((i) => i.name));
  const entries = [];
  for (let i = 0; i < scored.length; i++) {
    const png = await overlayPng(scored[i], model, opacity);
    entries.push({ name: names[i], bytes: new Uint8Array(await png.arrayBuffer()) });
    onProgress?.(i + 1, scored.length);
  }
  downloadBlob(zipStore(entries), `${safeFileName(model.name, 'model')} overlays.zip`);
}
