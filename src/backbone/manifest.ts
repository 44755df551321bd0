// What the engine needs to know about a backbone: where its ONNX graph is, how to feed it, and which two
// output tensors are the stride-8 and stride-16 feature maps.

export interface BackboneTap {
  /** Name of the ONNX graph output holding this feature map (NCHW). */
  output: string;
  /** Pixels of input per feature cell. 8 for the first tap, 16 for the second. */
  stride: number;
  channels: number;
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
  /** [stride-8 tap, stride-16 tap]. */
  taps: [BackboneTap, BackboneTap];
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
