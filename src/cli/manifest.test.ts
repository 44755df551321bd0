// `patchcore-web manifest`: the manifest of a network people bring, proposed from the ONNX file, written as JSON the
// build takes as it is; a graph that fits no family is refused in words, and a model whose custom network is
// missing later names what it needs while its file stays as it was.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { resNetLike, vitLike } from '../backbone/onnx/tinyFamilies.fixture';
import { rng } from '../patchcore/random';
import { engineScorer } from './inspect';
import { main } from './main';
import { buildModel, readCustomBackbone, saveModelFile } from './model';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'patchcore-manifest-'));
  process.env.PATCHCORE_THREADS = '1';
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Runs the command line in this process; its exit code, stdout and stderr. */
async function cli(...args: string[]): Promise<{ status: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const out = vi.spyOn(process.stdout, 'write').mockImplementation((s) => ((stdout += String(s)), true));
  const err = vi.spyOn(process.stderr, 'write').mockImplementation((s) => ((stderr += String(s)), true));
  try {
    return { status: await main(args), stdout, stderr };
  } finally {
    out.mockRestore();
    err.mockRestore();
  }
}

async function png(path: string, seed: number): Promise<string> {
  const r = rng(seed);
  const raw = Buffer.from(Uint8Array.from({ length: 160 * 160 * 3 }, () => 100 + r() * 40));
  await sharp(raw, { raw: { width: 160, height: 160, channels: 3 } }).png().toFile(path);
  return path;
}

describe('patchcore-web manifest', () => {
  it('writes a ViT/14\'s manifest (tokens, 5 prefix tokens, cosine) and prints it without --out', async () => {
    const onnx = join(dir, 'dinov2_vits14_reg.onnx');
    writeFileSync(onnx, vitLike());
    const printed = await cli('manifest', onnx, '--quiet');
    expect(printed.status).toBe(0);
    const m = JSON.parse(printed.stdout);
    expect(m).toMatchObject({ id: 'dinov2_vits14_reg', inputName: 'pixel_values', inputSize: 224, inputMultiple: 14, distance: 'cosine' });
    expect(m.taps).toEqual([{ output: 'last_hidden_state', kind: 'tokens', patchSize: 14, prefixTokens: 5, channels: 8 }]);
    const written = await cli('manifest', onnx, '--out', join(dir, 'dinov2.json'), '--mean', '0.5,0.5,0.5', '--std', '0.5,0.5,0.5');
    expect(written.status).toBe(0);
    expect(written.stderr).toMatch(/holds 5 class\/register tokens and 16x16 patch tokens of 14 px/);
    expect(JSON.parse(readFileSync(join(dir, 'dinov2.json'), 'utf8')).mean).toEqual([0.5, 0.5, 0.5]);
  });

  it('refuses a graph with no feature map or token grid, and bad flags, in words (exit 2)', async () => {
    const onnx = join(dir, 'classifier.onnx');
    writeFileSync(onnx, resNetLike({ outputs: ['layer4', 'logits'] }));
    const r = await cli('manifest', onnx);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/No output of the model is a feature map at 1\/8 or 1\/16 .* Its outputs are: layer4 \[1, 20, 7, 7\], logits \[1, 20\]/);
    expect((await cli('manifest', onnx, '--std', '1,0,1')).stderr).toMatch(/--std must be three positive numbers/);
    expect((await cli('manifest', join(dir, 'nope.onnx'))).stderr).toMatch(/nope\.onnx does not exist or cannot be read/);
  });

  it('a ResNet\'s proposed manifest builds a model; without the network the model says what it needs and stays intact', async () => {
    const onnx = join(dir, 'resnet18_l2l3.onnx');
    const json = join(dir, 'resnet18_l2l3.json');
    writeFileSync(onnx, resNetLike());
    expect((await cli('manifest', onnx, '--out', json, '--quiet')).status).toBe(0);
    const images = await Promise.all([1, 2, 3, 4, 5].map((s) => png(join(dir, `good_${s}.png`), s)));
    const custom = readCustomBackbone(onnx, json);
    const built = await buildModel(images, { custom, threads: 1, name: 'r18' });
    expect(built.meta.config.distance).toBeUndefined();
    expect(built.meta.bankShape.cols).toBe(12 + 16);
    const file = join(dir, 'r18.patchcore');
    await saveModelFile(file, built.meta, built.bank);
    const before = readFileSync(file);
    await expect(engineScorer(file, undefined, 1)).rejects.toThrow(/resnet18_l2l3.*--backbone-onnx/);
    expect(readFileSync(file).equals(before)).toBe(true);
    const scorer = await engineScorer(file, custom, 1);
    expect(scorer.name).toBe('r18');
    await scorer.release();
  });
});
