// Choosing the pass/fail threshold from scores of held-out good images (and, when the user has them,
// labelled defective ones; see metrics.ts f1Max), and the verdict itself. No anomalous samples are needed for the
// default.

/** The verdict, the one place it is decided: an image fails when its score is above the threshold; equal passes. */
export function isFail(score: number, threshold: number): boolean {
  return score > threshold;
}

/** Share of the good images held out for calibration by default (the app's and the command line's). */
export const DEFAULT_HOLDOUT_SHARE = 0.15;

/**
 * Accepted false-alarm rate on good parts that the default threshold targets. 5%: with the handful of held-out
 * images a build has, a 1% bound is so wide that real defects pass.
 */
export const DEFAULT_FALSE_ALARM_RATE = 0.05;

/**
 * How many good images to hold out for calibration: `share` of them, at least 3 once there are 8 or more and at
 * least 5 once there are 20 or more (the threshold's prediction bound widens sharply below 5 scores), at least 1
 * from 2 images on (a threshold needs at least one unseen good score), never more than half.
 */
export function holdoutCount(n: number, share: number): number {
  if (n < 2) return 0;
  let k = Math.round(n * share);
  if (n >= 8) k = Math.max(3, k);
  if (n >= 20) k = Math.max(5, k);
  k = Math.max(1, k);
  return Math.min(k, Math.floor(n / 2));
}

/** Picks held-out images spread evenly over the list, so a folder sorted by time is sampled throughout. */
export function splitHoldout<T>(items: T[], k: number): { train: T[]; holdout: T[] } {
  if (k <= 0) return { train: items.slice(), holdout: [] };
  const pick = new Set<number>();
  for (let i = 0; i < k; i++) pick.add(Math.min(items.length - 1, Math.floor(((i + 0.5) * items.length) / k)));
  return { train: items.filter((_, i) => !pick.has(i)), holdout: items.filter((_, i) => pick.has(i)) };
}

export interface ScoreStats {
  count: number;
  mean: number;
  std: number;
  min: number;
  max: number;
  /** Empirical quantiles at 0.5, 0.9, 0.95, 0.99. */
  quantiles: Record<'q50' | 'q90' | 'q95' | 'q99', number>;
}

export function scoreStats(scores: ArrayLike<number>): ScoreStats {
  const n = scores.length;
  if (n === 0) throw new Error('No scores to summarise');
  const sorted = Float64Array.from(scores).sort();
  let sum = 0;
  for (const s of sorted) sum += s;
  const mean = sum / n;
  let v = 0;
  for (const s of sorted) v += (s - mean) ** 2;
  const std = n > 1 ? Math.sqrt(v / (n - 1)) : 0; // sample (n - 1): the prediction bound below uses t(n - 1)
  const q = (p: number) => quantile(sorted, p);
  return {
    count: n, mean, std, min: sorted[0], max: sorted[n - 1],
    quantiles: { q50: q(0.5), q90: q(0.9), q95: q(0.95), q99: q(0.99) },
  };
}

/** Linear-interpolated quantile of an ascending array. */
export function quantile(sorted: ArrayLike<number>, p: number): number {
  const n = sorted.length;
  if (n === 1) return sorted[0];
  const pos = Math.min(Math.max(p, 0), 1) * (n - 1);
  const lo = Math.floor(pos);
  const hi = Math.min(n - 1, lo + 1);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
}

/** Inverse of the standard normal CDF (Acklam's rational approximation, |error| < 1.2e-9). */
export function normalQuantile(p: number): number {
  const a = [-3.969683028665376e1, 2.209460984245205e2, -2.759285104469687e2, 1.38357751867269e2, -3.066479806614716e1, 2.506628277459239];
  const b = [-5.447609879822406e1, 1.615858368580409e2, -1.556989798598866e2, 6.680131188771972e1, -1.328068155288572e1];
  const c = [-7.784894002430293e-3, -3.223964580411365e-1, -2.400758277161838, -2.549732539343734, 4.374664141464968, 2.938163982698783];
  const d = [7.784695709041462e-3, 3.224671290700398e-1, 2.445134137142996, 3.754408661907416];
  const pl = 0.02425;
  if (p <= 0 || p >= 1) throw new Error(`normalQuantile needs 0 < p < 1, got ${p}`);
  if (p < pl) {
    const q = Math.sqrt(-2 * Math.log(p));
    return (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) / ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
  }
  if (p > 1 - pl) return -normalQuantile(1 - p);
  const q = p - 0.5;
  const r = q * q;
  return ((((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q) / (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1);
}

/**
 * Quantile of Student's t distribution with nu degrees of freedom: exact for nu = 1, 2, Hill's Cornish-Fisher
 * expansion around the normal quantile otherwise (within ~2% at nu = 3, far better beyond).
 */
export function studentTQuantile(p: number, nu: number): number {
  if (nu === 1) return Math.tan(Math.PI * (p - 0.5));
  if (nu === 2) return (2 * p - 1) / Math.sqrt(2 * p * (1 - p));
  const z = normalQuantile(p);
  const z2 = z * z;
  return (
    z +
    (z * (z2 + 1)) / (4 * nu) +
    (z * (5 * z2 * z2 + 16 * z2 + 3)) / (96 * nu ** 2) +
    (z * (3 * z2 ** 3 + 19 * z2 * z2 + 17 * z2 - 15)) / (384 * nu ** 3) +
    (z * (79 * z2 ** 4 + 776 * z2 ** 3 + 1482 * z2 * z2 - 1920 * z2 - 945)) / (92160 * nu ** 4)
  );
}

/**
 * Threshold for a target false-alarm rate on good parts. A handful of held-out images cannot resolve a 1% rate
 * empirically, so good scores are modelled as normal and the threshold is the one-sided prediction bound for a
 * new good part: mean + t(n-1, 1-rate) * std * sqrt(1 + 1/n). With few held-out images t is large, so the
 * threshold is cautious rather than over-tight; it never falls below the highest held-out good score.
 */
export function thresholdForFalseAlarmRate(goodScores: ArrayLike<number>, rate: number): number {
  const s = scoreStats(goodScores);
  if (s.count < 2) return s.max * 1.1; // no spread to estimate: a 10% margin over the only good score
  const t = studentTQuantile(1 - rate, s.count - 1);
  const bound = s.mean + t * s.std * Math.sqrt(1 + 1 / s.count);
  return Math.max(bound, s.max * (1 + 1e-6));
}
