// A saved model's versions in the library panel: what made each, when, bank size, threshold and storage; go back
// to one (its bank is reused, not copied) or export it.
import { useEffect, useState } from 'react';
import type { ModelVersion } from '../storage/library';
import { formatBytes } from '../lib/format';
import { library } from '../state/library';
import { useModel } from '../state/model';
import { toast } from '../state/toasts';
import { downloadBlob } from './lib/download';
import { formatDate, formatPercent, formatScore } from './lib/format';

export function VersionList({ id, name, stamp }: { id: string; name: string; stamp: number }) {
  const [versions, setVersions] = useState<ModelVersion[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [reads, setReads] = useState(0);
  useEffect(() => {
    let live = true;
    library.versions(id).then((v) => live && setVersions(v), (e: Error) => live && setError(e.message));
    return () => {
      live = false;
    };
  }, [id, stamp, reads]);
  if (error) return <p className="error small">The versions could not be read: {error}</p>;
  if (!versions) return <p className="muted small">Reading versions…</p>;
  const use = async (v: number) => {
    try {
      await library.revertTo(id, v);
      await useModel.getState().refreshLibrary();
      await useModel.getState().open(id);
    } catch (e) {
      toast(`Could not go back to version ${v}: ${(e as Error).message}`, { tone: 'error' });
    }
  };
  const remove = async (v: number) => {
    if (!window.confirm(`Delete version ${v} of “${name}”? Its memory bank is freed; this cannot be undone.`)) return;
    try {
      await library.deleteVersion(id, v);
      await useModel.getState().refreshLibrary();
      setReads((n) => n + 1);
    } catch (e) {
      toast(`Could not delete version ${v}: ${(e as Error).message}`, { tone: 'error' });
    }
  };
  const exportV = async (v: number) => {
    try {
      const f = await library.exportVersion(id, v);
      downloadBlob(f.blob, f.filename);
    } catch (e) {
      toast(`Could not export version ${v}: ${(e as Error).message}`, { tone: 'error' });
    }
  };
  return (
    <ol className="version-list" data-testid="version-list" aria-label={`Versions of ${name}`}>
      {versions.map((v) => (
        <li key={v.version} className={v.current ? 'is-current' : ''} data-testid="version" data-version={v.version} data-current={v.current}>
          <div className="small">
            <strong>v{v.version}</strong>{v.current ? ' (in use)' : ''} · {formatDate(v.at)} · {v.note}
          </div>
          <div className="muted small">
            {v.bankShape.rows.toLocaleString()} vectors · {v.trainImageCount} images · thr {formatScore(v.calibration.threshold)}
            {v.calibration.falseAlarmRate !== undefined ? ` (for ${formatPercent(v.calibration.falseAlarmRate, 1)} false alarms on ${v.scoreStats.scores.length} held-out)` : ''} · {formatBytes(v.bankBytes)}
          </div>
          <div className="row">
            {!v.current && <button type="button" className="btn btn-tiny" onClick={() => void use(v.version)} data-testid="version-use" aria-label={`Use version ${v.version} of ${name}`}>Use this version</button>}
            <button type="button" className="btn btn-tiny" onClick={() => void exportV(v.version)} aria-label={`Export version ${v.version} of ${name}`}>Export</button>
            {!v.current && <button type="button" className="btn btn-tiny btn-danger" onClick={() => void remove(v.version)} aria-label={`Delete version ${v.version} of ${name}`}>Delete</button>}
          </div>
        </li>
      ))}
    </ol>
  );
}
