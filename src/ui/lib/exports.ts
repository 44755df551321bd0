// Exports of inspection results: a CSV of scores and verdicts, and the heatmap overlays as PNGs (one, or all
// of them in a ZIP).
import { isFail } from '../../patchcore/calibration';
import type { InspectItem } from '../../state/inspect';
import type { CurrentModel } from '../../state/model';
import { toCsv } from './csv';
import { canvasToPng, downloadBlob, safeFileName } from './download';
import { composeOverlay } from './heatmap';
import { zipStore } from './zip';

export const CSV_HEADER = ['file', 'score', 'verdict', 'threshold', 'model'];

export function resultsCsv(items: InspectItem[], model: Pick<CurrentModel, 'threshold' | 'name'>): string {
  const rows = items
    .filter((i) => i.result)
    .map((i) => [i.path, Number(i.result!.score.toPrecision(6)), isFail(i.result!.score, model.threshold) ? 'fail' : 'pass', Number(model.threshold.toPrecision(6)), model.name]);
  return toCsv(CSV_HEADER, rows);
}

export function downloadCsv(items: InspectItem[], model: Pick<CurrentModel, 'threshold' | 'name'>): void {
  const blob = new Blob([resultsCsv(items, model)], { type: 'text/csv;charset=utf-8' });
  downloadBlob(blob, `${safeFileName(model.name, 'model')} results.csv`);
}

export async function overlayPng(item: InspectItem, model: Pick<CurrentModel, 'threshold' | 'config'>, opacity: number): Promise<Blob> {
  if (!item.result) throw new Error(`${item.path} has not been scored yet`);
  const bmp = await createImageBitmap(item.file, { imageOrientation: 'from-image' });
  try {
    const fail = isFail(item.result.score, model.threshold);
    const canvas = composeOverlay(
      bmp,
      item.result.map,
      { threshold: model.threshold, opacity, contour: true, centerCrop: model.config.centerCrop },
      { text: `${fail ? 'FAIL' : 'PASS'}  ${item.result.score.toFixed(3)} / ${model.threshold.toFixed(3)}`, fail },
    );
    return await canvasToPng(canvas);
  } finally {
    bmp.close();
  }
}

function overlayName(path: string): string {
  return safeFileName(path.replace(/[\\/]/g, '_').replace(/\.[^.]+$/, ''), 'image') + '.overlay.png';
}

export async function downloadOverlay(item: InspectItem, model: Pick<CurrentModel, 'threshold' | 'config'>, opacity: number): Promise<void> {
  downloadBlob(await overlayPng(item, model, opacity), overlayName(item.path));
}

export async function downloadAllOverlays(
  items: InspectItem[],
  model: Pick<CurrentModel, 'threshold' | 'config' | 'name'>,
  opacity: number,
  onProgress?: (done: number, total: number) => void,
): Promise<void> {
  const scored = items.filter((i) => i.result);
  const entries = [];
  for (let i = 0; i < scored.length; i++) {
    const png = await overlayPng(scored[i], model, opacity);
    entries.push({ name: overlayName(scored[i].path), bytes: new Uint8Array(await png.arrayBuffer()) });
    onProgress?.(i + 1, scored.length);
  }
  downloadBlob(zipStore(entries), `${safeFileName(model.name, 'model')} overlays.zip`);
}
