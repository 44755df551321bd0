// The Inspect tab: drop test images, see each one's score and verdict, look at the heatmap, export results.
import { useEffect, useMemo, useRef, useState, type KeyboardEvent } from 'react';
import { isFail } from '../patchcore/calibration';
import { useInspect, visibleItems, type InspectItem, type SortKey } from '../state/inspect';
import { useModel } from '../state/model';
import { useUi } from '../state/ui';
import { Dropzone } from './Dropzone';
import { HeatmapView } from './HeatmapView';
import { IssueList } from './IssueList';
import { ProgressBar } from './ProgressBar';
import { downloadAllOverlays, downloadCsv, downloadOverlay } from './lib/exports';
import { formatScore } from './lib/format';
import { toast } from '../state/toasts';
import { useHistory } from '../state/history';
import { useReport } from '../state/report';
import { useTeach } from '../state/teach';
import type { InspectionRecord, Review } from '../storage/recordFormat';
import { ReviewBadge } from './HistoryView';
import { TeachPanel } from './TeachPanel';

export function InspectView() {
  const model = useModel((s) => s.current);
  const s = useInspect();
  const setTab = useUi((u) => u.setTab);
  const [exporting, setExporting] = useState<{ done: number; total: number } | null>(null);
  const threshold = model?.threshold ?? null;
  const rows = useMemo(() => visibleItems(s.items, s.sort, s.onlyFails, threshold), [s.items, s.sort, s.onlyFails, threshold]);
  const selected = s.items.find((i) => i.id === s.selectedId) ?? null;
  const scored = s.items.filter((i) => i.result);
  const pending = s.items.filter((i) => i.status === 'queued' || i.status === 'scoring').length;
  const failedItems = s.items.filter((i) => i.status === 'error');
  const history = useHistory();
  const records = useMemo(() => new Map(history.records.map((r) => [r.id, r])), [history.records]);
  const [ticked, setTicked] = useState<ReadonlySet<number>>(new Set());
  const openReport = useReport((r) => r.openIds);
  const teach = useTeach();

  if (!model) {
    return (
      <div className="view">
        <section className="card empty">
          <h2>No model yet</h2>
          <p>Build a model from photos of good parts, or open one from the library on the left. Then drop test images here.</p>
          <button type="button" className="btn btn-primary" onClick={() => setTab('build')}>Go to Build</button>
        </section>
      </div>
    );
  }

  const fails = scored.filter((i) => isFail(i.result!.score, model.threshold)).length;
  const labelled = scored.filter((i) => i.label);
  const defects = labelled.filter((i) => i.label !== 'good');
  const goods = labelled.filter((i) => i.label === 'good');

  return (
    <div className="view inspect-view">
      <div className="inspect-left">
        <section className="card">
          <Dropzone testId="inspect-dropzone" title="Drop images to inspect" hint="Each image is scored against the current model." onFiles={(p) => s.add(p)} compact={s.items.length > 0} />
          <IssueList title="Not used (not images)" items={s.ignored} />
          {pending > 0 && <ProgressBar label="Scoring" done={scored.length + failedItems.length} total={s.items.length} testId="inspect-progress" />}
          {history.saveError && <p className="error small" role="alert" data-testid="record-save-error">{history.saveError}</p>}
          {failedItems.length > 0 && !s.running && (
            <div className="row">
              <span className="error">{failedItems.length} image{failedItems.length === 1 ? '' : 's'} could not be scored.</span>
              <button type="button" className="btn btn-small" onClick={s.retryFailed}>Retry</button>
            </div>
          )}
        </section>

        {s.items.length > 0 && (
          <section className="card results">
            <div className="results-head">
              <div className="summary" data-testid="inspect-summary">
                <strong>{scored.length}</strong> scored · <span className="fail-text">{fails} fail</span> · <span className="pass-text">{scored.length - fails} pass</span>
                {labelled.length > 0 && (
                  <span className="muted" data-testid="label-summary">
                    {' '}· caught {defects.filter((i) => isFail(i.result!.score, model.threshold)).length}/{defects.length} defective, flagged{' '}
                    {goods.filter((i) => isFail(i.result!.score, model.threshold)).length}/{goods.length} good
                  </span>
                )}
              </div>
              <div className="row">
                <label className="field-inline">
                  <input type="checkbox" checked={s.onlyFails} onChange={s.toggleOnlyFails} data-testid="only-fails" /> Only fails
                </label>
                <button type="button" className="btn btn-small" disabled={!scored.length} onClick={() => downloadCsv(s.items, model)} data-testid="export-csv">Export CSV</button>
                <button
                  type="button"
                  className="btn btn-small"
                  disabled={!scored.length || !!exporting}
                  data-testid="export-overlays"
                  onClick={async () => {
                    setExporting({ done: 0, total: scored.length });
                    try {
                      await downloadAllOverlays(s.items, model, s.view.opacity, (done, total) => setExporting({ done, total }));
                    } catch (e) {
                      toast(`The overlays could not be exported: ${(e as Error).message}`, { tone: 'error' });
                    } finally {
                      setExporting(null);
                    }
                  }}
                >
                  {exporting ? `Rendering ${exporting.done}/${exporting.total}…` : 'Overlays (.zip)'}
                </button>
                <button
                  type="button"
                  className="btn btn-small"
                  disabled={!scored.some((i) => i.recordId)}
                  data-testid="inspect-report"
                  onClick={() => openReport(s.items.flatMap((i) => (i.recordId ? [i.recordId] : [])), 'Batch inspection report')}
                >
                  Report…
                </button>
                <button type="button" className="btn btn-small" onClick={() => { s.clear(); setTicked(new Set()); }}>Clear</button>
              </div>
              <ReviewBar
                items={s.items}
                records={records}
                ticked={ticked}
                selectedId={s.selectedId}
                onTeach={(falseAlarms) => teach.prepare(falseAlarms)}
              />
            </div>
            <ResultsTable rows={rows} threshold={model.threshold} records={records} ticked={ticked} setTicked={setTicked} />
          </section>
        )}
      </div>

      <div className="inspect-right">
        <TeachPanel />
        {selected ? (
          <section className="card">
            <HeatmapView item={selected} threshold={model.threshold} />
            {selected.result && (
              <div className="row viewer-foot">
                <span className="muted small">
                  score {formatScore(selected.result.score)} vs threshold {formatScore(model.threshold)} · {selected.result.width}×{selected.result.height}px · scored in{' '}
                  {(selected.result.seconds * 1000).toFixed(0)} ms
                </span>
                <button type="button" className="btn btn-small" data-testid="download-overlay" onClick={() => void downloadOverlay(selected, model, s.view.opacity).catch((e) => toast((e as Error).message, { tone: 'error' }))}>
                  Download overlay PNG
                </button>
              </div>
            )}
          </section>
        ) : (
          <section className="card empty">
            <p className="muted">Scored images appear here with their heatmap. Use ↑ and ↓ in the table to step through them.</p>
          </section>
        )}
      </div>
    </div>
  );
}

const SORTS: { key: SortKey; label: string }[] = [
  { key: 'added', label: 'Order added' },
  { key: 'score-desc', label: 'Score, highest first' },
  { key: 'score-asc', label: 'Score, lowest first' },
  { key: 'name', label: 'Name' },
];

/** The records the review keys and buttons act on: the ticked rows, else the selected one. */
function reviewTargets(items: InspectItem[], ticked: ReadonlySet<number>, selectedId: number | null): string[] {
  const pick = ticked.size ? items.filter((i) => ticked.has(i.id)) : items.filter((i) => i.id === selectedId);
  return pick.flatMap((i) => (i.recordId ? [i.recordId] : []));
}

/** Review buttons over the results table, and "Teach" for the images a person marked good (false alarm). */
function ReviewBar({ items, records, ticked, selectedId, onTeach }: {
  items: InspectItem[];
  records: Map<string, InspectionRecord>;
  ticked: ReadonlySet<number>;
  selectedId: number | null;
  onTeach: (falseAlarms: InspectionRecord[]) => void;
}) {
  const review = useHistory((h) => h.review);
  const targets = reviewTargets(items, ticked, selectedId);
  const falseAlarms = items.flatMap((i) => {
    const r = i.recordId ? records.get(i.recordId) : undefined;
    return r && r.verdict === 'fail' && r.review?.as === 'good' ? [r] : [];
  });
  const mark = (as: Review | null) => void review(targets, as);
  return (
    <div className="row review-bar">
      <span className="muted small">{ticked.size ? `${ticked.size} ticked:` : 'Selected:'}</span>
      <button type="button" className="btn btn-small" disabled={!targets.length} onClick={() => mark('defect')} data-testid="inspect-review-defect">Confirmed defect</button>
      <button type="button" className="btn btn-small" disabled={!targets.length} onClick={() => mark('good')} data-testid="inspect-review-good">Good (false alarm)</button>
      <button type="button" className="btn btn-small" disabled={falseAlarms.length === 0} onClick={() => onTeach(falseAlarms)} data-testid="inspect-teach">
        Teach {falseAlarms.length || ''} false alarm{falseAlarms.length === 1 ? '' : 's'}…
      </button>
    </div>
  );
}

function ResultsTable({ rows, threshold, records, ticked, setTicked }: {
  rows: InspectItem[];
  threshold: number;
  records: Map<string, InspectionRecord>;
  ticked: ReadonlySet<number>;
  setTicked: (t: ReadonlySet<number>) => void;
}) {
  const { selectedId, select, moveSelection, sort, setSort, remove, items } = useInspect();
  const review = useHistory((h) => h.review);
  const toggle = (id: number) => {
    const next = new Set(ticked);
    if (next.has(id)) next.delete(id);
    else next.add(id);
    setTicked(next);
  };
  const mark = (as: Review | null) => {
    void review(reviewTargets(items, ticked, selectedId), as);
    if (!ticked.size) moveSelection(1);
  };
  const body = useRef<HTMLDivElement>(null);
  const hasLabels = rows.some((r) => r.label);
  const maxScore = Math.max(threshold * 1.5, ...rows.map((r) => r.result?.score ?? 0));

  useEffect(() => {
    body.current?.querySelector<HTMLElement>('[aria-selected="true"]')?.scrollIntoView({ block: 'nearest' });
  }, [selectedId]);

  const onKey = (e: KeyboardEvent) => {
    if (e.key === 'ArrowDown' || e.key === 'j') moveSelection(1);
    else if (e.key === 'ArrowUp' || e.key === 'k') moveSelection(-1);
    else if (e.key === 'Home') moveSelection(-1e9);
    else if (e.key === 'End') moveSelection(1e9);
    else if (e.key === 'Delete' && selectedId !== null) remove(selectedId);
    else if ((e.key === 'x' || e.key === ' ') && selectedId !== null) toggle(selectedId);
    else if (e.key === 'd') mark('defect');
    else if (e.key === 'g') mark('good');
    else if (e.key === 'u') mark(null);
    else if (e.key === 'Escape') setTicked(new Set());
    else return;
    e.preventDefault();
  };

  const scoreSort = sort === 'score-desc' ? 'descending' : sort === 'score-asc' ? 'ascending' : 'none';

  return (
    <div className="table-wrap">
      <div className="row table-tools">
        <label className="field-inline">
          <span>Sort</span>
          <select value={sort} onChange={(e) => setSort(e.target.value as SortKey)} data-testid="sort-select">
            {SORTS.map((o) => <option key={o.key} value={o.key}>{o.label}</option>)}
          </select>
        </label>
        <span className="muted small">↑/↓ or j/k step · x tick · d confirmed defect · g good (false alarm) · u unmark · Delete remove</span>
      </div>
      <div className="table-scroll" ref={body} tabIndex={0} onKeyDown={onKey} role="grid" aria-label="Inspection results" aria-rowcount={rows.length} data-testid="results-table">
        <div className="tr th" role="row">
          <span role="columnheader">File</span>
          {hasLabels && <span role="columnheader">Label</span>}
          <span role="columnheader" aria-sort={scoreSort}>
            <button type="button" className="th-btn" onClick={() => setSort(sort === 'score-desc' ? 'score-asc' : 'score-desc')} data-testid="sort-score">
              Score {sort === 'score-desc' ? '▼' : sort === 'score-asc' ? '▲' : ''}
            </button>
          </span>
          <span role="columnheader">Verdict</span>
        </div>
        {rows.map((r) => {
          const fail = r.result ? isFail(r.result.score, threshold) : null;
          const rec = r.recordId ? (records.get(r.recordId) ?? null) : null;
          return (
            <div
              key={r.id}
              role="row"
              aria-selected={r.id === selectedId}
              className={`tr${r.id === selectedId ? ' is-selected' : ''}`}
              onClick={() => select(r.id)}
              data-testid="result-row"
              data-name={r.name}
              data-score={r.result?.score ?? ''}
              data-verdict={fail === null ? r.status : fail ? 'fail' : 'pass'}
              data-review={rec?.review?.as ?? ''}
              data-record={r.recordId ?? ''}
            >
              <span role="gridcell" className="td-name" title={r.name}>
                <input type="checkbox" className="tick" checked={ticked.has(r.id)} onChange={() => toggle(r.id)} onClick={(e) => e.stopPropagation()} aria-label={`Tick ${r.name}`} data-testid="result-tick" />{' '}
                {r.name}
              </span>
              {hasLabels && <span role="gridcell" className={`td-label${r.label && r.label !== 'good' ? ' is-defect' : ''}`}>{r.label ?? ''}</span>}
              <span role="gridcell" className="td-score">
                {r.result ? (
                  <>
                    <span className="scorebar" aria-hidden="true">
                      <span className={`scorebar-fill${fail ? ' is-fail' : ''}`} style={{ width: `${Math.min(100, (r.result.score / maxScore) * 100)}%` }} />
                      <span className="scorebar-thr" style={{ left: `${(threshold / maxScore) * 100}%` }} />
                    </span>
                    {formatScore(r.result.score)}
                  </>
                ) : r.status === 'error' ? '—' : '…'}
              </span>
              <span role="gridcell">
                {fail === null ? (
                  <span className={`verdict ${r.status === 'error' ? 'is-error' : 'is-pending'}`} title={r.error ?? undefined}>{r.status === 'error' ? 'error' : r.status}</span>
                ) : (
                  <span className={`verdict ${fail ? 'is-fail' : 'is-pass'}`}>{fail ? 'FAIL' : 'PASS'}</span>
                )}
                <ReviewBadge r={rec} />
              </span>
            </div>
          );
        })}
        {rows.length === 0 && <div className="tr muted" role="row"><span role="gridcell">No fails at this threshold.</span></div>}
      </div>
    </div>
  );
}
