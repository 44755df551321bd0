/*
 * A peer for `npm run bench -- peers`: the greedy coreset (farthest-first on a random 128-d projection, running
 * min-distance started from the mean distance to 10 random points) as a plain C loop, the way it is usually
 * written natively: every step scans every point, vectorised by the compiler, split over OpenMP threads.
 * Usage: coreset FILE ROWS COLS COUNT  (FILE: ROWS x COLS float32). Prints: seconds first_index last_index
 * Build: cc -O3 -march=native -ffast-math -fopenmp coreset.c -o coreset -lm (-ffast-math lets the compiler
 * vectorise the distance sums, as native peers are built)
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <omp.h>

#define PROJ 128

int main(int argc, char **argv) {
  if (argc != 5) { fprintf(stderr, "usage: coreset FILE ROWS COLS COUNT\n"); return 2; }
  const long n = atol(argv[2]), d = atol(argv[3]), k = atol(argv[4]);
  float *x = malloc(sizeof(float) * n * d);
  FILE *f = fopen(argv[1], "rb");
  if (!f || fread(x, sizeof(float), n * d, f) != (size_t)(n * d)) { fprintf(stderr, "cannot read %s\n", argv[1]); return 2; }
  fclose(f);
  float *p = malloc(sizeof(float) * d * PROJ);
  unsigned s = 12345;
  for (long i = 0; i < d * PROJ; i++) { s = s * 1664525u + 1013904223u; p[i] = ((s >> 8) / 16777216.0f * 2 - 1) / sqrtf((float)d); }
  float *y = malloc(sizeof(float) * n * PROJ);
  float *minD = malloc(sizeof(float) * n);
  long *out = malloc(sizeof(long) * k);
  double t0 = omp_get_wtime();
#pragma omp parallel for schedule(static)
  for (long i = 0; i < n; i++) {
    float acc[PROJ] = {0};
    for (long j = 0; j < d; j++) {
      const float v = x[i * d + j];
      for (int c = 0; c < PROJ; c++) acc[c] += v * p[j * PROJ + c];
    }
    for (int c = 0; c < PROJ; c++) y[i * PROJ + c] = acc[c];
  }
  long starts[10];
  for (int t = 0; t < 10; t++) { s = s * 1664525u + 1013904223u; starts[t] = (s >> 4) % n; }
#pragma omp parallel for schedule(static)
  for (long i = 0; i < n; i++) {
    float m = 0;
    for (int t = 0; t < 10; t++) {
      float acc = 0;
      for (int c = 0; c < PROJ; c++) { const float u = y[i * PROJ + c] - y[starts[t] * PROJ + c]; acc += u * u; }
      m += sqrtf(acc);
    }
    minD[i] = m / 10;
  }
  for (long j = 0; j < k; j++) {
    long sel = 0;
    float best = -1;
    for (long i = 0; i < n; i++) if (minD[i] > best) { best = minD[i]; sel = i; }
    out[j] = sel;
    const float *c = y + sel * PROJ;
#pragma omp parallel for schedule(static)
    for (long i = 0; i < n; i++) {
      float acc = 0;
      for (int q = 0; q < PROJ; q++) { const float u = y[i * PROJ + q] - c[q]; acc += u * u; }
      const float v = sqrtf(acc);
      if (v < minD[i]) minD[i] = v;
    }
  }
  printf("%.3f %ld %ld\n", omp_get_wtime() - t0, out[0], out[k - 1]);
  return 0;
}
