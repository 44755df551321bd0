// Build > Options: the inspection region, drawn as a rectangle on a good image. Patches outside it are neither
// learnt nor scored (patchcore/region.ts), so a tray rim or fixture cannot decide the verdict.
import { useEffect, useRef, useState } from 'react';
import { coversAll, type Region } from '../patchcore/region';
import { useBuild } from '../state/build';

/** Rectangles smaller than this (a fraction of the side) are taken as a click, not a region. */
const MIN_SIDE = 0.02;

export function RegionEditor({ disabled }: { disabled: boolean }) {
  const region = useBuild((s) => s.region);
  const setRegion = useBuild((s) => s.setRegion);
  const first = useBuild((s) => s.good[0]);
  const [url, setUrl] = useState<string | null>(null);
  const [drag, setDrag] = useState<{ x: number; y: number; x2: number; y2: number } | null>(null);
  const box = useRef<HTMLDivElement>(null);

  useEffect(() => {
    if (!first) return setUrl(null);
    const u = URL.createObjectURL(first.file);
    setUrl(u);
    return () => URL.revokeObjectURL(u);
  }, [first]);

  const at = (e: React.PointerEvent) => {
    const r = box.current!.getBoundingClientRect();
    return { x: Math.min(1, Math.max(0, (e.clientX - r.left) / r.width)), y: Math.min(1, Math.max(0, (e.clientY - r.top) / r.height)) };
  };
  const shown: Region | null = drag
    ? { x0: Math.min(drag.x, drag.x2), y0: Math.min(drag.y, drag.y2), x1: Math.max(drag.x, drag.x2), y1: Math.max(drag.y, drag.y2) }
    : region;
  const pct = (v: number) => `${Math.round(v * 100)}%`;

  return (
    <div className="field">
      <span className="field-label">Inspection region</span>
      {url ? (
        <div
          ref={box}
          className={`region-box${disabled ? ' is-disabled' : ''}`}
          data-testid="region-editor"
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
          <img src={url} alt={`${first.path}: drag to draw the region`} draggable={false} />
          {shown && (
            <div
              className="region-rect"
              data-testid="region-rect"
              style={{ left: pct(shown.x0), top: pct(shown.y0), width: pct(shown.x1 - shown.x0), height: pct(shown.y1 - shown.y0) }}
            />
          )}
        </div>
      ) : (
        <span className="muted small">Add good images to draw a region on one of them.</span>
      )}
      <div className="row">
        <span className="field-help" data-testid="region-help">
          {region
            ? `Only ${pct(region.x0)}–${pct(region.x1)} across and ${pct(region.y0)}–${pct(region.y1)} down is learnt and decides the verdict.`
            : 'The whole image counts. Drag on the image to leave out background, fixtures or a tray rim.'}
        </span>
        {region && (
          <button type="button" className="btn btn-small" onClick={() => setRegion(null)} disabled={disabled} data-testid="region-clear">
            Whole image
          </button>
        )}
      </div>
    </div>
  );
}
