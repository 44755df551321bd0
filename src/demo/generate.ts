// The "Try it" data set: good washers to train on, plus held-out good and defective ones with ground-truth
// masks, all drawn by render.ts and wrapped as PNG Files so they enter the app exactly like a user's images.
import { DEFECT_KINDS, mix32, renderPart, type DefectKind, type RenderedPart } from './render';
import { encodePng } from './png';

export { DEFECT_KINDS, renderPart, type DefectKind, type DefectSpec, type RenderedPart } from './render';
export { encodePng, encodePngStored } from './png';

export interface DemoSetOptions {
  /** Same seed, same pixels (and, with the same encoder, the same bytes). Default 1. */
  seed?: number;
  /** Side of the square images in pixels. Default 256. */
  size?: number;
  /** Good images to train on. Default 24. */
  good?: number;
  /** Held-out good images in the test set. Default 4. */
  testGood?: number;
  /** Defective images in the test set, cycling through DEFECT_KINDS. Default 8. */
  testDefective?: number;
}

export interface DemoTestImage {
  file: File;
  defective: boolean;
  /** 'good' or one of DEFECT_KINDS. */
  kind: 'good' | DefectKind;
  /** Ground truth for defective images: size x size, row-major, 1 = defect. */
  mask?: Uint8Array;
}

export interface DemoSet {
  good: File[];
  test: DemoTestImage[];
}

/**
 * Renders the demo set. Train goods are `good_000.png`...; held-out goods continue that numbering so every
 * name is unique; defectives are `<kind>_<n>.png`, numbered per kind.
 */
export async function generateDemoSet(opts: DemoSetOptions = {}): Promise<DemoSet> {
  const { seed = 1, size = 256, good = 24, testGood = 4, testDefective = 8 } = opts;
  for (const [name, n] of Object.entries({ good, testGood, testDefective })) {
    if (!Number.isInteger(n) || n < 0) throw new Error(`Demo set option ${name} must be a whole number >= 0 (got ${n})`);
  }
  // Every image gets its own part seed, so adding test images never changes the training images.
  const partSeed = (role: number, i: number) => mix32(mix32(seed, role), i);
  const jobs: { name: string; seed: number; kind: 'good' | DefectKind; train: boolean }[] = [];
  for (let i = 0; i < good; i++) jobs.push({ name: `good_${pad(i)}.png`, seed: partSeed(1, i), kind: 'good', train: true });
  for (let i = 0; i < testGood; i++) {
    jobs.push({ name: `good_${pad(good + i)}.png`, seed: partSeed(2, i), kind: 'good', train: false });
  }
  const perKind = new Map<DefectKind, number>();
  for (let i = 0; i < testDefective; i++) {
    const kind = DEFECT_KINDS[i % DEFECT_KINDS.length];
    const n = perKind.get(kind) ?? 0;
    perKind.set(kind, n + 1);
    jobs.push({ name: `${kind}_${pad(n)}.png`, seed: partSeed(3, i), kind, train: false });
  }

  // Render one image while the previous one encodes, and wait for that encode before the next render, so a
  // page that calls this on its main thread gets the event loop back between images.
  const set: DemoSet = { good: [], test: [] };
  let previous: Promise<void> = Promise.resolve();
  for (const job of jobs) {
    const part = job.kind === 'good' ? renderPart(job.seed, size) : renderPart(job.seed, size, job.kind);
    const encoded = toPngFile(part, job.name);
    await previous;
    previous = encoded.then((file) => {
      if (job.train) set.good.push(file);
      else if (job.kind === 'good') set.test.push({ file, defective: false, kind: 'good' });
      else set.test.push({ file, defective: true, kind: job.kind, mask: part.mask });
    });
  }
  await previous;
  return set;
}

function pad(i: number): string {
  return String(i).padStart(3, '0');
}

/** PNG via the browser's own encoder where there is one (fast, native), else the TypeScript one. */
async function toPngFile(part: RenderedPart, name: string): Promise<File> {
  const { rgba, width, height } = part;
  let blob: Blob | null = null;
  if (typeof OffscreenCanvas === 'function' && typeof ImageData === 'function') {
    try {
      const canvas = new OffscreenCanvas(width, height);
      const ctx = canvas.getContext('2d');
      if (ctx) {
        ctx.putImageData(new ImageData(rgba, width, height), 0, 0);
        blob = await canvas.convertToBlob({ type: 'image/png' });
      }
    } catch {
      blob = null; // e.g. a canvas-less worker polyfill: the TypeScript encoder below always works
    }
  }
  const bytes = blob ? blob : await encodePng(rgba, width, height);
  return new File([bytes], name, { type: 'image/png' });
}
