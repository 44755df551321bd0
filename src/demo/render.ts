// A turned steel washer on a rubber conveyor belt, drawn pixel by pixel in typed arrays so the demo set is
// identical in node, in a worker and in the page, with no canvas and no third-party images.
import { rng } from '../patchcore/random';

export const DEFECT_KINDS = ['scratch', 'dent', 'chip', 'crack', 'contamination', 'stain'] as const;
export type DefectKind = (typeof DEFECT_KINDS)[number];

/** Which defect to draw; `seed` picks where and how (default: derived from the part's seed and the kind). */
export interface DefectSpec {
  kind: DefectKind;
  seed?: number;
}

export interface RenderedPart {
  /** Opaque RGBA, row-major, width x height x 4. */
  rgba: Uint8ClampedArray<ArrayBuffer>;
  width: number;
  height: number;
  /** Ground truth, row-major width x height: 1 where the defect is, 0 elsewhere (all 0 for a good part). */
  mask: Uint8Array;
}

/**
 * Draws one part. The pose, lighting and texture come from `seed` alone, so rendering the same seed with and
 * without a defect gives two images that differ only in and around the defect's mask.
 */
export function renderPart(seed: number, size = 256, defect?: DefectKind | DefectSpec): RenderedPart {
  if (!Number.isInteger(size) || size < 32) throw new Error(`Demo image size must be an integer >= 32 (got ${size})`);
  const scene = makeScene(seed, size);
  const spec = typeof defect === 'string' ? { kind: defect } : defect;
  const painter = spec ? makeDefect(scene, spec.kind, spec.seed ?? mix32(seed, kindIndex(spec.kind) + 101)) : null;
  const rgba = new Uint8ClampedArray(size * size * 4);
  const mask = new Uint8Array(size * size);
  const px: Pixel = { x: 0, y: 0, r: 0, cov: 0, sr: 0, sg: 0, sb: 0, mask: 0 };
  const { cx, cy, rIn, rOut, exposure } = scene;
  const noiseSeed = scene.noiseSeed;

  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const dx = x + 0.5 - cx;
      const dy = y + 0.5 - cy;
      const r = Math.sqrt(dx * dx + dy * dy);
      const bgv = background(scene, x, y, dx, dy);
      const br = bgv * 0.86, bg = bgv * 0.95, bb = bgv * 0.93; // slate-green rubber

      px.x = x;
      px.y = y;
      px.r = r;
      px.mask = 0;
      px.cov = clamp01(rOut - r + 0.5) * clamp01(r - rIn + 0.5);
      if (px.cov > 0) {
        shadePart(scene, px, dx, dy);
      } else {
        px.sr = px.sg = px.sb = 0;
      }
      if (painter && x >= painter.x0 && x < painter.x1 && y >= painter.y0 && y < painter.y1) painter.paint(px);

      // Sensor noise is a hash of the pixel, not a stream, so a defect cannot shift it elsewhere.
      const n = (hash3(x, y, noiseSeed) - 0.5) * 0.022;
      const c = px.cov;
      const i = (y * size + x) * 4;
      rgba[i] = 255 * exposure * (br + (px.sr - br) * c + n);
      rgba[i + 1] = 255 * exposure * (bg + (px.sg - bg) * c + n);
      rgba[i + 2] = 255 * exposure * (bb + (px.sb - bb) * c + n);
      rgba[i + 3] = 255;
      mask[y * size + x] = px.mask;
    }
  }
  return { rgba, width: size, height: size, mask };
}

// ---------------------------------------------------------------------------------------------------------
// The scene: one washer pose and one light per seed. Jitter is small so the good set looks like one product.

interface Scene {
  size: number;
  /** Pixels per pixel of the 256 px reference the measurements below were tuned on. */
  k: number;
  cx: number;
  cy: number;
  rOut: number;
  rIn: number;
  /** Width of the chamfer on each edge, px. */
  bevel: number;
  /** Unit vector towards the light in the image plane. */
  lx: number;
  ly: number;
  lightAngle: number;
  exposure: number;
  /** Turning marks: brightness offset per 1/4 px of radius. */
  grooves: Float32Array;
  grooveSeed: number;
  /** Radial offset of the turning marks around the circumference, px, WOBBLE_STEPS + 1 samples over 2 pi. */
  wobble: Float32Array;
  bgSeed: number;
  noiseSeed: number;
  shadowDx: number;
  shadowDy: number;
}

function makeScene(seed: number, size: number): Scene {
  const r = rng(mix32(seed, 0x5eed));
  const k = size / 256;
  const jitter = (a: number) => (r() * 2 - 1) * a;
  const lightAngle = (-135 + jitter(12)) * (Math.PI / 180);
  const rOut = (104 + jitter(2)) * k;
  const rIn = (44 + jitter(1)) * k;
  const grooveSeed = (r() * 2 ** 32) >>> 0;
  const lx = Math.cos(lightAngle);
  const ly = Math.sin(lightAngle);
  const scene: Scene = {
    size,
    k,
    cx: size / 2 + jitter(5 * k),
    cy: size / 2 + jitter(5 * k),
    rOut,
    rIn,
    bevel: 5 * k,
    lx,
    ly,
    lightAngle,
    exposure: 1 + jitter(0.025),
    grooves: makeGrooves(grooveSeed, Math.ceil(rOut + 2), k),
    grooveSeed,
    wobble: makeWobble(grooveSeed, k),
    bgSeed: (r() * 2 ** 32) >>> 0,
    noiseSeed: (r() * 2 ** 32) >>> 0,
    shadowDx: -lx * 6 * k,
    shadowDy: -ly * 6 * k,
  };
  return scene;
}

/** Concentric lathe marks: a 1D profile over the radius, fine grooves on top of slow tool-pass bands. */
function makeGrooves(seed: number, maxR: number, k: number): Float32Array {
  const r = rng(seed);
  const n = maxR * 4;
  const out = new Float32Array(n + 1);
  // Smoothed white noise at ~0.6 px, plus a few slow bands where the tool pressure changed.
  let a = 0;
  let b = 0;
  const bands = [0, 1, 2].map(() => ({ f: (0.04 + r() * 0.06) / k, p: r() * 6.28, a: 0.006 + r() * 0.012 }));
  for (let i = 0; i <= n; i++) {
    a += (r() - 0.5 - a) * 0.55;
    b += (a - b) * 0.6;
    const rad = i / 4;
    let v = b * 0.16;
    for (const band of bands) v += band.a * Math.sin(rad * band.f * 6.28 + band.p);
    out[i] = v;
  }
  return out;
}

/** Brightness of the belt at a pixel (before its tint). */
const WOBBLE_STEPS = 256;

/** Turning marks wobble a little around the circumference: the stock was never perfectly round. */
function makeWobble(seed: number, k: number): Float32Array {
  const out = new Float32Array(WOBBLE_STEPS + 1);
  for (let i = 0; i <= WOBBLE_STEPS; i++) {
    const a = (i / WOBBLE_STEPS) * 2 * Math.PI; // periodic: sampled on a circle in noise space
    out[i] = valueNoise(Math.cos(a) * 3 + 7, Math.sin(a) * 3 + 7, seed) * 1.5 * k;
  }
  return out;
}

function background(s: Scene, x: number, y: number, dx: number, dy: number): number {
  const k = s.k;
  // Rubber belt: fine speckle, a faint weave along x, and a slow lighting falloff from the light's side.
  const speckle = hash3(x, y, s.bgSeed) - 0.5;
  const blotch = valueNoise(x / (14 * k), y / (14 * k), s.bgSeed ^ 0x1234) - 0.5;
  const weave = Math.sin((y / k) * 1.9 + blotch * 6) * 0.012;
  const light = 1 + 0.18 * ((dx * s.lx + dy * s.ly) / (s.size * 0.5));
  const v = (0.2 + speckle * 0.035 + blotch * 0.05 + weave) * light;
  // Soft contact shadow of the washer, offset away from the light; also darkens the hole's far rim.
  const sx = dx - s.shadowDx;
  const sy = dy - s.shadowDy;
  const sr = Math.sqrt(sx * sx + sy * sy);
  const soft = 7 * k;
  const shadow = smoothstep(s.rIn - soft, s.rIn + soft, sr) * (1 - smoothstep(s.rOut - soft, s.rOut + soft * 1.6, sr));
  return v * (1 - 0.55 * shadow);
}

interface Pixel {
  x: number;
  y: number;
  /** Distance from the washer's centre, px. */
  r: number;
  /** How much of the pixel the washer covers, 0..1 (edges are anti-aliased). */
  cov: number;
  sr: number;
  sg: number;
  sb: number;
  mask: number;
}

function shadePart(s: Scene, px: Pixel, dx: number, dy: number): void {
  const r = px.r;
  const ux = dx / (r || 1);
  const uy = dy / (r || 1);
  const phi = Math.atan2(dy, dx);
  const towardLight = ux * s.lx + uy * s.ly;

  // Turning marks, read off the radial profile at a radius nudged by the stock's out-of-roundness.
  const t = ((phi + Math.PI) / (2 * Math.PI)) * WOBBLE_STEPS;
  const ti = Math.min(WOBBLE_STEPS - 1, t | 0);
  const wobble = s.wobble[ti] + (s.wobble[ti + 1] - s.wobble[ti]) * (t - ti);
  const gi = Math.min(s.grooves.length - 1, Math.max(0, Math.round((r + wobble) * 4)));
  const groove = s.grooves[gi];

  // Anisotropic highlight of a turned face: a bright band along the radius that points at the light.
  const c = Math.cos(phi - s.lightAngle);
  const c2 = c * c;
  const spec = 0.26 * c2 * c2 * c2 + 0.1 * c2;
  const slope = 0.05 * ((r - s.rIn) / (s.rOut - s.rIn) - 0.5); // faint dish, brighter towards the rim
  let v = 0.5 + spec + slope + groove * (1 + 3 * spec);
  v += (hash3(px.x, px.y, s.grooveSeed) - 0.5) * 0.03;

  // Chamfers: outer one faces outwards, inner one faces the hole; each is lit on the side facing the light.
  const b = s.bevel;
  const outer = smoothstep(s.rOut - b - 1, s.rOut - b + 1, r);
  const inner = 1 - smoothstep(s.rIn + b - 1, s.rIn + b + 1, r);
  const face = 1 - Math.max(outer, inner);
  const bevelShade = 0.42 + 0.38 * (outer > inner ? towardLight : -towardLight) + groove;
  v = v * face + bevelShade * (1 - face);

  v = Math.max(0, v);
  px.sr = v * 0.95;
  px.sg = v * 0.98;
  px.sb = v * 1.03;
}

// ---------------------------------------------------------------------------------------------------------
// Defects. Each one owns a bounding box and repaints the pixels in it; it never touches anything outside.

interface Painter {
  x0: number;
  y0: number;
  x1: number;
  y1: number;
  paint(px: Pixel): void;
}

function makeDefect(s: Scene, kind: DefectKind, seed: number): Painter {
  const r = rng(seed);
  switch (kind) {
    case 'scratch':
      return scratch(s, r);
    case 'dent':
      return dent(s, r);
    case 'chip':
      return chip(s, r);
    case 'crack':
      return crack(s, r);
    case 'contamination':
      return contamination(s, r);
    case 'stain':
      return stain(s, r);
  }
}

/** A point on the flat face at least `margin` px from both chamfers. */
function pointOnFace(s: Scene, r: () => number, margin: number): [number, number] {
  const lo = s.rIn + s.bevel + margin;
  const hi = s.rOut - s.bevel - margin;
  const rad = lo + (hi - lo) * r();
  const a = r() * Math.PI * 2;
  return [s.cx + Math.cos(a) * rad, s.cy + Math.sin(a) * rad];
}

function onFace(s: Scene, x: number, y: number, margin: number): boolean {
  const d = Math.hypot(x - s.cx, y - s.cy);
  return d > s.rIn + s.bevel + margin && d < s.rOut - s.bevel - margin;
}

function box(s: Scene, x0: number, y0: number, x1: number, y1: number, pad: number) {
  return {
    x0: Math.max(0, Math.floor(x0 - pad)),
    y0: Math.max(0, Math.floor(y0 - pad)),
    x1: Math.min(s.size, Math.ceil(x1 + pad)),
    y1: Math.min(s.size, Math.ceil(y1 + pad)),
  };
}

/** A polyline with its bounding box; `nearest` gives distance, signed side and position along it (0..1). */
class Polyline {
  readonly xs: number[];
  readonly ys: number[];
  private readonly cum: number[] = [0];
  constructor(xs: number[], ys: number[]) {
    this.xs = xs;
    this.ys = ys;
    for (let i = 1; i < xs.length; i++) this.cum.push(this.cum[i - 1] + Math.hypot(xs[i] - xs[i - 1], ys[i] - ys[i - 1]));
  }
  get length(): number {
    return this.cum[this.cum.length - 1];
  }
  bounds(): [number, number, number, number] {
    return [Math.min(...this.xs), Math.min(...this.ys), Math.max(...this.xs), Math.max(...this.ys)];
  }
  /** Writes [distance, signed perpendicular offset, arc-length fraction] into out. */
  nearest(x: number, y: number, out: Float64Array): void {
    let best = Infinity;
    for (let i = 0; i + 1 < this.xs.length; i++) {
      const ax = this.xs[i], ay = this.ys[i];
      const ex = this.xs[i + 1] - ax, ey = this.ys[i + 1] - ay;
      const len2 = ex * ex + ey * ey || 1;
      const t = clamp01(((x - ax) * ex + (y - ay) * ey) / len2);
      const qx = x - ax - ex * t, qy = y - ay - ey * t;
      const d = Math.sqrt(qx * qx + qy * qy);
      if (d < best) {
        best = d;
        out[0] = d;
        out[1] = (ex * (y - ay) - ey * (x - ax)) / Math.sqrt(len2);
        out[2] = (this.cum[i] + t * Math.sqrt(len2)) / (this.length || 1);
      }
    }
  }
}

/** A fine scratch across the face: a bright wall and a dark wall side by side, tapering at both ends. */
function scratch(s: Scene, r: () => number): Painter {
  const k = s.k;
  let line: Polyline | null = null;
  for (let attempt = 0; attempt < 40 && !line; attempt++) {
    const [mx, my] = pointOnFace(s, r, 4 * k);
    const len = (34 + r() * 30) * k * (1 - attempt / 60);
    const a = r() * Math.PI * 2;
    const bend = (r() * 2 - 1) * 0.25;
    const xs: number[] = [], ys: number[] = [];
    for (let i = 0; i <= 12; i++) {
      const t = i / 12 - 0.5;
      const ang = a + bend * t * 2;
      xs.push(mx + Math.cos(ang) * t * len + (r() - 0.5) * 0.4 * k);
      ys.push(my + Math.sin(ang) * t * len + (r() - 0.5) * 0.4 * k);
    }
    if (xs.every((x, i) => onFace(s, x, ys[i], 2 * k))) line = new Polyline(xs, ys);
  }
  line ??= new Polyline([s.cx + s.rIn + s.bevel + 10 * k, s.cx + s.rIn + s.bevel + 10 * k], [s.cy - 15 * k, s.cy + 15 * k]);
  const pl = line;
  const width = (0.7 + r() * 0.4) * k;
  const strength = 0.55 + r() * 0.2;
  const out = new Float64Array(3);
  const [x0, y0, x1, y1] = pl.bounds();
  return {
    ...box(s, x0, y0, x1, y1, 4 * k),
    paint(px) {
      pl.nearest(px.x + 0.5, px.y + 0.5, out);
      const d = out[0];
      if (d > 3.5 * width + 1) return;
      const taper = Math.sin(Math.PI * Math.min(1, Math.max(0, out[2]))) ** 0.5;
      const side = out[1];
      const w2 = 2 * width * width;
      const bright = Math.exp(-((side - width) ** 2) / w2);
      const dark = Math.exp(-((side + width) ** 2) / w2);
      const delta = strength * taper * (0.75 * bright - 0.6 * dark);
      px.sr += delta;
      px.sg += delta;
      px.sb += delta;
      if (d < width + 1.2 * k && taper > 0.2 && px.cov > 0.5) px.mask = 1;
    },
  };
}

/** A shallow impact crater: the wall facing the light catches it, the near wall falls into shade. */
function dent(s: Scene, r: () => number): Painter {
  const k = s.k;
  const R = (6 + r() * 4) * k;
  const [mx, my] = pointOnFace(s, r, R + 2 * k);
  const aspect = 0.7 + r() * 0.3;
  const a = r() * Math.PI;
  const ca = Math.cos(a), sa = Math.sin(a);
  const depth = 0.9 + r() * 0.3;
  return {
    ...box(s, mx, my, mx, my, R + 2),
    paint(px) {
      const dx = px.x + 0.5 - mx, dy = px.y + 0.5 - my;
      const u = (dx * ca + dy * sa) / R;
      const v = (-dx * sa + dy * ca) / (R * aspect);
      const q = u * u + v * v;
      if (q >= 1) return;
      const h = (1 - q) * (1 - q);
      // Gradient of the crater's depth in image axes; its dot with the light decides lit or shaded.
      const dhdu = -4 * u * (1 - q) / R;
      const dhdv = (-4 * v * (1 - q)) / (R * aspect);
      const gx = dhdu * ca - dhdv * sa, gy = dhdu * sa + dhdv * ca;
      const lit = (gx * s.lx + gy * s.ly) * R * depth;
      const f = (1 - 0.15 * h) * (1 + 0.4 * lit);
      // The crater floor loses the turning marks: pull towards a flat grey.
      const flat = 0.35 * h;
      px.sr = (px.sr * (1 - flat) + 0.5 * flat) * f;
      px.sg = (px.sg * (1 - flat) + 0.51 * flat) * f;
      px.sb = (px.sb * (1 - flat) + 0.53 * flat) * f;
      if (q < 0.8 && px.cov > 0.5) px.mask = 1;
    },
  };
}

/** Smooth random wobble of a radius around a centre: a few low harmonics with random phases. */
function wobbly(r: () => number, amount: number): (theta: number) => number {
  const h = [2, 3, 5].map((f) => ({ f, p: r() * 6.28, a: (r() * 0.6 + 0.4) * amount / f }));
  return (theta) => {
    let w = 1;
    for (const { f, p, a } of h) w += a * Math.sin(f * theta + p);
    return w;
  };
}

/** A piece broken out of the outer rim: belt shows through, and the fracture face is dark and rough. */
function chip(s: Scene, r: () => number): Painter {
  const k = s.k;
  const R = (9 + r() * 5) * k;
  const a = r() * Math.PI * 2;
  const mx = s.cx + Math.cos(a) * (s.rOut + R * 0.25);
  const my = s.cy + Math.sin(a) * (s.rOut + R * 0.25);
  const shape = wobbly(r, 0.5);
  const rough = r() * 1e6;
  return {
    ...box(s, mx, my, mx, my, R * 1.6 + 3 * k),
    paint(px) {
      if (px.cov <= 0) return;
      const dx = px.x + 0.5 - mx, dy = px.y + 0.5 - my;
      const edge = R * shape(Math.atan2(dy, dx)) + (valueNoise(px.x / (1.5 * k), px.y / (1.5 * k), rough) - 0.5) * 1.6 * k;
      const sd = Math.sqrt(dx * dx + dy * dy) - edge; // < 0 inside the missing piece
      const gone = clamp01(0.5 - sd);
      const fracture = Math.exp(-((sd - 1.2 * k) ** 2) / (2 * (1.1 * k) ** 2));
      const covBefore = px.cov;
      if (gone === 0 && fracture < 0.02) return;
      const f = 1 - 0.55 * fracture;
      px.sr = px.sr * f + 0.04 * fracture;
      px.sg = px.sg * f + 0.03 * fracture;
      px.sb = px.sb * f + 0.02 * fracture;
      px.cov = covBefore * (1 - gone);
      if (covBefore > 0.5 && (gone > 0.5 || fracture > 0.35)) px.mask = 1;
    },
  };
}

/** A hairline fatigue crack running in from one of the edges, with a side branch. */
function crack(s: Scene, r: () => number): Painter {
  const k = s.k;
  const fromOuter = r() < 0.6;
  const a = r() * Math.PI * 2;
  const startR = fromOuter ? s.rOut - 0.5 : s.rIn + 0.5;
  const dir = fromOuter ? -1 : 1;
  const steps = 9 + Math.floor(r() * 5);
  const walk = (x: number, y: number, ang: number, n: number, stepLen: number) => {
    const xs = [x], ys = [y];
    for (let i = 0; i < n; i++) {
      ang += (r() * 2 - 1) * 0.6;
      x += Math.cos(ang) * stepLen;
      y += Math.sin(ang) * stepLen;
      if (!onFace(s, x, y, -s.bevel + 0.5)) break;
      xs.push(x);
      ys.push(y);
    }
    return new Polyline(xs, ys);
  };
  const sx = s.cx + Math.cos(a) * startR, sy = s.cy + Math.sin(a) * startR;
  const main = walk(sx, sy, dir > 0 ? a : a + Math.PI, steps, 2.6 * k);
  const bi = Math.max(1, Math.floor(main.xs.length * (0.35 + r() * 0.3)) - 1);
  const branchAngle = (dir > 0 ? a : a + Math.PI) + (r() < 0.5 ? -1 : 1) * (0.6 + r() * 0.4);
  const branch = walk(main.xs[bi], main.ys[bi], branchAngle, 3 + Math.floor(r() * 3), 2.2 * k);
  const lines = [main, branch];
  const widths = [(0.55 + r() * 0.25) * k, 0.4 * k];
  const all = lines.map((l) => l.bounds());
  const out = new Float64Array(3);
  return {
    ...box(s, Math.min(...all.map((b) => b[0])), Math.min(...all.map((b) => b[1])),
      Math.max(...all.map((b) => b[2])), Math.max(...all.map((b) => b[3])), 4 * k),
    paint(px) {
      if (px.cov <= 0) return;
      let dark = 0;
      let inMask = false;
      for (let i = 0; i < lines.length; i++) {
        if (lines[i].xs.length < 2) continue;
        lines[i].nearest(px.x + 0.5, px.y + 0.5, out);
        const w = widths[i] * (1 - 0.6 * out[2]); // narrows towards the tip
        dark = Math.max(dark, Math.exp(-(out[0] ** 2) / (2 * w * w)) * (0.8 - 0.3 * out[2]), 0.12 * Math.exp(-out[0] / (1.5 * k)));
        if (out[0] < w + 1.2 * k) inMask = true;
      }
      const f = 1 - dark;
      px.sr *= f;
      px.sg *= f;
      px.sb *= f;
      if (inMask && px.cov > 0.5) px.mask = 1;
    },
  };
}

/** An irregular blob of oily grime with a couple of satellite drops. */
function contamination(s: Scene, r: () => number): Painter {
  const k = s.k;
  const R = (6 + r() * 4) * k;
  const [mx, my] = pointOnFace(s, r, R * 1.3);
  const shape = wobbly(r, 0.7);
  const drops = [0, 1].map(() => {
    const a = r() * 6.28;
    const d = R * (1.3 + r() * 0.6);
    return { x: mx + Math.cos(a) * d, y: my + Math.sin(a) * d, R: (1.2 + r() * 1.3) * k };
  });
  const grain = r() * 1e6;
  const opacity = 0.72 + r() * 0.15;
  return {
    ...box(s, mx, my, mx, my, R * 2.4 + 4 * k),
    paint(px) {
      const x = px.x + 0.5, y = px.y + 0.5;
      const dx = x - mx, dy = y - my;
      let a = clamp01((R * shape(Math.atan2(dy, dx)) - Math.sqrt(dx * dx + dy * dy)) / (1.5 * k));
      for (const d of drops) a = Math.max(a, clamp01((d.R - Math.hypot(x - d.x, y - d.y)) / (0.8 * k)));
      if (a <= 0) return;
      const g = valueNoise(px.x / (1.2 * k), px.y / (1.2 * k), grain);
      const o = a * opacity * (0.8 + 0.2 * g);
      // Grime absorbs the light but keeps a faint wet sheen on the side facing it.
      const base = 0.11 + 0.06 * g;
      px.sr += (base * 1.35 - px.sr) * o;
      px.sg += (base * 1.1 - px.sg) * o;
      px.sb += (base * 0.8 - px.sb) * o;
      if (a > 0.5 && px.cov > 0.5) px.mask = 1;
    },
  };
}

/** A dried rust-coloured stain: a faint brown tint with a darker tide line at its edge. */
function stain(s: Scene, r: () => number): Painter {
  const k = s.k;
  const R = (10 + r() * 6) * k;
  const [mx, my] = pointOnFace(s, r, R * 0.8);
  const shape = wobbly(r, 0.55);
  const mottle = r() * 1e6;
  const strength = 0.45 + r() * 0.15;
  return {
    ...box(s, mx, my, mx, my, R * 1.7 + 3 * k),
    paint(px) {
      const dx = px.x + 0.5 - mx, dy = px.y + 0.5 - my;
      const sd = Math.sqrt(dx * dx + dy * dy) - R * shape(Math.atan2(dy, dx));
      const inside = clamp01(0.5 - sd / (2.5 * k));
      if (inside <= 0) return;
      const tide = Math.exp(-((sd + 1.5 * k) ** 2) / (2 * (1.2 * k) ** 2));
      const m = valueNoise(px.x / (5 * k), px.y / (5 * k), mottle);
      const t = inside * strength * (0.6 + 0.6 * m) + 0.25 * tide * inside;
      // Multiply by a rust tint: red survives, blue is absorbed.
      px.sr *= 1 - t * 0.08;
      px.sg *= 1 - t * 0.3;
      px.sb *= 1 - t * 0.55;
      if (inside > 0.5 && px.cov > 0.5) px.mask = 1;
    },
  };
}

// ---------------------------------------------------------------------------------------------------------
// Small numeric helpers: integer hashing (order-free randomness) and value noise.

function kindIndex(kind: DefectKind): number {
  return DEFECT_KINDS.indexOf(kind);
}

/** Mixes two integers into a well-spread 32-bit seed. */
export function mix32(a: number, b: number): number {
  let h = Math.imul(a ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(b + 0x632be5ab, 0xc2b2ae35);
  h = Math.imul(h ^ (h >>> 16), 0x7feb352d);
  h = Math.imul(h ^ (h >>> 15), 0x846ca68b);
  return (h ^ (h >>> 16)) >>> 0;
}

/** A uniform [0, 1) value from three integers. */
function hash3(x: number, y: number, s: number): number {
  let h = Math.imul(x | 0, 0x27d4eb2d) ^ Math.imul(y | 0, 0x165667b1) ^ Math.imul(s | 0, 0x9e3779b1);
  h = Math.imul(h ^ (h >>> 15), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return ((h ^ (h >>> 16)) >>> 0) / 4294967296;
}

/** Smoothly interpolated lattice noise in [0, 1). */
function valueNoise(x: number, y: number, seed: number): number {
  const xi = Math.floor(x), yi = Math.floor(y);
  const fx = x - xi, fy = y - yi;
  const u = fx * fx * (3 - 2 * fx), v = fy * fy * (3 - 2 * fy);
  const a = hash3(xi, yi, seed), b = hash3(xi + 1, yi, seed);
  const c = hash3(xi, yi + 1, seed), d = hash3(xi + 1, yi + 1, seed);
  return a + (b - a) * u + (c - a) * v + (a - b - c + d) * u * v;
}

function clamp01(v: number): number {
  return v < 0 ? 0 : v > 1 ? 1 : v;
}

function smoothstep(e0: number, e1: number, v: number): number {
  const t = clamp01((v - e0) / (e1 - e0));
  return t * t * (3 - 2 * t);
}
