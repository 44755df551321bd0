// Colour management of JPEGs that embed an RGB ICC profile other than sRGB (phone photos in Display P3, cameras in
// Adobe RGB), done by this code in the browser and on the command line alike. Chromium (skcms) and libvips (lcms2)
// each convert such files to sRGB, with rounding that differs by one level on about 1% of the values; a greedy
// coreset then picks different vectors, and two models from the same photos disagreed by up to 4.8% (docs/server.md).
// So both decoders hand over the file's own values (no conversion) and this module converts them: the same
// arithmetic, so the same pixels. It covers matrix/TRC profiles (what cameras and phones embed); other profiles
// (LUT-based, CMYK, grey) are left to the platform's conversion.

/** A tone curve: v in [0, 1] -> linear light in [0, 1]. */
type Curve = (v: number) => number;

/** A matrix/TRC RGB profile: colorants (XYZ, D50, as columns r g b) and one tone curve per channel. */
export interface MatrixTrcProfile {
  /** Row-major 3x3: XYZ(D50) = M * linear RGB. */
  toXyz: number[];
  curves: [Curve, Curve, Curve];
}

/** sRGB's colorants adapted to D50, as the ICC's own sRGB profile gives them (row-major, XYZ = M * rgb). */
const SRGB_TO_XYZ_D50 = [0.4360747, 0.3850649, 0.1430804, 0.2225045, 0.7168786, 0.0606169, 0.0139322, 0.0971045, 0.7141733];

const srgbDecode = (v: number) => (v <= 0.04045 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4);
const srgbEncode = (l: number) => (l <= 0.0031308 ? 12.92 * l : 1.055 * l ** (1 / 2.4) - 0.055);

const u32 = (b: Uint8Array, o: number) => ((b[o] << 24) | (b[o + 1] << 16) | (b[o + 2] << 8) | b[o + 3]) >>> 0;
const s15 = (b: Uint8Array, o: number) => (u32(b, o) | 0) / 65536;
const tag = (b: Uint8Array, o: number) => String.fromCharCode(b[o], b[o + 1], b[o + 2], b[o + 3]);

/** A 'curv' or 'para' tag as a curve; null when it is neither or is cut short. */
function parseCurve(b: Uint8Array, o: number, size: number): Curve | null {
  const type = tag(b, o);
  if (type === 'curv') {
    const n = u32(b, o + 8);
    if (size < 12 + 2 * n) return null;
    if (n === 0) return (v) => v;
    if (n === 1) {
      const g = ((b[o + 12] << 8) | b[o + 13]) / 256;
      return (v) => v ** g;
    }
    const t = new Float64Array(n);
    for (let i = 0; i < n; i++) t[i] = ((b[o + 12 + 2 * i] << 8) | b[o + 13 + 2 * i]) / 65535;
    return (v) => {
      const x = Math.min(1, Math.max(0, v)) * (n - 1);
      const i = Math.min(n - 2, Math.floor(x));
      return t[i] + (t[i + 1] - t[i]) * (x - i);
    };
  }
  if (type === 'para') {
    const fn = (b[o + 8] << 8) | b[o + 9];
    const count = [1, 3, 4, 5, 7][fn];
    if (count === undefined || size < 12 + 4 * count) return null;
    const p = Array.from({ length: count }, (_, i) => s15(b, o + 12 + 4 * i));
    const [g, a = 1, bb = 0, c = 0, d = 0, e = 0, f = 0] = p;
    switch (fn) {
      case 0:
        return (v) => v ** g;
      case 1:
        return (v) => (v >= -bb / a ? (a * v + bb) ** g : 0);
      case 2:
        return (v) => (v >= -bb / a ? (a * v + bb) ** g + c : c);
      case 3:
        return (v) => (v >= d ? (a * v + bb) ** g : c * v);
      default:
        return (v) => (v >= d ? (a * v + bb) ** g + e : c * v + f);
    }
  }
  return null;
}

/** The matrix/TRC part of an ICC profile; null for profiles this module does not convert (see the top). */
export function parseIccProfile(b: Uint8Array): MatrixTrcProfile | null {
  if (b.length < 132 || tag(b, 36) !== 'acsp' || tag(b, 16) !== 'RGB ' || tag(b, 20) !== 'XYZ ') return null;
  const n = u32(b, 128);
  const tags = new Map<string, { o: number; size: number }>();
  for (let i = 0; i < n && 132 + 12 * (i + 1) <= b.length; i++) {
    const e = 132 + 12 * i;
    const o = u32(b, e + 4);
    const size = u32(b, e + 8);
    if (o + size <= b.length) tags.set(tag(b, e), { o, size });
  }
  // A LUT-based profile (A2B0) may carry colorants too, but its LUT is what a CMS would use: leave it.
  if (tags.has('A2B0')) return null;
  const xyz = (name: string) => {
    const t = tags.get(name);
    return t && t.size >= 20 && tag(b, t.o) === 'XYZ ' ? [s15(b, t.o + 8), s15(b, t.o + 12), s15(b, t.o + 16)] : null;
  };
  const curve = (name: string) => {
    const t = tags.get(name);
    return t ? parseCurve(b, t.o, t.size) : null;
  };
  const r = xyz('rXYZ'), g = xyz('gXYZ'), bl = xyz('bXYZ');
  const cr = curve('rTRC'), cg = curve('gTRC'), cb = curve('bTRC');
  if (!r || !g || !bl || !cr || !cg || !cb) return null;
  return { toXyz: [r[0], g[0], bl[0], r[1], g[1], bl[1], r[2], g[2], bl[2]], curves: [cr, cg, cb] };
}

function invert3(m: number[]): number[] {
  const [a, b, c, d, e, f, g, h, i] = m;
  const A = e * i - f * h, B = -(d * i - f * g), C = d * h - e * g;
  const det = a * A + b * B + c * C;
  return [A / det, -(b * i - c * h) / det, (b * f - c * e) / det, B / det, (a * i - c * g) / det, -(a * f - c * d) / det, C / det, -(a * h - b * g) / det, (a * e - b * d) / det];
}

function multiply3(x: number[], y: number[]): number[] {
  const out = new Array<number>(9).fill(0);
  for (let r = 0; r < 3; r++) for (let c = 0; c < 3; c++) for (let k = 0; k < 3; k++) out[r * 3 + c] += x[r * 3 + k] * y[k * 3 + c];
  return out;
}

/** Whether converting with this profile would change nothing that matters: it is sRGB (within a rounding). */
export function isSrgbProfile(p: MatrixTrcProfile): boolean {
  if (p.toXyz.some((v, i) => Math.abs(v - SRGB_TO_XYZ_D50[i]) > 2e-3)) return false;
  for (const c of p.curves) for (let v = 0; v <= 255; v += 5) if (Math.abs(c(v / 255) - srgbDecode(v / 255)) > 1 / 1024) return false;
  return true;
}

/**
 * The conversion of 8-bit RGBA in the profile's space to sRGB, in place: tone curves to linear light (tables of 256),
 * the profile's colorants to sRGB's (both D50, as ICC profiles are), clipped to sRGB's gamut, then the sRGB curve,
 * rounded. Alpha is kept.
 */
export function iccToSrgb(p: MatrixTrcProfile): (rgba: Uint8ClampedArray) => void {
  const m = multiply3(invert3(SRGB_TO_XYZ_D50), p.toXyz);
  const lin = p.curves.map((c) => Float64Array.from({ length: 256 }, (_, v) => c(v / 255)));
  // sRGB encoding of linear light in 1/65535 steps: finer than any 8-bit step, and the same table everywhere.
  const STEPS = 65535;
  const encode = Uint8Array.from({ length: STEPS + 1 }, (_, i) => Math.round(255 * srgbEncode(i / STEPS)));
  const out = (l: number) => encode[Math.round(Math.min(1, Math.max(0, l)) * STEPS)];
  return (px) => {
    for (let i = 0; i < px.length; i += 4) {
      const r = lin[0][px[i]], g = lin[1][px[i + 1]], b = lin[2][px[i + 2]];
      px[i] = out(m[0] * r + m[1] * g + m[2] * b);
      px[i + 1] = out(m[3] * r + m[4] * g + m[5] * b);
      px[i + 2] = out(m[6] * r + m[7] * g + m[8] * b);
    }
  };
}

/** The ICC profile a JPEG embeds (APP2 'ICC_PROFILE' segments, joined in order), from its first bytes; null if none. */
export function jpegIccProfile(head: Uint8Array): Uint8Array | null {
  if (head[0] !== 0xff || head[1] !== 0xd8) return null;
  const parts: { seq: number; bytes: Uint8Array }[] = [];
  let o = 2;
  while (o + 4 <= head.length && head[o] === 0xff) {
    const marker = head[o + 1];
    if (marker === 0xda || marker === 0xd9) break; // start of scan: no more headers
    const len = (head[o + 2] << 8) | head[o + 3];
    if (marker === 0xe2 && len >= 16 && o + 2 + len <= head.length && tag(head, o + 4) === 'ICC_' && String.fromCharCode(...head.subarray(o + 8, o + 16)) === 'PROFILE\0') {
      parts.push({ seq: head[o + 16], bytes: head.subarray(o + 18, o + 2 + len) });
    }
    o += 2 + len;
  }
  if (parts.length === 0) return null;
  parts.sort((a, b) => a.seq - b.seq);
  const all = new Uint8Array(parts.reduce((s, p) => s + p.bytes.length, 0));
  let at = 0;
  for (const p of parts) {
    all.set(p.bytes, at);
    at += p.bytes.length;
  }
  return all;
}

/** The conversion a JPEG's header asks for: null when it embeds no profile, an sRGB one, or one left to the platform. */
export function jpegColourTransform(head: Uint8Array): ((rgba: Uint8ClampedArray) => void) | null {
  const icc = jpegIccProfile(head);
  const p = icc && parseIccProfile(icc);
  return p && !isSrgbProfile(p) ? iccToSrgb(p) : null;
}
