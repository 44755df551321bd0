// Build > Options: the working size (the shorter side the backbone sees) and what it costs on this machine,
// measured on the first good image before the build starts (state/build.ts refreshEstimate).
import { AUTO_MAX_SHRINK, AUTO_MAX_SIZE, DEFAULT_CONFIG, WORKING_SIZES, autoWorkingSize, type WorkingSizeChoice } from '../patchcore/config';
import { buildConfig, useBuild } from '../state/build';
import { useEngine } from '../state/engine';
import { formatBytes } from '../lib/format';
import { formatSeconds } from './lib/format';

/** Inspection slower than this is called out: the webcam and a busy line want about one image a second. */
const SLOW_INSPECT_SECONDS = 1;

function encode(w: WorkingSizeChoice): string {
  return String(w);
}

function decode(v: string): WorkingSizeChoice {
  return v === 'auto' || v === 'native' ? v : Number(v);
}

export function WorkingSizeField({ disabled }: { disabled: boolean }) {
  const b = useBuild();
  const custom = useEngine((s) => s.customBackbones.find((c) => c.id === b.backbone));
  const fixed = custom && !custom.inputMultiple;
  const resolved = buildConfig(b).workingSize;
  const side = b.imageShorterSide;
  const help = fixed
    ? `This custom backbone takes only its own ${custom.inputSize} px input.`
    : b.workingSize === 'auto'
      ? side
        ? `Your images are ${side} px on their shorter side: auto works at ${resolved} px (${autoWorkingSize(side) === DEFAULT_CONFIG.workingSize ? 'small images keep the fast default' : `shrunk at most ${AUTO_MAX_SHRINK}x, so small defects stay visible`}).`
        : `Images are shrunk at most ${AUTO_MAX_SHRINK}x, from 224 px up to ${AUTO_MAX_SIZE} px: 224 px up to 560 px images, 448 px for 1000 px camera images.`
      : `The backbone sees each image at ${resolved} px on its shorter side. Larger sizes show smaller defects but cost about the square in time and memory.`;
  return (
    <div className="field">
      <label className="field-label" htmlFor="working-size">Working size</label>
      <select
        id="working-size"
        value={fixed ? String(custom.inputSize) : encode(b.workingSize)}
        onChange={(e) => b.setWorkingSize(decode(e.target.value))}
        disabled={disabled || fixed}
        data-testid="working-size"
      >
        {fixed && <option value={custom.inputSize}>{custom.inputSize} px (this backbone's only size)</option>}
        <option value="auto">Auto{side ? ` (${resolveLabel(b, 'auto')} px for these images)` : ' (by image size)'}</option>
        {WORKING_SIZES.map((s) => (
          <option key={s} value={s}>{s} px{s === DEFAULT_CONFIG.workingSize ? ' (fastest)' : ''}</option>
        ))}
        <option value="native">Image's own size{side ? ` (${resolveLabel(b, 'native')} px)` : ''}</option>
      </select>
      <span className="field-help" data-testid="working-size-help">{help}</span>
      <CostPreview />
    </div>
  );
}

function resolveLabel(b: ReturnType<typeof useBuild.getState>, choice: WorkingSizeChoice): number {
  return buildConfig({ ...b, workingSize: choice }).workingSize;
}

function CostPreview() {
  const e = useBuild((s) => s.estimate);
  const good = useBuild((s) => s.good.length);
  if (good < 2 || e.status === 'none') return null;
  if (e.status === 'measuring') {
    return <p className="muted small" data-testid="cost-estimate" aria-busy="true">Measuring what {e.workingSize} px costs on this machine…</p>;
  }
  if (e.status === 'error') {
    return <p className="error small" data-testid="cost-estimate">Could not measure the cost at {e.workingSize} px: {e.error}</p>;
  }
  const r = e.result;
  const slow = r.inspectSeconds > SLOW_INSPECT_SECONDS;
  return (
    <div className="cost small" data-testid="cost-estimate">
      <div>
        At <strong>{e.workingSize} px</strong> ({r.inputWidth} × {r.inputHeight} backbone input): {r.patchesPerImage.toLocaleString()} patches an
        image, {r.patches.toLocaleString()} in all → bank of {r.bank.toLocaleString()} vectors ({formatBytes(r.bankBytes)}).
      </div>
      <div>
        Build about <strong data-testid="cost-build">{formatSeconds(r.buildSeconds)}</strong>
        {r.calibrationSeconds >= 1 ? <> (of which {formatSeconds(r.calibrationSeconds)} to calibrate)</> : null} and {formatBytes(r.memoryBytes)} for the
        selection; inspection <strong data-testid="cost-inspect" className={slow ? 'warning' : undefined}>{formatSeconds(r.inspectSeconds)}</strong> an image
        {slow ? ': slow for the webcam and for a busy line' : ''}.
      </div>
      <div className="muted">Measured on {r.sample} ({r.imageWidth} × {r.imageHeight}); the build time is an estimate from that measurement.</div>
    </div>
  );
}
