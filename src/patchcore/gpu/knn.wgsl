// Exact 1-nearest-neighbour in L2 of query rows against memory-bank rows: a tiled matrix multiply that keeps a
// running minimum of |q|^2 - 2 q.b + |b|^2 per query and never materialises the distance matrix.
//
// Buffer layouts (f32 unless noted; Cand = { d2: f32, index: u32 } with index global in the bank):
//   entry rowNorms (one thread per row)
//     @binding(0) np       : NormParams uniform { rows, dim }
//     @binding(1) mat      : array<f32>  [rows][dim]
//     @binding(2) norms    : array<f32>  [rows]                 |row|^2
//   entry distances (workgroup 16 x 16 = 64 queries x 64 bank rows per tile, 4 x 4 per thread;
//                    grid x = query tiles, y = bank segments of `tilesPerSegment` bank tiles each)
//     @binding(3) dp       : DistParams uniform { m, nBank, dim, bankOffset, tilesPerSegment, bankTiles }
//     @binding(4) queries  : array<f32>  [m][dim]
//     @binding(5) qNorms   : array<f32>  [m]
//     @binding(6) bank     : array<f32>  [nBank][dim]           one binding-sized chunk of the memory bank
//     @binding(7) bNorms   : array<f32>  [nBank]
//     @binding(8) partial  : array<Cand> [segments][m]           best of each bank segment per query
//   entry merge (one thread per query; run after each bank chunk, chunks in increasing bank order)
//     @binding(9)  mp      : MergeParams uniform { m, segments, reset }
//     @binding(10) partIn  : array<Cand> [segments][m]
//     @binding(11) best    : array<Cand> [m]                    running best over all chunks so far
// Ties go to the lowest bank index: each thread scans its columns in increasing order with a strict <, and
// every cross-thread / cross-segment / cross-chunk merge prefers the lower index on equal distances.

struct NormParams {
  rows: u32,
  dim: u32,
}

struct DistParams {
  m: u32,
  nBank: u32,
  dim: u32,
  bankOffset: u32,
  tilesPerSegment: u32,
  bankTiles: u32,
}

struct MergeParams {
  m: u32,
  segments: u32,
  reset: u32,
}

struct Cand {
  d2: f32,
  index: u32,
}

@group(0) @binding(0) var<uniform> np: NormParams;
@group(0) @binding(1) var<storage, read> mat: array<f32>;
@group(0) @binding(2) var<storage, read_write> norms: array<f32>;

@group(0) @binding(3) var<uniform> dp: DistParams;
@group(0) @binding(4) var<storage, read> queries: array<f32>;
@group(0) @binding(5) var<storage, read> qNorms: array<f32>;
@group(0) @binding(6) var<storage, read> bank: array<f32>;
@group(0) @binding(7) var<storage, read> bNorms: array<f32>;
@group(0) @binding(8) var<storage, read_write> partial: array<Cand>;

@group(0) @binding(9) var<uniform> mp: MergeParams;
@group(0) @binding(10) var<storage, read> partIn: array<Cand>;
@group(0) @binding(11) var<storage, read_write> best: array<Cand>;

const TQ = 64u;   // queries per tile
const TB = 64u;   // bank rows per tile
const TK = 16u;   // dimensions per shared-memory step
const NONE = 0xffffffffu;
const FAR = 0x1.fffffep+127f;  // largest finite f32: "no candidate yet"

@compute @workgroup_size(256)
fn rowNorms(@builtin(workgroup_id) wg: vec3u, @builtin(num_workgroups) nwg: vec3u,
            @builtin(local_invocation_index) li: u32) {
  let r = (wg.y * nwg.x + wg.x) * 256u + li;
  if (r >= np.rows) { return; }
  var s = 0.0;
  let base = r * np.dim;
  for (var k = 0u; k < np.dim; k++) {
    let v = mat[base + k];
    s += v * v;
  }
  norms[r] = s;
}

// [TK][TQ] and [TK][TB]: a thread's 4 queries / 4 bank rows are 16 apart, so a warp reads distinct banks.
var<workgroup> qTile: array<f32, 1024>;
var<workgroup> bTile: array<f32, 1024>;
var<workgroup> redIndex: array<u32, 1024>;

fn closer(d: f32, i: u32, bd: f32, bi: u32) -> bool {
  return d < bd || (d == bd && i < bi);
}

@compute @workgroup_size(16, 16)
fn distances(@builtin(workgroup_id) wg: vec3u, @builtin(local_invocation_id) lid: vec3u,
             @builtin(local_invocation_index) li: u32) {
  let q0 = wg.x * TQ;
  var bestD = array<f32, 4>(FAR, FAR, FAR, FAR);
  var bestI = array<u32, 4>(NONE, NONE, NONE, NONE);
  var qn: array<f32, 4>;
  for (var i = 0u; i < 4u; i++) {
    let q = q0 + lid.y + 16u * i;
    qn[i] = select(0.0, qNorms[min(q, dp.m - 1u)], q < dp.m);
  }
  let tStart = wg.y * dp.tilesPerSegment;
  let tEnd = min(tStart + dp.tilesPerSegment, dp.bankTiles);
  for (var t = tStart; t < tEnd; t++) {
    let b0 = t * TB;
    var acc: array<f32, 16>;
    for (var k0 = 0u; k0 < dp.dim; k0 += TK) {
      for (var r = 0u; r < 4u; r++) {
        let e = li + 256u * r;
        let row = e / TK;
        let kk = e % TK;
        var qv = 0.0;
        if (q0 + row < dp.m && k0 + kk < dp.dim) { qv = queries[(q0 + row) * dp.dim + k0 + kk]; }
        qTile[kk * TQ + row] = qv;
        var bv = 0.0;
        if (b0 + row < dp.nBank && k0 + kk < dp.dim) { bv = bank[(b0 + row) * dp.dim + k0 + kk]; }
        bTile[kk * TB + row] = bv;
      }
      workgroupBarrier();
      for (var kk = 0u; kk < TK; kk++) {
        var a: array<f32, 4>;
        var b: array<f32, 4>;
        for (var i = 0u; i < 4u; i++) {
          a[i] = qTile[kk * TQ + lid.y + 16u * i];
          b[i] = bTile[kk * TB + lid.x + 16u * i];
        }
        for (var i = 0u; i < 4u; i++) {
          for (var j = 0u; j < 4u; j++) {
            acc[i * 4u + j] += a[i] * b[j];
          }
        }
      }
      workgroupBarrier();
    }
    for (var j = 0u; j < 4u; j++) {
      let bi = b0 + lid.x + 16u * j;
      if (bi >= dp.nBank) { continue; }
      let bn = bNorms[bi];
      for (var i = 0u; i < 4u; i++) {
        let d2 = qn[i] - 2.0 * acc[i * 4u + j] + bn;
        if (d2 < bestD[i]) {
          bestD[i] = d2;
          bestI[i] = bi + dp.bankOffset;
        }
      }
    }
  }
  // Reduce the 16 threads that share each query (same lid.y, all lid.x) through shared memory.
  for (var i = 0u; i < 4u; i++) {
    let slot = (lid.y + 16u * i) * 16u + lid.x;
    qTile[slot] = bestD[i];
    redIndex[slot] = bestI[i];
  }
  workgroupBarrier();
  if (li < TQ) {
    let q = q0 + li;
    var d = FAR;
    var idx = NONE;
    for (var x = 0u; x < 16u; x++) {
      let cd = qTile[li * 16u + x];
      let ci = redIndex[li * 16u + x];
      if (closer(cd, ci, d, idx)) { d = cd; idx = ci; }
    }
    if (q < dp.m) { partial[wg.y * dp.m + q] = Cand(d, idx); }
  }
}

@compute @workgroup_size(256)
fn merge(@builtin(workgroup_id) wg: vec3u, @builtin(num_workgroups) nwg: vec3u,
         @builtin(local_invocation_index) li: u32) {
  let q = (wg.y * nwg.x + wg.x) * 256u + li;
  if (q >= mp.m) { return; }
  var c = Cand(FAR, NONE);
  if (mp.reset == 0u) { c = best[q]; }
  for (var s = 0u; s < mp.segments; s++) {
    let p = partIn[s * mp.m + q];
    if (closer(p.d2, p.index, c.d2, c.index)) { c = p; }
  }
  best[q] = c;
}
