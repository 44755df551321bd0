// The "teach false alarms" step: which images will be added, then what the new version would change (taught images'
// scores, the held-out false-alarm rate, the threshold) before the person saves it as a new version.
import { isFail } from '../patchcore/calibration';
import { useTeach } from '../state/teach';
import { stageLabel } from '../state/build';
import { ProgressBar } from './ProgressBar';
import { formatPercent, formatScore } from './lib/format';

export function TeachPanel() {
  const t = useTeach();
  if (t.phase === 'idle') return null;
  const p = t.plan, m = t.measure;
  return (
    <section className="card teach" data-testid="teach" aria-label="Teach false alarms">
      <div className="card-head">
        <h2>Teach false alarms{p ? ` to “${p.modelName}”` : ''}</h2>
        <button type="button" className="btn btn-small" onClick={t.dismiss} disabled={t.phase === 'running' || t.phase === 'saving'} data-testid="teach-dismiss">Close</button>
      </div>
      {t.error && <p className="error" role="alert" data-testid="teach-error">{t.error}</p>}
      {p && t.phase === 'ready' && (
        <>
          <p data-testid="teach-plan">
            {p.records.length} image{p.records.length === 1 ? '' : 's'} marked good (false alarm) will be added to “{p.modelName}” as good images. A new version is
            made; the current one stays in the library.
          </p>
          {p.missing.length > 0 && (
            <p className="warning small" data-testid="teach-missing">
              {p.missing.length} false alarm{p.missing.length === 1 ? ' was' : 's were'} inspected before this page was loaded: records keep only a thumbnail, so
              {p.missing.length === 1 ? ' that image is' : ' those images are'} not here to learn from. Drop {p.missing.length === 1 ? 'it' : 'them'} on Inspect again to teach {p.missing.length === 1 ? 'it' : 'them'}.
            </p>
          )}
          {p.otherModels > 0 && <p className="muted small">{p.otherModels} false alarm{p.otherModels === 1 ? '' : 's'} of other models are left out: teach one model at a time (filter History by model).</p>}
          <button type="button" className="btn btn-primary" disabled={p.records.length === 0} onClick={() => void t.run()} data-testid="teach-run">
            Learn from {p.records.length} image{p.records.length === 1 ? '' : 's'} and compare
          </button>
        </>
      )}
      {t.phase === 'running' && t.progress && <ProgressBar label={t.progress.stage === 'scoring' ? 'Comparing the versions' : stageLabel(t.progress.stage)} done={t.progress.done} total={t.progress.total} testId="teach-progress" />}
      {m && (t.phase === 'measured' || t.phase === 'saving') && (
        <div data-testid="teach-measure">
          <p>
            Memory bank {m.bankRows.before.toLocaleString()} → {m.bankRows.after.toLocaleString()} vectors · threshold {formatScore(m.oldThreshold)} → {formatScore(m.newThreshold)}
            {m.newThreshold === m.oldThreshold ? ' (set by hand or by F1, so kept)' : ' (recalibrated)'}
          </p>
          <p data-testid="teach-heldout">
            {m.heldOut.count > 0
              ? <>False alarms on {m.heldOut.count} good image{m.heldOut.count === 1 ? '' : 's'} of this session that were not taught (held out): {formatPercent(m.heldOut.before, 0)} → {formatPercent(m.heldOut.after, 0)}.</>
              : <>No untaught good images from this session to measure the false-alarm rate on; the taught images below are the only evidence (they were learnt, so they are not held out).</>}
          </p>
          <table className="teach-table small">
            <thead><tr><th>Taught image</th><th>Old version</th><th>New version</th></tr></thead>
            <tbody>
              {m.taught.map((x) => (
                <tr key={x.file} data-testid="teach-row" data-file={x.file} data-after={x.after}>
                  <td>{x.file}</td>
                  <td>{formatScore(x.before)} {isFail(x.before, m.oldThreshold) ? 'FAIL' : 'PASS'}</td>
                  <td>{formatScore(x.after)} {isFail(x.after, m.newThreshold) ? 'FAIL' : 'PASS'}</td>
                </tr>
              ))}
            </tbody>
          </table>
          <div className="row">
            <button type="button" className="btn btn-primary" disabled={t.phase === 'saving'} onClick={() => void t.save()} data-testid="teach-save">
              {t.phase === 'saving' ? 'Saving…' : 'Save as a new version'}
            </button>
            <button type="button" className="btn" disabled={t.phase === 'saving'} onClick={t.dismiss}>Discard</button>
          </div>
        </div>
      )}
    </section>
  );
}
