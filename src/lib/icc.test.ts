import { describe, expect, it } from 'vitest';
import { iccToSrgb, isSrgbProfile, jpegColourTransform, jpegIccProfile, parseIccProfile } from './icc';

const mul = (a: number[], b: number[]) => [0, 1, 2].flatMap((r) => [0, 1, 2].map((c) => a[r * 3] * b[c] + a[r * 3 + 1] * b[3 + c] + a[r * 3 + 2] * b[6 + c]));
/** Display P3 and sRGB primaries (D65), the Bradford adaptation D65 -> D50, XYZ(D65) -> linear sRGB. */
const P3_D65 = [0.48657, 0.26567, 0.19822, 0.22897, 0.69174, 0.07929, 0, 0.04511, 1.04394];
const SRGB_D65 = [0.41239, 0.35758, 0.18048, 0.21264, 0.71517, 0.07219, 0.01933, 0.11919, 0.95053];
const BRADFORD_D65_D50 = [1.0478112, 0.0228866, -0.050127, 0.0295424, 0.9904844, -0.0170491, -0.0092345, 0.0150436, 0.7521316];
const XYZ_TO_SRGB = [3.24097, -1.53738, -0.49861, -0.96924, 1.87597, 0.04156, 0.05563, -0.20398, 1.05697];

/** An ICC v4 matrix/TRC RGB profile with these colorants (row-major XYZ = M rgb, D50) and sRGB's curve ('para' 3). */
function profile(m: number[]): Uint8Array {
  const tags = ['rXYZ', 'gXYZ', 'bXYZ', 'rTRC', 'gTRC', 'bTRC'];
  const b = new Uint8Array(132 + 12 * tags.length + 3 * 20 + 3 * 32);
  const dv = new DataView(b.buffer);
  const put = (o: number, s: string) => [...s].forEach((ch, i) => (b[o + i] = ch.charCodeAt(0)));
  const s15 = (o: number, v: number) => dv.setInt32(o, Math.round(v * 65536));
  dv.setUint32(0, b.length);
  put(16, 'RGB ');
  put(20, 'XYZ ');
  put(36, 'acsp');
  dv.setUint32(128, tags.length);
  let at = 132 + 12 * tags.length;
  tags.forEach((t, i) => {
    const e = 132 + 12 * i;
    put(e, t);
    dv.setUint32(e + 4, at);
    if (i < 3) {
      dv.setUint32(e + 8, 20);
      put(at, 'XYZ ');
      for (let k = 0; k < 3; k++) s15(at + 8 + 4 * k, m[k * 3 + i]);
      at += 20;
    } else {
      dv.setUint32(e + 8, 32);
      put(at, 'para');
      dv.setUint16(at + 8, 3);
      [2.4, 1 / 1.055, 0.055 / 1.055, 1 / 12.92, 0.04045].forEach((v, k) => s15(at + 12 + 4 * k, v));
      at += 32;
    }
  });
  return b;
}

const srgbDecode = (v: number) => (v <= 0.04045 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4);
const srgbEncode = (l: number) => (l <= 0.0031308 ? 12.92 * l : 1.055 * l ** (1 / 2.4) - 0.055);

describe('ICC colour conversion shared by the browser and the command line', () => {
  it('converts Display P3 values to sRGB as the D65 colour science says, within one level, and keeps alpha', () => {
    const p = parseIccProfile(profile(mul(BRADFORD_D65_D50, P3_D65)))!;
    expect(p).not.toBeNull();
    expect(isSrgbProfile(p)).toBe(false);
    const convert = iccToSrgb(p);
    const toSrgb = mul(XYZ_TO_SRGB, P3_D65);
    const colours = [[255, 255, 255], [0, 0, 0], [128, 128, 128], [200, 80, 40], [30, 160, 220], [90, 200, 90], [255, 0, 0]];
    const px = new Uint8ClampedArray(colours.flatMap((c) => [...c, 77]));
    convert(px);
    colours.forEach((c, i) => {
      const lin = c.map((v) => srgbDecode(v / 255));
      const want = [0, 1, 2].map((r) => Math.round(255 * srgbEncode(Math.min(1, Math.max(0, toSrgb[r * 3] * lin[0] + toSrgb[r * 3 + 1] * lin[1] + toSrgb[r * 3 + 2] * lin[2])))));
      for (let k = 0; k < 3; k++) expect(Math.abs(px[i * 4 + k] - want[k]), `${c} channel ${k}`).toBeLessThanOrEqual(1);
      expect(px[i * 4 + 3]).toBe(77);
    });
    // P3's red lies outside sRGB: clipped, still red.
    expect([px[24], px[25], px[26]]).toEqual([255, 0, 0]);
  });

  it('leaves sRGB profiles and files without a profile to the platform', () => {
    const srgb = parseIccProfile(profile(mul(BRADFORD_D65_D50, SRGB_D65)))!;
    expect(isSrgbProfile(srgb)).toBe(true);
    expect(parseIccProfile(new Uint8Array(200))).toBeNull();
    expect(jpegColourTransform(new Uint8Array([0xff, 0xd8, 0xff, 0xd9]))).toBeNull();
  });

  it('joins a profile split over several APP2 segments in their order', () => {
    const icc = profile(mul(BRADFORD_D65_D50, P3_D65));
    const cut = 100;
    const segment = (seq: number, bytes: Uint8Array) => {
      const head = [...'ICC_PROFILE'].map((c) => c.charCodeAt(0)).concat([0, seq, 2]);
      const len = 2 + head.length + bytes.length;
      return [0xff, 0xe2, len >> 8, len & 255, ...head, ...bytes];
    };
    // Segment 2 first: the order comes from the sequence numbers.
    const jpeg = new Uint8Array([0xff, 0xd8, ...segment(2, icc.subarray(cut)), ...segment(1, icc.subarray(0, cut)), 0xff, 0xda, 0, 2]);
    expect(Array.from(jpegIccProfile(jpeg)!)).toEqual(Array.from(icc));
    expect(jpegColourTransform(jpeg)).not.toBeNull();
  });
});
