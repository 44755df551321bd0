// Dispatch of features.wgsl: eq. 1-3 turns the two backbone maps of one image into its patch features.
import { onCpu, type FeatureMap } from '../../backbone/types';
import type { AggregateOptions, PatchFeatures } from '../types';
import shader from './features.wgsl?raw';
import { torchMapping } from '../cpu/resize';
import { aggregate as aggregateTwin } from '../cpu/features';
import { bindGroup, destroyAll, grid1d, guarded, pipelinesFor, readBack, storageBuffer, uniformU32, uploadStorage } from './util';

export type AggregateFn = (maps: readonly FeatureMap[], opts: AggregateOptions) => Promise<PatchFeatures>;

export function checkMap(map: FeatureMap, name: string): void {
  const expected = map.channels * map.height * map.width;
  if (map.gpu) {
    if (map.gpu.buffer.size < expected * 4) throw new Error(`${name}: its GPU buffer holds ${map.gpu.buffer.size} bytes, the shape needs ${expected * 4}`);
  } else if (map.data.length !== expected) {
    throw new Error(
      `${name} holds ${map.data.length} values but its shape ${map.channels}x${map.height}x${map.width} needs ${expected}`,
    );
  }
  if (expected === 0) throw new Error(`${name} is empty (${map.channels}x${map.height}x${map.width})`);
}

let residentMaps = 0;
/** How many feature maps this page/worker has bound straight from another library's GPU buffer (tests, logs). */
export function residentMapsBound(): number {
  return residentMaps;
}

export function createAggregate(device: GPUDevice): AggregateFn {
  // GPU-resident input maps are released once the job is over, whether it worked or not.
  return (maps, opts) => {
    // features.wgsl assembles two maps. A one-tap backbone (a transformer's patch tokens, which the factory has
    // already rearranged on the CPU) takes the TypeScript twin: one 3x3 average per map costs little next to the
    // backbone, and the engine's reason says so (worker init).
    if (maps.length === 1) return Promise.all(maps.map(onCpu)).then((cpu) => aggregateTwin(cpu, opts));
    return run([maps[0], maps[1]], opts).finally(() => {
      for (const m of maps) m.gpu?.dispose();
    });
  };

  function run(maps: readonly [FeatureMap, FeatureMap], opts: AggregateOptions): Promise<PatchFeatures> {
    return guarded(device, 'aggregate', async () => {
      const p = pipelinesFor(device, 'features.wgsl', shader, ['localAverage', 'assemble'] as const);
      const [m1, m2] = maps;
      checkMap(m1, 'the stride-8 feature map');
      checkMap(m2, 'the stride-16 feature map');
      if (opts.patchSize < 1) throw new Error(`patchSize must be at least 1, got ${opts.patchSize}`);
      const d1 = opts.layerDim === 'native' ? m1.channels : opts.layerDim;
      const d2 = opts.layerDim === 'native' ? m2.channels : opts.layerDim;
      const dCat = d1 + d2;
      const dOut = opts.targetDim === 'none' ? dCat : opts.targetDim;
      if (d1 < 1 || dOut < 1) throw new Error(`feature dimensions must be positive (layerDim ${opts.layerDim}, targetDim ${opts.targetDim})`);
      const cells = m1.height * m1.width;

      const temp: GPUBuffer[] = [];
      const keep = (b: GPUBuffer) => (temp.push(b), b);
      const encoder = device.createCommandEncoder({ label: 'aggregate' });
      const pass = encoder.beginComputePass({ label: 'aggregate' });
      const averaged = [m1, m2].map((m, i) => {
        const values = m.channels * m.height * m.width;
        // A map the backbone left on this device is bound as it is: no download, no upload.
        if (m.gpu) residentMaps++;
        const src = m.gpu ? m.gpu.buffer : keep(uploadStorage(device, m.data, `feature map ${i + 1}`));
        const dst = keep(storageBuffer(device, values * 4, `averaged map ${i + 1}`));
        const params = keep(uniformU32(device, [m.channels, m.height, m.width, opts.patchSize], `local params ${i + 1}`));
        pass.setPipeline(p.localAverage);
        pass.setBindGroup(0, bindGroup(device, p.localAverage, { 0: params, 1: src, 2: dst }, `local ${i + 1}`));
        pass.dispatchWorkgroups(...grid1d(device, values));
        return dst;
      });
      const out = keep(storageBuffer(device, cells * dOut * 4, 'patch features'));
      const my = opts.layer2?.y ?? torchMapping(m2.height, m1.height);
      const mx = opts.layer2?.x ?? torchMapping(m2.width, m1.width);
      const floats = new Uint32Array(Float32Array.of(my.scale, my.offset, mx.scale, mx.offset).buffer);
      const params = keep(
        uniformU32(
          device,
          [m1.channels, m1.height, m1.width, d1, m2.channels, m2.height, m2.width, d2, dCat, dOut, 0, 0, ...floats],
          'assemble params',
        ),
      );
      pass.setPipeline(p.assemble);
      pass.setBindGroup(
        0,
        bindGroup(device, p.assemble, { 3: params, 4: averaged[0], 5: averaged[1], 6: out }, 'assemble'),
      );
      pass.dispatchWorkgroups(...grid1d(device, cells * dOut));
      pass.end();
      device.queue.submit([encoder.finish()]);
      try {
        const data = new Float32Array(await readBack(device, out, cells * dOut * 4));
        return { data, rows: cells, cols: dOut, gridH: m1.height, gridW: m1.width };
      } finally {
        destroyAll(temp);
      }
    });
  }
}
