// Webcam spot-check: camera choice, the capture loop that scores frames back to back through `scorePixels`
// (frames that arrive while the engine is busy are simply not captured), frame rate, freeze and snapshot.
import { create } from 'zustand';
import { DEFAULT_CONFIG } from '../patchcore/config';
import type { ScoreResult } from '../worker/protocol';
import { engineRequest } from './engine';
import { ensureModelLoaded, useModel } from './model';
import { newBatchId } from '../storage/recordFormat';
import { whileScoring } from './engineLock';

export type WebcamStatus = 'off' | 'starting' | 'live' | 'frozen' | 'error';

export interface CameraDevice {
  deviceId: string;
  label: string;
}

/**
 * Frames are sent at the model's working size (their shorter side; the camera's own size when smaller), so a
 * model built at 448 px sees 448 px frames and one at 224 px is not slowed by larger ones.
 */
function captureScale(videoW: number, videoH: number, workingSize: number): number {
  return Math.min(1, workingSize / Math.min(videoW, videoH));
}

/** A camera that has not delivered a playing stream by then is reported instead of waited for. */
const START_TIMEOUT_MS = 20_000;

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`${what} did not respond within ${ms / 1000} s`)), ms);
    p.then((v) => (clearTimeout(t), resolve(v)), (e) => (clearTimeout(t), reject(e)));
  });
}

/** Below this many scored frames per second the view says the model is too slow for live use. */
export const LIVE_FPS = 2;

interface WebcamState {
  devices: CameraDevice[];
  deviceId: string | null;
  status: WebcamStatus;
  error: string | null;
  /** Scored frames per second (smoothed). */
  fps: number;
  /** The most recent scored frame and its result. */
  last: { frame: ImageData; result: ScoreResult } | null;
  frames: number;
  /** The snapshots of one camera session are one batch of records (and one report). */
  batch: string;

  listDevices(): Promise<void>;
  selectDevice(id: string, video: HTMLVideoElement | null): Promise<void>;
  start(video: HTMLVideoElement): Promise<void>;
  stop(): void;
  freeze(): void;
  resume(video: HTMLVideoElement): void;
}

let stream: MediaStream | null = null;
let loopToken = 0;

export function cameraErrorMessage(e: unknown): string {
  const name = (e as DOMException)?.name ?? '';
  if (name === 'NotAllowedError' || name === 'SecurityError' || name === 'PermissionDeniedError') {
    return 'Camera access was denied. Allow the camera for this page (the camera icon in the address bar), then press Start camera again.';
  }
  if (name === 'NotFoundError' || name === 'DevicesNotFoundError' || name === 'OverconstrainedError') {
    return 'No camera was found. Connect a camera (or choose another one) and press Start camera again.';
  }
  if (name === 'NotReadableError' || name === 'TrackStartError' || name === 'AbortError') {
    return 'The camera could not be started: another application may be using it. Close that application and try again.';
  }
  return `The camera could not be started: ${(e as Error)?.message || name || 'unknown error'}.`;
}

function stopStream() {
  for (const t of stream?.getTracks() ?? []) t.stop();
  stream = null;
}

function nextFrame(video: HTMLVideoElement): Promise<void> {
  return new Promise((resolve) => {
    if ('requestVideoFrameCallback' in video) video.requestVideoFrameCallback(() => resolve());
    else requestAnimationFrame(() => resolve());
  });
}

export const useWebcam = create<WebcamState>()((set, get) => ({
  devices: [],
  deviceId: null,
  status: 'off',
  error: null,
  fps: 0,
  last: null,
  frames: 0,
  batch: newBatchId(),

  async listDevices() {
    try {
      const all = (await navigator.mediaDevices?.enumerateDevices?.()) ?? [];
      const cams = all.filter((d) => d.kind === 'videoinput');
      const devices = cams.map((d, i) => ({ deviceId: d.deviceId, label: d.label || `Camera ${i + 1}` }));
      const deviceId = get().deviceId && devices.some((d) => d.deviceId === get().deviceId) ? get().deviceId : (devices[0]?.deviceId ?? null);
      set({ devices, deviceId });
    } catch {
      set({ devices: [] });
    }
  },

  async selectDevice(id, video) {
    set({ deviceId: id });
    if (video && (get().status === 'live' || get().status === 'frozen')) {
      get().stop();
      await get().start(video);
    }
  },

  async start(video) {
    if (get().status === 'live' || get().status === 'starting') return;
    if (!navigator.mediaDevices?.getUserMedia) {
      set({ status: 'error', error: 'This browser does not offer camera access here (cameras need a secure page: https or localhost).' });
      return;
    }
    set({ status: 'starting', error: null, fps: 0, frames: 0, batch: newBatchId() });
    try {
      const id = get().deviceId;
      // A model working above 480 px asks the camera for frames at least that high.
      const working = useModel.getState().current?.config.workingSize ?? DEFAULT_CONFIG.workingSize;
      const height = Math.max(480, working), width = Math.round((height * 4) / 3);
      const size = { width: { ideal: width }, height: { ideal: height } };
      // A camera that never answers (a stuck driver, a prompt nobody sees) ends in a message, not a spinner.
      const request = navigator.mediaDevices.getUserMedia({ video: id ? { deviceId: { exact: id }, ...size } : size, audio: false });
      try {
        stream = await withTimeout(request, START_TIMEOUT_MS, 'The camera');
      } catch (e) {
        // A camera that answers after all is switched off again.
        request.then((late) => late.getTracks().forEach((t) => t.stop()), () => undefined);
        throw e;
      }
      video.srcObject = stream;
      video.muted = true;
      await withTimeout(video.play(), START_TIMEOUT_MS, 'The video of the camera');
      await get().listDevices(); // labels appear only after permission is granted
      const trackId = stream.getVideoTracks()[0]?.getSettings().deviceId;
      if (trackId) set({ deviceId: trackId });
      set({ status: 'live' });
      void loop(video, ++loopToken);
    } catch (e) {
      stopStream();
      set({ status: 'error', error: cameraErrorMessage(e) });
    }
  },

  stop() {
    loopToken++;
    stopStream();
    set({ status: 'off', fps: 0 });
  },

  freeze() {
    if (get().status !== 'live') return;
    loopToken++;
    set({ status: 'frozen' });
  },

  resume(video) {
    if (get().status !== 'frozen' || !stream) return;
    set({ status: 'live', fps: 0 });
    void loop(video, ++loopToken);
  },
}));

async function loop(video: HTMLVideoElement, token: number): Promise<void> {
  const canvas = document.createElement('canvas');
  const ctx = canvas.getContext('2d', { willReadFrequently: true })!;
  let lastAt = 0;
  while (token === loopToken) {
    // Without a model the camera still shows live video (to frame the part); scoring starts once there is one.
    if (video.readyState < 2 || !video.videoWidth || !useModel.getState().current) {
      await nextFrame(video);
      continue;
    }
    const s = captureScale(video.videoWidth, video.videoHeight, useModel.getState().current?.config.workingSize ?? DEFAULT_CONFIG.workingSize);
    const w = Math.max(1, Math.round(video.videoWidth * s)), h = Math.max(1, Math.round(video.videoHeight * s));
    if (canvas.width !== w || canvas.height !== h) {
      canvas.width = w;
      canvas.height = h;
    }
    ctx.drawImage(video, 0, 0, w, h);
    const frame = ctx.getImageData(0, 0, w, h);
    const data = new Uint8ClampedArray(frame.data);
    try {
      const result = await whileScoring(async () => {
        await ensureModelLoaded();
        return engineRequest('scorePixels', { name: 'webcam', data, width: w, height: h }, undefined, [data.buffer]).promise;
      });
      if (token !== loopToken) return;
      const now = performance.now();
      const inst = lastAt ? 1000 / (now - lastAt) : 0;
      lastAt = now;
      const prev = useWebcam.getState().fps;
      useWebcam.setState({ last: { frame, result }, fps: prev && inst ? prev * 0.7 + inst * 0.3 : inst, frames: useWebcam.getState().frames + 1 });
    } catch (e) {
      if (token !== loopToken) return;
      loopToken++;
      stopStream();
      useWebcam.setState({ status: 'error', error: `Live scoring stopped: ${(e as Error).message}` });
      return;
    }
  }
}
