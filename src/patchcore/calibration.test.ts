import { describe, expect, it } from 'vitest';
import { isFail, normalQuantile, quantile, scoreStats, studentTQuantile, thresholdForFalseAlarmRate } from './calibration';
import { f1Max } from './metrics';

describe('calibration', () => {
  it('normal and t quantiles match tabulated values', () => {
    expect(normalQuantile(0.975)).toBeCloseTo(1.959964, 5);
    expect(normalQuantile(0.01)).toBeCloseTo(-2.326348, 5);
    expect(studentTQuantile(0.99, 1)).toBeCloseTo(31.8205, 3);
    expect(studentTQuantile(0.99, 2)).toBeCloseTo(6.9646, 3);
    expect(studentTQuantile(0.99, 5)).toBeCloseTo(3.3649, 1);
    expect(studentTQuantile(0.99, 30)).toBeCloseTo(2.4573, 2);
  });

  it('summarises scores with interpolated quantiles', () => {
    const s = scoreStats([4, 1, 3, 2]);
    expect(s).toMatchObject({ count: 4, mean: 2.5, min: 1, max: 4 });
    expect(s.std).toBeCloseTo(Math.sqrt(5 / 3), 10);
    expect(quantile([1, 2, 3, 4], 0.5)).toBe(2.5);
  });

  it('a threshold from few good images is cautious and passes every held-out good image', () => {
    const few = [12.7, 12.9, 13.1];
    const many = Array.from({ length: 200 }, (_, i) => 12.9 + 0.2 * normalQuantile((i + 0.5) / 200));
    const tFew = thresholdForFalseAlarmRate(few, 0.01);
    const tMany = thresholdForFalseAlarmRate(many, 0.01);
    expect(tFew).toBeGreaterThan(13.1);
    expect(tFew).toBeGreaterThan(tMany); // less evidence, wider bound
    // Plenty of evidence: the bound approaches mean + z(0.99) * std, floored at the highest good score.
    expect(tMany).toBeGreaterThanOrEqual(12.9 + 0.2 * 2.3263);
    expect(tMany).toBeCloseTo(Math.max(...many), 4);
  });

  it('the F1-optimal threshold separates perfectly separable scores midway', () => {
    const r = f1Max([1, 2, 3, 5, 6], [0, 0, 0, 1, 1])!;
    expect(r.f1).toBe(1);
    expect(r.threshold).toBe(4);
  });

  it('an image fails only when its score is above the threshold', () => {
    expect(isFail(2.5, 2.4)).toBe(true);
    expect(isFail(2.4, 2.4)).toBe(false);
    expect(isFail(2.3, 2.4)).toBe(false);
  });

  it('no held-out good image fails at the false-alarm threshold', () => {
    const good = [12.7, 12.9, 13.1, 12.8];
    const t = thresholdForFalseAlarmRate(good, 0.01);
    expect(good.some((s) => isFail(s, t))).toBe(false);
  });
});
