// Row-major SGEMM through cuBLAS (column-major), opened with dlopen. Each Troupe stream owns one
// handle bound to it, so streams never share a cuBLAS workspace; the default stream of each device
// has its own handle.
#include "gemm.h"

#include <string>

#include "loader.h"

// The few cuBLAS declarations used (from the public cuBLAS API; no header vendored).
typedef struct cublasContext *cublasHandle_t;
typedef int cublasStatus_t;  // CUBLAS_STATUS_SUCCESS = 0
enum { CUBLAS_OP_N = 0, CUBLAS_OP_T = 1 };

namespace troupe_cuda {
namespace {

struct Cublas {
  cublasStatus_t (*create)(cublasHandle_t *);
  cublasStatus_t (*destroy)(cublasHandle_t);
  cublasStatus_t (*set_stream)(cublasHandle_t, cudaStream_t);
  cublasStatus_t (*sgemm)(cublasHandle_t, int, int, int, int, int, const float *, const float *, int,
                          const float *, int, const float *, float *, int);
  const char *(*status_string)(cublasStatus_t);  // optional: cuBLAS >= 11.4
};

std::mutex api_mu;
Cublas api_table;
bool api_ready = false;

int cublas(const Cublas **out) {
  std::lock_guard<std::mutex> lock(api_mu);
  if (!api_ready) {
    void *h;
    std::string path;
    if (int rc = open_library(TROUPE_CUDA_LIB_CUBLAS, &h, &path)) return rc;
    Cublas t{};
    int rc = bind(h, path, "cublasCreate_v2", &t.create);
    if (!rc) rc = bind(h, path, "cublasDestroy_v2", &t.destroy);
    if (!rc) rc = bind(h, path, "cublasSetStream_v2", &t.set_stream);
    if (!rc) rc = bind(h, path, "cublasSgemm_v2", &t.sgemm);
    if (rc) return rc;
    t.status_string = reinterpret_cast<decltype(t.status_string)>(dlsym_optional(h, "cublasGetStatusString"));
    api_table = t;
    api_ready = true;
  }
  *out = &api_table;
  return 0;
}

int blas_fail(const Cublas *api, const char *what, cublasStatus_t st) {
  const char *name = api->status_string ? api->status_string(st) : nullptr;
  return fail(TROUPE_CUDA_ECUBLAS, "%s failed: status %d%s%s", what, st, name ? " " : "", name ? name : "");
}

// Makes a handle for the current device bound to stream.
int make_handle(const Cublas *api, cudaStream_t stream, cublasHandle_t *out) {
  if (cublasStatus_t st = api->create(out)) return blas_fail(api, "cublasCreate_v2", st);
  if (cublasStatus_t st = api->set_stream(*out, stream)) {
    api->destroy(*out);
    *out = nullptr;
    return blas_fail(api, "cublasSetStream_v2", st);
  }
  return 0;
}

constexpr int kMaxDevices = 64;
std::mutex default_mu[kMaxDevices];
cublasHandle_t default_handle[kMaxDevices];

int sgemm(const Cublas *api, cublasHandle_t h, int ta, int tb, int m, int n, int k, float alpha,
          const float *a, const float *b, float beta, float *c) {
  // Row-major C = op(A) op(B) is column-major C^T = op(B)^T op(A)^T: swap the operands.
  int lda = ta ? m : k, ldb = tb ? k : n;
  cublasStatus_t st = api->sgemm(h, tb ? CUBLAS_OP_T : CUBLAS_OP_N, ta ? CUBLAS_OP_T : CUBLAS_OP_N, n, m, k,
                                 &alpha, b, ldb > 0 ? ldb : 1, a, lda > 0 ? lda : 1, &beta, c, n);
  return st ? blas_fail(api, "cublasSgemm_v2", st) : 0;
}

}  // namespace

int bind_cublas() {
  const Cublas *api;
  return cublas(&api);
}

int destroy_blas_handle(troupe_cuda_stream *s) {
  std::lock_guard<std::mutex> lock(s->blas_mu);
  if (!s->blas) return 0;
  const Cublas *api;
  if (int rc = cublas(&api)) return rc;
  cublasStatus_t st = api->destroy(static_cast<cublasHandle_t>(s->blas));
  s->blas = nullptr;
  return st ? blas_fail(api, "cublasDestroy_v2", st) : 0;
}

}  // namespace troupe_cuda

using namespace troupe_cuda;

TROUPE_API int troupe_cuda_gemm(troupe_cuda_stream *s, int trans_a, int trans_b, int m, int n, int k,
                                float alpha, const float *a, const float *b, float beta, float *c) {
  const char *fn = "troupe_cuda_gemm";
  if (m < 0 || n < 0 || k < 0)
    return fail(TROUPE_CUDA_EINVAL, "%s: sizes must be >= 0, got m=%d n=%d k=%d", fn, m, n, k);
  if (m == 0 || n == 0) return 0;
  if (int rc = need(c, fn, "c")) return rc;
  if (k > 0) {
    if (int rc = need(a, fn, "a")) return rc;
    if (int rc = need(b, fn, "b")) return rc;
  }
  const Cublas *api;
  if (int rc = cublas(&api)) return rc;
  cudaStream_t cs;
  if (int rc = enter(s, &cs)) return rc;
  if (s) {
    std::lock_guard<std::mutex> lock(s->blas_mu);
    cublasHandle_t h = static_cast<cublasHandle_t>(s->blas);
    if (!h) {
      if (int rc = make_handle(api, cs, &h)) return rc;
      s->blas = h;
    }
    return sgemm(api, h, trans_a, trans_b, m, n, k, alpha, a, b, beta, c);
  }
  int dev;
  if (int rc = check(cudaGetDevice(&dev), "cudaGetDevice")) return rc;
  if (dev < 0 || dev >= kMaxDevices) return fail(TROUPE_CUDA_ENODEVICE, "%s: device %d out of range", fn, dev);
  std::lock_guard<std::mutex> lock(default_mu[dev]);
  if (!default_handle[dev]) {
    if (int rc = make_handle(api, nullptr, &default_handle[dev])) return rc;
  }
  return sgemm(api, default_handle[dev], trans_a, trans_b, m, n, k, alpha, a, b, beta, c);
}
