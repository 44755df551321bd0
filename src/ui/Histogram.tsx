// Score histogram of good (and defective) images with the threshold line; drag the line (or use the arrow keys
// on it) to move the threshold.
import { useMemo, useRef, type KeyboardEvent, type PointerEvent } from 'react';
import { isFail } from '../patchcore/calibration';
import type { NamedScore } from '../state/model';
import { formatScore } from './lib/format';

interface Props {
  good: NamedScore[];
  defective: NamedScore[];
  threshold: number;
  onThreshold(t: number): void;
  /** Axis range; by default from the scores alone. */
  domain?: [number, number];
  testId?: string;
}

const W = 560, H = 180, PAD_L = 36, PAD_R = 14, PAD_T = 14, PAD_B = 34;

/** Axis range from the scores alone (so it stays put while the threshold is dragged), with headroom above. */
export function niceDomain(values: number[]): [number, number] {
  const all = values.filter(Number.isFinite);
  if (!all.length) return [0, 1];
  let lo = Math.min(...all), hi = Math.max(...all);
  if (!(hi > lo)) {
    lo = lo * 0.8;
    hi = hi * 1.2 || 1;
  }
  const span = hi - lo;
  return [Math.max(0, lo - span * 0.25), hi + span * 0.5];
}

export function Histogram({ good, defective, threshold, onThreshold, domain, testId }: Props) {
  const svg = useRef<SVGSVGElement>(null);
  const dragging = useRef(false);
  const [lo, hi] = useMemo(() => domain ?? niceDomain([...good, ...defective].map((s) => s.score)), [domain, good, defective]);
  const bins = 24;
  const x = (v: number) => PAD_L + ((v - lo) / (hi - lo)) * (W - PAD_L - PAD_R);
  const inv = (px: number) => lo + ((px - PAD_L) / (W - PAD_L - PAD_R)) * (hi - lo);
  const count = (scores: NamedScore[]) => {
    const c = new Array<number>(bins).fill(0);
    for (const s of scores) c[Math.min(bins - 1, Math.max(0, Math.floor(((s.score - lo) / (hi - lo)) * bins)))]++;
    return c;
  };
  const g = count(good), d = count(defective);
  const maxC = Math.max(1, ...g, ...d);
  const bw = (W - PAD_L - PAD_R) / bins;
  const y = (c: number) => PAD_T + (1 - c / maxC) * (H - PAD_T - PAD_B);

  const fromPointer = (e: PointerEvent<SVGSVGElement>) => {
    const r = svg.current!.getBoundingClientRect();
    const px = ((e.clientX - r.left) / r.width) * W;
    onThreshold(Math.max(lo, Math.min(hi, inv(px))));
  };
  const onKey = (e: KeyboardEvent) => {
    const step = (hi - lo) / (e.shiftKey ? 20 : 200);
    if (e.key === 'ArrowRight' || e.key === 'ArrowUp') onThreshold(threshold + step);
    else if (e.key === 'ArrowLeft' || e.key === 'ArrowDown') onThreshold(Math.max(step, threshold - step));
    else return;
    e.preventDefault();
  };
  const tx = x(Math.max(lo, Math.min(hi, threshold)));
  const goodOver = good.filter((s) => isFail(s.score, threshold)).length;
  const badUnder = defective.filter((s) => !isFail(s.score, threshold)).length;

  return (
    <figure className="histogram" data-testid={testId}>
      <svg
        ref={svg}
        viewBox={`0 0 ${W} ${H}`}
        role="img"
        aria-label={`Score histogram: ${good.length} good${defective.length ? `, ${defective.length} defective` : ''}; threshold ${formatScore(threshold)}`}
        onPointerDown={(e) => {
          dragging.current = true;
          e.currentTarget.setPointerCapture(e.pointerId);
          fromPointer(e);
        }}
        onPointerMove={(e) => dragging.current && fromPointer(e)}
        onPointerUp={() => (dragging.current = false)}
      >
        <rect x={PAD_L} y={PAD_T} width={W - PAD_L - PAD_R} height={H - PAD_T - PAD_B} className="hist-bg" />
        <rect x={tx} y={PAD_T} width={Math.max(0, W - PAD_R - tx)} height={H - PAD_T - PAD_B} className="hist-fail-zone" />
        {g.map((c, i) => c > 0 && <rect key={`g${i}`} className="hist-good" x={PAD_L + i * bw + 1} y={y(c)} width={bw - 2} height={H - PAD_B - y(c)} />)}
        {d.map((c, i) => c > 0 && <rect key={`d${i}`} className="hist-bad" x={PAD_L + i * bw + 1} y={y(c)} width={bw - 2} height={H - PAD_B - y(c)} />)}
        {good.map((s, i) => <line key={`rg${i}`} className="hist-rug-good" x1={x(s.score)} x2={x(s.score)} y1={H - PAD_B + 2} y2={H - PAD_B + 9}><title>{`${s.name}: ${formatScore(s.score)}`}</title></line>)}
        {defective.map((s, i) => <line key={`rd${i}`} className="hist-rug-bad" x1={x(s.score)} x2={x(s.score)} y1={H - PAD_B + 2} y2={H - PAD_B + 9}><title>{`${s.name}: ${formatScore(s.score)}`}</title></line>)}
        <line x1={PAD_L} x2={W - PAD_R} y1={H - PAD_B} y2={H - PAD_B} className="hist-axis" />
        <text x={PAD_L} y={H - 8} className="hist-tick">{formatScore(lo)}</text>
        <text x={W - PAD_R} y={H - 8} className="hist-tick" textAnchor="end">{formatScore(hi)}</text>
        <text x={PAD_L - 6} y={PAD_T + 8} className="hist-tick" textAnchor="end">{maxC}</text>
        <g
          className="hist-threshold"
          tabIndex={0}
          role="slider"
          aria-label="Threshold"
          aria-valuemin={lo}
          aria-valuemax={hi}
          aria-valuenow={threshold}
          aria-valuetext={formatScore(threshold)}
          onKeyDown={onKey}
          data-testid={testId ? `${testId}-threshold` : undefined}
        >
          <line x1={tx} x2={tx} y1={PAD_T - 4} y2={H - PAD_B} />
          <rect x={tx - 6} y={PAD_T - 8} width={12} height={14} rx={3} />
          <text x={Math.min(W - PAD_R - 4, Math.max(PAD_L + 4, tx))} y={H - 20} textAnchor="middle">
            {formatScore(threshold)}
          </text>
        </g>
      </svg>
      <figcaption className="hist-legend">
        <span><i className="swatch swatch-good" /> good (unseen) {good.length}</span>
        {defective.length > 0 && <span><i className="swatch swatch-bad" /> defective {defective.length}</span>}
        <span className="muted">
          at this threshold: {goodOver} of {good.length} good flagged
          {defective.length > 0 && <>, {defective.length - badUnder} of {defective.length} defective caught</>}
        </span>
      </figcaption>
    </figure>
  );
}
