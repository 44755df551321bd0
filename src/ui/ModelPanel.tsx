// Left panel: the model in use (name, threshold, unsaved state) and the library of saved models with open,
// rename, duplicate, delete (undoable), export and import; and what happened to the current model in another tab.
import { useRef, useState } from 'react';
import { useModel } from '../state/model';
import { stageLabel } from '../state/build';
import { ProgressBar } from './ProgressBar';
import { HiddenFileInput } from './HiddenFileInput';
import { ModelRegionEditor } from './RegionEditor';
import { downloadBlob } from './lib/download';
import { formatDate, formatScore } from './lib/format';
import type { ModelMeta } from '../storage/model';
import type { EngineConfig } from '../patchcore/config';
import { VersionList } from './VersionList';

/** "Region…": the current model's inspection region, drawn on a training image, editable after the build. */
function RegionToggle() {
  const [open, setOpen] = useState(false);
  return (
    <div className="region-toggle">
      <button type="button" className="btn btn-tiny" aria-expanded={open} onClick={() => setOpen(!open)} data-testid="model-region-toggle">
        {open ? 'Done' : 'Inspection region…'}
      </button>
      {open && <ModelRegionEditor />}
    </div>
  );
}

/** How the model frames images, in two words (models saved before 'fit' existed squash). */
function framingLabel(config: EngineConfig): string {
  return { fit: 'shape kept', squash: 'squashed square', crop: 'centre crop' }[config.framing];
}

/** The current model was deleted or changed in another window: this tab's copy is kept until the inspector chooses. */
function ElsewhereBanner() {
  const notice = useModel((s) => s.elsewhere);
  const busy = useModel((s) => s.busy);
  const { save, keepCopy, reopenStored } = useModel.getState();
  if (!notice) return null;
  return (
    <div className="elsewhere" role="alert" data-testid="elsewhere-notice" data-kind={notice.kind}>
      {notice.kind === 'deleted' ? (
        <>
          <p>“{notice.name}” was deleted in another window.</p>
          <p className="muted small">This tab keeps its copy, unsaved: save it to store it again as a new model.</p>
          <div className="row">
            <button type="button" className="btn btn-small" disabled={!!busy} onClick={() => void save()} data-testid="elsewhere-save">
              Save as a new model
            </button>
            <button type="button" className="btn btn-small" onClick={keepCopy} data-testid="elsewhere-keep">
              Keep working on this copy
            </button>
          </div>
        </>
      ) : (
        <>
          <p>“{notice.name}” was changed in another window: {notice.detail}.</p>
          <p className="muted small">This tab still works on its own copy; saving it stores a new model and leaves the changed one as it is.</p>
          <div className="row">
            <button type="button" className="btn btn-small" disabled={!!busy} onClick={() => void reopenStored()} data-testid="elsewhere-reopen">
              Reopen
            </button>
            <button type="button" className="btn btn-small" onClick={keepCopy} data-testid="elsewhere-keep">
              Keep my copy
            </button>
          </div>
        </>
      )}
    </div>
  );
}

export function ModelPanel() {
  const m = useModel();
  const importInput = useRef<HTMLInputElement>(null);
  const addInput = useRef<HTMLInputElement>(null);
  const c = m.current;
  const ext = m.extendState;
  return (
    <aside className="panel" aria-label="Models">
      <section className="panel-section" data-testid="current-model">
        <h2>Current model</h2>
        <ElsewhereBanner />
        {c ? (
          <div className="current">
            <div className="current-name" title={c.name}>{c.name}</div>
            <div className="muted small">
              {c.config.backbone} · {c.config.workingSize} px, {framingLabel(c.config)}{c.config.region ? ', region' : ''} · {c.bank.rows.toLocaleString()} vectors · {c.trainImageCount} image{c.trainImageCount === 1 ? '' : 's'}
            </div>
            <RegionToggle />
            <label className="field-inline small">
              <span>Threshold</span>
              <input
                type="number"
                className="num"
                value={Number(c.threshold.toPrecision(4))}
                step={Number((c.threshold / 100).toPrecision(1))}
                min={0}
                onChange={(e) => m.setThreshold(Number(e.target.value))}
                aria-label="Decision threshold"
                data-testid="panel-threshold"
              />
            </label>
            {c.dirty ? (
              <div className="row">
                <span className="badge">unsaved</span>
                <button type="button" className="btn btn-small" disabled={!!m.busy} onClick={() => void m.save()} data-testid="panel-save">
                  {c.libraryId ? 'Save changes' : 'Save'}
                </button>
              </div>
            ) : (
              <span className="badge badge-ok">saved</span>
            )}
            {c.libraryId && (
              <div className="extend" data-testid="extend">
                <button
                  type="button"
                  className="btn btn-small"
                  disabled={ext.running || !!m.busy}
                  onClick={() => addInput.current?.click()}
                  title="Learn from more good images: the saved model gets a new memory bank, its threshold stays as calibrated"
                  data-testid="add-good"
                >
                  Add good images…
                </button>
                <HiddenFileInput inputRef={addInput} accept="image/*" testId="add-good-input" onFiles={(files) => void m.extendWithGood(files)} />
                {ext.running && ext.progress && (
                  <ProgressBar label={stageLabel(ext.progress.stage)} done={ext.progress.done} total={ext.progress.total} testId="extend-progress" />
                )}
                {!ext.running && ext.result && <p className="muted small" data-testid="extend-result">{ext.result}</p>}
                {!ext.running && ext.error && <p className="error small" role="alert" data-testid="extend-error">{ext.error}</p>}
              </div>
            )}
          </div>
        ) : (
          <p className="muted small">None yet. Build one, or open a saved one below.</p>
        )}
      </section>

      <section className="panel-section" data-testid="library">
        <div className="card-head">
          <h2>Library</h2>
          <button type="button" className="btn btn-small" onClick={() => importInput.current?.click()} disabled={!!m.busy} data-testid="import-model">
            Import…
          </button>
          <HiddenFileInput inputRef={importInput} accept=".patchcore,application/octet-stream" multiple={false} onFiles={([f]) => void m.importModel(f)} />
        </div>
        {m.busy && <p className="muted small">{m.busy}</p>}
        {m.libraryStatus === 'error' && <p className="error small">{m.libraryError}</p>}
        {m.libraryStatus === 'ready' && m.library.length === 0 && <p className="muted small">Saved models appear here. They stay in this browser.</p>}
        <ul className="library-list">
          {m.library.map((meta) => (
            <LibraryRow key={meta.id} meta={meta} active={c?.libraryId === meta.id} />
          ))}
        </ul>
      </section>
    </aside>
  );
}

function LibraryRow({ meta, active }: { meta: ModelMeta; active: boolean }) {
  const { open, rename, duplicate, remove, exportModel, exportOnnx, busy } = useModel();
  const [editing, setEditing] = useState(false);
  const [name, setName] = useState(meta.name);
  const [showVersions, setShowVersions] = useState(false);
  const older = (meta as { olderVersions?: number }).olderVersions ?? 0;
  return (
    <li
      className={`library-item${active ? ' is-active' : ''}`}
      data-testid="library-item"
      data-name={meta.name}
      data-rows={meta.bankShape.rows}
      data-images={meta.trainImageCount}
    >
      {editing ? (
        <form
          className="row"
          onSubmit={(e) => {
            e.preventDefault();
            setEditing(false);
            if (name.trim() && name !== meta.name) void rename(meta.id, name);
          }}
        >
          <input className="text" value={name} autoFocus onChange={(e) => setName(e.target.value)} onKeyDown={(e) => e.key === 'Escape' && setEditing(false)} aria-label="New name" />
          <button type="submit" className="btn btn-small">OK</button>
        </form>
      ) : (
        <button type="button" className="library-open" onClick={() => void open(meta.id)} aria-label={`Open ${meta.name}`} title="Open this model">
          <span className="library-name">{meta.name}</span>
          <span className="muted small">
            {meta.backbone.id} · {meta.config.workingSize} px{meta.config.region ? " · region" : ""} · {meta.trainImageCount} image{meta.trainImageCount === 1 ? '' : 's'} · {meta.bankShape.rows.toLocaleString()} vectors · thr {formatScore(meta.calibration.threshold)} ·{' '}
            {formatDate(meta.updatedAt)}
          </span>
        </button>
      )}
      <div className="library-actions">
        <button type="button" className="btn btn-tiny" onClick={() => { setName(meta.name); setEditing(true); }} aria-label={`Rename ${meta.name}`}>Rename</button>
        <button type="button" className="btn btn-tiny" onClick={() => void duplicate(meta.id)} aria-label={`Duplicate ${meta.name}`}>Duplicate</button>
        <button type="button" className="btn btn-tiny" onClick={() => void exportModel(meta.id).then((file) => file && downloadBlob(file.blob, file.filename))} aria-label={`Export ${meta.name}`}>Export</button>
        <button
          type="button"
          className="btn btn-tiny"
          disabled={!!busy}
          onClick={() => void exportOnnx(meta.id).then((file) => file && downloadBlob(file.blob, file.filename))}
          aria-label={`Export ${meta.name} as ONNX`}
          title="One ZIP: the model as an ONNX graph, its JSON sidecar and a Triton model repository (as `npx patchcore-web export`)"
        >
          Export ONNX
        </button>
        <button type="button" className="btn btn-tiny btn-danger" onClick={() => void remove(meta.id)} aria-label={`Delete ${meta.name}`}>Delete</button>
        <button type="button" className="btn btn-tiny" aria-expanded={showVersions} onClick={() => setShowVersions(!showVersions)} data-testid="versions-toggle" aria-label={`Versions of ${meta.name}`}>
          Versions ({older + 1})
        </button>
      </div>
      {showVersions && <VersionList id={meta.id} name={meta.name} stamp={meta.updatedAt} />}
    </li>
  );
}
