// cuBLAS SGEMM 4096^3 through Troupe's ABI: TFLOP/s, with a spot check of the result.
#include <chrono>

#include "harness.h"
#include "tests.h"

void run_sgemm_bench() {
  const int n = 4096, warmup = 3, iters = 20;
  check("sgemm 4096^3 result (64 entries spot-checked)", 1e-4, [&] {
    Rng rng(99);
    ref::Vec a = random_vec(rng, size_t(n) * n), b = random_vec(rng, size_t(n) * n);
    Dev da(a.size() * 4), db(b.size() * 4), dc(a.size() * 4);
    upload(da, a), upload(db, b);
    for (int i = 0; i < warmup; i++) TRY(troupe_cuda_gemm(g_stream, 0, 0, n, n, n, 1.f, da.f(), db.f(), 0.f, dc.f()));
    TRY(troupe_cuda_stream_sync(g_stream));
    auto t0 = std::chrono::steady_clock::now();
    for (int i = 0; i < iters; i++) TRY(troupe_cuda_gemm(g_stream, 0, 0, n, n, n, 1.f, da.f(), db.f(), 0.f, dc.f()));
    TRY(troupe_cuda_stream_sync(g_stream));
    double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count() / iters;
    double tflops = 2.0 * n * n * double(n) / s / 1e12;
    printf("  sgemm 4096^3 fp32 (cuBLAS through Troupe): %.3f ms per call, %.2f TFLOP/s over %d calls\n", s * 1e3,
           tflops, iters);
    printf("TROUPE_SGEMM_TFLOPS=%.3f\n", tflops);
    ref::Vec c = download(dc, a.size());
    double worst = 0;
    for (int t = 0; t < 64; t++) {
      int i = rng.next() % n, j = rng.next() % n;
      double want = 0;
      for (int p = 0; p < n; p++) want += a[size_t(i) * n + p] * b[size_t(p) * n + j];
      worst = std::fmax(worst, std::fabs(c[size_t(i) * n + j] - want) / std::fmax(1.0, std::fabs(want)));
    }
    return worst;
  });
}
