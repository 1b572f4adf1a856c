// Configuration and the SGEMM entry point: a CBLAS (OpenBLAS) when the build found one, the own
// kernel otherwise or on request.
#include <atomic>

#include "gemm-fallback.h"
#include "thread-pool.h"
#include "troupe_core.h"

#ifdef TROUPE_HAVE_BLAS
#include <cblas.h>
#endif

namespace {
std::atomic<int> g_backend{
#ifdef TROUPE_HAVE_BLAS
    TROUPE_GEMM_BLAS
#else
    TROUPE_GEMM_FALLBACK
#endif
};
}  // namespace

extern "C" {

troupe_status troupe_set_threads(int threads) {
  if (threads < 1 || threads > troupe::kMaxThreads) return TROUPE_INVALID_ARGUMENT;
  troupe::set_pool_threads(threads);
#ifdef TROUPE_HAVE_BLAS
  openblas_set_num_threads(threads);
#endif
  return TROUPE_OK;
}

int troupe_threads(void) { return troupe::pool_threads(); }

int troupe_have_blas(void) {
#ifdef TROUPE_HAVE_BLAS
  return 1;
#else
  return 0;
#endif
}

troupe_status troupe_set_gemm_backend(troupe_gemm_backend backend) {
  if (backend == TROUPE_GEMM_BLAS && !troupe_have_blas()) return TROUPE_UNAVAILABLE;
  if (backend != TROUPE_GEMM_BLAS && backend != TROUPE_GEMM_FALLBACK) return TROUPE_INVALID_ARGUMENT;
  g_backend.store(backend);
  return TROUPE_OK;
}

troupe_gemm_backend troupe_gemm_backend_get(void) { return static_cast<troupe_gemm_backend>(g_backend.load()); }

const char* troupe_fallback_isa(void) { return troupe::fallback_isa(); }

troupe_status troupe_sgemm_fallback(int ta, int tb, int64_t m, int64_t n, int64_t k, float alpha, const float* a,
                                    int64_t lda, const float* b, int64_t ldb, float beta, float* c, int64_t ldc) {
  if (m < 0 || n < 0 || k < 0) return TROUPE_INVALID_ARGUMENT;
  troupe::sgemm_fallback(ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
  return TROUPE_OK;
}

troupe_status troupe_sgemm_blas(int ta, int tb, int64_t m, int64_t n, int64_t k, float alpha, const float* a,
                                int64_t lda, const float* b, int64_t ldb, float beta, float* c, int64_t ldc) {
  if (m < 0 || n < 0 || k < 0) return TROUPE_INVALID_ARGUMENT;
#ifdef TROUPE_HAVE_BLAS
  if (m == 0 || n == 0) return TROUPE_OK;
  cblas_sgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans, static_cast<int>(m),
              static_cast<int>(n), static_cast<int>(k), alpha, a, static_cast<int>(lda), b, static_cast<int>(ldb), beta,
              c, static_cast<int>(ldc));
  return TROUPE_OK;
#else
  (void)ta, (void)tb, (void)alpha, (void)a, (void)lda, (void)b, (void)ldb, (void)beta, (void)c, (void)ldc;
  return TROUPE_UNAVAILABLE;
#endif
}

troupe_status troupe_sgemm(int ta, int tb, int64_t m, int64_t n, int64_t k, float alpha, const float* a,
                           int64_t lda, const float* b, int64_t ldb, float beta, float* c, int64_t ldc) {
  if (g_backend.load() == TROUPE_GEMM_BLAS) return troupe_sgemm_blas(ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
  return troupe_sgemm_fallback(ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
}

}  // extern "C"
