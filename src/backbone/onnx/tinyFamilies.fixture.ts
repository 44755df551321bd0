// Small ONNX graphs shaped like the networks people bring, with seeded random weights (plumbing, not accuracy):
// a torchvision-style ResNet whose layer2 and layer3 are outputs, and a DINOv2-style vision transformer whose one
// output is [1, 1 + registers + h*w, C] patch tokens. Both take any input size (symbolic H, W), as exports with
// dynamic height and width axes do.
import { model, node, tensor, valueInfo } from './protobuf.mjs';

/** Seeded uniform weights in [-scale, scale). */
function weights(n: number, seed: number, scale: number): Float32Array {
  let s = seed >>> 0 || 1;
  return Float32Array.from({ length: n }, () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return (s / 2 ** 32 - 0.5) * 2 * scale;
  });
}

/** A conv layer with stride = kernel (no padding, so any multiple of the total stride works), then ReLU. */
function convRelu(from: string, to: string, cin: number, cout: number, k: number, seed: number) {
  const w = `${to}.w`;
  const b = `${to}.b`;
  return {
    nodes: [
      node('Conv', [from, w, b], [`${to}.conv`], `${to}/conv`, { kernel_shape: [k, k], strides: [k, k], pads: [0, 0, 0, 0] }),
      node('Relu', [`${to}.conv`], [to], `${to}/relu`),
    ],
    inits: [tensor(w, [cout, cin, k, k], weights(cout * cin * k * k, seed, 1 / Math.sqrt(cin * k * k))), tensor(b, [cout], weights(cout, seed + 1, 0.1))],
  };
}

export interface ResNetLikeOptions {
  /** The graph's outputs, of 'layer1' (stride 4), 'layer2' (8), 'layer3' (16), 'layer4' (32), 'logits' ([1, 20]). */
  outputs?: string[];
}

/** Channels of the ResNet-like graph's stages (a ResNet-18's 64/128/256/512, shrunk). */
export const RESNET_LIKE_CHANNELS = { layer1: 8, layer2: 12, layer3: 16, layer4: 20 } as const;

/** input [1, 3, H, W] -> layer1 (1/4) -> layer2 (1/8) -> layer3 (1/16) -> layer4 (1/32) -> logits. */
export function resNetLike(opts: ResNetLikeOptions = {}): Uint8Array {
  const c = RESNET_LIKE_CHANNELS;
  const layers = [
    convRelu('input', 'layer1', 3, c.layer1, 4, 11),
    convRelu('layer1', 'layer2', c.layer1, c.layer2, 2, 21),
    convRelu('layer2', 'layer3', c.layer2, c.layer3, 2, 31),
    convRelu('layer3', 'layer4', c.layer3, c.layer4, 2, 41),
  ];
  const shapes: Record<string, Array<number | string>> = {
    layer1: [1, c.layer1, 'h4', 'w4'],
    layer2: [1, c.layer2, 'h8', 'w8'],
    layer3: [1, c.layer3, 'h16', 'w16'],
    layer4: [1, c.layer4, 'h32', 'w32'],
    logits: [1, c.layer4],
  };
  const outputs = opts.outputs ?? ['layer2', 'layer3'];
  return model({
    name: 'resnet_like',
    nodes: [
      ...layers.flatMap((l) => l.nodes),
      node('GlobalAveragePool', ['layer4'], ['pooled'], 'pool'),
      node('Flatten', ['pooled'], ['logits'], 'flatten', { axis: 1 }),
    ],
    initializers: layers.flatMap((l) => l.inits),
    inputs: [valueInfo('input', [1, 3, 'h', 'w'])],
    outputs: outputs.map((o) => valueInfo(o, shapes[o])),
  });
}

export interface VitLikeOptions {
  /** Patch size (the patch embedding's stride). Default 14. */
  patchSize?: number;
  /** The patch embedding's kernel; larger than patchSize makes a 'valid' grid that is not H/p x W/p. Default patchSize. */
  kernel?: number;
  /** Class + register tokens before the patch tokens. Default 5 (DINOv2 with 4 registers). */
  prefixTokens?: number;
  /** Token width. Default 8 (ViT-S/14: 384). */
  channels?: number;
}

/**
 * image [1, 3, H, W] -> patch embedding (conv, stride p) -> tokens [h*w, C] -> prefix tokens (constants) put in front
 * -> a linear layer -> last_hidden_state [1, prefix + h*w, C]; pooler_output [1, C] (mean token) beside it, as
 * transformers' Dinov2Model gives.
 */
export function vitLike(opts: VitLikeOptions = {}): Uint8Array {
  const p = opts.patchSize ?? 14;
  const k = opts.kernel ?? p;
  const prefix = opts.prefixTokens ?? 5;
  const C = opts.channels ?? 8;
  const nodes = [
    node('Conv', ['pixel_values', 'embed.w', 'embed.b'], ['embedded'], 'embed', { kernel_shape: [k, k], strides: [p, p], pads: [0, 0, 0, 0] }),
    node('Flatten', ['embedded'], ['patches_ct'], 'flatten', { axis: 2 }), // [C, h*w] (batch 1)
    node('Transpose', ['patches_ct'], ['patches'], 'to_tokens', { perm: [1, 0] }), // [h*w, C]
    ...(prefix > 0 ? [node('Concat', ['prefix', 'patches'], ['sequence'], 'prepend', { axis: 0 })] : [node('Identity', ['patches'], ['sequence'], 'prepend')]),
    node('Add', ['sequence', 'batch_axis'], ['batched'], 'batch'), // [1, prefix + h*w, C] by broadcasting
    node('MatMul', ['batched', 'mix.w'], ['last_hidden_state'], 'mix'),
    node('ReduceMean', ['last_hidden_state'], ['pooler_output'], 'pool', { axes: [1], keepdims: 0 }),
  ];
  return model({
    name: 'vit_like',
    nodes,
    initializers: [
      tensor('embed.w', [C, 3, k, k], weights(C * 3 * k * k, 51, 1 / Math.sqrt(3 * k * k))),
      tensor('embed.b', [C], weights(C, 52, 0.1)),
      ...(prefix > 0 ? [tensor('prefix', [prefix, C], weights(prefix * C, 53, 1))] : []),
      tensor('batch_axis', [1, 1, 1], new Float32Array(1)),
      tensor('mix.w', [C, C], weights(C * C, 54, 1 / Math.sqrt(C))),
    ],
    inputs: [valueInfo('pixel_values', [1, 3, 'h', 'w'])],
    outputs: [valueInfo('last_hidden_state', [1, 'tokens', C]), valueInfo('pooler_output', [1, C])],
  });
}
