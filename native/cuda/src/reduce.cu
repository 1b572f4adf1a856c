// Reductions: sum, sum of squares (for the global gradient norm), bias gradient (column sums) and
// clipping by a norm kept on the device. Two passes with a fixed grid, so results are deterministic.
#include "common.h"
#include "device.cuh"

namespace troupe_cuda {
namespace {

constexpr int kMaxParts = 1024;

template <bool Square>
__global__ void partial_sums(const float *x, int64_t n, double *partial) {
  double acc = 0.0;
  GRID_STRIDE(i, n) {
    double v = x[i];
    acc += Square ? v * v : v;
  }
  acc = block_reduce(acc, Sum());
  if (threadIdx.x == 0) partial[blockIdx.x] = acc;
}

__global__ void finish_sum(const double *partial, int parts, float *out, int accumulate) {
  double acc = 0.0;
  for (int i = threadIdx.x; i < parts; i += blockDim.x) acc += partial[i];
  acc = block_reduce(acc, Sum());
  if (threadIdx.x == 0) out[0] = static_cast<float>(accumulate ? out[0] + acc : acc);
}

template <bool Square>
int reduce(const char *fn, troupe_cuda_stream *s, const float *x, int64_t n, float *out, int accumulate) {
  cudaStream_t cs;
  if (int rc = prologue(fn, s, &cs, n, {{x, "x"}, {out, "out"}})) return rc;
  int parts = static_cast<int>(blocks_for(n) < kMaxParts ? blocks_for(n) : kMaxParts);
  void *scratch = nullptr;
  if (int rc = check(cudaMallocAsync(&scratch, parts * sizeof(double), cs), "cudaMallocAsync")) return rc;
  double *partial = static_cast<double *>(scratch);
  partial_sums<Square><<<parts, kThreads, 0, cs>>>(x, n, partial);
  int rc = launched(Square ? "sum of squares kernel" : "sum kernel");
  if (!rc) {
    finish_sum<<<1, kThreads, 0, cs>>>(partial, parts, out, accumulate);
    rc = launched("sum finishing kernel");
  }
  int rc_free = check(cudaFreeAsync(scratch, cs), "cudaFreeAsync");
  return rc ? rc : rc_free;
}

__global__ void clip_k(const float *sum_squares, float max_norm, float *x, int64_t n) {
  float norm = sqrtf(sum_squares[0]);
  if (!(norm > max_norm)) return;
  float f = max_norm / (norm + 1e-6f);
  GRID_STRIDE(i, n) x[i] *= f;
}

}  // namespace
}  // namespace troupe_cuda

using namespace troupe_cuda;

TROUPE_API int troupe_cuda_sum(troupe_cuda_stream *s, const float *x, int64_t n, float *out) {
  return reduce<false>("troupe_cuda_sum", s, x, n, out, 0);
}

TROUPE_API int troupe_cuda_sum_squares(troupe_cuda_stream *s, const float *x, int64_t n, float *out,
                                       int accumulate) {
  return reduce<true>("troupe_cuda_sum_squares", s, x, n, out, accumulate);
}

TROUPE_API int troupe_cuda_clip_by_norm(troupe_cuda_stream *s, const float *sum_squares, float max_norm,
                                        float *x, int64_t n) {
  const char *fn = "troupe_cuda_clip_by_norm";
  if (!(max_norm > 0.f)) return fail(TROUPE_CUDA_EINVAL, "%s: max_norm must be > 0, got %g", fn, max_norm);
  return launch_n(fn, s, n, {{sum_squares, "sum_squares"}, {x, "x"}}, clip_k, sum_squares, max_norm, x, n);
}

TROUPE_API int troupe_cuda_bias_grad(troupe_cuda_stream *s, const float *dy, float *dbias, int64_t rows,
                                     int64_t cols, int accumulate) {
  const char *fn = "troupe_cuda_bias_grad";
  cudaStream_t cs;
  if (int rc = need_count(rows, fn, "rows")) return rc;
  if (int rc = need_count(cols, fn, "cols")) return rc;
  if (int rc = prologue(fn, s, &cs, cols, {{dy, "dy"}, {dbias, "dbias"}})) return rc;
  if (cols == 0) return 0;
  launch_column_sum(RowMajor{dy, cols}, rows, cols, dbias, accumulate, cs);
  return launched("bias grad kernel");
}
