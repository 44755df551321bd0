// What the engine needs to know about a backbone: where its ONNX graph is, how to feed it, and which output
// tensors are its feature grids (a CNN's stride-8 and stride-16 maps, or a vision transformer's patch tokens).

/** How patch features are compared: Euclidean, or cosine (unit vectors, then Euclidean; see EngineConfig.distance). */
export type Distance = 'l2' | 'cosine';

export interface BackboneTap {
  /** Name of the ONNX graph output holding this feature grid. */
  output: string;
  /**
   * 'map' (default): an NCHW feature map [1, channels, h, w]. 'tokens': a transformer's sequence [1, prefix + h*w,
   * channels] (class and register tokens first, then the patch tokens row by row), turned into a map by the factory.
   */
  kind?: 'map' | 'tokens';
  /** Pixels of input per feature cell: 8 and 16 for a CNN's two taps; a transformer's patch size (14, 16) for tokens. */
  stride: number;
  channels: number;
  /** 'tokens' only: class and register tokens before the patch tokens (DINOv2 with 4 registers: 5). Default 0. */
  prefixTokens?: number;
  /**
   * Input pixel at the centre of this tap's cell (0,0), per axis (pixel i spans i-0.5..i+0.5). Optional: defaults
   * to the manifest's receptiveFieldOffsetPx for the stride-8 tap and stride/2 - 0.5 otherwise.
   */
  offsetPx?: number;
}

export interface BackboneManifest {
  /** Stable id, used in saved models and URLs (e.g. 'mobilenet_v2_mid'). */
  id: string;
  /** Human label for menus. */
  label: string;
  /** One-line description for the backbone picker. */
  description: string;
  /** Where the app fetches the ONNX file (same origin), e.g. '/models/mobilenet_v2_mid.onnx'. */
  url: string;
  /** Name of the single image input, NCHW float32 [1, 3, inputSize, inputSize]. */
  inputName: string;
  /** Square input side the graph was built for (pads are size-dependent). */
  inputSize: number;
  /**
   * When set, the graph also takes any H x W that are multiples of this (symbolic input dims, and pads that stay
   * right at those sizes), so the whole image can keep its aspect ratio. Unset: inputSize x inputSize only.
   */
  inputMultiple?: number;
  /** Per-channel normalisation applied to RGB in 0..1: x' = (x - mean) / std. */
  mean: [number, number, number];
  std: [number, number, number];
  /**
   * [stride-8 tap, stride-16 tap], or one tap alone (e.g. a transformer's patch tokens): the first tap's grid is the
   * grid of patch features; a second, coarser one is resized onto it.
   */
  taps: [BackboneTap] | [BackboneTap, BackboneTap];
  /** The distance this backbone's features are meant for; the engine's default for models on it. Unset: 'l2'. */
  distance?: Distance;
  /**
   * Input pixel at the centre of feature cell (0,0), per axis; cell (i,j) centres at offset + stride * (i,j).
   * A 'valid' stem shifts this away from stride/2 - 0.5. This is the stride-8 tap's offset (see BackboneTap.offsetPx).
   */
  receptiveFieldOffsetPx: number;
  /** sha256 of the ONNX bytes, to tell saved models which exact graph made their bank. */
  sha256?: string;
  /** Licence and provenance notes for the weights. */
  license: string;
}

/**
 * The distance models on a backbone use by default: the manifest's own, else cosine for a transformer's patch tokens
 * (DINO-style features are compared by angle) and Euclidean for CNN maps.
 */
export function defaultDistance(m: { distance?: unknown; taps: readonly { kind?: unknown }[] }): Distance {
  if (m.distance === 'l2' || m.distance === 'cosine') return m.distance;
  return m.taps.some((t) => t.kind === 'tokens') ? 'cosine' : 'l2';
}
