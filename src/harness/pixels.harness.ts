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
