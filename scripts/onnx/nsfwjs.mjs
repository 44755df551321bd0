// Reads the three tfjs models that the `nsfwjs` npm package ships (model JSON + base64 weight shards) through its
// public exports, checks the weight bytes against pinned hashes and dequantises them (uint8 affine) to fp32.
import { createHash } from 'node:crypto';

/** Backbone id -> nsfwjs export, plus the sha256 of the concatenated weight shards (nsfwjs 4.3.0 and 4.4.0). */
export const SOURCES = {
  mobilenet_v2_mid: {
    module: 'nsfwjs/models/mobilenet_v2_mid',
    exportName: 'MobileNetV2MidModel',
    sha256: 'fee38f0bcbad1a223b8301c014bbf78984365aef5ab08fc3289ed4229ab67f0e',
  },
  inception_v3: {
    module: 'nsfwjs/models/inception_v3',
    exportName: 'InceptionV3Model',
    sha256: '8a457f3fdec7db18b16e44323454db0eaeb8f314eda0046b2e293e58a5bfabf4',
  },
  mobilenet_v2: {
    module: 'nsfwjs/models/mobilenet_v2',
    exportName: 'MobileNetV2Model',
    sha256: '8e7dddbb16acacc1bf1601b1b8a761e730ff934b7f2d7771312b2f000e5f5f13',
  },
};

const unwrap = (m) => m?.default ?? m;

/**
 * Loads one nsfwjs model: its JSON (graph or layers topology), the raw weight bytes (all shards concatenated,
 * exactly what tfjs would fetch) and a name -> Float32Array map of dequantised weights.
 * @param {keyof typeof SOURCES} id
 * @param {{ verify?: boolean }} [opts]
 */
export async function loadNsfwModel(id, { verify = true } = {}) {
  const src = SOURCES[id];
  if (!src) throw new Error(`Unknown backbone "${id}". Known: ${Object.keys(SOURCES).join(', ')}`);
  let mod;
  try {
    mod = await import(src.module);
  } catch (e) {
    throw new Error(
      `Cannot load the pretrained weights: the npm package "nsfwjs" is missing (${e.code ?? e.message}). ` +
        'Run `npm install` (the project sets legacy-peer-deps) so that node_modules/nsfwjs exists.',
    );
  }
  const entry = mod[src.exportName];
  const json = unwrap(await entry.modelJson());
  const shards = await Promise.all(entry.weightBundles.map((f) => f().then(unwrap)));
  const weightData = Buffer.concat(shards.map((b64) => Buffer.from(b64, 'base64')));
  const sha256 = createHash('sha256').update(weightData).digest('hex');
  if (verify && sha256 !== src.sha256) {
    throw new Error(
      `The nsfwjs weights for ${id} do not match the pinned hash (got sha256 ${sha256}, expected ${src.sha256}). ` +
        'A different nsfwjs version is installed; the converter was checked against nsfwjs 4.3.0/4.4.0 only.',
    );
  }
  const specs = json.weightsManifest.flatMap((g) => g.weights);
  return { json, specs, weightData, sha256, weights: dequantise(specs, weightData) };
}

/** tfjs weight layout: tensors back to back in manifest order; uint8 tensors decode as q * scale + min. */
export function dequantise(specs, bytes) {
  const out = new Map();
  let offset = 0;
  for (const s of specs) {
    const n = s.shape.reduce((a, b) => a * b, 1);
    const q = s.quantization;
    const data = new Float32Array(n);
    if (q?.dtype === 'uint8') {
      for (let i = 0; i < n; i++) data[i] = bytes[offset + i] * q.scale + q.min;
      offset += n;
    } else if (!q && s.dtype === 'float32') {
      const copy = bytes.slice(offset, offset + 4 * n);
      data.set(new Float32Array(copy.buffer, copy.byteOffset, n));
      offset += 4 * n;
    } else {
      throw new Error(`weight ${s.name}: unsupported storage ${JSON.stringify(q ?? s.dtype)}`);
    }
    out.set(s.name, { shape: s.shape, data });
  }
  if (offset !== bytes.length) throw new Error(`weights: manifest covers ${offset} of ${bytes.length} bytes`);
  return out;
}
