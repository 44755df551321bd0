import { describe, expect, it } from 'vitest';
import type { FeatureMap } from '../../backbone/types';
import { adaptiveBins, aggregate } from './features';

const map = (channels: number, height: number, width: number, values: number[]): FeatureMap => ({
  data: Float32Array.from(values), channels, height, width,
});

describe('locally aware patch features (eq. 1-3)', () => {
  it('averages 3x3 neighbourhoods with zero padding and divisor 9, and puts layer 2 on the layer-1 grid', () => {
    const l1 = map(1, 3, 3, [1, 2, 3, 4, 5, 6, 7, 8, 9]);
    const l2 = map(1, 1, 1, [9]);
    const f = aggregate([l1, l2], { patchSize: 3, layerDim: 'native', targetDim: 'none' });
    expect([f.rows, f.cols, f.gridH, f.gridW]).toEqual([9, 2, 3, 3]);
    const row = (i: number) => Array.from(f.data.subarray(i * 2, i * 2 + 2));
    expect(row(0)[0]).toBeCloseTo((1 + 2 + 4 + 5) / 9, 6); // corner: 4 real neighbours, still / 9
    expect(row(1)[0]).toBeCloseTo((1 + 2 + 3 + 4 + 5 + 6) / 9, 6);
    expect(row(4)[0]).toBeCloseTo(5, 6);
    for (let i = 0; i < 9; i++) expect(row(i)[1]).toBeCloseTo(1, 6); // 9 / 9, then constant upsampling
  });

  it('resamples the stride-16 map bilinearly with align_corners=False', () => {
    const l1 = map(1, 4, 4, new Array(16).fill(0));
    const l2 = map(1, 2, 2, [1, 2, 3, 4]);
    const f = aggregate([l1, l2], { patchSize: 1, layerDim: 'native', targetDim: 'none' });
    const first = [0, 1, 2, 3].map((x) => f.data[x * 2 + 1]);
    expect(first).toEqual([1, 1.25, 1.75, 2]);
  });

  it('samples the stride-16 map where an explicit mapping says (receptive-field placement)', () => {
    // Layer 2 holds, per cell, the input pixel its cell centres on: 15 + 16 j (mobilenet_v2_mid's stride-16 tap).
    // Layer-1 cell i centres on 7 + 8 i, so with the geometry's mapping each stride-8 cell reads its own position.
    const w2 = 6, w1 = 12;
    const l2 = map(1, 1, w2, Array.from({ length: w2 }, (_, j) => 15 + 16 * j));
    const l1 = map(1, 1, w1, new Array(w1).fill(0));
    const layer2 = { y: { scale: 0.5, offset: -0.5 }, x: { scale: 0.5, offset: -0.5 } };
    const f = aggregate([l1, l2], { patchSize: 1, layerDim: 'native', targetDim: 'none', layer2 });
    const got = Array.from({ length: w1 }, (_, i) => f.data[i * 2 + 1]);
    // Cell 0 (pixel 7) lies before the first stride-16 centre (15): the edge value repeats there.
    expect(got).toEqual([15, ...Array.from({ length: w1 - 2 }, (_, i) => 7 + 8 * (i + 1)), 15 + 16 * (w2 - 1)]);
    // The plain resize reads each cell 4 px (a quarter stride-16 cell) further on.
    const plain = aggregate([l1, l2], { patchSize: 1, layerDim: 'native', targetDim: 'none' });
    expect(plain.data[5 * 2 + 1] - f.data[5 * 2 + 1]).toBeCloseTo(4, 6);
  });

  it('stores channels last, layer 1 then layer 2', () => {
    const l1 = map(2, 1, 2, [1, 2, 10, 20]); // channel 0: [1,2], channel 1: [10,20]
    const l2 = map(3, 1, 1, [7, 8, 9]);
    const f = aggregate([l1, l2], { patchSize: 1, layerDim: 'native', targetDim: 'none' });
    expect(Array.from(f.data)).toEqual([1, 10, 7, 8, 9, 2, 20, 7, 8, 9]);
  });

  it('pools channels like torch adaptive_avg_pool1d, per layer and after concatenation', () => {
    const b = adaptiveBins(5, 3);
    expect(Array.from(b.start)).toEqual([0, 1, 3]);
    expect(Array.from(b.end)).toEqual([2, 4, 5]);
    const l1 = map(5, 1, 1, [1, 2, 3, 4, 5]);
    const l2 = map(2, 1, 1, [10, 20]);
    const f = aggregate([l1, l2], { patchSize: 1, layerDim: 3, targetDim: 'none' });
    // layer 1 -> [1.5, 3, 4.5]; layer 2 (2 -> 3 channels): bins [0,1), [0,2), [1,2) -> [10, 15, 20]
    expect(Array.from(f.data)).toEqual([1.5, 3, 4.5, 10, 15, 20]);
    const g = aggregate([l1, l2], { patchSize: 1, layerDim: 3, targetDim: 2 });
    expect(Array.from(g.data)).toEqual([3, 15]); // [1.5,3,4.5] and [10,15,20]
  });
});
