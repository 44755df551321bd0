// `inspect model.onnx`: runs an exported graph on onnxruntime-node, fed as its sidecar says (the same decoding and
// preprocess() as the engine, without the normalisation, which is inside the graph).
import { readFileSync } from 'node:fs';
import * as ort from 'onnxruntime-node';
import { preprocess, type BackboneInput, type ImageWindow, type RgbaImage } from '../patchcore/preprocess';
import { OUTPUT_MAP, OUTPUT_SCORE } from '../export/graph';
import { SIDECAR_KIND, type Sidecar } from '../export/sidecar';
import type { Scorer } from './inspect';
import { defaultThreads, openNodeSession } from './ort';

export function readSidecar(onnxPath: string): Sidecar {
  const path = onnxPath.replace(/\.onnx$/i, '.json');
  let s: Sidecar;
  try {
    s = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new Error(`${path} (the sidecar written beside the .onnx by export) is missing or not JSON: ${(e as Error).message}`);
  }
  if (s?.kind !== SIDECAR_KIND) throw new Error(`${path} is not a patchcore-web export sidecar`);
  return s;
}

/** The graph's input for an image: RGB 0..255 NCHW at the model's working size (rounded for a uint8 input). */
export function preprocessInput(img: RgbaImage, s: Sidecar): BackboneInput & { window: ImageWindow; uint8?: Uint8Array } {
  const k = 1 / 255;
  const x = preprocess(
    img,
    { mean: [0, 0, 0], std: [k, k, k], inputSize: s.input.workingSize, inputMultiple: s.input.multiple ?? undefined },
    { workingSize: s.input.workingSize, framing: s.input.framing, maxAspect: s.input.maxAspect },
  );
  if (s.input.dtype !== 'uint8') return x;
  const u = new Uint8Array(x.data.length);
  for (let i = 0; i < u.length; i++) u[i] = Math.min(255, Math.max(0, Math.round(x.data[i])));
  return { ...x, uint8: u };
}

export async function graphScorer(onnxPath: string, threads = defaultThreads()): Promise<Scorer> {
  const sidecar = readSidecar(onnxPath);
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(onnxPath);
  } catch {
    throw new Error(`${onnxPath} does not exist or cannot be read`);
  }
  const session = await openNodeSession(bytes, `exported model ${onnxPath}`, threads);
  return {
    name: sidecar.model.name,
    threshold: sidecar.threshold.value,
    id: sidecar.model.id,
    workingSize: sidecar.input.workingSize,
    async score(img) {
      const x = preprocessInput(img, sidecar);
      const dims = [1, 3, x.height, x.width];
      const input = x.uint8 ? new ort.Tensor('uint8', x.uint8, dims) : new ort.Tensor('float32', x.data, dims);
      const r = await session.run({ [sidecar.input.name]: input }, [OUTPUT_SCORE, OUTPUT_MAP]);
      const map = r[OUTPUT_MAP];
      const [, h, w] = map.dims as number[];
      return { score: (r[OUTPUT_SCORE].data as Float32Array)[0], map: { data: map.data as Float32Array, width: w, height: h }, window: x.window };
    },
    release: () => session.release(),
  };
}
