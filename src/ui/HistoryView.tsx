// The History tab: every inspection record with filters, counts, the pass rate over time, reviews (mouse and
// keyboard), exports, the thumbnail budget, and the report of a batch. The list is windowed: only the rows on
// screen are rendered, so 10,000 records open and filter at once.
import { useEffect, useMemo, useRef, useState, type KeyboardEvent } from 'react';
import { countRecords, filterRecords, passRateBuckets, recordLine, recordsCsv, type InspectionRecord, type RecordFilter, type Review } from '../storage/recordFormat';
import { recordStore, sessionFile, useHistory } from '../state/history';
import { useModel } from '../state/model';
import { useTeach } from '../state/teach';
import { useReport } from '../state/report';
import { downloadBlob } from './lib/download';
import { formatDate, formatPercent, formatScore } from './lib/format';
import { formatBytes } from '../lib/format';
import { HiddenFileInput } from './HiddenFileInput';

const ROW_PX = 40;
const OVERSCAN = 8;

/** The library's current name of each model id (a renamed model shows its new name); missing ids are deleted models. */
function useModelNames(): Map<string, string> {
  const library = useModel((s) => s.library);
  const status = useModel((s) => s.libraryStatus);
  return useMemo(() => (status === 'ready' ? new Map(library.map((m) => [m.id, m.name])) : new Map()), [library, status]);
}

export function modelLabel(r: InspectionRecord, names: Map<string, string>, libraryReady: boolean): { text: string; deleted: boolean } {
  const v = r.model.version !== null ? ` v${r.model.version}` : '';
  if (r.model.id === null) return { text: `${r.model.name} (unsaved)`, deleted: false };
  const now = names.get(r.model.id);
  if (now === undefined) return { text: `${r.model.name}${v}`, deleted: libraryReady };
  return { text: now === r.model.name ? `${now}${v}` : `${now}${v} (was “${r.model.name}”)`, deleted: false };
}

export function HistoryView() {
  const h = useHistory();
  const names = useModelNames();
  const libraryReady = useModel((s) => s.libraryStatus === 'ready');
  const teach = useTeach();
  const openReport = useReport((s) => s.open);
  const importInput = useRef<HTMLInputElement>(null);

  useEffect(() => {
    // The app reads the records once at start and adds each new one as it is stored; read again only after a failure.
    if (h.status === 'idle' || h.status === 'error') void h.load();
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, []);

  const filtered = useMemo(() => filterRecords(h.records, h.filter).reverse(), [h.records, h.filter]);
  const counts = useMemo(() => countRecords(filtered), [filtered]);
  const chart = useMemo(() => passRateBuckets(filtered), [filtered]);
  const models = useMemo(() => {
    const seen = new Map<string, InspectionRecord>();
    for (const r of h.records) seen.set(r.model.id ?? '', r);
    return [...seen.entries()].map(([id, r]) => ({ id, label: id === '' ? 'Models never saved' : modelLabel(r, names, libraryReady) }));
  }, [h.records, names, libraryReady]);
  const batches = useMemo(() => {
    const seen = new Map<string, { batch: string; at: number; n: number; file: string }>();
    for (const r of h.records) {
      const b = seen.get(r.batch);
      if (b) b.n++;
      else seen.set(r.batch, { batch: r.batch, at: r.at, n: 1, file: r.file });
    }
    return [...seen.values()].reverse().slice(0, 50);
  }, [h.records]);

  const cursor = filtered.find((r) => r.id === h.cursorId) ?? null;
  const targets = (): string[] => (h.checked.size ? [...h.checked] : cursor ? [cursor.id] : []);
  const falseAlarms = filtered.filter((r) => r.verdict === 'fail' && r.review?.as === 'good');

  if (h.status === 'error') {
    return (
      <div className="view">
        <section className="card"><p className="error" role="alert">{h.error}</p></section>
      </div>
    );
  }

  return (
    <div className="view history-view" data-testid="history">
      <section className="card">
        <Filters filter={h.filter} setFilter={h.setFilter} models={models} batches={batches} />
        <div className="row history-counts" data-testid="history-counts" data-total={counts.total} data-fail={counts.fail}>
          <strong>{counts.total.toLocaleString()}</strong> record{counts.total === 1 ? '' : 's'} ·{' '}
          <span className="pass-text">{counts.pass.toLocaleString()} pass</span> · <span className="fail-text">{counts.fail.toLocaleString()} fail</span>
          {counts.total > 0 && <> · pass rate {formatPercent(counts.pass / counts.total, 1)}</>} · {counts.reviewed.toLocaleString()} reviewed
          {counts.falseAlarms > 0 && <> · {counts.falseAlarms} false alarm{counts.falseAlarms === 1 ? '' : 's'}</>}
        </div>
        <PassRateChart buckets={chart.buckets} bucketMs={chart.bucketMs} />
        <div className="row history-tools">
          <button type="button" className="btn btn-small" disabled={!filtered.length} data-testid="history-export-csv" onClick={() => downloadBlob(new Blob([recordsCsv([...filtered].reverse())], { type: 'text/csv;charset=utf-8' }), 'inspection records.csv')}>
            Export CSV
          </button>
          <button type="button" className="btn btn-small" disabled={!filtered.length} data-testid="history-export-json" onClick={() => downloadBlob(new Blob([[...filtered].reverse().map(recordLine).join('\n') + '\n'], { type: 'application/x-ndjson' }), 'inspection records.jsonl')}>
            Export JSON Lines
          </button>
          <button type="button" className="btn btn-small" onClick={() => importInput.current?.click()} title="Records from `patchcore-web inspect --records FILE.jsonl`, or an earlier export">
            Import JSON Lines…
          </button>
          <HiddenFileInput inputRef={importInput} accept=".jsonl,.ndjson,application/x-ndjson,text/plain" multiple={false} testId="history-import" onFiles={([f]) => void h.importLines(f)} />
          <button type="button" className="btn btn-small" disabled={!filtered.length} data-testid="history-report" onClick={() => openReport(h.filter)} title="A one-page report of the records shown (choose one batch for a batch report)">
            Report…
          </button>
          <button
            type="button"
            className="btn btn-small"
            disabled={falseAlarms.length === 0 || teach.phase === 'running'}
            data-testid="teach-open"
            onClick={() => teach.prepare(falseAlarms)}
            title="Add the images marked good (false alarm) to their model as good images, as a new version"
          >
            Teach {falseAlarms.length || ''} false alarm{falseAlarms.length === 1 ? '' : 's'}…
          </button>
          <Budget />
        </div>
        {h.saveError && <p className="error small" role="alert" data-testid="record-save-error">{h.saveError}</p>}
        {h.lastTrim && <p className="muted small" role="status" data-testid="history-trimmed">{h.lastTrim}</p>}
      </section>

      <div className="history-body">
        <section className="card history-list-card">
          <div className="row small muted">
            <span>j/k or ↑/↓ move · x or Space tick · d confirmed defect · g good (false alarm) · u unmark · a tick all shown</span>
          </div>
          <div className="row">
            <button type="button" className="btn btn-small" disabled={!targets().length} data-testid="review-defect" onClick={() => void h.review(targets(), 'defect')}>Confirmed defect</button>
            <button type="button" className="btn btn-small" disabled={!targets().length} data-testid="review-good" onClick={() => void h.review(targets(), 'good')}>Good (false alarm)</button>
            <button type="button" className="btn btn-small" disabled={!targets().length} onClick={() => void h.review(targets(), null)}>Unmark</button>
            {h.checked.size > 0 && <span className="muted small">{h.checked.size} ticked <button type="button" className="btn btn-link" onClick={() => h.setChecked([])}>clear</button></span>}
          </div>
          {h.status !== 'ready' ? <p className="muted">Reading the records…</p> : <RecordList rows={filtered} names={names} libraryReady={libraryReady} />}
        </section>
        <section className="card history-detail">
          {cursor ? <RecordDetail r={cursor} names={names} libraryReady={libraryReady} /> : <p className="muted">Choose a record to see its thumbnail and figures.</p>}
        </section>
      </div>
    </div>
  );
}

function Filters({ filter, setFilter, models, batches }: {
  filter: RecordFilter;
  setFilter: (p: Partial<RecordFilter>) => void;
  models: { id: string; label: string | { text: string; deleted: boolean } }[];
  batches: { batch: string; at: number; n: number; file: string }[];
}) {
  const day = (ms: number | null) => (ms === null ? '' : new Date(ms - new Date(ms).getTimezoneOffset() * 60_000).toISOString().slice(0, 10));
  const parseDay = (v: string, end: boolean) => {
    if (!v) return null;
    const [y, m, d] = v.split('-').map(Number);
    return end ? new Date(y, m - 1, d, 23, 59, 59, 999).getTime() : new Date(y, m - 1, d).getTime();
  };
  return (
    <div className="row history-filters">
      <label className="field-inline">
        <span>Model</span>
        <select value={filter.modelId ?? '*'} onChange={(e) => setFilter({ modelId: e.target.value === '*' ? null : e.target.value })} data-testid="history-model">
          <option value="*">All models</option>
          {models.map((m) => {
            const l = typeof m.label === 'string' ? { text: m.label, deleted: false } : m.label;
            return <option key={m.id} value={m.id}>{l.text}{l.deleted ? ' (deleted model)' : ''}</option>;
          })}
        </select>
      </label>
      <label className="field-inline">
        <span>Verdict</span>
        <select value={filter.verdict} onChange={(e) => setFilter({ verdict: e.target.value as RecordFilter['verdict'] })} data-testid="history-verdict">
          <option value="all">All</option>
          <option value="fail">Fail</option>
          <option value="pass">Pass</option>
        </select>
      </label>
      <label className="field-inline">
        <span>Review</span>
        <select value={filter.reviewed} onChange={(e) => setFilter({ reviewed: e.target.value as RecordFilter['reviewed'] })} data-testid="history-reviewed">
          <option value="all">All</option>
          <option value="no">Not reviewed</option>
          <option value="yes">Reviewed</option>
          <option value="defect">Confirmed defect</option>
          <option value="good">Good (false alarm)</option>
        </select>
      </label>
      <label className="field-inline">
        <span>From</span>
        <input type="date" value={day(filter.from)} onChange={(e) => setFilter({ from: parseDay(e.target.value, false) })} data-testid="history-from" />
      </label>
      <label className="field-inline">
        <span>To</span>
        <input type="date" value={day(filter.to)} onChange={(e) => setFilter({ to: parseDay(e.target.value, true) })} data-testid="history-to" />
      </label>
      <label className="field-inline">
        <span>Batch</span>
        <select value={filter.batch ?? '*'} onChange={(e) => setFilter({ batch: e.target.value === '*' ? null : e.target.value })} data-testid="history-batch">
          <option value="*">All batches</option>
          {batches.map((b) => (
            <option key={b.batch} value={b.batch}>{formatDate(b.at)} · {b.n} image{b.n === 1 ? '' : 's'} · {b.file}</option>
          ))}
        </select>
      </label>
    </div>
  );
}

/** Pass rate per hour or day as bars (height = share passed), with the count under each in the tooltip. */
function PassRateChart({ buckets, bucketMs }: { buckets: { start: number; total: number; pass: number }[]; bucketMs: number }) {
  if (buckets.length === 0) return null;
  const W = 600, H = 90, pad = 18;
  // Bars at most 24 units wide, so one day of records is a bar, not a block.
  const bw = Math.min(24, (W - pad) / Math.max(buckets.length, 1));
  const unit = bucketMs >= 86_400_000 ? 'day' : 'hour';
  return (
    <figure className="history-chart" data-testid="pass-rate-chart" aria-label={`Pass rate per ${unit}`}>
      <svg viewBox={`0 0 ${W} ${H + 14}`} role="img" preserveAspectRatio="none">
        <line x1={pad} x2={W} y1={H} y2={H} className="axis" />
        <line x1={pad} x2={W} y1={0} y2={0} className="grid" />
        <text x={0} y={9} className="tick">100%</text>
        <text x={0} y={H} className="tick">0%</text>
        {buckets.map((b, i) => {
          const rate = b.pass / b.total;
          const h = Math.max(1, rate * H);
          return (
            <rect key={b.start} x={pad + i * bw + 1} y={H - h} width={Math.max(1, bw - 2)} height={h} className={rate < 1 ? 'bar has-fails' : 'bar'}>
              <title>{`${new Date(b.start).toLocaleString(undefined, unit === 'day' ? { dateStyle: 'medium' } : { dateStyle: 'short', timeStyle: 'short' })}: ${b.pass}/${b.total} passed (${formatPercent(rate, 1)})`}</title>
            </rect>
          );
        })}
        <text x={pad} y={H + 12} className="tick">{new Date(buckets[0].start).toLocaleDateString()}</text>
        <text x={W} y={H + 12} className="tick" textAnchor="end">{new Date(buckets[buckets.length - 1].start).toLocaleDateString()}</text>
      </svg>
      <figcaption className="muted small">Pass rate per {unit}</figcaption>
    </figure>
  );
}

function Budget() {
  const { budget, thumbBytes, setBudget } = useHistory();
  const [mb, setMb] = useState('');
  // What the person is typing is theirs until they set it: a budget read later (the first load, another window)
  // must not overwrite it.
  const [editing, setEditing] = useState(false);
  useEffect(() => {
    if (!editing) setMb(budget ? String(Math.round((budget / 1024 / 1024) * 10) / 10) : '');
  }, [budget, editing]);
  return (
    <form
      className="row history-budget"
      onSubmit={(e) => {
        e.preventDefault();
        const v = Number(mb);
        setEditing(false);
        if (Number.isFinite(v) && v >= 0) void setBudget(v * 1024 * 1024);
      }}
    >
      <label className="field-inline small" title="Thumbnails of the oldest records are removed first when they take more; their scores and verdicts stay">
        <span>Thumbnails use {formatBytes(thumbBytes)} of</span>
        <input type="number" className="num" min={0} step="any" value={mb} onChange={(e) => (setMb(e.target.value), setEditing(true))} aria-label="Storage budget for record thumbnails, MB" data-testid="history-budget" />
        <span>MB</span>
      </label>
      <button type="submit" className="btn btn-tiny" data-testid="history-budget-set">Set</button>
    </form>
  );
}

function RecordList({ rows, names, libraryReady }: { rows: InspectionRecord[]; names: Map<string, string>; libraryReady: boolean }) {
  const { cursorId, setCursor, checked, toggleChecked, setChecked, review } = useHistory();
  const scroller = useRef<HTMLDivElement>(null);
  const [scrollTop, setScrollTop] = useState(0);
  const [viewH, setViewH] = useState(480);

  useEffect(() => {
    const el = scroller.current;
    if (!el) return;
    const ro = new ResizeObserver(() => setViewH(el.clientHeight));
    ro.observe(el);
    return () => ro.disconnect();
  }, []);

  const index = rows.findIndex((r) => r.id === cursorId);
  useEffect(() => {
    const el = scroller.current;
    if (!el || index < 0) return;
    const top = index * ROW_PX, bottom = top + ROW_PX;
    if (top < el.scrollTop) el.scrollTop = top;
    else if (bottom > el.scrollTop + el.clientHeight - ROW_PX) el.scrollTop = bottom - el.clientHeight + ROW_PX;
  }, [index]);

  const first = Math.max(0, Math.floor(scrollTop / ROW_PX) - OVERSCAN);
  const last = Math.min(rows.length, Math.ceil((scrollTop + viewH) / ROW_PX) + OVERSCAN);

  const move = (d: number) => {
    if (!rows.length) return;
    const i = index < 0 ? 0 : Math.min(rows.length - 1, Math.max(0, index + d));
    setCursor(rows[i].id);
  };
  const targets = () => (checked.size ? [...checked] : index >= 0 ? [rows[index].id] : []);
  const mark = (as: Review | null) => {
    const t = targets();
    void review(t, as);
    // One record marked by key: go on to the next, as a reviewer works down a list.
    if (!checked.size && t.length) move(1);
  };
  const onKey = (e: KeyboardEvent) => {
    if (e.key === 'ArrowDown' || e.key === 'j') move(1);
    else if (e.key === 'ArrowUp' || e.key === 'k') move(-1);
    else if (e.key === 'Home') move(-1e9);
    else if (e.key === 'End') move(1e9);
    else if ((e.key === 'x' || e.key === ' ') && index >= 0) toggleChecked(rows[index].id);
    else if (e.key === 'a') setChecked(rows.map((r) => r.id));
    else if (e.key === 'Escape') setChecked([]);
    else if (e.key === 'd') mark('defect');
    else if (e.key === 'g') mark('good');
    else if (e.key === 'u') mark(null);
    else return;
    e.preventDefault();
  };

  return (
    <div
      className="table-scroll history-scroll"
      ref={scroller}
      tabIndex={0}
      role="grid"
      aria-label="Inspection records"
      aria-rowcount={rows.length}
      onKeyDown={onKey}
      onScroll={(e) => setScrollTop(e.currentTarget.scrollTop)}
      data-testid="history-list"
    >
      <div className="tr th hr" role="row">
        <span role="columnheader" aria-label="Ticked" />
        <span role="columnheader" aria-label="Thumbnail" />
        <span role="columnheader">Time · file</span>
        <span role="columnheader">Model</span>
        <span role="columnheader">Score</span>
        <span role="columnheader">Verdict</span>
        <span role="columnheader">Review</span>
      </div>
      {rows.length === 0 && <div className="tr muted" role="row"><span role="gridcell">No records match.</span></div>}
      <div style={{ height: rows.length * ROW_PX, position: 'relative' }}>
        {rows.slice(first, last).map((r, k) => {
          const m = modelLabel(r, names, libraryReady);
          const i = first + k;
          return (
            <div
              key={r.id}
              role="row"
              aria-rowindex={i + 1}
              aria-selected={r.id === cursorId}
              className={`tr hr${r.id === cursorId ? ' is-selected' : ''}`}
              style={{ position: 'absolute', top: i * ROW_PX, left: 0, right: 0, height: ROW_PX }}
              onClick={() => setCursor(r.id)}
              data-testid="history-row"
              data-id={r.id}
              data-file={r.file}
              data-verdict={r.verdict}
              data-review={r.review?.as ?? ''}
              data-thumb={r.thumb ? 'yes' : 'no'}
            >
              <span role="gridcell">
                <input type="checkbox" checked={checked.has(r.id)} onChange={() => toggleChecked(r.id)} onClick={(e) => e.stopPropagation()} aria-label={`Tick ${r.file}`} data-testid="history-check" />
              </span>
              <span role="gridcell"><Thumb r={r} size={32} /></span>
              <span role="gridcell" className="td-name" title={`${r.file} · ${formatDate(r.at)}`}>
                <span className="muted small">{new Date(r.at).toLocaleString(undefined, { dateStyle: 'short', timeStyle: 'medium' })}</span> {r.file}
              </span>
              <span role="gridcell" className="td-name small" title={m.text}>
                {m.text} {m.deleted && <span className="badge" data-testid="deleted-model">deleted model</span>}
              </span>
              <span role="gridcell">{formatScore(r.score)}</span>
              <span role="gridcell"><span className={`verdict ${r.verdict === 'fail' ? 'is-fail' : 'is-pass'}`}>{r.verdict.toUpperCase()}</span></span>
              <span role="gridcell"><ReviewBadge r={r} /></span>
            </div>
          );
        })}
      </div>
    </div>
  );
}

export function ReviewBadge({ r }: { r: Pick<InspectionRecord, 'review' | 'verdict'> | null }) {
  if (!r?.review) return null;
  const good = r.review.as === 'good';
  const text = good ? (r.verdict === 'fail' ? 'false alarm' : 'good') : r.verdict === 'fail' ? 'confirmed' : 'missed defect';
  return <span className={`review-badge ${good ? 'is-good' : 'is-defect'}`} data-testid="review-badge">{text}</span>;
}

const urls = new Map<string, string>();
/** Object URLs kept at most: a few MB of thumbnails however far the list is scrolled. */
const MAX_URLS = 1500;
/** A record's thumbnail as an object URL, read once and kept while recently used (a few kB each). */
async function thumbUrl(id: string): Promise<string | null> {
  const hit = urls.get(id);
  if (hit) {
    urls.delete(id);
    urls.set(id, hit);
    return hit;
  }
  const t = await recordStore().thumb(id);
  if (!t) return null;
  const url = URL.createObjectURL(new Blob([t.bytes as Uint8Array<ArrayBuffer>], { type: t.mime }));
  urls.set(id, url);
  // Least recently used first: Map keeps insertion order, and a hit is moved to the end above.
  for (const [old, u] of urls) {
    if (urls.size <= MAX_URLS) break;
    urls.delete(old);
    URL.revokeObjectURL(u);
  }
  return url;
}

export function Thumb({ r, size }: { r: InspectionRecord; size: number }) {
  const [url, setUrl] = useState<string | null>(urls.get(r.id) ?? null);
  useEffect(() => {
    let live = true;
    if (r.thumb) void thumbUrl(r.id).then((u) => live && setUrl(u)).catch(() => undefined);
    else setUrl(null);
    return () => {
      live = false;
    };
  }, [r.id, r.thumb]);
  if (!r.thumb || !url) {
    return <span className="record-thumb is-empty" style={{ width: size, height: size }} title={r.thumbTrimmedAt ? 'Thumbnail removed by the storage budget' : 'No thumbnail'} />;
  }
  return <img className="record-thumb" src={url} width={size} height={size} alt={`${r.file} with its heatmap`} />;
}

function RecordDetail({ r, names, libraryReady }: { r: InspectionRecord; names: Map<string, string>; libraryReady: boolean }) {
  const m = modelLabel(r, names, libraryReady);
  const kept = sessionFile(r.id) !== null;
  return (
    <div className="record-detail" data-testid="record-detail">
      <Thumb r={r} size={256} />
      <dl className="figures small">
        <dt>File</dt><dd>{r.file}</dd>
        <dt>Inspected</dt><dd>{formatDate(r.at)} ({r.source === 'webcam' ? 'webcam snapshot' : r.source === 'cli' ? 'command line' : 'dropped file'})</dd>
        <dt>Model</dt><dd>{m.text}{m.deleted ? ' (deleted model)' : ''}</dd>
        <dt>Working size</dt><dd>{r.workingSize} px</dd>
        <dt>Score</dt><dd>{formatScore(r.score)} vs threshold {formatScore(r.threshold)}: <strong className={r.verdict === 'fail' ? 'fail-text' : 'pass-text'}>{r.verdict.toUpperCase()}</strong></dd>
        {r.label && <><dt>Folder label</dt><dd>{r.label}</dd></>}
        <dt>Review</dt><dd>{r.review ? <><ReviewBadge r={r} /> {formatDate(r.review.at)}</> : 'not reviewed'}</dd>
        <dt>Image</dt><dd>{kept ? 'kept in memory for this session (can be taught)' : 'not in memory: inspected before this page was loaded, so it cannot be taught; drop it again to teach it'}</dd>
        {r.thumbTrimmedAt && <><dt>Thumbnail</dt><dd>removed by the storage budget on {formatDate(r.thumbTrimmedAt)}</dd></>}
      </dl>
    </div>
  );
}
