// Elementwise kernels: ReLU, GELU (exact, with erf), add, scale, bias add.
#include "common.h"
#include "device.cuh"

namespace troupe_cuda {
namespace {

__global__ void relu_fwd(const float *x, float *y, int64_t n) {
  GRID_STRIDE(i, n) y[i] = x[i] > 0.f ? x[i] : 0.f;
}

__global__ void relu_bwd(const float *x, const float *dy, float *dx, int64_t n) {
  GRID_STRIDE(i, n) dx[i] = x[i] > 0.f ? dy[i] : 0.f;
}

// Exact GELU, x * Phi(x), as the CPU core (native/src/elementwise.cc) and PyTorch's default.
constexpr float kInvSqrt2 = 0.7071067811865476f;
constexpr float kInvSqrt2Pi = 0.3989422804014327f;

__global__ void gelu_fwd(const float *x, float *y, int64_t n) {
  GRID_STRIDE(i, n) {
    float v = x[i];
    y[i] = 0.5f * v * (1.f + erff(v * kInvSqrt2));
  }
}

__global__ void gelu_bwd(const float *x, const float *dy, float *dx, int64_t n) {
  GRID_STRIDE(i, n) {
    float v = x[i];
    float cdf = 0.5f * (1.f + erff(v * kInvSqrt2));
    float pdf = kInvSqrt2Pi * expf(-0.5f * v * v);
    dx[i] = dy[i] * (cdf + v * pdf);
  }
}

__global__ void add_k(const float *a, const float *b, float *out, int64_t n) {
  GRID_STRIDE(i, n) out[i] = a[i] + b[i];
}

__global__ void scale_k(const float *x, float alpha, float *out, int64_t n) {
  GRID_STRIDE(i, n) out[i] = alpha * x[i];
}

__global__ void bias_add_k(float *y, const float *bias, int64_t rows, int64_t cols) {
  GRID_STRIDE(i, rows * cols) y[i] += bias[i % cols];
}

}  // namespace
}  // namespace troupe_cuda

using namespace troupe_cuda;

TROUPE_API int troupe_cuda_relu_forward(troupe_cuda_stream *s, const float *x, float *y, int64_t n) {
  return launch_n("troupe_cuda_relu_forward", s, n, {{x, "x"}, {y, "y"}}, relu_fwd, x, y, n);
}

TROUPE_API int troupe_cuda_relu_backward(troupe_cuda_stream *s, const float *x, const float *dy, float *dx,
                                         int64_t n) {
  return launch_n("troupe_cuda_relu_backward", s, n, {{x, "x"}, {dy, "dy"}, {dx, "dx"}}, relu_bwd, x, dy, dx, n);
}

TROUPE_API int troupe_cuda_gelu_forward(troupe_cuda_stream *s, const float *x, float *y, int64_t n) {
  return launch_n("troupe_cuda_gelu_forward", s, n, {{x, "x"}, {y, "y"}}, gelu_fwd, x, y, n);
}

TROUPE_API int troupe_cuda_gelu_backward(troupe_cuda_stream *s, const float *x, const float *dy, float *dx,
                                         int64_t n) {
  return launch_n("troupe_cuda_gelu_backward", s, n, {{x, "x"}, {dy, "dy"}, {dx, "dx"}}, gelu_bwd, x, dy, dx, n);
}

TROUPE_API int troupe_cuda_add(troupe_cuda_stream *s, const float *a, const float *b, float *out, int64_t n) {
  return launch_n("troupe_cuda_add", s, n, {{a, "a"}, {b, "b"}, {out, "out"}}, add_k, a, b, out, n);
}

TROUPE_API int troupe_cuda_scale(troupe_cuda_stream *s, const float *x, float alpha, float *out, int64_t n) {
  return launch_n("troupe_cuda_scale", s, n, {{x, "x"}, {out, "out"}}, scale_k, x, alpha, out, n);
}

TROUPE_API int troupe_cuda_bias_add(troupe_cuda_stream *s, float *y, const float *bias, int64_t rows,
                                    int64_t cols) {
  const char *fn = "troupe_cuda_bias_add";
  if (int rc = need_count(rows, fn, "rows")) return rc;
  if (int rc = need_count(cols, fn, "cols")) return rc;
  return launch_n(fn, s, rows * cols, {{y, "y"}, {bias, "bias"}}, bias_add_k, y, bias, rows, cols);
}
