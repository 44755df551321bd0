// The TypeScript twins of the WGSL kernels behind the `Kernels` interface: the no-GPU path and the test oracle.
import { onCpu } from '../../backbone/types';
import type { Kernels, Matrix } from '../types';
import { AdaptiveNearest } from './bankIndex';
import { gaussianBlur, upsampleBlur } from './blur';
import { greedyCoreset } from './coreset';
import { aggregate } from './features';
import { nearest } from './knn';

/** Indexes the model handed over, by bank array: a bank without one is searched by brute force (the test oracle). */
const adopted = new WeakMap<Float32Array, AdaptiveNearest>();

/** The grid width of patch features (the patch above seeds the index's search), 0 for other rows. */
export function gridWidth(queries: Matrix): number {
  const w = (queries as { gridW?: unknown }).gridW;
  return typeof w === 'number' && w > 0 && queries.rows % w === 0 ? w : 0;
}

export const cpuKernels: Kernels = {
  name: 'cpu',
  aggregate: async (maps, opts) => aggregate(await Promise.all(maps.map(onCpu)), opts),
  coreset: (features, opts) => greedyCoreset(features, opts),
  nearest: async (queries, bank) => {
    const a = adopted.get(bank.data);
    return a && a.index.bank.rows === bank.rows && a.index.bank.cols === bank.cols ? a.nearest(queries, gridWidth(queries)) : nearest(queries, bank);
  },
  adoptIndex: (index) => {
    adopted.set(index.bank.data, new AdaptiveNearest(index, async (rows) => nearest(rows, index.bank)));
  },
  blur: async (map, sigmaPx) => gaussianBlur(map, sigmaPx),
  upsampleBlur: async (patchScores, width, height, sigmaPx, cells) => upsampleBlur(patchScores, width, height, sigmaPx, cells),
};

export { aggregate, localAverage, adaptiveBins } from './features';
export { greedyCoreset, naiveGreedyCoreset, project } from './coreset';
export { nearest, kNearest } from './knn';
export { BankIndex } from './bankIndex';
export { gaussianBlur, gaussianKernel, upsampleBlur } from './blur';
export { bilinearResize, linearTaps } from './resize';
