import { describe, expect, it } from 'vitest';
import { checkRegion, coversAll, keepRows, parseRegion, regionCells, spreadScores } from './region';

describe('inspection region', () => {
  it('parses --roi and refuses what is not a rectangle inside the image, with the reason', () => {
    expect(parseRegion('0.1, 0.2,0.9,0.8')).toEqual({ x0: 0.1, y0: 0.2, x1: 0.9, y1: 0.8 });
    expect(() => parseRegion('0.1,0.2,0.9')).toThrow(/four fractions/);
    expect(() => parseRegion('0.5,0,0.4,1')).toThrow(/0 <= x0 < x1 <= 1/);
    expect(() => checkRegion({ x0: 0, y0: 0, x1: 1.2, y1: 1 })).toThrow(/inside the image/);
    expect(() => checkRegion(null)).toThrow(/four numbers/);
    expect(coversAll(undefined)).toBe(true);
    expect(coversAll({ x0: 0, y0: 0, x1: 1, y1: 1 })).toBe(true);
    expect(coversAll({ x0: 0, y0: 0, x1: 0.99, y1: 1 })).toBe(false);
  });

  it('takes the cells whose centre is inside, through the framing window', () => {
    const whole = { x: 0, y: 0, w: 1, h: 1 };
    expect(regionCells(4, 2, whole, null)).toBeNull();
    expect(Array.from(regionCells(4, 2, whole, { x0: 0, y0: 0, x1: 0.5, y1: 0.5 })!)).toEqual([1, 1, 0, 0, 0, 0, 0, 0]);
    // A centre crop covering the middle half of the image: its left two cells lie at 0.3125 and 0.4375.
    const crop = { x: 0.25, y: 0.25, w: 0.5, h: 0.5 };
    expect(Array.from(regionCells(4, 1, crop, { x0: 0, y0: 0, x1: 0.5, y1: 1 })!)).toEqual([1, 1, 0, 0]);
  });

  it('never leaves a grid without a cell: a region smaller than a cell keeps the one under its centre', () => {
    const m = regionCells(4, 4, { x: 0, y: 0, w: 1, h: 1 }, { x0: 0.8, y0: 0.3, x1: 0.82, y1: 0.32 })!;
    expect(m.reduce((a, b) => a + b, 0)).toBe(1);
    expect(m[1 * 4 + 3]).toBe(1);
  });

  it('keeps rows in order and spreads scores back with the lowest inside score outside', () => {
    const f = { data: Float32Array.from([0, 0, 1, 1, 2, 2, 3, 3]), rows: 4, cols: 2, gridW: 2, gridH: 2 };
    const mask = Uint8Array.from([0, 1, 0, 1]);
    expect(Array.from(keepRows(f, mask).data)).toEqual([1, 1, 3, 3]);
    expect(Array.from(spreadScores(Float32Array.from([5, 2]), mask))).toEqual([2, 5, 2, 2]);
  });
});
