import { describe, expect, it } from 'vitest';
import { rng } from './random';
import { isFail } from './calibration';
import { auroc, connectedComponents, f1Max, pixelAuroc, pro, rocCurve } from './metrics';

describe('AUROC', () => {
  it('counts correctly ordered positive-negative pairs', () => {
    expect(auroc([0.1, 0.4, 0.35, 0.8], [0, 0, 1, 1])).toBe(0.75);
    expect(auroc([0.1, 0.2, 0.3], [0, 1, 1])).toBe(1);
    expect(auroc([0.9, 0.2, 0.3], [0, 1, 1])).toBe(0);
  });

  it('counts ties between a positive and a negative as half', () => {
    expect(auroc([1, 2, 2, 3], [0, 0, 1, 1])).toBe(0.875);
    expect(auroc([0.5, 0.5, 0.5, 0.5], [0, 1, 0, 1])).toBe(0.5);
  });

  it('is null for a single class', () => {
    expect(auroc([1, 2], [1, 1])).toBeNull();
    expect(auroc([1, 2], [0, 0])).toBeNull();
  });

  it('equals the O(n^2) pair count on random data with many ties, also per-image chunked fp32', () => {
    const r = rng(4);
    const n = 700;
    const s = Float32Array.from({ length: n }, () => Math.round(r() * 40) / 40);
    const l = Uint8Array.from({ length: n }, (_, i) => (r() < 0.2 + 0.5 * s[i] ? 1 : 0));
    let u = 0, np = 0, nn = 0;
    for (let i = 0; i < n; i++) {
      if (l[i]) np++; else nn++;
      for (let j = 0; j < n; j++) if (l[i] && !l[j]) u += s[i] > s[j] ? 1 : s[i] === s[j] ? 0.5 : 0;
    }
    expect(auroc(s, l)).toBeCloseTo(u / (np * nn), 12);
    const chunks = [s.subarray(0, 100), s.subarray(100, 450), s.subarray(450)];
    const labels = [l.subarray(0, 100), l.subarray(100, 450), l.subarray(450)];
    expect(pixelAuroc(chunks, labels)).toBeCloseTo(u / (np * nn), 12);
  });

  it('gives ROC points from (0,0) to (1,1), at most about maxPoints of them, whose area is the AUROC', () => {
    const r = rng(9);
    const n = 5000;
    const s = Array.from({ length: n }, () => r());
    const l = s.map((v) => (r() < v ? 1 : 0));
    const pts = rocCurve(s, l, 100);
    expect(pts[0]).toMatchObject({ fpr: 0, tpr: 0 });
    expect(pts.at(-1)).toMatchObject({ fpr: 1, tpr: 1 });
    expect(pts.length).toBeLessThanOrEqual(103);
    let area = 0;
    for (let i = 1; i < pts.length; i++) area += 0.5 * (pts[i].tpr + pts[i - 1].tpr) * (pts[i].fpr - pts[i - 1].fpr);
    expect(area).toBeCloseTo(auroc(s, l)!, 2);
    expect(rocCurve([0.1, 0.4, 0.35, 0.8], [0, 0, 1, 1]).map((p) => [p.fpr, p.tpr])).toEqual([
      [0, 0], [0, 0.5], [0.5, 0.5], [0.5, 1], [1, 1],
    ]);
  });
});

describe('F1-max', () => {
  it('finds the best threshold, midway below the lowest score it flags (defective when score > threshold)', () => {
    const best = f1Max([0.1, 0.4, 0.35, 0.8], [0, 0, 1, 1])!;
    expect(best.f1).toBe(0.8);
    expect(best.threshold).toBeCloseTo((0.35 + 0.1) / 2, 12);
    expect(f1Max([0.2, 0.9, 0.9], [0, 1, 0])!.f1).toBeCloseTo(2 / 3, 12);
    expect(f1Max([0.2, 0.9], [0, 0])).toBeNull();
  });

  it('gives a threshold whose verdicts reach the F1 it reports, also when every image must be flagged', () => {
    const cases: [number[], number[]][] = [
      [[0.1, 0.4, 0.35, 0.8, 0.35, 0.2], [0, 0, 1, 1, 0, 1]],
      [[1, 2, 3], [1, 1, 1]],
      [[3, 1, 2, 2, 5], [1, 0, 1, 0, 1]],
    ];
    for (const [scores, labels] of cases) {
      const { f1, threshold } = f1Max(scores, labels)!;
      let tp = 0, fp = 0, fn = 0;
      scores.forEach((s, i) => {
        const fail = isFail(s, threshold);
        if (fail && labels[i]) tp++;
        else if (fail) fp++;
        else if (labels[i]) fn++;
      });
      expect((2 * tp) / (2 * tp + fp + fn)).toBeCloseTo(f1, 12);
    }
  });
});

describe('AUPRO (MVTec)', () => {
  it('labels 8-connected regions', () => {
    // Two diagonal pixels are one region; the far corner is another.
    const m = { data: Uint8Array.from([1, 0, 0, 0, 1, 0, 0, 0, 1]), width: 3, height: 3 };
    expect(connectedComponents(m).sizes).toEqual([0, 3]);
    const two = { data: Uint8Array.from([1, 0, 1, 0, 0, 0, 0, 0, 0]), width: 3, height: 3 };
    expect(connectedComponents(two).sizes).toEqual([0, 1, 1]);
  });

  it('integrates per-region overlap over FPR up to 0.3 on a hand-computed 4x4 case', () => {
    // One 2x2 region (top-left) scored 0.9, 0.8, 0.7, 0.2; normal pixels: one 0.85, one 0.75, ten 0.1.
    const mask = Uint8Array.from([1, 1, 0, 0, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
    const s = new Float32Array(16).fill(0.1);
    s[0] = 0.9; s[1] = 0.8; s[4] = 0.7; s[5] = 0.2; s[2] = 0.85; s[3] = 0.75;
    // Curve: (0,.25) (1/12,.25) (1/12,.5) (2/12,.5) (2/12,.75) (2/12,1) (1,1) -> area to 0.3:
    // .25/12 + .5/12 + 1 * (0.3 - 2/12) = 0.1958333; / 0.3.
    const got = pro([{ data: s, width: 4, height: 4 }], [{ data: mask, width: 4, height: 4 }]);
    expect(got).toBeCloseTo((0.75 / 12 + (0.3 - 2 / 12)) / 0.3, 6);
  });

  it('averages over regions, not pixels, and interpolates at the FPR limit', () => {
    // Image 1: a 1-pixel region caught at the top threshold; image 2: a 3-pixel region never above any normal.
    const m1 = Uint8Array.from([1, 0, 0, 0]), m2 = Uint8Array.from([1, 1, 1, 0]);
    const s1 = Float32Array.from([0.9, 0.5, 0.4, 0.3]), s2 = Float32Array.from([0.1, 0.1, 0.1, 0.6]);
    // Normal pixels: 0.6, 0.5, 0.4, 0.3 (4). Curve: (0, .5) (.25,.5) (.5,.5) (.75,.5) (1,.5) (1,1).
    // Area to 0.3 = 0.5 * 0.3 -> normalised 0.5.
    const got = pro(
      [{ data: s1, width: 2, height: 2 }, { data: s2, width: 2, height: 2 }],
      [{ data: m1, width: 2, height: 2 }, { data: m2, width: 2, height: 2 }],
    );
    expect(got).toBeCloseTo(0.5, 12);
    expect(pro([{ data: s1, width: 2, height: 2 }], [{ data: new Uint8Array(4), width: 2, height: 2 }])).toBeNull();
  });

  it('is 1 for a perfect map and lower for a random one', () => {
    const r = rng(2);
    const w = 32, h = 32;
    const mask = new Uint8Array(w * h);
    for (let y = 4; y < 10; y++) for (let x = 5; x < 12; x++) mask[y * w + x] = 1;
    for (let y = 20; y < 22; y++) for (let x = 20; x < 30; x++) mask[y * w + x] = 1;
    const perfect = Float32Array.from(mask, (v) => v + r() * 0.5);
    expect(pro([{ data: perfect, width: w, height: h }], [{ data: mask, width: w, height: h }])).toBeCloseTo(1, 12);
    const noise = Float32Array.from(mask, () => r());
    expect(pro([{ data: noise, width: w, height: h }], [{ data: mask, width: w, height: h }])!).toBeLessThan(0.4);
  });
});
