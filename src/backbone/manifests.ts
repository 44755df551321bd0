// The three built-in backbones, built offline by scripts/build-backbones.mjs from the ImageNet weights nsfwjs ships.
// All three graphs start at the first convolution: normalisation is (x - 0.5) / 0.5 = 2x - 1 on RGB in 0..1,
// which is both MobileNetV2-mid's own `x*2-1` and Keras' `x/127.5 - 1`.
import type { BackboneManifest } from './manifest';

const HALF: [number, number, number] = [0.5, 0.5, 0.5];
const WEIGHTS_LICENSE =
  'Code: MIT (nsfwjs, patchcore-web). Weights: ImageNet-pretrained and distributed by the nsfwjs npm package ' +
  '(fine-tuned there for NSFW classification); as ImageNet-derived weights they fall under the ImageNet ' +
  "dataset's non-commercial research terms.";

export const MOBILENET_V2_MID: BackboneManifest = {
  id: 'mobilenet_v2_mid',
  label: 'MobileNetV2 1.4 (default)',
  description: 'TF-Hub MobileNetV2 x1.4, 48 + 136 channels, 4 MB: fast, good default',
  url: '/models/mobilenet_v2_mid.onnx',
  inputName: 'input',
  inputSize: 224,
  // Symbolic H, W; the explicit TF 'SAME' pads are those of any even size at every stride-2 layer up to stride 16.
  inputMultiple: 16,
  mean: HALF,
  std: HALF,
  taps: [
    { output: 'stride8', stride: 8, channels: 48, offsetPx: 7 }, // MobilenetV2/expanded_conv_5/add, 28x28
    { output: 'stride16', stride: 16, channels: 136, offsetPx: 15 }, // MobilenetV2/expanded_conv_12/add, 14x14
  ],
  // TF 'SAME' pads at stride 2 go bottom/right, so each stride-2 layer moves the cell centre by +1 input px.
  receptiveFieldOffsetPx: 7,
  license: `${WEIGHTS_LICENSE} Fine-tuned end to end by nsfwjs (no frozen ImageNet part).`,
};

export const INCEPTION_V3: BackboneManifest = {
  id: 'inception_v3',
  label: 'InceptionV3',
  description: 'Keras InceptionV3, 288 + 768 channels, 20 MB: widest features, slowest',
  url: '/models/inception_v3.onnx',
  inputName: 'input',
  inputSize: 224,
  // 'valid' stride-2 stem and reductions, symmetric 'same' pads at stride 1: the pads hold at any size.
  inputMultiple: 16,
  mean: HALF,
  std: HALF,
  taps: [
    { output: 'stride8', stride: 8, channels: 288, offsetPx: 13 }, // mixed2, 25x25
    { output: 'stride16', stride: 16, channels: 768, offsetPx: 21 }, // mixed5, 12x12
  ],
  // The 'valid' stem (3x3/2, 3x3, maxpool 3/2, 3x3, maxpool 3/2) puts cell (0,0) at pixel 13, not 3.5, and the
  // grid ends 13+8*24 = 205 px: cells must be mapped by receptive-field centre, not stretched over the image.
  receptiveFieldOffsetPx: 13,
  license: `${WEIGHTS_LICENSE} mixed0..mixed5 are the frozen ImageNet weights (nsfwjs fine-tuned from conv2d_56 on).`,
};

export const MOBILENET_V2: BackboneManifest = {
  id: 'mobilenet_v2',
  label: 'MobileNetV2 1.0 (small)',
  description: 'Keras MobileNetV2 x1.0, 32 + 96 channels, 1.2 MB: smallest and fastest',
  url: '/models/mobilenet_v2.onnx',
  inputName: 'input',
  inputSize: 224,
  // Keras ZeroPadding2D before each stride-2 conv was computed for even sizes: any multiple of 16 keeps them right.
  inputMultiple: 16,
  mean: HALF,
  std: HALF,
  taps: [
    { output: 'stride8', stride: 8, channels: 32, offsetPx: 7 }, // block_5_add, 28x28
    { output: 'stride16', stride: 16, channels: 96, offsetPx: 15 }, // block_10_project_BN, 14x14
  ],
  receptiveFieldOffsetPx: 7,
  license: `${WEIGHTS_LICENSE} Frozen ImageNet weights up to block_10_project_BN (nsfwjs fine-tuned from block_11 on).`,
};

export const BUILTIN_BACKBONES: readonly BackboneManifest[] = [MOBILENET_V2_MID, INCEPTION_V3, MOBILENET_V2];

/** The built-in manifest with this id; throws a readable error listing the known ids. */
export function builtinManifest(id: string): BackboneManifest {
  const m = BUILTIN_BACKBONES.find((b) => b.id === id);
  if (!m) throw new Error(`Unknown backbone "${id}". Built-in backbones: ${BUILTIN_BACKBONES.map((b) => b.id).join(', ')}`);
  return m;
}
