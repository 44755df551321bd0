// Formatting that every layer shares. src/lib is the lowest layer: it imports nothing from the app.

/** "63.20 GB", "20.5 MB", "812 kB", "17 bytes": SI units (1 kB = 1000 bytes), as browsers and file managers show storage. */
export function formatBytes(n: number): string {
  if (!Number.isFinite(n)) return '–';
  if (n >= 1e9) return `${(n / 1e9).toFixed(2)} GB`;
  if (n >= 1e6) return `${(n / 1e6).toFixed(1)} MB`;
  if (n >= 1e3) return `${Math.round(n / 1e3)} kB`;
  return `${n} bytes`;
}
