// CSV that spreadsheets open without surprises (RFC 4180 quoting, CRLF line ends), and the inspection results
// file that the app's "Download CSV" and `patchcore-web inspect` both write, so the two stay byte for byte alike.

/**
 * A cell: numbers as JS prints them (non-finite ones empty), quoted when the text holds a quote, comma or line break,
 * or starts like a formula (=, +, -, @; a negative number too), so a spreadsheet shows it instead of evaluating it.
 */
export function csvCell(v: string | number): string {
  const s = typeof v === 'number' ? (Number.isFinite(v) ? String(v) : '') : v;
  return /[",\r\n]/.test(s) || /^[=+\-@]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function toCsv(header: string[], rows: (string | number)[][]): string {
  return [header, ...rows].map((r) => r.map(csvCell).join(',')).join('\r\n') + '\r\n';
}

export const RESULTS_CSV_HEADER = ['file', 'score', 'verdict', 'threshold', 'model'];

/** One scored image of the results CSV; the caller decides the verdict (patchcore's isFail). */
export interface ResultRow {
  file: string;
  score: number;
  verdict: 'pass' | 'fail';
  threshold: number;
  model: string;
}

/** Scores and thresholds to 6 significant digits: more would only show fp32 noise. */
export function resultsCsv(rows: readonly ResultRow[]): string {
  return toCsv(
    RESULTS_CSV_HEADER,
    rows.map((r) => [r.file, Number(r.score.toPrecision(6)), r.verdict, Number(r.threshold.toPrecision(6)), r.model]),
  );
}
