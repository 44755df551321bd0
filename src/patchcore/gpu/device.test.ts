// Backend choice without a GPU: software adapters are recognised, and a browser without WebGPU gets the CPU twins.
import { describe, expect, it } from 'vitest';
import { gaussianKernel } from '../cpu/blur';
import { chooseKernels } from '../kernels';
import { gaussianWeights } from './blur';
import { adapterIsSoftware, describeAdapter } from './device';

const info = (o: Partial<GPUAdapterInfo>) => ({ info: o });

describe('adapter detection', () => {
  it('SwiftShader, Google vendor ids and fallback adapters count as software', () => {
    expect(adapterIsSoftware(info({ architecture: 'swiftshader', vendor: 'google' }))).toBe(true);
    expect(adapterIsSoftware(info({ vendor: 'Google', architecture: '' }))).toBe(true);
    expect(adapterIsSoftware(info({ vendor: 'swiftshader' }))).toBe(true);
    expect(adapterIsSoftware(info({ vendor: 'intel', isFallbackAdapter: true }))).toBe(true);
    expect(adapterIsSoftware({ isFallbackAdapter: true })).toBe(true);
  });

  it('real GPUs count as hardware and are described by vendor and architecture', () => {
    const nvidia = info({ vendor: 'nvidia', architecture: 'ampere', device: '', description: '' });
    expect(adapterIsSoftware(nvidia)).toBe(false);
    expect(adapterIsSoftware(info({ vendor: 'apple', architecture: 'metal-3' }))).toBe(false);
    expect(describeAdapter(nvidia.info, false)).toBe('nvidia ampere (hardware)');
  });
});

describe('chooseKernels', () => {
  it('falls back to the CPU (WebAssembly) with a readable reason when the browser has no WebGPU', async () => {
    const { kernels, reason } = await chooseKernels();
    expect(kernels.name).toBe('wasm');
    expect(reason).toMatch(/no WebGPU/);
  });

  it('honours an explicit CPU preference', async () => {
    const { kernels, reason } = await chooseKernels({ prefer: 'cpu' });
    expect(kernels.name).toBe('cpu');
    expect(reason).toMatch(/settings/);
  });
});

describe('gaussian weights uploaded to the blur shader', () => {
  it('equal the twin kernel (scipy radius and normalisation) to fp32 precision', () => {
    for (const sigma of [0.6, 1.3, 4]) {
      const gpu = gaussianWeights(sigma);
      const cpu = gaussianKernel(sigma);
      expect(gpu.length).toBe(cpu.length);
      gpu.forEach((w, i) => expect(w).toBeCloseTo(cpu[i], 7));
    }
  });
});
