// The demo set must be reproducible, honest about where its defects are, and readable as ordinary PNGs.
import { describe, expect, it } from 'vitest';
import { DEFECT_KINDS, encodePng, encodePngStored, generateDemoSet, renderPart } from './generate';
import { crc32 } from '../lib/hash';

/** Decodes the PNGs this module writes (8-bit RGB or RGBA, any filter) back to RGBA pixels. */
async function decodePng(bytes: Uint8Array): Promise<{ width: number; height: number; rgba: Uint8Array }> {
  const sig = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
  if (!sig.every((b, i) => bytes[i] === b)) throw new Error('not a PNG signature');
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let width = 0, height = 0, colorType = 0;
  const idat: Uint8Array[] = [];
  for (let o = 8; o < bytes.length; ) {
    const len = dv.getUint32(o);
    const type = String.fromCharCode(...bytes.subarray(o + 4, o + 8));
    const data = bytes.subarray(o + 8, o + 8 + len);
    if (crc32(bytes.subarray(o + 4, o + 8 + len)) !== dv.getUint32(o + 8 + len)) throw new Error(`bad CRC in ${type}`);
    if (type === 'IHDR') {
      width = dv.getUint32(o + 8);
      height = dv.getUint32(o + 12);
      if (data[8] !== 8) throw new Error('expected 8-bit samples');
      colorType = data[9];
    } else if (type === 'IDAT') idat.push(data);
    o += 12 + len;
  }
  const channels = colorType === 6 ? 4 : colorType === 2 ? 3 : 0;
  if (!channels) throw new Error(`unexpected colour type ${colorType}`);
  const stream = new Blob(idat.map((d) => d.slice())).stream().pipeThrough(new DecompressionStream('deflate'));
  const raw = new Uint8Array(await new Response(stream).arrayBuffer());
  const stride = width * channels;
  expect(raw.length).toBe((stride + 1) * height);
  const rows = new Uint8Array(stride * height);
  for (let y = 0; y < height; y++) {
    const f = raw[y * (stride + 1)];
    for (let i = 0; i < stride; i++) {
      const v = raw[y * (stride + 1) + 1 + i];
      const a = i >= channels ? rows[y * stride + i - channels] : 0;
      const b = y > 0 ? rows[(y - 1) * stride + i] : 0;
      const c = i >= channels && y > 0 ? rows[(y - 1) * stride + i - channels] : 0;
      const p = a + b - c;
      const pa = Math.abs(p - a), pb = Math.abs(p - b), pc = Math.abs(p - c);
      const paeth = pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
      const pred = [0, a, b, (a + b) >> 1, paeth][f];
      rows[y * stride + i] = (v + pred) & 255;
    }
  }
  const rgba = new Uint8Array(width * height * 4);
  for (let p = 0; p < width * height; p++) {
    for (let ch = 0; ch < 3; ch++) rgba[p * 4 + ch] = rows[p * channels + ch];
    rgba[p * 4 + 3] = channels === 4 ? rows[p * channels + 3] : 255;
  }
  return { width, height, rgba };
}

async function bytesOf(file: File): Promise<Uint8Array> {
  return new Uint8Array(await file.arrayBuffer());
}

/** Byte equality without the deep-equal machinery, which crawls on 200 kB arrays. */
function same(a: ArrayLike<number>, b: ArrayLike<number>): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function meanIntensity(rgba: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < rgba.length; i += 4) s += rgba[i] + rgba[i + 1] + rgba[i + 2];
  return s / ((rgba.length / 4) * 3);
}

/** Square (Chebyshev) dilation of a 0/1 mask by `r` pixels. */
function dilate(mask: Uint8Array, size: number, r: number): Uint8Array {
  const out = new Uint8Array(mask.length);
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      if (!mask[y * size + x]) continue;
      for (let yy = Math.max(0, y - r); yy <= Math.min(size - 1, y + r); yy++) {
        for (let xx = Math.max(0, x - r); xx <= Math.min(size - 1, x + r); xx++) out[yy * size + xx] = 1;
      }
    }
  }
  return out;
}

describe('demo set', () => {
  it('is byte-identical for the same seed and different for another', async () => {
    const opts = { seed: 42, good: 3, testGood: 1, testDefective: 6 };
    const [a, b, c] = await Promise.all([generateDemoSet(opts), generateDemoSet(opts), generateDemoSet({ ...opts, seed: 43 })]);
    const all = (s: typeof a) => [...s.good, ...s.test.map((t) => t.file)];
    const fa = all(a), fb = all(b), fc = all(c);
    expect(fb.map((f) => f.name)).toEqual(fa.map((f) => f.name));
    for (let i = 0; i < fa.length; i++) {
      expect(same(await bytesOf(fb[i]), await bytesOf(fa[i])), fa[i].name).toBe(true);
      expect(same(await bytesOf(fc[i]), await bytesOf(fa[i])), fa[i].name).toBe(false);
    }
  });

  it('names train goods good_NNN, continues that numbering for held-out goods, and numbers defects per kind', async () => {
    const set = await generateDemoSet({ size: 64, good: 2, testGood: 2, testDefective: 8 });
    expect(set.good.map((f) => f.name)).toEqual(['good_000.png', 'good_001.png']);
    expect(set.test.map((t) => t.file.name)).toEqual([
      'good_002.png', 'good_003.png',
      'scratch_000.png', 'dent_000.png', 'chip_000.png', 'crack_000.png', 'contamination_000.png', 'stain_000.png',
      'scratch_001.png', 'dent_001.png',
    ]);
    for (const f of [...set.good, ...set.test.map((t) => t.file)]) expect(f.type).toBe('image/png');
  });

  it('gives every defective image a non-empty mask of the image size, and no mask to good ones', async () => {
    const size = 128;
    const set = await generateDemoSet({ seed: 3, size, good: 0, testGood: 3, testDefective: 12 });
    for (const t of set.test) {
      if (t.defective) {
        expect(t.kind).not.toBe('good');
        expect(t.mask?.length).toBe(size * size);
        expect(t.mask!.reduce((n, v) => n + v, 0), t.file.name).toBeGreaterThan(10);
      } else {
        expect(t.kind).toBe('good');
        expect(t.mask).toBeUndefined();
      }
    }
    for (let seed = 0; seed < 5; seed++) expect(renderPart(seed, size).mask.every((v) => v === 0)).toBe(true);
  });

  it('keeps the training images unchanged when the test set grows', async () => {
    const small = await generateDemoSet({ seed: 9, size: 64, good: 3, testGood: 0, testDefective: 0 });
    const big = await generateDemoSet({ seed: 9, size: 64, good: 3, testGood: 4, testDefective: 8 });
    for (let i = 0; i < 3; i++) expect(same(await bytesOf(big.good[i]), await bytesOf(small.good[i]))).toBe(true);
  });

  it('writes PNGs that decode back to exactly the rendered pixels', async () => {
    // The encoders must be lossless: compressed (CompressionStream) and stored-block output alike.
    const part = renderPart(5, 96, 'stain');
    for (const encoded of [await encodePng(part.rgba, 96, 96), encodePngStored(part.rgba, 96, 96)]) {
      const back = await decodePng(encoded);
      expect([back.width, back.height]).toEqual([96, 96]);
      expect(same(back.rgba, part.rgba)).toBe(true);
    }
    // And the Files the app receives are those PNGs, at the requested size, showing a washer-bright scene.
    const set = await generateDemoSet({ seed: 11, size: 96, good: 1, testGood: 0, testDefective: 1 });
    for (const file of [set.good[0], set.test[0].file]) {
      const img = await decodePng(await bytesOf(file));
      expect([img.width, img.height]).toEqual([96, 96]);
      expect(meanIntensity(img.rgba)).toBeGreaterThan(60);
    }
  });

  it('rejects option values a user could not have meant, saying which', async () => {
    await expect(generateDemoSet({ good: -1 })).rejects.toThrow(/good/);
    await expect(generateDemoSet({ size: 10 })).rejects.toThrow(/size/);
  });
});

describe('rendered parts', () => {
  it.each(DEFECT_KINDS)('a %s changes its good twin only in and right around its mask', (kind) => {
    const size = 256;
    for (let seed = 0; seed < 6; seed++) {
      const good = renderPart(seed, size);
      const bad = renderPart(seed, size, kind);
      const near = dilate(bad.mask, size, 4);
      let outside = 0, insideSum = 0, insideN = 0;
      for (let p = 0; p < size * size; p++) {
        let d = 0;
        for (let ch = 0; ch < 3; ch++) d = Math.max(d, Math.abs(bad.rgba[p * 4 + ch] - good.rgba[p * 4 + ch]));
        if (d > 2 && !near[p]) outside++;
        if (bad.mask[p]) {
          insideSum += d;
          insideN++;
        }
      }
      expect(outside, `${kind} seed ${seed}: pixels changed far from the mask`).toBe(0);
      expect(insideN, `${kind} seed ${seed}: empty mask`).toBeGreaterThan(30);
      // Visible, if subtle: the average pixel under the mask moves by a noticeable number of grey levels.
      expect(insideSum / insideN, `${kind} seed ${seed}: defect too faint`).toBeGreaterThan(12);
    }
  });

  it('renders the same pixels and mask for the same seed and defect', () => {
    for (const kind of DEFECT_KINDS) {
      const a = renderPart(77, 128, kind), b = renderPart(77, 128, kind);
      expect(same(b.rgba, a.rgba), kind).toBe(true);
      expect(same(b.mask, a.mask), kind).toBe(true);
    }
  });

  it('varies from one good part to the next while staying one product', () => {
    const parts = Array.from({ length: 24 }, (_, i) => renderPart(1000 + i, 256));
    const means = parts.map((p) => meanIntensity(p.rgba));
    // Pose, lighting and texture jitter: no two good images are the same picture.
    for (let i = 1; i < parts.length; i++) {
      let diff = 0;
      for (let j = 0; j < parts[i].rgba.length; j += 4) diff += Math.abs(parts[i].rgba[j] - parts[0].rgba[j]);
      expect(diff / (parts[i].rgba.length / 4)).toBeGreaterThan(3);
    }
    // ...but the same washer under the same lamp: overall brightness within a few percent.
    const avg = means.reduce((x, y) => x + y) / means.length;
    for (const m of means) expect(Math.abs(m - avg)).toBeLessThan(0.08 * avg);
    expect(avg).toBeGreaterThan(60);
    expect(avg).toBeLessThan(160);
  });
});
