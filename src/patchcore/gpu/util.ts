// Small WebGPU plumbing shared by the kernels: buffers, uniforms, dispatch sizing, read-back, error scopes.

/** Threads per workgroup of every 1-D kernel here (the spec's guaranteed minimum of 256). */
export const WORKGROUP = 256;

/** Storage buffer holding `data` (padded to 4 bytes, never zero-sized: WebGPU rejects empty bindings). */
export function uploadStorage(
  device: GPUDevice,
  data: ArrayBufferView,
  label: string,
  extraUsage: GPUBufferUsageFlags = 0,
): GPUBuffer {
  const size = Math.max(4, Math.ceil(data.byteLength / 4) * 4);
  const buffer = device.createBuffer({
    label,
    size,
    usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST | GPUBufferUsage.COPY_SRC | extraUsage,
  });
  if (data.byteLength > 0) {
    device.queue.writeBuffer(buffer, 0, data.buffer, data.byteOffset, data.byteLength);
  }
  return buffer;
}

export function storageBuffer(device: GPUDevice, byteLength: number, label: string): GPUBuffer {
  return device.createBuffer({
    label,
    size: Math.max(4, Math.ceil(byteLength / 4) * 4),
    usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST | GPUBufferUsage.COPY_SRC,
  });
}

/** Uniform buffer of u32 words (layouts here are all-u32 structs, padded to 16 bytes as WGSL requires). */
export function uniformU32(device: GPUDevice, words: readonly number[], label: string): GPUBuffer {
  const padded = new Uint32Array(Math.max(4, Math.ceil(words.length / 4) * 4));
  padded.set(words);
  const buffer = device.createBuffer({ label, size: padded.byteLength, usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST });
  device.queue.writeBuffer(buffer, 0, padded);
  return buffer;
}

/**
 * Workgroup counts for `threads` one-per-item invocations of a WORKGROUP-sized kernel, folded into y when x
 * would exceed the per-dimension limit. Shaders recover the flat index from workgroup_id and num_workgroups.
 */
export function grid1d(device: GPUDevice, threads: number): [number, number] {
  const groups = Math.max(1, Math.ceil(threads / WORKGROUP));
  const maxX = device.limits.maxComputeWorkgroupsPerDimension;
  if (groups <= maxX) return [groups, 1];
  const y = Math.ceil(groups / maxX);
  return [Math.ceil(groups / y), y];
}

export function bindGroup(
  device: GPUDevice,
  pipeline: GPUComputePipeline,
  buffers: Record<number, GPUBuffer>,
  label: string,
): GPUBindGroup {
  return device.createBindGroup({
    label,
    layout: pipeline.getBindGroupLayout(0),
    entries: Object.entries(buffers).map(([binding, buffer]) => ({ binding: Number(binding), resource: { buffer } })),
  });
}

/** Copies `byteLength` bytes of `src` (from `srcOffset`) into fresh CPU memory. */
export async function readBack(device: GPUDevice, src: GPUBuffer, byteLength: number, srcOffset = 0): Promise<ArrayBuffer> {
  const size = Math.max(4, Math.ceil(byteLength / 4) * 4);
  const staging = device.createBuffer({ label: 'readback', size, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
  const encoder = device.createCommandEncoder({ label: 'readback' });
  encoder.copyBufferToBuffer(src, srcOffset, staging, 0, size);
  device.queue.submit([encoder.finish()]);
  try {
    await staging.mapAsync(GPUMapMode.READ);
    return staging.getMappedRange().slice(0, byteLength);
  } finally {
    staging.destroy();
  }
}

/**
 * Runs `body` inside validation and out-of-memory error scopes and turns a captured error into a readable
 * exception naming the kernel, instead of a console warning and silently wrong numbers.
 */
export async function guarded<T>(device: GPUDevice, kernel: string, body: () => Promise<T>): Promise<T> {
  device.pushErrorScope('out-of-memory');
  device.pushErrorScope('validation');
  let result: T | undefined;
  let thrown: unknown;
  try {
    result = await body();
  } catch (e) {
    thrown = e;
  }
  const validation = await device.popErrorScope();
  const oom = await device.popErrorScope();
  if (thrown !== undefined) throw thrown;
  if (oom) throw new Error(`The GPU ran out of memory in ${kernel}: ${oom.message}`);
  if (validation) throw new Error(`WebGPU rejected the ${kernel} kernel: ${validation.message}`);
  return result as T;
}

/** Releases buffers once the queue has finished with them. */
export function destroyAll(buffers: Iterable<GPUBuffer>): void {
  for (const b of buffers) b.destroy();
}

const pipelineCache = new WeakMap<GPUDevice, Map<string, Record<string, GPUComputePipeline>>>();

/**
 * The compute pipelines of one WGSL module, built once per device and shared by every kernels instance on it
 * (compilation is the slowest step on first use, seconds on SwiftShader).
 */
export function pipelinesFor<E extends string>(
  device: GPUDevice,
  label: string,
  code: string,
  entryPoints: readonly E[],
): Record<E, GPUComputePipeline> {
  let perDevice = pipelineCache.get(device);
  if (!perDevice) pipelineCache.set(device, (perDevice = new Map()));
  let found = perDevice.get(label);
  if (!found) {
    const module = device.createShaderModule({ label, code });
    found = {};
    for (const entryPoint of entryPoints) {
      found[entryPoint] = device.createComputePipeline({ label: `${label}:${entryPoint}`, layout: 'auto', compute: { module, entryPoint } });
    }
    perDevice.set(label, found);
  }
  return found as Record<E, GPUComputePipeline>;
}

const lostDevices = new WeakMap<GPUDevice, GPUDeviceLostInfo>();
const watchedDevices = new WeakSet<GPUDevice>();

/** Starts remembering whether `device` is lost, so long jobs can stop with a clear message instead of no-ops. */
export function trackLoss(device: GPUDevice): void {
  if (watchedDevices.has(device)) return;
  watchedDevices.add(device);
  void device.lost.then((info) => lostDevices.set(device, info));
}

export function throwIfLost(device: GPUDevice, job: string): void {
  const info = lostDevices.get(device);
  if (info) throw new Error(`The GPU device was lost during ${job} (${info.message || info.reason}); start the job again.`);
}
