// Finds out whether this browser has a WebGPU adapter and whether it is real hardware or a software rasteriser
// (SwiftShader / fallback adapter), which runs WebGPU correctly but slower than WASM on the CPU.

export interface GpuInfo {
  available: boolean;
  /** True for SwiftShader, a fallback adapter, or Google's software vendor id: correct but slow. */
  software: boolean;
  /** Human-readable adapter summary (vendor, architecture, device), or why there is none. */
  description: string;
}

let cached: Promise<GpuInfo> | undefined;

/** Detects the WebGPU adapter once per context (a page or a worker); later calls share the answer. */
export function detectGpu(): Promise<GpuInfo> {
  cached ??= probe();
  return cached;
}

async function probe(): Promise<GpuInfo> {
  const gpu = (globalThis.navigator as Navigator | undefined)?.gpu;
  if (!gpu) return { available: false, software: false, description: 'WebGPU is not available in this browser' };
  let adapter: GPUAdapter | null = null;
  try {
    adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' });
  } catch (e) {
    return { available: false, software: false, description: `WebGPU adapter request failed: ${(e as Error).message}` };
  }
  if (!adapter) return { available: false, software: false, description: 'WebGPU is present but offers no adapter' };
  const info = adapter.info as GPUAdapterInfo & { isFallbackAdapter?: boolean };
  const fallback = Boolean(info?.isFallbackAdapter ?? (adapter as GPUAdapter & { isFallbackAdapter?: boolean }).isFallbackAdapter);
  const vendor = info?.vendor ?? '';
  const architecture = info?.architecture ?? '';
  const software = fallback || /swiftshader/i.test(architecture) || /^(google|swiftshader)$/i.test(vendor);
  const parts = [vendor, architecture, info?.device, info?.description].filter(Boolean);
  const description = `${parts.join(' / ') || 'unknown adapter'}${software ? ' (software)' : ''}`;
  return { available: true, software, description };
}
