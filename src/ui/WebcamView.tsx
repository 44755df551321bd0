// The Webcam tab: live heatmap and verdict over the camera picture, frame rate, freeze, snapshot.
import { useEffect, useRef } from 'react';
import { isFail } from '../patchcore/calibration';
import { useModel } from '../state/model';
import { LIVE_FPS, useWebcam } from '../state/webcam';
import { useUi } from '../state/ui';
import { useHistory } from '../state/history';
import { canvasToPng, downloadBlob } from './lib/download';
import { composeOverlay, drawOverlay } from './lib/heatmap';
import { formatScore } from './lib/format';

export function WebcamView() {
  const w = useWebcam();
  const model = useModel((s) => s.current);
  const setTab = useUi((s) => s.setTab);
  const video = useRef<HTMLVideoElement>(null);
  const overlay = useRef<HTMLCanvasElement>(null);
  const frozen = useRef<HTMLCanvasElement>(null);

  useEffect(() => {
    void w.listDevices();
    return () => useWebcam.getState().stop();
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, []);

  // Draws the latest result: over the live video (overlay only), or the frozen frame with its overlay.
  useEffect(() => {
    const last = w.last;
    if (!last || !model) return;
    const opts = { threshold: model.threshold, opacity: 0.7, contour: true, window: last.result.window, region: last.result.region };
    const c = w.status === 'frozen' ? frozen.current : overlay.current;
    if (!c) return;
    c.width = last.frame.width * 2;
    c.height = last.frame.height * 2;
    const ctx = c.getContext('2d')!;
    ctx.clearRect(0, 0, c.width, c.height);
    if (w.status === 'frozen') {
      const tmp = new OffscreenCanvas(last.frame.width, last.frame.height);
      tmp.getContext('2d')!.putImageData(last.frame, 0, 0);
      ctx.drawImage(tmp, 0, 0, c.width, c.height);
    }
    drawOverlay(ctx, last.result.map, { x: 0, y: 0, w: c.width, h: c.height }, opts);
  }, [w.last, w.status, model]);

  const snapshot = async () => {
    const last = useWebcam.getState().last;
    if (!last || !model) return;
    const tmp = new OffscreenCanvas(last.frame.width, last.frame.height);
    tmp.getContext('2d')!.putImageData(last.frame, 0, 0);
    const fail = isFail(last.result.score, model.threshold);
    const c = composeOverlay(tmp, last.result.map, { threshold: model.threshold, opacity: 0.7, contour: true, window: last.result.window, region: last.result.region }, {
      text: `${fail ? 'FAIL' : 'PASS'}  ${last.result.score.toFixed(3)} / ${model.threshold.toFixed(3)}`,
      fail,
    });
    const stamp = new Date().toISOString().replace(/[:.]/g, '-');
    downloadBlob(await canvasToPng(c), `webcam ${stamp}.png`);
    // The snapshot is a record too; its frame (not the overlay) is kept for this session so it can be taught.
    const frame = new File([await canvasToPng(tmp)], `webcam ${stamp}.png`, { type: 'image/png' });
    await useHistory.getState().record({ name: `webcam/${stamp}.png`, source: 'webcam', batch: useWebcam.getState().batch, file: frame, frame: last.frame, result: last.result, model });
  };

  const live = w.status === 'live' || w.status === 'frozen';
  const fail = w.last && model ? isFail(w.last.result.score, model.threshold) : null;

  return (
    <div className="view webcam-view">
      <section className="card">
        <div className="row webcam-bar">
          <label className="field-inline">
            <span>Camera</span>
            <select
              value={w.deviceId ?? ''}
              onChange={(e) => void w.selectDevice(e.target.value, video.current)}
              disabled={w.status === 'starting'}
              data-testid="camera-select"
              aria-label="Camera"
            >
              {w.devices.length === 0 && <option value="">Default camera</option>}
              {w.devices.map((d) => <option key={d.deviceId} value={d.deviceId}>{d.label}</option>)}
            </select>
          </label>
          {!live ? (
            <button type="button" className="btn btn-primary" data-testid="camera-start" disabled={w.status === 'starting'} onClick={() => video.current && void w.start(video.current)}>
              {w.status === 'starting' ? 'Starting…' : 'Start camera'}
            </button>
          ) : (
            <>
              <button type="button" className="btn" data-testid="camera-stop" onClick={w.stop}>Stop</button>
              {w.status === 'live' ? (
                <button type="button" className="btn" data-testid="camera-freeze" onClick={w.freeze}>Freeze</button>
              ) : (
                <button type="button" className="btn" data-testid="camera-resume" onClick={() => video.current && w.resume(video.current)}>Resume</button>
              )}
              <button type="button" className="btn" data-testid="camera-snapshot" disabled={!w.last} onClick={() => void snapshot()}>Save snapshot</button>
            </>
          )}
          {live && (
            <span className="muted" data-testid="camera-fps" data-frames={w.frames} aria-live="off">
              {w.status === 'frozen' ? 'frozen' : `${w.fps.toFixed(1)} fps`}
            </span>
          )}
          {live && model && (
            <span className="muted" data-testid="camera-size">
              model at {model.config.workingSize} px
            </span>
          )}
        </div>
        {w.status === 'live' && model && w.frames >= 3 && w.fps > 0 && w.fps < LIVE_FPS && (
          <p className="warning small" role="status" data-testid="camera-slow">
            Too slow for live use: this model works at {model.config.workingSize} px and scores {w.fps.toFixed(1)} frames a
            second on this machine. Freeze a frame to look at it, or build a model at a smaller working size (Build &gt;
            Options) for the webcam.
          </p>
        )}
        {!model && w.status !== 'error' && (
          <p className="muted">
            There is no model yet. <button type="button" className="btn btn-link" onClick={() => setTab('build')}>Build one</button> or open one from the library first.
          </p>
        )}
        {w.error && <p className="error" role="alert" data-testid="camera-error">{w.error}</p>}
        <div className={`webcam-stage${live ? '' : ' is-off'}`}>
          <video ref={video} playsInline muted data-testid="camera-video" style={{ visibility: w.status === 'frozen' ? 'hidden' : 'visible' }} />
          <canvas ref={overlay} className="webcam-overlay" data-testid="camera-overlay" style={{ display: w.status === 'live' ? 'block' : 'none' }} />
          <canvas ref={frozen} className="webcam-overlay" data-testid="camera-frozen" style={{ display: w.status === 'frozen' ? 'block' : 'none' }} />
          {live && w.last && model && (
            <div className={`webcam-verdict ${fail ? 'is-fail' : 'is-pass'}`} data-testid="camera-verdict">
              {fail ? 'FAIL' : 'PASS'} <span>{formatScore(w.last.result.score)}</span>
            </div>
          )}
          {!live && <div className="webcam-placeholder muted">Camera is off</div>}
        </div>
      </section>
    </div>
  );
}
