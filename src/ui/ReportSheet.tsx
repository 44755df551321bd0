// The one-page inspection report of a batch (or of any History selection): model and version, counts, pass rate,
// the failed images with their heatmaps, and a signature line. Print CSS hides the app around it, so the browser's
// "Print > Save as PDF" gives the page alone.
import { useEffect, useMemo } from 'react';
import { countRecords, filterRecords, type InspectionRecord } from '../storage/recordFormat';
import { useHistory } from '../state/history';
import { useModel } from '../state/model';
import { useReport } from '../state/report';
import { modelLabel, ReviewBadge, Thumb } from './HistoryView';
import { formatDate, formatPercent, formatScore } from './lib/format';

/** At most this many failed images on the page; the rest are counted (one page is the point). */
const MAX_FAILS_SHOWN = 24;

export function ReportSheet() {
  const scope = useReport((s) => s.scope);
  const close = useReport((s) => s.close);
  const h = useHistory();
  const library = useModel((s) => s.library);
  const libraryReady = useModel((s) => s.libraryStatus === 'ready');
  const names = useMemo(() => new Map(library.map((m) => [m.id, m.name])), [library]);

  useEffect(() => {
    if (scope && h.status === 'idle') void h.load();
  }, [scope, h]);

  const records = useMemo((): InspectionRecord[] => {
    if (!scope) return [];
    if (scope.kind === 'filter') return filterRecords(h.records, scope.filter);
    const ids = new Set(scope.ids);
    return h.records.filter((r) => ids.has(r.id));
  }, [scope, h.records]);

  if (!scope) return null;
  const c = countRecords(records);
  const fails = records.filter((r) => r.verdict === 'fail');
  const models = [...new Map(records.map((r) => [`${r.model.id}:${r.model.version}`, r])).values()].map((r) => modelLabel(r, names, libraryReady));
  const first = records[0]?.at, last = records[records.length - 1]?.at;
  const title = scope.kind === 'ids' ? scope.title : scope.filter.batch ? 'Batch inspection report' : 'Inspection report';

  return (
    <div className="report-sheet" role="dialog" aria-label={title} data-testid="report">
      <div className="report-actions no-print">
        <button type="button" className="btn btn-primary" onClick={() => window.print()} data-testid="report-print">Print / Save as PDF</button>
        <button type="button" className="btn" onClick={close} data-testid="report-close">Close</button>
      </div>
      <article className="report-page">
        <header className="report-head">
          <h1>{title}</h1>
          <p className="small">
            {first !== undefined ? <>{formatDate(first)}{last !== first ? <> – {formatDate(last!)}</> : null}</> : 'No records'} · printed {formatDate(Date.now())}
          </p>
        </header>
        <table className="report-facts">
          <tbody>
            <tr><th>Model</th><td data-testid="report-model">{models.map((m) => m.text + (m.deleted ? ' (deleted model)' : '')).join('; ') || '–'}</td></tr>
            <tr><th>Working size · threshold</th><td>{[...new Set(records.map((r) => `${r.workingSize} px · ${formatScore(r.threshold)}`))].join('; ') || '–'}</td></tr>
            <tr><th>Images</th><td data-testid="report-counts">{c.total} inspected · {c.pass} pass · {c.fail} fail</td></tr>
            <tr><th>Pass rate</th><td data-testid="report-pass-rate">{c.total ? formatPercent(c.pass / c.total, 1) : '–'}</td></tr>
            <tr><th>Reviewed</th><td>{c.reviewed} · {c.confirmed} confirmed defect{c.confirmed === 1 ? '' : 's'} · {c.falseAlarms} false alarm{c.falseAlarms === 1 ? '' : 's'}</td></tr>
          </tbody>
        </table>
        <h2>Failed images ({fails.length})</h2>
        {fails.length === 0 ? <p>None: every image passed.</p> : (
          <ol className="report-fails" data-testid="report-fails">
            {fails.slice(0, MAX_FAILS_SHOWN).map((r) => (
              <li key={r.id} data-testid="report-fail" data-file={r.file}>
                <Thumb r={r} size={96} />
                <div className="small">
                  <div className="report-file">{r.file}</div>
                  <div>score {formatScore(r.score)} / {formatScore(r.threshold)}</div>
                  <div>{formatDate(r.at)}</div>
                  <ReviewBadge r={r} />
                </div>
              </li>
            ))}
          </ol>
        )}
        {fails.length > MAX_FAILS_SHOWN && <p className="small">… and {fails.length - MAX_FAILS_SHOWN} more failed images (in History and its CSV export).</p>}
        <footer className="report-sign">
          <div><span>Inspected by</span></div>
          <div><span>Date</span></div>
          <div><span>Signature</span></div>
        </footer>
      </article>
    </div>
  );
}
