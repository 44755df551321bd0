// The heat-map colours shared by the app's overlays and the command line's overlay PNGs.

/** Google's Turbo colour map, polynomial fit (Mikhailov 2019); t in 0..1 -> RGB 0..255. */
export function turbo(t: number): [number, number, number] {
  const x = Math.min(1, Math.max(0, t));
  const r = 0.13572138 + x * (4.6153926 + x * (-42.66032258 + x * (132.13108234 + x * (-152.94239396 + x * 59.28637943))));
  const g = 0.09140261 + x * (2.19418839 + x * (4.84296658 + x * (-14.18503333 + x * (4.27729857 + x * 2.82956604))));
  const b = 0.1066733 + x * (12.64194608 + x * (-60.58204836 + x * (110.36276771 + x * (-89.90310912 + x * 27.34824973))));
  const c = (v: number) => Math.round(255 * Math.min(1, Math.max(0, v)));
  return [c(r), c(g), c(b)];
}

/**
 * Colour and alpha of one map value relative to the threshold: nothing below half the threshold, a faint cool
 * tint up to it, and an opaque hot ramp above it that saturates at 1.5x the threshold.
 */
export function heatRgba(value: number, threshold: number): [number, number, number, number] {
  const v = threshold > 0 ? value / threshold : 0;
  if (v < 0.5) return [0, 0, 0, 0];
  if (v < 1) {
    const u = (v - 0.5) / 0.5;
    const [r, g, b] = turbo(0.12 + 0.25 * u);
    return [r, g, b, 0.05 + 0.3 * u * u];
  }
  const u = Math.min(1, (v - 1) / 0.5);
  const [r, g, b] = turbo(0.62 + 0.38 * u);
  return [r, g, b, 0.6 + 0.3 * u];
}

/** A map coloured at its own resolution into RGBA bytes (`out`, 4 per value); `opacity` scales every alpha. */
export function paintHeat<T extends Uint8Array | Uint8ClampedArray>(values: ArrayLike<number>, threshold: number, opacity: number, out: T): T {
  for (let i = 0; i < values.length; i++) {
    const [r, g, b, a] = heatRgba(values[i], threshold);
    out[i * 4] = r;
    out[i * 4 + 1] = g;
    out[i * 4 + 2] = b;
    out[i * 4 + 3] = Math.round(255 * a * opacity);
  }
  return out;
}
