// The service worker that keeps patchcore-web usable with no network: on install it stores every file of the
// build (page, bundles, worker, ORT runtime, backbone graphs) and then answers those URLs from the cache first.
// Plain JS: scripts/vite-plugin-offline.mjs prepends VERSION and PRECACHE ({ url, bytes, sha256 }[]) and
// writes the result to dist/sw.js.
/* global VERSION, PRECACHE */

const PREFIX = 'patchcore-web-';
const CACHE = `${PREFIX}${VERSION}`;
const HASH_HEADER = 'X-Precache-SHA256';
// Cached responses must keep the page cross-origin isolated (threaded WASM needs SharedArrayBuffer) even when
// the server that delivered them forgot these headers, so they are added when missing.
const ISOLATION = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
  'Cross-Origin-Resource-Policy': 'same-origin',
};
const PATHS = new Set(PRECACHE.map((e) => e.url));
const TOTAL_BYTES = PRECACHE.reduce((n, e) => n + e.bytes, 0);

self.addEventListener('install', (event) => {
  event.waitUntil(precache());
});

self.addEventListener('activate', (event) => {
  event.waitUntil(
    (async () => {
      for (const name of await caches.keys()) {
        if (name.startsWith(PREFIX) && name !== CACHE) await caches.delete(name);
      }
      await self.clients.claim();
    })(),
  );
});

self.addEventListener('message', (event) => {
  if (event.data?.type === 'offline-status') event.source?.postMessage({ type: 'offline-status', version: VERSION, files: PRECACHE.length, bytes: TOTAL_BYTES });
});

self.addEventListener('fetch', (event) => {
  const req = event.request;
  if (req.method !== 'GET') return;
  const url = new URL(req.url);
  if (url.origin !== self.location.origin) return;
  let path = url.pathname;
  if (req.mode === 'navigate' && path.endsWith('/')) path += 'index.html';
  // Anything not in the build (e.g. the eval data mount) goes to the network as if there were no worker.
  if (!PATHS.has(path)) return;
  event.respondWith(fromCache(req, path));
});

async function fromCache(req, path) {
  const cache = await caches.open(CACHE);
  const hit = await cache.match(new URL(path, self.location.origin).href);
  if (hit) return hit;
  // Not stored (yet, or evicted): the network, and nothing else.
  return fetch(req);
}

async function precache() {
  const cache = await caches.open(CACHE);
  let done = 0;
  await broadcast({ type: 'precache-progress', doneBytes: 0, totalBytes: TOTAL_BYTES });
  // A few at a time: the two large files (ORT runtime, InceptionV3) should not wait behind each other.
  const queue = [...PRECACHE].sort((a, b) => b.bytes - a.bytes);
  const worker = async () => {
    for (let e = queue.shift(); e; e = queue.shift()) {
      await cache.put(new URL(e.url, self.location.origin).href, await stored(e));
      done += e.bytes;
      await broadcast({ type: 'precache-progress', doneBytes: done, totalBytes: TOTAL_BYTES });
    }
  };
  await Promise.all([worker(), worker(), worker()]);
}

/** The response to store for one entry: reused from an older cache when the content is the same, else fetched. */
async function stored(entry) {
  const href = new URL(entry.url, self.location.origin).href;
  for (const name of await caches.keys()) {
    if (!name.startsWith(PREFIX) || name === CACHE) continue;
    const old = await (await caches.open(name)).match(href);
    if (old && old.headers.get(HASH_HEADER) === entry.sha256) return old;
  }
  const res = await fetch(href, { cache: 'reload', credentials: 'same-origin' });
  if (!res.ok) throw new Error(`${entry.url}: HTTP ${res.status}`);
  const body = await res.arrayBuffer();
  const sha = hex(await crypto.subtle.digest('SHA-256', body));
  // A file that changed under us (a deploy in progress) must not be kept under this version: fail the install,
  // the browser retries on the next visit.
  if (sha !== entry.sha256) throw new Error(`${entry.url} does not match the build (expected sha256 ${entry.sha256}, got ${sha})`);
  const headers = new Headers(res.headers);
  // fetch() already decoded the body, so the encoding and length of the wire format no longer apply.
  headers.delete('Content-Encoding');
  headers.delete('Content-Length');
  for (const [k, v] of Object.entries(ISOLATION)) if (!headers.has(k)) headers.set(k, v);
  headers.set(HASH_HEADER, entry.sha256);
  return new Response(body, { status: 200, statusText: 'OK', headers });
}

function hex(buf) {
  return Array.from(new Uint8Array(buf), (b) => b.toString(16).padStart(2, '0')).join('');
}

async function broadcast(msg) {
  for (const c of await self.clients.matchAll({ includeUncontrolled: true, type: 'window' })) c.postMessage(msg);
}
