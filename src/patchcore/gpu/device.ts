// Acquires the one GPUDevice the kernels run on (or adopts one another library already owns), with the
// adapter's largest buffer limits, and tells hardware adapters from software ones such as SwiftShader.

export interface GpuHandle {
  device: GPUDevice;
  /** null when the device was supplied from outside and its adapter is unknown. */
  adapter: GPUAdapter | null;
  info: GPUAdapterInfo | null;
  /** True for SwiftShader / fallback adapters: correct but slower than the CPU kernels. */
  software: boolean;
  /** e.g. "nvidia ampere (hardware)" — for the UI and bench logs. */
  description: string;
}

export interface AcquireOptions {
  /** Reuse a device someone else created (e.g. onnxruntime-web's `ort.env.webgpu.device`). */
  device?: GPUDevice;
  powerPreference?: GPUPowerPreference;
  /**
   * Called when the device is lost for any reason other than our own destroy() (driver reset, tab in the
   * background too long, GPU process crash). The caller should acquire a new device and restart the job;
   * every buffer and pipeline of the lost one is gone.
   */
  onLost?: (info: GPUDeviceLostInfo) => void;
}

/** Limits the kernels benefit from; each is raised to what the adapter offers. */
const RAISED_LIMITS = [
  'maxStorageBufferBindingSize',
  'maxBufferSize',
  'maxStorageBuffersPerShaderStage',
  'maxComputeWorkgroupStorageSize',
  'maxComputeWorkgroupsPerDimension',
] as const;

interface AdapterLike {
  info?: Partial<GPUAdapterInfo>;
  isFallbackAdapter?: boolean;
}

/** SwiftShader or any other CPU-emulated adapter: the WGSL kernels would run slower than the TypeScript twins. */
export function adapterIsSoftware(adapter: GPUAdapter | AdapterLike): boolean {
  const a = adapter as AdapterLike;
  const info = a.info ?? {};
  if (info.isFallbackAdapter || a.isFallbackAdapter) return true;
  const arch = (info.architecture ?? '').toLowerCase();
  const vendor = (info.vendor ?? '').toLowerCase();
  const description = (info.description ?? '').toLowerCase();
  return (
    arch === 'swiftshader' ||
    vendor.includes('google') ||
    vendor.includes('swiftshader') ||
    description.includes('swiftshader')
  );
}

/** "nvidia ampere", "google swiftshader": vendor, architecture and device as the browser reports them. */
export function adapterName(info: Partial<GPUAdapterInfo> | null): string {
  if (!info) return 'externally supplied WebGPU device';
  const name = [info.vendor, info.architecture, info.device].filter((s) => s && s.length > 0).join(' ');
  return name || info.description || 'unknown adapter';
}

export function describeAdapter(info: Partial<GPUAdapterInfo> | null, software: boolean): string {
  return `${adapterName(info)} (${software ? 'software' : 'hardware'})`;
}

export function webgpuAvailable(): boolean {
  return typeof navigator !== 'undefined' && 'gpu' in navigator && navigator.gpu !== undefined;
}

export async function requestAdapter(powerPreference: GPUPowerPreference = 'high-performance'): Promise<GPUAdapter | null> {
  if (!webgpuAvailable()) return null;
  try {
    return await navigator.gpu.requestAdapter({ powerPreference });
  } catch {
    return null;
  }
}

/**
 * One device with the adapter's maximum storage and buffer sizes (the spec defaults of 128/256 MiB are too
 * small for a 50,000 x 1,024 memory bank). Throws a readable Error when WebGPU is unavailable.
 */
export async function acquireDevice(opts: AcquireOptions = {}, adapter?: GPUAdapter | null): Promise<GpuHandle> {
  if (opts.device) {
    const device = opts.device;
    // GPUDevice.adapterInfo is recent; older browsers leave it undefined.
    const info = (device as { adapterInfo?: GPUAdapterInfo }).adapterInfo ?? null;
    const software = info ? adapterIsSoftware({ info }) : false;
    watchLoss(device, opts.onLost);
    return { device, adapter: null, info, software, description: describeAdapter(info, software) };
  }
  if (!webgpuAvailable()) throw new Error('This browser has no WebGPU (navigator.gpu is missing or the page is not a secure context).');
  const chosen = adapter ?? (await requestAdapter(opts.powerPreference));
  if (!chosen) throw new Error('WebGPU is present but no GPU adapter was offered (blocked, disabled or unsupported GPU).');
  const requiredLimits: Record<string, number> = {};
  for (const name of RAISED_LIMITS) requiredLimits[name] = chosen.limits[name];
  const device = await chosen.requestDevice({ label: 'patchcore', requiredLimits });
  const info = chosen.info;
  const software = adapterIsSoftware(chosen);
  watchLoss(device, opts.onLost);
  return { device, adapter: chosen, info, software, description: describeAdapter(info, software) };
}

/** Reports any loss of the device, destroy() by someone else included. */
function watchLoss(device: GPUDevice, onLost?: (info: GPUDeviceLostInfo) => void): void {
  void device.lost.then((info) => {
    console.warn(`WebGPU device lost: ${info.message}`);
    onLost?.(info);
  });
}
