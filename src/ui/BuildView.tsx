// The Build tab: good images in, options, a cancellable build with progress, then calibration and saving.
import { useEffect, useMemo, useRef, useState } from 'react';
import { BUILTIN_BACKBONES, INSTALL_EXTRA_BACKBONES, INSTALLABLE_BACKBONES, KNOWN_BACKBONES } from '../backbone/manifests';
import { CORESET_RATIOS } from '../patchcore/config';
import type { Augment } from '../patchcore/augment';
import { MIN_HOLDOUT_SCORES } from '../patchcore/selfScores';
import type { Framing } from '../patchcore/preprocess';
import { buildConfig, holdoutCount, stageLabel, useBuild } from '../state/build';
import { useEngine } from '../state/engine';
import { f1Suggestion, farThreshold, FALSE_ALARM_RATES, useModel } from '../state/model';
import { useDemo } from '../state/demo';
import { useUi } from '../state/ui';
import { Dropzone } from './Dropzone';
import { Histogram, niceDomain } from './Histogram';
import { ProgressBar } from './ProgressBar';
import { HiddenFileInput } from './HiddenFileInput';
import { ThumbGrid } from './ThumbGrid';
import { IssueList } from './IssueList';
import { RegionEditor } from './RegionEditor';
import { WorkingSizeField } from './WorkingSize';
import { formatPercent, formatScore, formatSeconds } from './lib/format';

const FRAMING_HELP: Record<Framing, string> = {
  fit: 'Scores every pixel at one scale: long or tall parts keep their shape (longest side up to 3x the shorter).',
  squash: 'Scores every pixel of a square version of the image: fastest for long images, but stretches them.',
  crop: 'The paper\'s protocol: drops the border (1/16 of the shorter side, more of the longer), so defects there are missed.',
};

const AUGMENT_HELP: Record<Augment, string> = {
  none: 'Learns each good image as it is: for parts that always lie the same way (on a fixture, in a tray, printed).',
  flip: 'Also learns each good image mirrored and turned half round (4 views): for parts placed either way round. Builds take 4x as long.',
  rotate: 'Also learns every quarter turn, mirrored too (8 views): for parts that lie at any angle. Builds take 8x as long; a part that may never be turned is then not flagged when it is.',
};

const RATIO_HELP: Record<number, string> = {
  0.01: 'Smallest and fastest to score; fine for uniform parts.',
  0.1: 'Balanced default: nearly the accuracy of 25% at a fraction of the size.',
  0.25: 'Largest memory: most tolerant of normal variation, slowest to score.',
};

export function BuildView() {
  const b = useBuild();
  const engineStatus = useEngine((s) => s.status);
  const running = b.phase === 'running';
  const holdout = holdoutCount(b.good.length, b.holdoutShare);
  const customBackbones = useEngine((s) => s.customBackbones);
  const installed = useEngine((s) => s.installed);
  const refreshInstalled = useEngine((s) => s.refreshInstalled);
  useEffect(() => {
    if (installed === null) void refreshInstalled();
  }, [installed, refreshInstalled]);
  const customSelected = customBackbones.find((c) => c.id === b.backbone);
  const ceiling = buildConfig(b).coresetMax;

  return (
    <div className="view build-view">
      <section className="card" aria-labelledby="good-h">
        <div className="card-head">
          <h2 id="good-h">1. Good images</h2>
          {b.good.length > 0 && (
            <div className="card-head-actions">
              <span className="muted" data-testid="good-count">{b.good.length} image{b.good.length === 1 ? '' : 's'}</span>
              <button type="button" className="btn btn-small" onClick={b.clearGood} disabled={running} data-testid="good-clear">Clear</button>
            </div>
          )}
        </div>
        <Dropzone
          testId="good-dropzone"
          title={b.good.length ? 'Drop more good images or folders here' : 'Drop photos of good parts here (a folder works too)'}
          hint="PNG, JPEG, WebP or BMP. A few dozen images of defect-free parts, taken like the parts you will inspect."
          onFiles={b.addGood}
          disabled={running}
          compact={b.good.length > 0}
        />
        {b.good.length === 0 && <TryIt />}
        <ThumbGrid items={b.good} onRemove={b.removeGood} disabled={running} testId="good-thumbs" />
        <IssueList title="Not used (not images)" items={b.ignored} testId="ignored-files" />
      </section>

      <section className="card" aria-labelledby="opts-h">
        <h2 id="opts-h">2. Options</h2>
        <div className="options">
          <label className="field">
            <span className="field-label">Backbone</span>
            <select value={b.backbone} onChange={(e) => b.setBackbone(e.target.value)} disabled={running || b.customLoading} data-testid="backbone-select">
              {BUILTIN_BACKBONES.map((m) => (
                <option key={m.id} value={m.id}>{m.label}</option>
              ))}
              {INSTALLABLE_BACKBONES.map((m) => (
                <option key={m.id} value={m.id} disabled={!installed?.includes(m.id)}>
                  {m.label}{installed?.includes(m.id) ? '' : ' (not installed)'}
                </option>
              ))}
              {customBackbones.map((c) => (
                <option key={c.id} value={c.id}>{c.label} (custom)</option>
              ))}
            </select>
            <span className="field-help" data-testid="backbone-help">
              {customSelected
                ? `custom: ${customSelected.label}, ${customSelected.channels.join(' + ')} channels; weights' licence is yours to check`
                : KNOWN_BACKBONES.find((m) => m.id === b.backbone)?.description}
            </span>
            {INSTALLABLE_BACKBONES.some((m) => !installed?.includes(m.id)) && (
              <span className="field-help" data-testid="backbone-install-note">More backbones are offered but not installed: {INSTALL_EXTRA_BACKBONES}.</span>
            )}
          </label>
          <CustomBackboneLoader disabled={running} />
          <fieldset className="field">
            <legend className="field-label">Memory size (coreset)</legend>
            <div className="segmented" role="radiogroup" aria-label="Coreset ratio">
              {CORESET_RATIOS.map((r) => (
                <label key={r} className={`segment${b.coresetRatio === r ? ' is-on' : ''}`}>
                  <input type="radio" name="coreset" value={r} checked={b.coresetRatio === r} onChange={() => b.setCoresetRatio(r)} disabled={running} />
                  {formatPercent(r)}
                </label>
              ))}
            </div>
            <span className="field-help">
              {RATIO_HELP[b.coresetRatio] ?? ''}
              {ceiling ? ` The share of all training patches, at most ${ceiling.toLocaleString()} vectors at this working size, so large builds stay fast and scoring does not slow down.` : ''}
            </span>
          </fieldset>
          <WorkingSizeField disabled={running} />
          <RegionEditor disabled={running || b.augment !== 'none'} note={b.augment !== 'none' ? 'Turned or mirrored views are chosen below: parts then lie any way, so no region. Choose "Always the same way" to draw one.' : undefined} />
          <label className="field">
            <span className="field-label">Part orientation</span>
            <select value={b.augment} onChange={(e) => b.setAugment(e.target.value as Augment)} disabled={running || !!b.region} data-testid="augment-select">
              <option value="none">Always the same way</option>
              <option value="flip">Either way round (flips)</option>
              <option value="rotate">Any angle (rotations)</option>
            </select>
            <span className="field-help" data-testid="augment-help">
              {b.region ? 'An inspection region is drawn: parts then lie the same way. Remove the region to learn turned views.' : AUGMENT_HELP[b.augment]}
            </span>
          </label>
          <label className="field">
            <span className="field-label">Image framing</span>
            <select value={b.framing} onChange={(e) => b.setFraming(e.target.value as Framing)} disabled={running} data-testid="framing-select">
              <option value="fit">Whole image, shape kept</option>
              <option value="squash">Whole image, squashed square</option>
              <option value="crop">Centre crop (paper protocol)</option>
            </select>
            <span className="field-help" data-testid="framing-help">{FRAMING_HELP[b.framing]}</span>
          </label>
          <label className="field">
            <span className="field-label">Held out for calibration</span>
            <select value={b.holdoutShare} onChange={(e) => b.setHoldoutShare(Number(e.target.value))} disabled={running}>
              {[0.1, 0.15, 0.2, 0.25].map((s) => (
                <option key={s} value={s}>{formatPercent(s)}</option>
              ))}
            </select>
            <span className="field-help" data-testid="holdout-help">
              {b.good.length >= 1
                ? holdout === 0
                  ? 'With one image nothing can be held out: the threshold comes from its two halves scored against each other.'
                  : `${holdout} of ${b.good.length} good images are set aside to place the threshold; ${b.good.length - holdout} are learned.` +
                    (holdout < MIN_HOLDOUT_SCORES ? ' With so few held out, the learnt images are also scored, each against the others.' : '')
                : 'Some good images are set aside to place the threshold (at least 3 once you have 8 images, 5 from 20).'}
            </span>
          </label>
          <label className="field">
            <span className="field-label">Accepted false alarms</span>
            <select value={b.falseAlarmRate} onChange={(e) => b.setFalseAlarmRate(Number(e.target.value))} data-testid="far-select">
              {FALSE_ALARM_RATES.map((r) => (
                <option key={r} value={r}>{formatPercent(r, r < 0.01 ? 1 : 0)} of good parts</option>
              ))}
            </select>
            <span className="field-help">The threshold is set so about this share of good parts would be flagged.</span>
          </label>
        </div>
      </section>

      <section className="card" aria-labelledby="build-h">
        <h2 id="build-h">3. Build</h2>
        {running && b.progress ? (
          <ProgressBar
            testId="build-progress"
            label={b.progress.stage === 'starting' ? 'Starting the engine' : stageLabel(b.progress.stage)}
            done={b.progress.done}
            total={b.progress.total}
            startedAt={b.progress.startedAt}
            etaSeconds={b.progress.etaSeconds}
            onCancel={b.cancel}
          />
        ) : (
          <div className="row">
            <button
              type="button"
              className="btn btn-primary"
              data-testid="build-button"
              disabled={b.good.length < 1 || engineStatus === 'error'}
              onClick={() => void b.build()}
            >
              Build model{b.good.length >= 1 ? ` from ${b.good.length} image${b.good.length === 1 ? '' : 's'}` : ''}
            </button>
            {b.good.length < 1 && <span className="muted">Add good images to build: one is enough to start, a few dozen works best.</span>}
            {b.phase === 'cancelled' && <span className="muted" data-testid="build-cancelled">Build cancelled.</span>}
          </div>
        )}
        {b.error && <p className="error" role="alert" data-testid="build-error">{b.error}</p>}
        {b.summary && b.phase === 'done' && (
          <p className="success" data-testid="build-summary">
            Built from {b.summary.trainCount} image{b.summary.trainCount === 1 ? '' : 's'} ({b.summary.bankRows.toLocaleString()} memory vectors out of{' '}
            {b.summary.patchCount.toLocaleString()} patches), {b.summary.holdoutCount ? `calibrated on ${b.summary.holdoutCount} held-out image${b.summary.holdoutCount === 1 ? '' : 's'}` : 'with nothing held out'}, in{' '}
            {formatSeconds(b.summary.seconds)}.{' '}
            <button type="button" className="btn btn-small" onClick={() => useUi.getState().setTab('inspect')} data-testid="go-inspect">
              Inspect images →
            </button>
          </p>
        )}
        {b.summary?.calibrationNote && b.phase === 'done' && (
          <p className="warning small" data-testid="calibration-note">{b.summary.calibrationNote}</p>
        )}
        <IssueList title="Skipped images" items={b.skipped} testId="skipped-images" />
      </section>

      <Calibration />
    </div>
  );
}

/**
 * "Load custom backbone…": one file picker for the .onnx model, alone (the app proposes its manifest from the shapes
 * of its outputs and shows what it found) or with its .json manifest.
 */
function CustomBackboneLoader({ disabled }: { disabled: boolean }) {
  const input = useRef<HTMLInputElement>(null);
  const loading = useBuild((s) => s.customLoading);
  const error = useBuild((s) => s.customError);
  const proposal = useBuild((s) => s.customProposal);
  const load = useBuild((s) => s.loadCustomBackbone);
  const href = useMemo(() => (proposal ? URL.createObjectURL(new Blob([proposal.json], { type: 'application/json' })) : null), [proposal]);
  useEffect(() => () => { if (href) URL.revokeObjectURL(href); }, [href]);
  return (
    <div className="field">
      <span className="field-label">Your own backbone</span>
      <div className="row">
        <button type="button" className="btn btn-small" onClick={() => input.current?.click()} disabled={disabled || loading} data-testid="custom-backbone-button">
          {loading ? 'Checking the backbone…' : 'Load custom backbone…'}
        </button>
        <HiddenFileInput inputRef={input} accept=".onnx,.json,application/json,application/octet-stream" testId="custom-backbone-input" onFiles={(files) => void load(files)} />
      </div>
      <span className="field-help">
        Select the model (.onnx; one image input, feature maps at stride 8 and 16, or a transformer's patch tokens). The app reads its
        manifest from its outputs; select a manifest (.json; README, "Bring your own backbone") with it to set mean, std or taps yourself.
      </span>
      {proposal && !error && (
        <div className="small" data-testid="custom-backbone-proposal">
          <p>Manifest proposed from the model's outputs:</p>
          <ul>{proposal.notes.map((n) => <li key={n}>{n}.</li>)}</ul>
          {href && <a href={href} download={proposal.fileName} data-testid="custom-backbone-manifest">Download this manifest ({proposal.fileName})</a>}
        </div>
      )}
      {error && <p className="error small" role="alert" data-testid="custom-backbone-error">{error}</p>}
    </div>
  );
}

function TryIt() {
  const demo = useDemo();
  if (!demo.available) return null;
  return (
    <div className="try-it">
      <span className="muted">No photos at hand?</span>
      <button type="button" className="btn" data-testid="try-it" disabled={demo.running} onClick={() => void demo.run()}>
        {demo.running ? demo.status ?? 'Preparing the demo…' : 'Try it with generated demo parts'}
      </button>
      {demo.error && <span className="error" role="alert">{demo.error}</span>}
    </div>
  );
}

function Calibration() {
  const m = useModel((s) => s.current);
  const setThreshold = useModel((s) => s.setThreshold);
  const useF1 = useModel((s) => s.useF1Threshold);
  const save = useModel((s) => s.save);
  const busy = useModel((s) => s.busy);
  const b = useBuild();
  const [name, setName] = useState<string | null>(null);
  const f1 = useMemo(() => f1Suggestion(m ? { goodScores: m.goodScores, defectScores: m.defectScores } : null), [m?.goodScores, m?.defectScores]);
  // The axis covers the scores and the suggested thresholds, and stays put while the threshold is dragged.
  const goodScores = m?.goodScores, defectScores = m?.defectScores, rate = m?.falseAlarmRate;
  const domain = useMemo<[number, number]>(() => {
    if (!goodScores || rate === undefined) return [0, 1];
    const anchors = [...goodScores, ...(defectScores ?? [])].map((s) => s.score);
    if (goodScores.length) anchors.push(farThreshold(goodScores, rate));
    if (f1) anchors.push(f1.threshold);
    return niceDomain(anchors);
  }, [goodScores, defectScores, rate, f1]);
  if (!m) return null;
  const step = (domain[1] - domain[0]) / 500;
  const shownName = name ?? m.name;

  return (
    <section className="card" aria-labelledby="cal-h" data-testid="calibration">
      <h2 id="cal-h">4. Threshold and save</h2>
      <Histogram good={m.goodScores} defective={m.defectScores} threshold={m.threshold} onThreshold={setThreshold} domain={domain} testId="histogram" />
      <div className="threshold-row">
        <label className="field-inline">
          <span className="field-label">Threshold</span>
          <input
            type="range"
            min={domain[0]}
            max={domain[1]}
            step={step}
            value={Math.min(domain[1], Math.max(domain[0], m.threshold))}
            onChange={(e) => setThreshold(Number(e.target.value))}
            aria-label="Threshold"
            data-testid="threshold-slider"
          />
          <input
            type="number"
            className="num"
            value={Number(m.threshold.toPrecision(4))}
            step={step.toPrecision(2)}
            min={0}
            onChange={(e) => setThreshold(Number(e.target.value))}
            aria-label="Threshold value"
            data-testid="threshold-value"
          />
        </label>
        <span className="muted" data-testid="threshold-mode">
          {m.thresholdMode === 'false-alarm' && `from ${m.goodScores.length} scores of good images the memory has not seen (held out, or left out in turn) at ${formatPercent(m.falseAlarmRate, m.falseAlarmRate < 0.01 ? 1 : 0)} false alarms`}
          {m.thresholdMode === 'f1' && 'F1-optimal on your labelled images'}
          {m.thresholdMode === 'manual' && 'set by hand'}
        </span>
        {m.thresholdMode !== 'false-alarm' && m.goodScores.length > 0 && (
          <button type="button" className="btn btn-small" onClick={() => useModel.getState().setFalseAlarmRate(m.falseAlarmRate)}>
            Reset to {formatPercent(m.falseAlarmRate, m.falseAlarmRate < 0.01 ? 1 : 0)} false alarms
          </button>
        )}
      </div>
      {m.goodScores.length > 0 && m.goodScores.length < 5 && (
        <p className="muted small">Only {m.goodScores.length} unseen good-image score{m.goodScores.length === 1 ? '' : 's'}: the threshold is a rough estimate. More good images make it steadier.</p>
      )}

      <div className="subsection">
        <h3>Defective examples (optional)</h3>
        <p className="muted small">If you have photos of defective parts, drop them here: they are scored and shown on the histogram, and you can use the threshold that best separates them.</p>
        <Dropzone testId="defect-dropzone" title="Drop labelled defective images" onFiles={b.addDefective} compact folders />
        {b.scoringDefective && <ProgressBar label="Scoring defective examples" done={b.scoringDefective.done} total={b.scoringDefective.total} />}
        <ThumbGrid items={b.defective} onRemove={b.removeDefective} limit={60} />
        {f1 && (
          <div className="row">
            <button type="button" className="btn" data-testid="use-f1" onClick={useF1} disabled={m.thresholdMode === 'f1'}>
              Use F1-optimal threshold {formatScore(f1.threshold)}
            </button>
            <span className="muted">F1 {f1.f1.toFixed(2)} on your {m.goodScores.length} good and {m.defectScores.length} defective images</span>
          </div>
        )}
      </div>

      <div className="subsection">
        <h3>Save to library</h3>
        <form
          className="row"
          onSubmit={(e) => {
            e.preventDefault();
            void save(shownName).then((meta) => meta && setName(null));
          }}
        >
          <input className="text" value={shownName} onChange={(e) => setName(e.target.value)} aria-label="Model name" data-testid="model-name" />
          <button type="submit" className="btn btn-primary" disabled={!!busy} data-testid="save-model">
            {m.libraryId ? (m.dirty ? 'Save changes' : 'Saved') : 'Save model'}
          </button>
          {m.dirty && <span className="muted">Unsaved changes</span>}
        </form>
      </div>
    </section>
  );
}
