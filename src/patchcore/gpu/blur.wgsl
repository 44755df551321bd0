// Separable Gaussian blur of an anomaly map, one 1-D pass per dispatch (along y, then along x, as scipy orders the axes), with scipy's
// 'reflect' border (d c b a | a b c d), extended periodically when the radius exceeds the map.
//
// Buffer layouts (f32, maps row-major [height][width]):
//   @binding(0) bp      : BlurParams uniform { width, height, radius, horizontal (1 = along x, 0 = along y) }
//   @binding(1) weights : array<f32>  [2 * radius + 1]   normalised, weights[radius] is the centre tap
//   @binding(2) src     : array<f32>  [height][width]
//   @binding(3) dst     : array<f32>  [height][width]

struct BlurParams {
  width: u32,
  height: u32,
  radius: u32,
  horizontal: u32,
}

@group(0) @binding(0) var<uniform> bp: BlurParams;
@group(0) @binding(1) var<storage, read> weights: array<f32>;
@group(0) @binding(2) var<storage, read> src: array<f32>;
@group(0) @binding(3) var<storage, read_write> dst: array<f32>;

// scipy 'reflect': index -1 -> 0, n -> n - 1; the pattern repeats with period 2n.
fn reflectIndex(i: i32, n: i32) -> i32 {
  let period = 2 * n;
  var r = i % period;
  if (r < 0) { r += period; }
  if (r >= n) { r = period - 1 - r; }
  return r;
}

@compute @workgroup_size(256)
fn blurPass(@builtin(workgroup_id) wg: vec3u, @builtin(num_workgroups) nwg: vec3u,
            @builtin(local_invocation_index) li: u32) {
  let i = (wg.y * nwg.x + wg.x) * 256u + li;
  if (i >= bp.width * bp.height) { return; }
  let x = i32(i % bp.width);
  let y = i32(i / bp.width);
  let r = i32(bp.radius);
  let w = i32(bp.width);
  let h = i32(bp.height);
  var s = 0.0;
  for (var k = -r; k <= r; k++) {
    var v: f32;
    if (bp.horizontal == 1u) {
      v = src[y * w + reflectIndex(x + k, w)];
    } else {
      v = src[reflectIndex(y + k, h) * w + x];
    }
    s += weights[k + r] * v;
  }
  dst[i] = s;
}
