// LayerNorm over the last dimension: one block per row for y and dx; column sums for dgamma, dbeta.
#include "common.h"
#include "device.cuh"

namespace troupe_cuda {
namespace {

unsigned row_threads(int64_t cols) {
  unsigned t = 32;
  while (t < 1024 && t < cols) t <<= 1;
  return t;
}

unsigned row_blocks(int64_t rows) { return static_cast<unsigned>(rows < (1 << 30) ? rows : (1 << 30)); }

__global__ void ln_fwd(const float *x, const float *gamma, const float *beta, float eps, int64_t rows,
                       int64_t cols, float *y, float *mean_out, float *rstd_out) {
  for (int64_t r = blockIdx.x; r < rows; r += gridDim.x) {
    const float *xr = x + r * cols;
    float acc = 0.f;
    for (int64_t c = threadIdx.x; c < cols; c += blockDim.x) acc += xr[c];
    const float mean = block_reduce(acc, Sum()) / cols;
    float sq = 0.f;
    for (int64_t c = threadIdx.x; c < cols; c += blockDim.x) {
      float d = xr[c] - mean;
      sq += d * d;
    }
    const float rstd = rsqrtf(block_reduce(sq, Sum()) / cols + eps);
    float *yr = y + r * cols;
    for (int64_t c = threadIdx.x; c < cols; c += blockDim.x) {
      float v = (xr[c] - mean) * rstd;
      yr[c] = v * (gamma ? gamma[c] : 1.f) + (beta ? beta[c] : 0.f);
    }
    if (threadIdx.x == 0) {
      mean_out[r] = mean;
      rstd_out[r] = rstd;
    }
  }
}

// dx = rstd * (g - mean(g) - xhat * mean(g * xhat)), with g = dy * gamma.
__global__ void ln_bwd(const float *x, const float *dy, const float *mean, const float *rstd,
                       const float *gamma, int64_t rows, int64_t cols, float *dx) {
  for (int64_t r = blockIdx.x; r < rows; r += gridDim.x) {
    const float *xr = x + r * cols, *dyr = dy + r * cols;
    const float mu = mean[r], rs = rstd[r];
    float sg = 0.f, sgx = 0.f;
    for (int64_t c = threadIdx.x; c < cols; c += blockDim.x) {
      float g = dyr[c] * (gamma ? gamma[c] : 1.f);
      sg += g;
      sgx += g * (xr[c] - mu) * rs;
    }
    const float mg = block_reduce(sg, Sum()) / cols;
    const float mgx = block_reduce(sgx, Sum()) / cols;
    float *dxr = dx + r * cols;
    for (int64_t c = threadIdx.x; c < cols; c += blockDim.x) {
      float g = dyr[c] * (gamma ? gamma[c] : 1.f);
      dxr[c] = rs * (g - mg - (xr[c] - mu) * rs * mgx);
    }
  }
}

struct DyXhat {
  const float *x, *dy, *mean, *rstd;
  int64_t cols;
  __device__ float operator()(int64_t r, int64_t c) const {
    int64_t i = r * cols + c;
    return dy[i] * (x[i] - mean[r]) * rstd[r];
  }
};

int shape(const char *fn, int64_t rows, int64_t cols) {
  if (int rc = need_count(rows, fn, "rows")) return rc;
  return need_count(cols, fn, "cols");
}

}  // namespace
}  // namespace troupe_cuda

using namespace troupe_cuda;

TROUPE_API int troupe_cuda_layernorm_forward(troupe_cuda_stream *s, const float *x, const float *gamma,
                                             const float *beta, float eps, int64_t rows, int64_t cols, float *y,
                                             float *mean, float *rstd) {
  const char *fn = "troupe_cuda_layernorm_forward";
  cudaStream_t cs;
  if (int rc = shape(fn, rows, cols)) return rc;
  if (int rc = prologue(fn, s, &cs, rows, {{x, "x"}, {y, "y"}, {mean, "mean"}, {rstd, "rstd"}})) return rc;
  if (!(eps > 0.f)) return fail(TROUPE_CUDA_EINVAL, "%s: eps must be > 0, got %g", fn, eps);
  if (rows == 0 || cols == 0) return 0;
  ln_fwd<<<row_blocks(rows), row_threads(cols), 0, cs>>>(x, gamma, beta, eps, rows, cols, y, mean, rstd);
  return launched("layernorm forward kernel");
}

TROUPE_API int troupe_cuda_layernorm_backward(troupe_cuda_stream *s, const float *x, const float *dy,
                                              const float *mean, const float *rstd, const float *gamma,
                                              int64_t rows, int64_t cols, float *dx, float *dgamma,
                                              float *dbeta) {
  const char *fn = "troupe_cuda_layernorm_backward";
  cudaStream_t cs;
  if (int rc = shape(fn, rows, cols)) return rc;
  if (int rc = prologue(fn, s, &cs, rows, {{x, "x"}, {dy, "dy"}, {mean, "mean"}, {rstd, "rstd"}, {dx, "dx"}}))
    return rc;
  if (cols == 0) return 0;
  if (rows > 0) {
    ln_bwd<<<row_blocks(rows), row_threads(cols), 0, cs>>>(x, dy, mean, rstd, gamma, rows, cols, dx);
    if (int rc = launched("layernorm backward kernel")) return rc;
  }
  if (dgamma) {
    launch_column_sum(DyXhat{x, dy, mean, rstd, cols}, rows, cols, dgamma, 0, cs);
    if (int rc = launched("layernorm dgamma kernel")) return rc;
  }
  if (dbeta) {
    launch_column_sum(RowMajor{dy, cols}, rows, cols, dbeta, 0, cs);
    if (int rc = launched("layernorm dbeta kernel")) return rc;
  }
  return 0;
}
