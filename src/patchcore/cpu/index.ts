// The TypeScript twins of the WGSL kernels behind the `Kernels` interface: the no-GPU path and the test oracle.
import { onCpu } from '../../backbone/types';
import type { Kernels } from '../types';
import { gaussianBlur } from './blur';
import { greedyCoreset } from './coreset';
import { aggregate } from './features';
import { nearest } from './knn';

export const cpuKernels: Kernels = {
  name: 'cpu',
  aggregate: async (maps, opts) => aggregate(await Promise.all(maps.map(onCpu)), opts),
  coreset: (features, opts) => greedyCoreset(features, opts),
  nearest: async (queries, bank) => nearest(queries, bank),
  blur: async (map, sigmaPx) => gaussianBlur(map, sigmaPx),
};

export { aggregate, localAverage, adaptiveBins } from './features';
export { greedyCoreset, naiveGreedyCoreset, project } from './coreset';
export { nearest, kNearest } from './knn';
export { gaussianBlur, gaussianKernel } from './blur';
export { bilinearResize, linearTaps } from './resize';
