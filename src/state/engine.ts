// The engine worker as the UI sees it: one client, which backbone is loaded, which model the worker holds, and
// the EngineInfo from `init`. Every screen asks for work through these actions; none touches ORT or the GPU.
import { create } from 'zustand';
import { EngineClient, isAbort, type Job } from '../worker/client';
import type { CustomBackboneFiles, EngineInfo, RequestMap, RequestType } from '../worker/protocol';
import type { IndexSource } from '../patchcore/patchcore';
import type { Progress } from '../patchcore/types';
import { DEFAULT_CONFIG } from '../patchcore/config';
import { INSTALLABLE_BACKBONES, isKnownBackbone } from '../backbone/manifests';
import { defaultDistance, type Distance } from '../backbone/manifest';

/** A user's own backbone that loaded and checked out in the worker this session (src/backbone/custom.ts). */
export interface CustomBackboneInfo {
  id: string;
  label: string;
  /** Channels of each tap (the stride-8 and stride-16 maps, or a transformer's tokens alone). */
  channels: number[];
  /** The backbone input side; builds with this backbone keep it as their working size unless `inputMultiple` is set. */
  inputSize: number;
  /** The manifest's inputMultiple: the graph takes any size that is a multiple of it (so other working sizes). */
  inputMultiple?: number;
  /** The distance models on it use (cosine for a transformer's tokens). */
  distance: Distance;
  /** The files it came from. */
  name: string;
}

export type EngineStatus = 'idle' | 'starting' | 'ready' | 'error';

interface EngineState {
  status: EngineStatus;
  info: EngineInfo | null;
  /** Readable sentence when the engine could not start; the rest of the app keeps the user's images. */
  error: string | null;
  /** Key of the model the worker currently holds (see model store), or null after init. */
  loadedModelKey: number | null;
  /**
   * Where the model the worker holds got its nearest-neighbour index: restored (stored with the bank), built (on
   * this build or load, in `seconds`), or none (kernels that search without one, a small bank); null before a model.
   */
  modelIndex: { source: IndexSource; seconds: number } | null;
  storage: { usage: number; quota: number } | null;
  /** Custom backbones loaded this session (their bytes stay in memory so the worker can switch back to them). */
  customBackbones: CustomBackboneInfo[];
  /** The installable backbones (manifests.ts) this server has; null until asked. */
  installed: string[] | null;
  /** Reads which installable backbones the server has (models.json beside the graphs). */
  refreshInstalled(): Promise<void>;
  start(backbone?: string): Promise<EngineInfo | null>;
  refreshStorage(): Promise<void>;
}

let client: EngineClient | null = null;
let starting: Promise<EngineInfo> | null = null;
let startingBackbone: string | null = null;
/** The files of each loaded custom backbone, by manifest id, for re-initialising the worker with it. */
const customFiles = new Map<string, CustomBackboneFiles>();

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

/**
 * Which installable backbones this server has: their ids in the models.json that scripts/build-backbones.mjs writes
 * beside the graphs. None when it cannot be read.
 */
export async function installedBackbones(base = '/models/'): Promise<string[]> {
  try {
    const res = await fetch(`${base}models.json`, { cache: 'no-cache' });
    if (!res.ok) return [];
    const stamp = (await res.json()) as { models?: Record<string, unknown> };
    return INSTALLABLE_BACKBONES.map((b) => b.id).filter((id) => !!stamp.models?.[id]);
  } catch {
    return [];
  }
}

export const useEngine = create<EngineState>()((set, get) => ({
  status: 'idle',
  info: null,
  error: null,
  loadedModelKey: null,
  modelIndex: null,
  storage: null,
  customBackbones: [],
  installed: null,

  async refreshInstalled() {
    set({ installed: await installedBackbones() });
  },

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
  const custom = customFiles.get(backbone);
  if (!custom && !isKnownBackbone(backbone)) {
    throw new Error(
      `This needs the custom backbone "${backbone}", which is not loaded in this session. ` +
        'Load its .onnx file and manifest under Build > Options first.',
    );
  }
  if (starting && startingBackbone === backbone) return starting;
  if (starting) await starting.catch(() => undefined);
  if (useEngine.getState().status === 'error') resetClient();
  useEngine.setState({ status: 'starting', error: null, loadedModelKey: null });
  startingBackbone = backbone;
  const job = getClient().request('init', { backbone, ...(custom ? { custom } : {}) });
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

/**
 * Loads a user's own backbone (ONNX bytes + manifest JSON text) into the worker and makes it the engine's
 * backbone. The worker checks the pair end to end; if they do not fit, it throws the loader's sentence and the
 * engine keeps the backbone (and model) it had.
 */
export async function loadCustomBackbone(onnx: ArrayBuffer, manifest: string, name: string): Promise<CustomBackboneInfo> {
  let id = 'custom';
  try {
    const m = JSON.parse(manifest);
    if (typeof m?.id === 'string') id = m.id;
  } catch {
    // Not JSON: the worker's manifest check says so in words.
  }
  if (isKnownBackbone(id)) {
    throw new Error(`The manifest id "${id}" is a built-in backbone's; give your backbone an id of its own.`);
  }
  while (starting) await starting.catch(() => undefined);
  const prev = useEngine.getState();
  if (prev.status === 'error') resetClient();
  const files: CustomBackboneFiles = { onnx, manifest, name };
  useEngine.setState({ status: 'starting', error: null });
  startingBackbone = null; // nobody else waits on this init as "their" backbone
  // The bytes are copied, not transferred: they are kept to switch back to this backbone later.
  const job = getClient().request('init', { backbone: id, custom: files });
  starting = job.promise;
  try {
    const info = await job.promise;
    const m = JSON.parse(manifest) as { id: string; label?: unknown; inputSize: number; inputMultiple?: number; distance?: unknown; taps: { channels: number; kind?: unknown }[] };
    const entry: CustomBackboneInfo = {
      id: info.backbone,
      label: typeof m.label === 'string' ? m.label : m.id,
      channels: m.taps.map((t) => t.channels),
      distance: defaultDistance(m),
      inputSize: m.inputSize,
      ...(m.inputMultiple ? { inputMultiple: m.inputMultiple } : {}),
      name,
    };
    customFiles.set(entry.id, files);
    useEngine.setState({
      status: 'ready',
      info,
      error: null,
      loadedModelKey: null,
      customBackbones: [...useEngine.getState().customBackbones.filter((c) => c.id !== entry.id), entry],
    });
    return entry;
  } catch (e) {
    // The worker kept what it had; so does the store (a fresh worker after an error has nothing yet: idle).
    if (prev.status === 'ready') useEngine.setState({ status: 'ready', info: prev.info, error: null, loadedModelKey: prev.loadedModelKey });
    else useEngine.setState({ status: 'idle', info: null, error: null, loadedModelKey: null });
    throw new Error(engineErrorMessage(e));
  } finally {
    starting = null;
  }
}

/**
 * The manifest the worker proposes for a user's ONNX file alone (its outputs' shapes: a CNN's stride-8 and
 * stride-16 maps, or a transformer's patch tokens), with what it found in sentences; throws the proposer's sentence
 * when no output fits. The engine's backbone and model are untouched.
 */
export async function proposeCustomManifest(onnx: ArrayBuffer, fileName: string): Promise<{ json: string; notes: string[] }> {
  try {
    return await getClient().request('proposeManifest', { onnx, fileName }).promise;
  } catch (e) {
    throw new Error(engineErrorMessage(e));
  }
}

/** The files of a custom backbone loaded this session, by manifest id; undefined when it is not loaded. */
export function customBackboneFiles(id: string): CustomBackboneFiles | undefined {
  return customFiles.get(id);
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

/** `index`: where the model now in the worker got its index (see modelIndex); unknown when not given. */
export function markModelLoaded(key: number | null, index: EngineState['modelIndex'] = null): void {
  useEngine.setState({ loadedModelKey: key, modelIndex: index });
}

export { isAbort };
