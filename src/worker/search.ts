// A search helper (see searchPool.ts and patchcore/cpu/searchTeam.ts): what a helper thread does with a request,
// wherever it runs (a Web Worker, search.worker.ts; a Node thread for the command line, cli/search.node-worker.mjs).
// 'adopt' hands it a bank with its stored index, which it restores into its own copy (checked as every restore is:
// a stored part that does not name the bank is refused, and the engine then searches that share itself); 'nearest'
// searches a share of one call's patches with it; 'preprocess' makes a share of an image's backbone input (no index
// needed). A helper keeps the last HELD indexes it was given.
import { BankIndex, type SearchStats, type StoredBankIndex } from '../patchcore/cpu/bankIndex';
import type { PreprocessShare } from '../patchcore/cpu/searchTeam';
import { preprocessRows } from '../patchcore/preprocess';

/** Indexes a helper keeps: the model in use and one more (teaching compares two versions of a model). */
export const HELD = 2;

export type SearchRequest =
  | { type: 'adopt'; key: number; bank: Float32Array; rows: number; cols: number; stored: StoredBankIndex }
  | { type: 'nearest'; id: number; key: number; queries: Float32Array; rows: number; cols: number; gridW: number }
  | ({ type: 'preprocess'; id: number } & PreprocessShare);

export type SearchResponse =
  /** `holds`: every key this helper can search now (an adopt that failed is missing from it). */
  | { type: 'adopted'; key: number; holds: number[]; message?: string }
  | { type: 'done'; id: number; distances: Float32Array; indices: Uint32Array; stats: SearchStats }
  | { type: 'preprocessed'; id: number; data: Float32Array }
  | { type: 'error'; id: number; message: string };

/** One helper's state: its indexes by key, oldest first. */
export function searchHelper(post: (msg: SearchResponse, transfer?: Transferable[]) => void): (r: SearchRequest) => void {
  const held = new Map<number, BankIndex>();
  return (r) => {
    if (r.type === 'adopt') {
      let message: string | undefined;
      try {
        const index = BankIndex.restore({ data: r.bank, rows: r.rows, cols: r.cols }, r.stored);
        if (index) {
          held.set(r.key, index);
          while (held.size > HELD) held.delete(held.keys().next().value!);
        } else message = 'the stored index does not match its bank';
      } catch (e) {
        message = (e as Error)?.message ?? String(e);
      }
      post({ type: 'adopted', key: r.key, holds: [...held.keys()], ...(message ? { message } : {}) });
      return;
    }
    if (r.type === 'preprocess') {
      try {
        const data = preprocessRows(r.image, r.norm, r.geometry, r.y0, r.y1, r.firstRow);
        post({ type: 'preprocessed', id: r.id, data }, [data.buffer]);
      } catch (e) {
        post({ type: 'error', id: r.id, message: (e as Error)?.message ?? String(e) });
      }
      return;
    }
    try {
      const index = held.get(r.key);
      if (!index) throw new Error(`This helper does not hold index ${r.key}`);
      const { distances, indices } = index.nearest({ data: r.queries, rows: r.rows, cols: r.cols }, { gridW: r.gridW });
      post({ type: 'done', id: r.id, distances, indices, stats: index.lastStats }, [distances.buffer, indices.buffer]);
    } catch (e) {
      post({ type: 'error', id: r.id, message: (e as Error)?.message ?? String(e) });
    }
  };
}
