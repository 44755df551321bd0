// What a backbone hands to the method: its feature maps, on the CPU or left on the GPU.

/** One backbone feature map of one image, channels first (C x H x W), row-major. */
export interface FeatureMap {
  /** The values; empty (length 0) while the map lives only on the GPU (see `gpu`). */
  data: Float32Array;
  channels: number;
  height: number;
  width: number;
  /**
   * Set when the backbone left the map on the GPU (onnxruntime-web's 'gpu-buffer' output on the device the WGSL
   * kernels share): the WebGPU aggregate binds it directly; everything else calls `download()` first.
   */
  gpu?: GpuMap;
}

/** A feature map held in a GPUBuffer that another library (onnxruntime-web) owns. */
export interface GpuMap {
  /** Holds channels * height * width f32 values from offset 0 (it may be larger). */
  buffer: GPUBuffer;
  /** Copies the values to the CPU. */
  download(): Promise<Float32Array>;
  /** Gives the buffer back to its owner; the map is unusable afterwards. */
  dispose(): void;
}

/** A map's values on the CPU, downloading (and releasing) a GPU-resident one. */
export async function onCpu(map: FeatureMap): Promise<FeatureMap> {
  if (!map.gpu) return map;
  const data = await map.gpu.download();
  map.gpu.dispose();
  return { data, channels: map.channels, height: map.height, width: map.width };
}
