// Locally aware patch features (paper eq. 1-3): p x p neighbourhood mean of each map, the stride-16 map sampled
// bilinearly onto the stride-8 grid, per-layer and final adaptive average pooling of channels, concatenation.
//
// Buffer layouts (f32 unless noted; maps are channels first, row-major):
//   entry localAverage (one dispatch per map, one thread per element)
//     @binding(0) lp   : LocalParams  uniform { channels, height, width, patchSize }
//     @binding(1) src  : array<f32>   [channels][height][width]
//     @binding(2) dst  : array<f32>   [channels][height][width]  mean over the p x p window, zero padding,
//                                                                  divisor p*p (count_include_pad)
//   entry assemble (one thread per output value)
//     @binding(3) ap   : AssembleParams uniform (see struct)
//     @binding(4) avg1 : array<f32>   [c1][h1][w1]  averaged stride-8 map; its grid is the output grid
//     @binding(5) avg2 : array<f32>   [c2][h2][w2]  averaged stride-16 map
//     @binding(6) features: array<f32>   [h1 * w1][dOut]  row = y * w1 + x
// Concatenated channel k < d1 is the mean of layer-1 channels [floor(k*c1/d1), ceil((k+1)*c1/d1)) (torch
// adaptive_avg_pool1d); k >= d1 likewise from layer 2; output column j is the mean of concatenated channels
// [floor(j*dCat/dOut), ceil((j+1)*dCat/dOut)). d1 == c1, d2 == c2, dOut == dCat mean "no pooling".

struct LocalParams {
  channels: u32,
  height: u32,
  width: u32,
  patchSize: u32,
}

struct AssembleParams {
  c1: u32, h1: u32, w1: u32, d1: u32,
  c2: u32, h2: u32, w2: u32, d2: u32,
  dCat: u32, dOut: u32, _pad0: u32, _pad1: u32,
  // Where stride-8 cell (y, x) samples the stride-16 map: (scaleY * y + offsetY, scaleX * x + offsetX).
  scaleY: f32, offsetY: f32, scaleX: f32, offsetX: f32,
}

@group(0) @binding(0) var<uniform> lp: LocalParams;
@group(0) @binding(1) var<storage, read> src: array<f32>;
@group(0) @binding(2) var<storage, read_write> dst: array<f32>;

@group(0) @binding(3) var<uniform> ap: AssembleParams;
@group(0) @binding(4) var<storage, read> avg1: array<f32>;
@group(0) @binding(5) var<storage, read> avg2: array<f32>;
@group(0) @binding(6) var<storage, read_write> features: array<f32>;

fn flatIndex(wg: vec3u, nwg: vec3u, li: u32) -> u32 {
  return (wg.y * nwg.x + wg.x) * 256u + li;
}

@compute @workgroup_size(256)
fn localAverage(@builtin(workgroup_id) wg: vec3u, @builtin(num_workgroups) nwg: vec3u,
                @builtin(local_invocation_index) li: u32) {
  let i = flatIndex(wg, nwg, li);
  let plane = lp.height * lp.width;
  if (i >= lp.channels * plane) { return; }
  let c = i / plane;
  let y = i32((i % plane) / lp.width);
  let x = i32(i % lp.width);
  let lo = -i32(lp.patchSize / 2u);
  let hi = lo + i32(lp.patchSize);
  let h = i32(lp.height);
  let w = i32(lp.width);
  let base = c * plane;
  var sum = 0.0;
  for (var dy = lo; dy < hi; dy++) {
    let yy = y + dy;
    if (yy < 0 || yy >= h) { continue; }
    for (var dx = lo; dx < hi; dx++) {
      let xx = x + dx;
      if (xx < 0 || xx >= w) { continue; }
      sum += src[base + u32(yy * w + xx)];
    }
  }
  dst[i] = sum / f32(lp.patchSize * lp.patchSize);
}

// Bilinear sample position of one output cell in the layer-2 map (the host passes torch's align_corners=False
// mapping, or the backbone cells' receptive-field geometry).
struct Bilinear {
  i00: u32, i01: u32, i10: u32, i11: u32,
  wy0: f32, wy1: f32, wx0: f32, wx1: f32,
}

fn sourceIndex(dst: u32, scale: f32, offset: f32) -> f32 {
  return max(scale * f32(dst) + offset, 0.0);
}

fn bilinearAt(y: u32, x: u32) -> Bilinear {
  let sy = sourceIndex(y, ap.scaleY, ap.offsetY);
  let sx = sourceIndex(x, ap.scaleX, ap.offsetX);
  let y0 = min(u32(sy), ap.h2 - 1u);
  let x0 = min(u32(sx), ap.w2 - 1u);
  let y1 = min(y0 + 1u, ap.h2 - 1u);
  let x1 = min(x0 + 1u, ap.w2 - 1u);
  let ly = min(sy - f32(y0), 1.0);
  let lx = min(sx - f32(x0), 1.0);
  var b: Bilinear;
  b.i00 = y0 * ap.w2 + x0;
  b.i01 = y0 * ap.w2 + x1;
  b.i10 = y1 * ap.w2 + x0;
  b.i11 = y1 * ap.w2 + x1;
  b.wy0 = 1.0 - ly;
  b.wy1 = ly;
  b.wx0 = 1.0 - lx;
  b.wx1 = lx;
  return b;
}

fn binStart(i: u32, inSize: u32, outSize: u32) -> u32 {
  return (i * inSize) / outSize;
}

fn binEnd(i: u32, inSize: u32, outSize: u32) -> u32 {
  return ((i + 1u) * inSize + outSize - 1u) / outSize;
}

fn concatValue(k: u32, cell: u32, b: Bilinear) -> f32 {
  if (k < ap.d1) {
    let c0 = binStart(k, ap.c1, ap.d1);
    let c1 = binEnd(k, ap.c1, ap.d1);
    let plane = ap.h1 * ap.w1;
    var s = 0.0;
    for (var c = c0; c < c1; c++) { s += avg1[c * plane + cell]; }
    return s / f32(c1 - c0);
  }
  let kk = k - ap.d1;
  let c0 = binStart(kk, ap.c2, ap.d2);
  let c1 = binEnd(kk, ap.c2, ap.d2);
  let plane = ap.h2 * ap.w2;
  var s = 0.0;
  for (var c = c0; c < c1; c++) {
    let base = c * plane;
    s += b.wy0 * (b.wx0 * avg2[base + b.i00] + b.wx1 * avg2[base + b.i01])
       + b.wy1 * (b.wx0 * avg2[base + b.i10] + b.wx1 * avg2[base + b.i11]);
  }
  return s / f32(c1 - c0);
}

@compute @workgroup_size(256)
fn assemble(@builtin(workgroup_id) wg: vec3u, @builtin(num_workgroups) nwg: vec3u,
            @builtin(local_invocation_index) li: u32) {
  let i = flatIndex(wg, nwg, li);
  let cells = ap.h1 * ap.w1;
  if (i >= cells * ap.dOut) { return; }
  let cell = i / ap.dOut;
  let j = i % ap.dOut;
  let b = bilinearAt(cell / ap.w1, cell % ap.w1);
  let k0 = binStart(j, ap.dCat, ap.dOut);
  let k1 = binEnd(j, ap.dCat, ap.dOut);
  var s = 0.0;
  for (var k = k0; k < k1; k++) { s += concatValue(k, cell, b); }
  features[i] = s / f32(k1 - k0);
}
