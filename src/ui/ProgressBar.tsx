// A labelled progress bar with elapsed and remaining time.
import { useEffect, useState } from 'react';
import { formatSeconds } from './lib/format';

interface Props {
  label: string;
  done: number;
  total: number;
  startedAt?: number;
  etaSeconds?: number | null;
  testId?: string;
  onCancel?: () => void;
}

export function ProgressBar({ label, done, total, startedAt, etaSeconds, testId, onCancel }: Props) {
  const [, tick] = useState(0);
  useEffect(() => {
    if (startedAt === undefined) return;
    const t = setInterval(() => tick((n) => n + 1), 500);
    return () => clearInterval(t);
  }, [startedAt]);
  const frac = total > 0 ? Math.min(1, done / total) : 0;
  const elapsed = startedAt !== undefined ? (performance.now() - startedAt) / 1000 : null;
  return (
    <div className="progress" data-testid={testId}>
      <div className="progress-head">
        <span className="progress-label" data-testid={testId ? `${testId}-stage` : undefined}>
          {label} {total > 1 && <span className="muted">{done}/{total}</span>}
        </span>
        <span className="progress-time muted">
          {elapsed !== null && <>elapsed {formatSeconds(elapsed)}</>}
          {etaSeconds != null && <> · about {formatSeconds(etaSeconds)} left</>}
        </span>
        {onCancel && (
          <button type="button" className="btn btn-small" onClick={onCancel} data-testid={testId ? `${testId}-cancel` : undefined}>
            Cancel
          </button>
        )}
      </div>
      <div className="progress-track" role="progressbar" aria-label={label} aria-valuemin={0} aria-valuemax={total} aria-valuenow={done}>
        <div className={`progress-fill${total <= 1 && done === 0 ? ' is-indeterminate' : ''}`} style={{ width: `${frac * 100}%` }} />
      </div>
    </div>
  );
}
