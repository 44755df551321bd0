// The browser's decoded pixels of an image file (src/worker/decode.ts: createImageBitmap with EXIF orientation,
// the 2048 px cap, canvas readback), for comparing them with the command line's decoder (npm run bench -- server
// decoder).
import { decodeImage } from '../worker/decode';

export async function rgba(name: string, base64: string, type = ''): Promise<{ width: number; height: number; base64: string }> {
  const bin = atob(base64);
  const bytes = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
  const img = await decodeImage(new File([bytes], name, { type }), name);
  let s = '';
  const px = new Uint8Array(img.data.buffer, img.data.byteOffset, img.data.byteLength);
  for (let i = 0; i < px.length; i += 0x8000) s += String.fromCharCode(...px.subarray(i, i + 0x8000));
  return { width: img.width, height: img.height, base64: btoa(s) };
}

/**
 * The app's inspect path on the same model and images as the command line's throughput bench: a .patchcore file
 * loaded into the engine worker (WASM backbone and kernels, as on a machine without a GPU), then every image
 * decoded and scored by the worker. Returns images/s over the scoring, after one warm-up image.
 */
export async function throughput(model: string, images: { name: string; base64: string }[]): Promise<{ imagesPerSecond: number; seconds: number; scores: number[]; threads: number }> {
  const { EngineClient } = await import('../worker/client');
  const { decodeModelFile } = await import('../storage/exportFormat');
  const { decodeBank } = await import('../storage/bank');
  const bytes = Uint8Array.from(atob(model), (c) => c.charCodeAt(0));
  const { meta, bank } = await decodeModelFile(bytes, { knownBackbones: ['mobilenet_v2_mid', 'inception_v3', 'mobilenet_v2'] });
  const client = new EngineClient();
  try {
    const info = await client.request('init', { backbone: meta.backbone.id, execution: 'wasm', kernels: 'wasm' }).promise;
    await client.request('load', { bank: decodeBank(bank), config: meta.config, patchCount: meta.patchCount, imageCount: meta.trainImageCount }).promise;
    const file = (i: { name: string; base64: string }) => new File([Uint8Array.from(atob(i.base64), (c) => c.charCodeAt(0))], i.name);
    await client.request('score', { image: { name: images[0].name, blob: file(images[0]) } }).promise;
    const scores: number[] = [];
    const t0 = performance.now();
    for (const i of images) scores.push((await client.request('score', { image: { name: i.name, blob: file(i) } }).promise).score);
    const seconds = (performance.now() - t0) / 1000;
    return { imagesPerSecond: images.length / seconds, seconds, scores, threads: info.threads };
  } finally {
    client.terminate();
  }
}
