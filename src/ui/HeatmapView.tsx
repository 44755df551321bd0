// The selected image with its anomaly map: overlay or side by side, opacity, outline, zoom (wheel or buttons).
import { useEffect, useRef, useState } from 'react';
import { isFail } from '../patchcore/calibration';
import type { InspectItem } from '../state/inspect';
import { useInspect } from '../state/inspect';
import { drawOverlay } from './lib/heatmap';
import { decodeBitmap } from '../worker/decode';
import { formatScore } from './lib/format';

const bitmaps = new Map<File, Promise<ImageBitmap>>();
/** Decoded images of recently viewed files (a handful; the rest are decoded again when revisited). */
function bitmapOf(file: File): Promise<ImageBitmap> {
  let p = bitmaps.get(file);
  if (!p) {
    // At most the engine's decode size: a 50-megapixel photo is shown without holding its full-size pixels.
    p = decodeBitmap(file, file.name).then((d) => d.bitmap);
    bitmaps.set(file, p);
    p.catch(() => bitmaps.delete(file));
    if (bitmaps.size > 12) {
      const [oldest] = bitmaps.keys();
      const old = bitmaps.get(oldest);
      bitmaps.delete(oldest);
      old?.then((b) => b.close()).catch(() => undefined);
    }
  }
  return p;
}

function useElementWidth<T extends HTMLElement>(): [React.RefObject<T | null>, number] {
  const ref = useRef<T>(null);
  const [w, setW] = useState(0);
  useEffect(() => {
    const el = ref.current;
    if (!el) return;
    const ro = new ResizeObserver(() => setW(el.clientWidth));
    ro.observe(el);
    setW(el.clientWidth);
    return () => ro.disconnect();
  }, []);
  return [ref, w];
}

interface CanvasProps {
  bitmap: ImageBitmap;
  item: InspectItem;
  threshold: number;
  overlay: boolean;
  cssWidth: number;
  testId: string;
}

function ImageCanvas({ bitmap, item, threshold, overlay, cssWidth, testId }: CanvasProps) {
  const ref = useRef<HTMLCanvasElement>(null);
  const view = useInspect((s) => s.view);
  const cssHeight = (cssWidth * bitmap.height) / bitmap.width;
  useEffect(() => {
    const c = ref.current;
    if (!c) return;
    const dpr = Math.min(window.devicePixelRatio || 1, 2);
    const scale = Math.min(dpr, 4096 / Math.max(cssWidth, cssHeight));
    c.width = Math.max(1, Math.round(cssWidth * scale));
    c.height = Math.max(1, Math.round(cssHeight * scale));
    const ctx = c.getContext('2d')!;
    ctx.imageSmoothingQuality = 'high';
    ctx.drawImage(bitmap, 0, 0, c.width, c.height);
    if (overlay && item.result) {
      drawOverlay(ctx, item.result.map, { x: 0, y: 0, w: c.width, h: c.height }, { threshold, opacity: view.opacity, contour: view.contour, window: item.result.window, region: item.result.region });
    }
  }, [bitmap, item.result, threshold, overlay, cssWidth, cssHeight, view.opacity, view.contour]);
  return <canvas ref={ref} style={{ width: cssWidth, height: cssHeight }} data-testid={testId} aria-label={overlay ? `${item.name} with anomaly heatmap` : item.name} role="img" />;
}

export function HeatmapView({ item, threshold }: { item: InspectItem; threshold: number }) {
  const view = useInspect((s) => s.view);
  const setView = useInspect((s) => s.setView);
  const zoomBy = useInspect((s) => s.zoomBy);
  const [bitmap, setBitmap] = useState<ImageBitmap | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [stage, width] = useElementWidth<HTMLDivElement>();

  useEffect(() => {
    let live = true;
    setError(null);
    setBitmap(null); // never show the previous image under this one's name while it loads (or if it cannot)
    bitmapOf(item.file)
      .then((b) => live && setBitmap(b))
      .catch(() => live && setError(`${item.name} could not be shown: the browser cannot decode it.`));
    return () => {
      live = false;
    };
  }, [item.file, item.name]);

  // Plain wheel scrolls the page; Ctrl + wheel (and trackpad pinch, which Chromium reports as Ctrl + wheel)
  // zooms. React's wheel listeners are passive, so this one is attached by hand to be able to preventDefault.
  useEffect(() => {
    const el = stage.current;
    if (!el) return;
    const onWheel = (e: globalThis.WheelEvent) => {
      if (!e.ctrlKey && !e.metaKey) return;
      e.preventDefault();
      zoomBy(e.deltaY < 0 ? 1.15 : 1 / 1.15);
    };
    el.addEventListener('wheel', onWheel, { passive: false });
    return () => el.removeEventListener('wheel', onWheel);
  }, [stage, zoomBy]);

  const side = view.mode === 'side-by-side';
  // "Fit" (100%) shows the whole image: as wide as the stage, but no taller than the stage's max-height (72vh in
  // styles.css), so a tall part (a 320 x 800 strip) is seen whole instead of needing a scroll.
  const fitHeight = window.innerHeight * 0.72 - 2;
  const byHeight = bitmap ? (fitHeight * bitmap.width) / bitmap.height : Infinity;
  const fitWidth = Math.max(120, Math.min((side ? width / 2 - 8 : width) - 2, byHeight));
  const cssWidth = fitWidth * view.zoom;
  const fail = item.result ? isFail(item.result.score, threshold) : null;

  return (
    <div className="viewer" data-testid="viewer">
      <div className="viewer-bar">
        <div className="viewer-title">
          <strong title={item.name}>{item.name}</strong>
          {item.result && (
            <span className={`verdict ${fail ? 'is-fail' : 'is-pass'}`} data-testid="viewer-verdict">
              {fail ? 'FAIL' : 'PASS'} · {formatScore(item.result.score)}
            </span>
          )}
          {item.status === 'scoring' && <span className="muted">scoring…</span>}
        </div>
        <div className="viewer-controls">
          <div className="segmented" role="radiogroup" aria-label="View mode">
            <button type="button" role="radio" aria-checked={!side} className={`segment${!side ? ' is-on' : ''}`} onClick={() => setView({ mode: 'overlay' })}>Overlay</button>
            <button type="button" role="radio" aria-checked={side} className={`segment${side ? ' is-on' : ''}`} onClick={() => setView({ mode: 'side-by-side' })} data-testid="side-by-side">Side by side</button>
          </div>
          <label className="field-inline">
            <span>Opacity</span>
            <input type="range" min={0} max={1} step={0.05} value={view.opacity} onChange={(e) => setView({ opacity: Number(e.target.value) })} aria-label="Heatmap opacity" data-testid="opacity" />
          </label>
          <label className="field-inline">
            <input type="checkbox" checked={view.contour} onChange={(e) => setView({ contour: e.target.checked })} /> Outline
          </label>
          <div className="zoom" role="group" aria-label="Zoom">
            <button type="button" className="btn btn-small" onClick={() => zoomBy(1 / 1.25)} aria-label="Zoom out">−</button>
            <button type="button" className="btn btn-small" onClick={() => setView({ zoom: 1 })} aria-label="Fit to view" data-testid="zoom-reset">{Math.round(view.zoom * 100)}%</button>
            <button type="button" className="btn btn-small" onClick={() => zoomBy(1.25)} aria-label="Zoom in" data-testid="zoom-in">+</button>
          </div>
        </div>
      </div>
      <div className="viewer-stage" ref={stage}>
        {error && !item.error && <p className="error" role="alert">{error}</p>}
        {item.error && <p className="error" role="alert">{item.error}</p>}
        {bitmap && width > 0 && (
          <div className={`viewer-canvases${side ? ' is-side' : ''}`}>
            {side && <ImageCanvas bitmap={bitmap} item={item} threshold={threshold} overlay={false} cssWidth={cssWidth} testId="original-canvas" />}
            <ImageCanvas bitmap={bitmap} item={item} threshold={threshold} overlay cssWidth={cssWidth} testId="overlay-canvas" />
          </div>
        )}
      </div>
      <div className="legend" aria-hidden="true">
        <span className="muted">below threshold</span>
        <span className="legend-ramp" />
        <span className="muted">above</span>
        <span className="muted small">Ctrl + wheel to zoom</span>
      </div>
    </div>
  );
}
