// The inspection region, drawn as a rectangle on a good image: in Build > Options before a build (patches outside
// it are neither learnt nor scored, patchcore/region.ts), and on the current model afterwards (then it only
// decides which patches are scored). A tray rim or a fixture then cannot decide the verdict.
import { useEffect, useRef, useState } from 'react';
import { coversAll, type Region } from '../patchcore/region';
import { useBuild } from '../state/build';
import { useModel } from '../state/model';

/** Rectangles smaller than this (a fraction of the side) are taken as a click, not a region. */
const MIN_SIDE = 0.02;

/** Build > Options: the region the next build learns and scores. */
export function RegionEditor({ disabled, note }: { disabled: boolean; note?: string }) {
  const region = useBuild((s) => s.region);
  const setRegion = useBuild((s) => s.setRegion);
  const first = useBuild((s) => s.good[0]);
  return (
    <RegionField
      region={region}
      onChange={setRegion}
      image={first ? { blob: first.file, name: first.path } : null}
      disabled={disabled}
      help={{
        set: (r) => `Only ${pct(r.x0)}–${pct(r.x1)} across and ${pct(r.y0)}–${pct(r.y1)} down is learnt and decides the verdict.`,
        none: note ?? 'The whole image counts. Drag on the image to leave out background, fixtures or a tray rim.',
      }}
      testId="region"
    />
  );
}

/**
 * The current model's region, editable after the build: it then only chooses which patches are scored. Shrinking it
 * is safe (the bank learnt more than is now scored); growing it past what was learnt scores unseen parts high.
 */
export function ModelRegionEditor() {
  const c = useModel((s) => s.current);
  const setRegion = useModel((s) => s.setRegion);
  const first = useBuild((s) => s.good[0]);
  const [thumb, setThumb] = useState<Blob | null>(null);
  const t = c?.thumbnails[0];
  useEffect(() => setThumb(t ? new Blob([t.bytes as BlobPart], { type: t.mime }) : null), [t]);
  if (!c) return null;
  const image = first ? { blob: first.file, name: first.path } : thumb ? { blob: thumb, name: 'a training image' } : null;
  return (
    <RegionField
      region={c.config.region ?? null}
      onChange={setRegion}
      image={image}
      disabled={false}
      help={{
        set: (r) => `Scored: ${pct(r.x0)}–${pct(r.x1)} across, ${pct(r.y0)}–${pct(r.y1)} down. A region larger than the one the model learnt scores the new parts as unseen: rebuild to learn them.`,
        none: 'Every patch is scored. Drag to score only part of the image; inspected images are scored again.',
      }}
      testId="model-region"
    />
  );
}

const pct = (v: number) => `${Math.round(v * 100)}%`;

function RegionField({ region, onChange, image, disabled, help, testId }: {
  region: Region | null;
  onChange: (r: Region | null) => void;
  image: { blob: Blob; name: string } | null;
  disabled: boolean;
  help: { set: (r: Region) => string; none: string };
  testId: string;
}) {
  const setRegion = onChange;
  const first = image;
  const [url, setUrl] = useState<string | null>(null);
  const [drag, setDrag] = useState<{ x: number; y: number; x2: number; y2: number } | null>(null);
  const box = useRef<HTMLDivElement>(null);

  useEffect(() => {
    if (!first) return setUrl(null);
    const u = URL.createObjectURL(first.blob);
    setUrl(u);
    return () => URL.revokeObjectURL(u);
  }, [first?.blob]);

  const at = (e: React.PointerEvent) => {
    const r = box.current!.getBoundingClientRect();
    return { x: Math.min(1, Math.max(0, (e.clientX - r.left) / r.width)), y: Math.min(1, Math.max(0, (e.clientY - r.top) / r.height)) };
  };
  const shown: Region | null = drag
    ? { x0: Math.min(drag.x, drag.x2), y0: Math.min(drag.y, drag.y2), x1: Math.max(drag.x, drag.x2), y1: Math.max(drag.y, drag.y2) }
    : region;
  return (
    <div className="field">
      <span className="field-label">Inspection region</span>
      {/* The URL of an image that was just removed lives until the effect above runs: show nothing meanwhile. */}
      {url && first ? (
        <div
          ref={box}
          className={`region-box${disabled ? ' is-disabled' : ''}`}
          data-testid={`${testId}-editor`}
          aria-label="Drag on the image to draw the inspection region"
          onPointerDown={(e) => {
            if (disabled) return;
            (e.target as Element).setPointerCapture?.(e.pointerId);
            const p = at(e);
            setDrag({ x: p.x, y: p.y, x2: p.x, y2: p.y });
          }}
          onPointerMove={(e) => drag && setDrag({ ...drag, x2: at(e).x, y2: at(e).y })}
          onPointerUp={() => {
            if (!drag || !shown) return;
            setDrag(null);
            if (shown.x1 - shown.x0 < MIN_SIDE || shown.y1 - shown.y0 < MIN_SIDE) return;
            setRegion(coversAll(shown) ? null : shown);
          }}
        >
          <img src={url} alt={`${first.name}: drag to draw the region`} draggable={false} />
          {shown && (
            <div
              className="region-rect"
              data-testid={`${testId}-rect`}
              style={{ left: pct(shown.x0), top: pct(shown.y0), width: pct(shown.x1 - shown.x0), height: pct(shown.y1 - shown.y0) }}
            />
          )}
        </div>
      ) : (
        <span className="muted small">Add good images to draw a region on one of them.</span>
      )}
      <div className="row">
        <span className="field-help" data-testid={`${testId}-help`}>{region ? help.set(region) : help.none}</span>
        {region && (
          <button type="button" className="btn btn-small" onClick={() => setRegion(null)} disabled={disabled} data-testid={`${testId}-clear`}>
            Whole image
          </button>
        )}
      </div>
    </div>
  );
}
