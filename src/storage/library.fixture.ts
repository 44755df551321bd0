// Test fixtures for the model library, shared by the unit tests and the harness page (never imported by the app):
// sample models, and a store that runs out of space.
import type { UseStore } from 'idb-keyval';
import { DEFAULT_CONFIG } from '../patchcore/config';
import { rng } from '../patchcore/random';
import type { MemoryBank } from '../patchcore/types';
import { storedScoreStats, type ModelDraft, type BankPrecision } from './model';

/** A seeded random bank, values roughly like post-ReLU features (0..4, with exact zeros). */
export function randomBank(seed: number, rows: number, cols: number): MemoryBank {
  const r = rng(seed);
  const data = new Float32Array(rows * cols);
  for (let i = 0; i < data.length; i++) {
    const x = r() * 5 - 1;
    data[i] = x > 0 ? x : 0;
  }
  return { data, rows, cols };
}

/** A complete draft around `bank`, with two tiny PNG thumbnails and plausible calibration. */
export function sampleDraft(
  bank: MemoryBank,
  name = 'Bottle, top view',
  bankPrecision: BankPrecision = 'fp32',
): ModelDraft {
  const png = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 1, 2, 3]);
  return {
    name,
    description: 'Line 3, station 2, backlit',
    backbone: { id: DEFAULT_CONFIG.backbone, manifestHash: 'ab'.repeat(32) },
    config: { ...DEFAULT_CONFIG },
    bankPrecision,
    bank,
    calibration: { threshold: 2.5, falseAlarmRate: 0.01 },
    scoreStats: storedScoreStats([1.1, 1.3, 0.9, 1.7, 1.2, 2.1]),
    thumbnails: [
      { mime: 'image/png', width: 4, height: 4, bytes: png },
      { mime: 'image/png', width: 4, height: 4, bytes: png.slice().reverse() },
    ],
    trainImageCount: 20,
  };
}

export interface QuotaStore extends UseStore {
  /** Bytes written through this wrapper and still stored (committed puts minus committed deletes). */
  used(): number;
}

/**
 * Wraps `inner` so that a put which would take the total written through it past `budgetBytes` aborts its
 * transaction and throws a QuotaExceededError DOMException, as IndexedDB does when the origin is out of quota.
 * Sizes are approximate (typed arrays by byteLength, strings 2 bytes a character, other values 8 bytes).
 */
export function withQuota(inner: UseStore, budgetBytes: number): QuotaStore {
  const sizes = new Map<string, number>();
  let used = 0;
  const store = ((mode, callback) =>
    inner(mode, (target) => {
      // Changes of this transaction, counted only once it commits.
      const delta = new Map<string, number>();
      const sizeOf = (k: string) => (delta.has(k) ? delta.get(k)! : (sizes.get(k) ?? 0));
      let pendingUsed = used;
      target.transaction.addEventListener('complete', () => {
        for (const [k, size] of delta) {
          used += size - (sizes.get(k) ?? 0);
          if (size) sizes.set(k, size);
          else sizes.delete(k);
        }
      });
      const proxy = new Proxy(target, {
        get(t, prop) {
          if (prop === 'put') {
            return (value: unknown, key?: IDBValidKey) => {
              const k = String(key);
              const size = approxSize(value);
              const next = pendingUsed - sizeOf(k) + size;
              if (next > budgetBytes) {
                t.transaction.abort();
                throw new DOMException(
                  `The quota has been exceeded (simulated budget of ${budgetBytes} bytes).`,
                  'QuotaExceededError',
                );
              }
              pendingUsed = next;
              delta.set(k, size);
              return t.put(value, key);
            };
          }
          if (prop === 'delete') {
            return (key: IDBValidKey) => {
              const k = String(key);
              pendingUsed -= sizeOf(k);
              delta.set(k, 0);
              return t.delete(key);
            };
          }
          const v = Reflect.get(t, prop, t);
          return typeof v === 'function' ? v.bind(t) : v;
        },
      });
      return callback(proxy);
    })) as QuotaStore;
  store.used = () => used;
  return store;
}

function approxSize(v: unknown, seen = new Set<unknown>()): number {
  if (ArrayBuffer.isView(v)) return v.byteLength;
  if (v instanceof ArrayBuffer) return v.byteLength;
  if (typeof v === 'string') return v.length * 2;
  if (typeof v !== 'object' || v === null) return 8;
  if (seen.has(v)) return 0;
  seen.add(v);
  let n = 0;
  for (const x of Object.values(v)) n += approxSize(x, seen);
  return n;
}
