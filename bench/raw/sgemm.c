/*
 * Raw cblas_sgemm baseline for `npm run bench -- kernels`: compiled by the bench in the same run
 * (cc -O2 sgemm.c -lopenblas). Usage: sgemm THREADS REPS M,N,K,TA,TB [M,N,K,TA,TB ...]
 * Prints one line per GEMM: the best seconds per call over REPS calls, after one warm-up call.
 * Buffers are allocated once, as a caller reusing its outputs would.
 */
#include <cblas.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static float *filled(size_t n) {
  float *p = aligned_alloc(64, (n * sizeof(float) + 63) / 64 * 64);
  for (size_t i = 0; i < n; i++) p[i] = (float)((i * 2654435761u) % 1000) / 1000.0f - 0.5f;
  return p;
}

int main(int argc, char **argv) {
  if (argc < 4) {
    fprintf(stderr, "usage: sgemm THREADS REPS M,N,K,TA,TB ...\n");
    return 2;
  }
  openblas_set_num_threads(atoi(argv[1]));
  int reps = atoi(argv[2]);
  for (int g = 3; g < argc; g++) {
    int m, n, k, ta, tb;
    if (sscanf(argv[g], "%d,%d,%d,%d,%d", &m, &n, &k, &ta, &tb) != 5) {
      fprintf(stderr, "bad shape %s\n", argv[g]);
      return 2;
    }
    float *a = filled((size_t)m * k), *b = filled((size_t)k * n), *c = filled((size_t)m * n);
    double best = 1e30;
    for (int r = 0; r <= reps; r++) {
      double t0 = now();
      cblas_sgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans, m, n, k, 1.0f, a,
                  ta ? m : k, b, tb ? k : n, 0.0f, c, n);
      double t = now() - t0;
      if (r > 0 && t < best) best = t;
    }
    printf("%.9f\n", best);
    free(a);
    free(b);
    free(c);
  }
  return 0;
}
