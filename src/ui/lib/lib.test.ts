// The pure pieces behind exports and the heatmap outline.
import { describe, expect, it } from 'vitest';
import { resultsCsv } from '../../lib/csv';
import type { InspectItem } from '../../state/inspect';
import { overlayEntryNames, resultRows } from './exports';
import { contourSegments, heatRgba } from './heatmap';

describe('results CSV rows', () => {
  it('skip images not scored yet and fail only a score above the threshold', () => {
    const item = (name: string, score: number | null) => ({ name, result: score === null ? null : { score } }) as unknown as InspectItem;
    const rows = resultRows([item('a.png', 0.5), item('b.png', null), item('c.png', 0.75), item('d.png', 0.7500001)], { threshold: 0.75, name: 'm' });
    expect(rows.map((r) => `${r.file}:${r.verdict}`)).toEqual(['a.png:pass', 'c.png:pass', 'd.png:fail']);
    expect(resultsCsv(rows)).toBe('file,score,verdict,threshold,model\r\na.png,0.5,pass,0.75,m\r\nc.png,0.75,pass,0.75,m\r\nd.png,0.75,fail,0.75,m\r\n');
  });
});

describe('overlay ZIP entries', () => {
  it('keep the image folders, so same-named images and flattened look-alikes stay apart', () => {
    expect(overlayEntryNames(['crack/000.png', 'good/000.png', 'crack_000.png', '000 (2).png'])).toEqual([
      'crack/000.overlay.png', 'good/000.overlay.png', 'crack_000.overlay.png', '000 (2).overlay.png',
    ]);
  });
  it('are numbered where two images would still meet, and never climb out of the archive', () => {
    expect(overlayEntryNames(['000.png', '000.jpg', 'a:b.png', 'a_b.png'])).toEqual(['000.overlay.png', '000.overlay (2).png', 'a_b.overlay.png', 'a_b.overlay (2).png']);
    expect(overlayEntryNames(['../x.png', '/y.png'])).toEqual(['_/x.overlay.png', '_/y.overlay.png']);
  });
});

describe('heatmap colours', () => {
  it('are transparent well below the threshold, faint below it and opaque above it', () => {
    expect(heatRgba(0.2, 1)[3]).toBe(0);
    expect(heatRgba(0.9, 1)[3]).toBeLessThan(0.35);
    expect(heatRgba(1.2, 1)[3]).toBeGreaterThanOrEqual(0.6);
  });
});

describe('outline of the region above the threshold', () => {
  it('is a closed ring around a single hot pixel', () => {
    const data = new Float32Array(25);
    data[12] = 1;
    const seg = contourSegments({ data, width: 5, height: 5 }, 0.5);
    expect(seg.length / 4).toBe(4);
    for (let i = 0; i < seg.length; i += 2) expect(Math.hypot(seg[i] - 2, seg[i + 1] - 2)).toBeCloseTo(0.5);
  });
  it('is empty when nothing exceeds the threshold', () => {
    expect(contourSegments({ data: new Float32Array(25), width: 5, height: 5 }, 0.5).length).toBe(0);
  });
});
