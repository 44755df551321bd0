// Dispatch of blur.wgsl: the Gaussian smoothing of an anomaly map (scipy gaussian_filter, truncate 4, reflect).
import type { AnomalyMap } from '../types';
import shader from './blur.wgsl?raw';
import { bindGroup, destroyAll, grid1d, guarded, pipelinesFor, readBack, storageBuffer, uniformU32, uploadStorage } from './util';

export type BlurFn = (map: AnomalyMap, sigmaPx: number) => Promise<AnomalyMap>;

/** scipy's kernel: radius floor(4 sigma + 0.5), exp(-x^2 / 2 sigma^2) normalised to sum 1 (computed in f64). */
export function gaussianWeights(sigmaPx: number): Float32Array {
  const radius = Math.floor(4 * sigmaPx + 0.5);
  const w = new Float64Array(2 * radius + 1);
  let sum = 0;
  for (let k = -radius; k <= radius; k++) {
    w[k + radius] = Math.exp((-0.5 * k * k) / (sigmaPx * sigmaPx));
    sum += w[k + radius];
  }
  return Float32Array.from(w, (v) => v / sum);
}

export function createBlur(device: GPUDevice): BlurFn {
  return (map, sigmaPx) =>
    guarded(device, 'blur', async () => {
      const { width, height } = map;
      if (map.data.length !== width * height) {
        throw new Error(`blur: the map holds ${map.data.length} values but ${width}x${height} needs ${width * height}`);
      }
      if (!(sigmaPx > 0) || width * height === 0) return { data: map.data.slice(), width, height };
      const pipeline = pipelinesFor(device, 'blur.wgsl', shader, ['blurPass'] as const).blurPass;
      const weights = gaussianWeights(sigmaPx);
      const radius = (weights.length - 1) / 2;
      const temp: GPUBuffer[] = [];
      const keep = (b: GPUBuffer) => (temp.push(b), b);
      try {
        const w = keep(uploadStorage(device, weights, 'gaussian weights'));
        const a = keep(uploadStorage(device, map.data, 'map'));
        const b = keep(storageBuffer(device, map.data.byteLength, 'map blurred along y'));
        const c = keep(storageBuffer(device, map.data.byteLength, 'map blurred'));
        const encoder = device.createCommandEncoder({ label: 'blur' });
        const pass = encoder.beginComputePass({ label: 'blur' });
        for (const [horizontal, src, dst] of [[0, a, b], [1, b, c]] as const) {
          const params = keep(uniformU32(device, [width, height, radius, horizontal], 'blur params'));
          pass.setPipeline(pipeline);
          pass.setBindGroup(0, bindGroup(device, pipeline, { 0: params, 1: w, 2: src, 3: dst }, 'blur'));
          pass.dispatchWorkgroups(...grid1d(device, width * height));
        }
        pass.end();
        device.queue.submit([encoder.finish()]);
        return { data: new Float32Array(await readBack(device, c, map.data.byteLength)), width, height };
      } finally {
        destroyAll(temp);
      }
    });
}
