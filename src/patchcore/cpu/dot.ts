// The register-blocked inner kernel of the CPU projection (coreset.ts) and the brute-force kNN (knn.ts): one copy,
// so a change to how the CPU twin sums (and so which indices and distances it returns) reaches both.

/**
 * The 16 dot products of four rows of A (at offsets a0..a3) with four rows of B (at offsets b0..b3), each d long,
 * summed in double in index order: out[4 * i + j] = A[a_i ..] . B[b_j ..]. Each element loaded is used four times
 * from registers, which is what makes the blocking pay; a short last block passes repeated offsets.
 */
export function dot4x4(
  A: Float32Array, a0: number, a1: number, a2: number, a3: number,
  B: Float32Array, b0: number, b1: number, b2: number, b3: number,
  d: number, out: Float64Array,
): void {
  let s00 = 0, s01 = 0, s02 = 0, s03 = 0, s10 = 0, s11 = 0, s12 = 0, s13 = 0;
  let s20 = 0, s21 = 0, s22 = 0, s23 = 0, s30 = 0, s31 = 0, s32 = 0, s33 = 0;
  for (let k = 0; k < d; k++) {
    const x0 = A[a0 + k], x1 = A[a1 + k], x2 = A[a2 + k], x3 = A[a3 + k];
    const y0 = B[b0 + k], y1 = B[b1 + k], y2 = B[b2 + k], y3 = B[b3 + k];
    s00 += x0 * y0; s01 += x0 * y1; s02 += x0 * y2; s03 += x0 * y3;
    s10 += x1 * y0; s11 += x1 * y1; s12 += x1 * y2; s13 += x1 * y3;
    s20 += x2 * y0; s21 += x2 * y1; s22 += x2 * y2; s23 += x2 * y3;
    s30 += x3 * y0; s31 += x3 * y1; s32 += x3 * y2; s33 += x3 * y3;
  }
  out[0] = s00; out[1] = s01; out[2] = s02; out[3] = s03;
  out[4] = s10; out[5] = s11; out[6] = s12; out[7] = s13;
  out[8] = s20; out[9] = s21; out[10] = s22; out[11] = s23;
  out[12] = s30; out[13] = s31; out[14] = s32; out[15] = s33;
}
