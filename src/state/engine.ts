// The engine worker as the UI sees it: one client, which backbone is loaded, which model the worker holds, and
// the EngineInfo from `init`. Every screen asks for work through these actions; none touches ORT or the GPU.
import { create } from 'zustand';
import { EngineClient, isAbort, type Job } from '../worker/client';
import type { EngineInfo, RequestMap, RequestType } from '../worker/protocol';
import type { Progress } from '../patchcore/types';
import { DEFAULT_CONFIG } from '../patchcore/config';

export type EngineStatus = 'idle' | 'starting' | 'ready' | 'error';

interface EngineState {
  status: EngineStatus;
  info: EngineInfo | null;
  /** Readable sentence when the engine could not start; the rest of the app keeps the user's images. */
  error: string | null;
  /** Key of the model the worker currently holds (see model store), or null after init. */
  loadedModelKey: number | null;
  storage: { usage: number; quota: number } | null;
  start(backbone?: string): Promise<EngineInfo | null>;
  refreshStorage(): Promise<void>;
}

let client: EngineClient | null = null;
let starting: Promise<EngineInfo> | null = null;
let startingBackbone: string | null = null;

function getClient(): EngineClient {
  if (!client) client = new EngineClient();
  return client;
}

/** Restarts the worker from scratch (used after it crashed). */
function resetClient(): void {
  client?.terminate();
  client = null;
}

export function engineErrorMessage(e: unknown): string {
  const msg = (e as Error)?.message ?? String(e);
  return msg.replace(/\s+/g, ' ').trim() || 'The engine failed without saying why';
}

export const useEngine = create<EngineState>()((set, get) => ({
  status: 'idle',
  info: null,
  error: null,
  loadedModelKey: null,
  storage: null,

  async start(backbone = DEFAULT_CONFIG.backbone) {
    try {
      await ensureBackbone(backbone);
      return get().info;
    } catch {
      return null;
    }
  },

  async refreshStorage() {
    try {
      const est = await navigator.storage?.estimate?.();
      if (est) set({ storage: { usage: est.usage ?? 0, quota: est.quota ?? 0 } });
    } catch {
      // Storage estimates are a nicety; some browsers refuse them in private windows.
    }
  },
}));

/** Makes sure the worker runs `backbone`; (re)initialises it if not. Throws a readable Error on failure. */
export async function ensureBackbone(backbone: string): Promise<EngineInfo> {
  const s = useEngine.getState();
  if (s.status === 'ready' && s.info?.backbone === backbone) return s.info;
  if (starting && startingBackbone === backbone) return starting;
  if (starting) await starting.catch(() => undefined);
  if (useEngine.getState().status === 'error') resetClient();
  useEngine.setState({ status: 'starting', error: null, loadedModelKey: null });
  startingBackbone = backbone;
  const job = getClient().request('init', { backbone });
  starting = job.promise;
  try {
    const info = await job.promise;
    useEngine.setState({ status: 'ready', info, error: null, loadedModelKey: null });
    return info;
  } catch (e) {
    const error = `The engine could not start (${engineErrorMessage(e)}). Building and inspecting are unavailable until it does; your images are kept.`;
    useEngine.setState({ status: 'error', error, info: null, loadedModelKey: null });
    throw new Error(error);
  } finally {
    starting = null;
    startingBackbone = null;
  }
}

/** Sends one request to the worker. Callers keep the Job to cancel it. */
export function engineRequest<K extends RequestType>(
  type: K,
  args: RequestMap[K]['args'],
  onProgress?: (p: Progress) => void,
  transfer: Transferable[] = [],
): Job<RequestMap[K]['result']> {
  return getClient().request(type, args, onProgress, transfer);
}

export function markModelLoaded(key: number | null): void {
  useEngine.setState({ loadedModelKey: key });
}

export { isAbort };
