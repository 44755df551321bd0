// Approximate greedy coreset (paper Algorithm 1, authors' sampler): seeded random projection, running
// min-distance initialised with the mean distance to a few random points, then repeatedly argmax + update.
// Everything stays on the GPU: the selected index is written to `state` and read by the next update.
//
// Buffer layouts (f32 unless noted). Projected points are stored dimension-major so that neighbouring
// threads (points) read neighbouring addresses.
//   entry project (16 x 16 tiles, one chunk of input rows per dispatch)
//     @binding(0) pp      : ProjectParams uniform { rows, inDim, outDim, rowOffset, n }
//     @binding(1) x       : array<f32>  [rows][inDim]      this chunk of feature rows
//     @binding(2) pm      : array<f32>  [inDim][outDim]    projection matrix (random.ts projectionMatrix)
//     @binding(3) projT   : array<f32>  [outDim][n]        projT[c * n + rowOffset + r] = (x @ pm)[r][c]
//   entry transposeRows (projectionDim 0: the features themselves, transposed; one thread per value)
//     @binding(0) pp, @binding(1) x, @binding(3) projT    as above with outDim == inDim
//   entry initialize / update (numPartials workgroups of 256 threads striding over the points)
//     @binding(4) gp       : GreedyParams uniform { n, dim, numStarts, numPartials }
//     @binding(5) points   : array<f32>  [dim][n]   = projT
//     @binding(6) minDist  : array<f32>  [n]        running min-distance to the selected set
//     @binding(7) partials : array<Cand> [numPartials]  per-workgroup argmax of minDist
//     @binding(8) state    : State      { count: u32, current: u32, selected: array<u32> }  (update only)
//     @binding(9) starts   : array<u32>  [numStarts]                                        (initialize only)
//   entry finalize (one workgroup): argmax over partials -> state.selected[state.count++] = state.current
// Ties in argmax go to the lowest point index, as in the TypeScript twin.

struct ProjectParams {
  rows: u32,
  inDim: u32,
  outDim: u32,
  rowOffset: u32,
  n: u32,
}

struct GreedyParams {
  n: u32,
  dim: u32,
  numStarts: u32,
  numPartials: u32,
}

struct Cand {
  value: f32,
  index: u32,
}

struct State {
  count: u32,
  current: u32,
  selected: array<u32>,
}

@group(0) @binding(0) var<uniform> pp: ProjectParams;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> pm: array<f32>;
@group(0) @binding(3) var<storage, read_write> projT: array<f32>;

@group(0) @binding(4) var<uniform> gp: GreedyParams;
@group(0) @binding(5) var<storage, read> points: array<f32>;
@group(0) @binding(6) var<storage, read_write> minDist: array<f32>;
@group(0) @binding(7) var<storage, read_write> partials: array<Cand>;
@group(0) @binding(8) var<storage, read_write> state: State;
@group(0) @binding(9) var<storage, read> starts: array<u32>;

const NONE = 0xffffffffu;
const FAR = 0x1.fffffep+127f;  // largest finite f32: "no candidate yet"

var<workgroup> tileX: array<f32, 256>;
var<workgroup> tileP: array<f32, 256>;

@compute @workgroup_size(16, 16)
fn project(@builtin(workgroup_id) wg: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let row = wg.y * 16u + lid.y;
  let col = wg.x * 16u + lid.x;
  var acc = 0.0;
  for (var k0 = 0u; k0 < pp.inDim; k0 += 16u) {
    var xv = 0.0;
    if (row < pp.rows && k0 + lid.x < pp.inDim) { xv = x[row * pp.inDim + k0 + lid.x]; }
    tileX[lid.y * 16u + lid.x] = xv;
    var pv = 0.0;
    if (k0 + lid.y < pp.inDim && col < pp.outDim) { pv = pm[(k0 + lid.y) * pp.outDim + col]; }
    tileP[lid.y * 16u + lid.x] = pv;
    workgroupBarrier();
    for (var kk = 0u; kk < 16u; kk++) {
      acc += tileX[lid.y * 16u + kk] * tileP[kk * 16u + lid.x];
    }
    workgroupBarrier();
  }
  if (row < pp.rows && col < pp.outDim) {
    projT[col * pp.n + pp.rowOffset + row] = acc;
  }
}

@compute @workgroup_size(256)
fn transposeRows(@builtin(workgroup_id) wg: vec3u, @builtin(num_workgroups) nwg: vec3u,
                 @builtin(local_invocation_index) li: u32) {
  let i = (wg.y * nwg.x + wg.x) * 256u + li;
  if (i >= pp.rows * pp.inDim) { return; }
  let r = i / pp.inDim;
  let c = i % pp.inDim;
  projT[c * pp.n + pp.rowOffset + r] = x[i];
}

fn pointDistance(i: u32, j: u32) -> f32 {
  var s = 0.0;
  for (var d = 0u; d < gp.dim; d++) {
    let diff = points[d * gp.n + i] - points[d * gp.n + j];
    s += diff * diff;
  }
  return sqrt(s);
}

var<workgroup> redValue: array<f32, 256>;
var<workgroup> redIndex: array<u32, 256>;

fn better(v: f32, i: u32, bv: f32, bi: u32) -> bool {
  return v > bv || (v == bv && i < bi);
}

// Argmax over the workgroup's 256 candidates; the winner ends in slot 0.
fn reduceWorkgroup(li: u32, value: f32, index: u32) {
  redValue[li] = value;
  redIndex[li] = index;
  workgroupBarrier();
  for (var s = 128u; s > 0u; s >>= 1u) {
    if (li < s && better(redValue[li + s], redIndex[li + s], redValue[li], redIndex[li])) {
      redValue[li] = redValue[li + s];
      redIndex[li] = redIndex[li + s];
    }
    workgroupBarrier();
  }
}

@compute @workgroup_size(256)
fn initialize(@builtin(workgroup_id) wg: vec3u, @builtin(local_invocation_index) li: u32) {
  var best = -1.0;
  var bestIndex = NONE;
  let stride = gp.numPartials * 256u;
  for (var i = wg.x * 256u + li; i < gp.n; i += stride) {
    var sum = 0.0;
    for (var s = 0u; s < gp.numStarts; s++) { sum += pointDistance(i, starts[s]); }
    // No start points: every point starts "infinitely far", as in the twin.
    var m = FAR;
    if (gp.numStarts > 0u) { m = sum / f32(gp.numStarts); }
    minDist[i] = m;
    if (better(m, i, best, bestIndex)) { best = m; bestIndex = i; }
  }
  reduceWorkgroup(li, best, bestIndex);
  if (li == 0u) { partials[wg.x] = Cand(redValue[0], redIndex[0]); }
}

@compute @workgroup_size(256)
fn update(@builtin(workgroup_id) wg: vec3u, @builtin(local_invocation_index) li: u32) {
  let selected = state.current;
  var best = -1.0;
  var bestIndex = NONE;
  let stride = gp.numPartials * 256u;
  for (var i = wg.x * 256u + li; i < gp.n; i += stride) {
    let m = min(minDist[i], pointDistance(i, selected));
    minDist[i] = m;
    if (better(m, i, best, bestIndex)) { best = m; bestIndex = i; }
  }
  reduceWorkgroup(li, best, bestIndex);
  if (li == 0u) { partials[wg.x] = Cand(redValue[0], redIndex[0]); }
}

@compute @workgroup_size(256)
fn finalize(@builtin(local_invocation_index) li: u32) {
  var c = Cand(-1.0, NONE);
  if (li < gp.numPartials) { c = partials[li]; }
  reduceWorkgroup(li, c.value, c.index);
  if (li == 0u) {
    let chosen = redIndex[0];
    state.selected[state.count] = chosen;
    state.current = chosen;
    state.count += 1u;
  }
}
