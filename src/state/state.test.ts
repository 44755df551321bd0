// Behaviour of the store helpers that decide what the inspector sees: hold-out split, table order, labels.
import { describe, expect, it } from 'vitest';
import { holdoutCount, splitHoldout } from './build';
import { compact, labelsFromFolders, visibleItems, type InspectItem } from './inspect';

describe('held-out calibration images', () => {
  it('holds out 15% with at least 3 once there are 8 images and at least 5 from 20 on', () => {
    expect(holdoutCount(8, 0.15)).toBe(3);
    expect(holdoutCount(19, 0.15)).toBe(3);
    expect(holdoutCount(20, 0.15)).toBe(5);
    expect(holdoutCount(40, 0.15)).toBe(6);
    expect(holdoutCount(100, 0.15)).toBe(15);
  });
  it('holds out at least one image from two on, and never more than half', () => {
    expect(holdoutCount(1, 0.15)).toBe(0);
    expect(holdoutCount(2, 0.15)).toBe(1);
    expect(holdoutCount(5, 0.15)).toBe(1);
    expect(holdoutCount(6, 0.5)).toBe(3);
  });
  it('spreads the held-out images over the list and keeps every image exactly once', () => {
    const items = Array.from({ length: 20 }, (_, i) => i);
    const { train, holdout } = splitHoldout(items, 3);
    expect(holdout).toEqual([3, 10, 16]);
    expect([...train, ...holdout].sort((a, b) => a - b)).toEqual(items);
  });
});

function item(id: number, name: string, score: number | null): InspectItem {
  return {
    id, name, file: new File([], name), status: score === null ? 'queued' : 'done', modelKey: 1, error: null, label: null, batch: 'b', recordId: null,
    result: score === null ? null : { name, score, maxPatchScore: score, map: { data: new Float32Array(1), width: 1, height: 1 }, patchScores: { data: new Float32Array(1), width: 1, height: 1 }, width: 1, height: 1, window: { x: 0, y: 0, w: 1, h: 1 }, seconds: 0, stages: { preprocess: 0, backbone: 0, features: 0, search: 0, map: 0 } },
  };
}

describe('results table', () => {
  const items = [item(1, 'b.png', 2), item(2, 'a.png', 5), item(3, 'c.png', null), item(4, 'd.png', 3)];
  it('sorts by score with unscored images last', () => {
    expect(visibleItems(items, 'score-desc', false, 2.5).map((i) => i.name)).toEqual(['a.png', 'd.png', 'b.png', 'c.png']);
  });
  it('shows only images above the threshold when filtering fails', () => {
    expect(visibleItems(items, 'added', true, 2.5).map((i) => i.name)).toEqual(['a.png', 'd.png']);
  });
});

describe('labels from a dropped folder layout', () => {
  it('uses folder names when one of them is good/', () => {
    expect(labelsFromFolders(['good/1.png', 'crack/1.png', 'test/hole/2.png'])).toEqual(['good', 'crack', 'hole']);
  });
  it('gives no labels to loose files or folders without a good/ one', () => {
    expect(labelsFromFolders(['a.png', 'good/1.png'])).toEqual([null, null]);
    expect(labelsFromFolders(['x/1.png', 'y/1.png'])).toEqual([null, null]);
  });
});

describe('stored anomaly maps', () => {
  it('halve a 224 px map by 2x2 means', () => {
    const data = new Float32Array(224 * 224).map((_, i) => (i % 224) + 224 * Math.floor(i / 224));
    const r = compact({ ...item(1, 'a', 1).result!, map: { data, width: 224, height: 224 } });
    expect([r.map.width, r.map.height]).toEqual([112, 112]);
    expect(r.map.data[0]).toBeCloseTo((0 + 1 + 224 + 225) / 4);
  });
});
