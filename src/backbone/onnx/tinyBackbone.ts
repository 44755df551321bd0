// A two-conv ONNX backbone with constant weights and its matching manifest, for the tests of both onnxruntime flavours.
import { model, node, tensor, valueInfo } from './protobuf.mjs';

/** The side of tinyBackbone's square input. */
export const TINY_SIZE = 64;

/**
 * feat8 = 8x8 patch sums (x 1/192), 4 channels; feat16 = 2x2 sums of feat8 (x 1/16) + 1, 6 channels. anySize:
 * symbolic H, W (the convs have no padding, so any multiple of 16 works); else fixed at TINY_SIZE.
 */
export function tinyBackbone(anySize = false): ArrayBuffer {
  const S = TINY_SIZE;
  const w8 = new Float32Array(4 * 3 * 8 * 8).fill(1 / 192);
  const w16 = new Float32Array(6 * 4 * 2 * 2).fill(1 / 16);
  const bytes = model({
    name: 'tiny',
    nodes: [
      node('Conv', ['image', 'w8', 'b8'], ['feat8'], 'c8', { kernel_shape: [8, 8], strides: [8, 8], pads: [0, 0, 0, 0] }),
      node('Conv', ['feat8', 'w16', 'b16'], ['feat16'], 'c16', { kernel_shape: [2, 2], strides: [2, 2] }),
    ],
    initializers: [
      tensor('w8', [4, 3, 8, 8], w8),
      tensor('b8', [4], new Float32Array(4)),
      tensor('w16', [6, 4, 2, 2], w16),
      tensor('b16', [6], new Float32Array(6).fill(1)),
    ],
    inputs: [valueInfo('image', anySize ? [1, 3, 'h', 'w'] : [1, 3, S, S])],
    outputs: anySize
      ? [valueInfo('feat8', [1, 4, 'h8', 'w8']), valueInfo('feat16', [1, 6, 'h16', 'w16'])]
      : [valueInfo('feat8', [1, 4, 8, 8]), valueInfo('feat16', [1, 6, 4, 4])],
  });
  return bytes.slice().buffer;
}

/** The manifest JSON fields that match tinyBackbone (parse with custom.ts's parseManifest). */
export const TINY_MANIFEST = {
  id: 'tiny',
  inputName: 'image',
  inputSize: TINY_SIZE,
  mean: [0.5, 0.5, 0.5],
  std: [0.5, 0.5, 0.5],
  taps: [
    { output: 'feat8', stride: 8, channels: 4 },
    { output: 'feat16', stride: 16, channels: 6 },
  ],
};
