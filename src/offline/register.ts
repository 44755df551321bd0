// Registers the service worker (dist/sw.js, see src/offline/sw.js) that stores the whole built app so it keeps
// working without a network. Marks <html data-offline="..."> with the outcome so tests and the UI can read it.
export type OfflineStatus = 'ready' | 'unsupported' | 'error';

export interface PrecacheProgress {
  doneBytes: number;
  totalBytes: number;
}

export interface RegisterOfflineOptions {
  /** Called while the first visit stores the app (about 50 MB, mostly the ORT runtime and the backbones). */
  onProgress?: (p: PrecacheProgress) => void;
}

function mark(status: OfflineStatus | 'installing'): void {
  if (typeof document !== 'undefined') document.documentElement.dataset.offline = status;
}

/** Waits until the registration has an active worker; rejects when the one installing fails (becomes redundant). */
function whenActive(reg: ServiceWorkerRegistration): Promise<void> {
  if (reg.active) return Promise.resolve();
  const sw = reg.installing ?? reg.waiting;
  if (!sw) return navigator.serviceWorker.ready.then(() => undefined);
  return new Promise((resolve, reject) => {
    if (sw.state === 'redundant') reject(new Error('the service worker could not store the app (see its console)'));
    sw.addEventListener('statechange', () => {
      if (sw.state === 'activated' || reg.active) resolve();
      else if (sw.state === 'redundant') reject(new Error('the service worker could not store the app (see its console)'));
    });
  });
}

/**
 * Resolves 'ready' once every file of the build is stored (the next visit needs no network), 'unsupported'
 * where there are no service workers (the Vite dev server, insecure origins, some private modes) and 'error'
 * when storing failed (the app still works online; the reason is logged).
 */
export async function registerOffline(opts: RegisterOfflineOptions = {}): Promise<OfflineStatus> {
  // In development every file changes all the time: a cache-first worker would serve stale code.
  if (import.meta.env.DEV || typeof navigator === 'undefined' || !('serviceWorker' in navigator) || !isSecureContext) {
    mark('unsupported');
    return 'unsupported';
  }
  mark('installing');
  const onMessage = (e: MessageEvent) => {
    if (e.data?.type === 'precache-progress') opts.onProgress?.({ doneBytes: e.data.doneBytes, totalBytes: e.data.totalBytes });
  };
  navigator.serviceWorker.addEventListener('message', onMessage);
  try {
    const base = import.meta.env.BASE_URL;
    const reg = await navigator.serviceWorker.register(`${base}sw.js`, { scope: base, updateViaCache: 'none' });
    await whenActive(reg);
    mark('ready');
    return 'ready';
  } catch (e) {
    console.warn(`Offline use is not available: ${(e as Error).message}`);
    mark('error');
    return 'error';
  } finally {
    navigator.serviceWorker.removeEventListener('message', onMessage);
  }
}
