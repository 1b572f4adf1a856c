// Elementwise operations, activations and sums. Elementwise work is split across the pool in
// large pieces; sums keep one double partial per piece and add them in piece order.
#include <cmath>

#include "thread-pool.h"
#include "troupe_core.h"

namespace {

constexpr int64_t kGrain = 1 << 15;

template <typename F>
void each(int64_t n, F fn) {
  troupe::parallel_chunks(n, kGrain, [&](int, int64_t b, int64_t e) {
    for (int64_t i = b; i < e; i++) fn(i);
  });
}

// Sum of f(i) over [b, e) in double, eight lanes then combined in a fixed order.
template <typename F>
double lane_sum(int64_t b, int64_t e, F f) {
  double acc[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  int64_t i = b;
  for (; i + 8 <= e; i += 8)
    for (int l = 0; l < 8; l++) acc[l] += f(i + l);
  for (; i < e; i++) acc[0] += f(i);
  return ((acc[0] + acc[1]) + (acc[2] + acc[3])) + ((acc[4] + acc[5]) + (acc[6] + acc[7]));
}

template <typename F>
double reduce(int64_t n, F f) {
  double partial[troupe::kMaxThreads];
  int chunks = troupe::parallel_chunks(n, kGrain, [&](int c, int64_t b, int64_t e) { partial[c] = lane_sum(b, e, f); });
  double total = 0;
  for (int c = 0; c < chunks && n > 0; c++) total += partial[c];
  return total;
}

constexpr float kInvSqrt2 = 0.70710678118654752f;
constexpr float kInvSqrt2Pi = 0.39894228040143268f;

}  // namespace

namespace troupe {
double sum_of(int64_t n, const float* x) {
  return reduce(n, [x](int64_t i) { return static_cast<double>(x[i]); });
}
double sumsq_of(int64_t n, const float* x) {
  return reduce(n, [x](int64_t i) { return static_cast<double>(x[i]) * x[i]; });
}
}  // namespace troupe

extern "C" {

troupe_status troupe_add(int64_t n, const float* a, const float* b, float* out) {
  each(n, [=](int64_t i) { out[i] = a[i] + b[i]; });
  return TROUPE_OK;
}

troupe_status troupe_scale(int64_t n, const float* a, float s, float* out) {
  each(n, [=](int64_t i) { out[i] = a[i] * s; });
  return TROUPE_OK;
}

troupe_status troupe_accumulate(int64_t n, const float* x, float* y) {
  each(n, [=](int64_t i) { y[i] += x[i]; });
  return TROUPE_OK;
}

troupe_status troupe_fill(int64_t n, float value, float* out) {
  each(n, [=](int64_t i) { out[i] = value; });
  return TROUPE_OK;
}

troupe_status troupe_sum(int64_t n, const float* x, double* out) {
  *out = troupe::sum_of(n, x);
  return TROUPE_OK;
}

troupe_status troupe_sumsq(int64_t n, const float* x, double* out) {
  *out = troupe::sumsq_of(n, x);
  return TROUPE_OK;
}

troupe_status troupe_sum_rows(int64_t rows, int64_t cols, const float* x, float* out) {
  // Each piece owns a range of columns and adds the rows in order: the same result for any count.
  troupe::parallel_chunks(cols, kGrain / (rows > 0 ? rows : 1) + 1, [&](int, int64_t c0, int64_t c1) {
    for (int64_t c = c0; c < c1; c++) out[c] = 0.0f;
    for (int64_t r = 0; r < rows; r++) {
      const float* row = x + r * cols;
      for (int64_t c = c0; c < c1; c++) out[c] += row[c];
    }
  });
  return TROUPE_OK;
}

troupe_status troupe_broadcast_rows(int64_t rows, int64_t cols, const float* bias, float* y) {
  troupe::parallel_chunks(rows, kGrain / (cols > 0 ? cols : 1) + 1, [&](int, int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; r++)
      for (int64_t c = 0; c < cols; c++) y[r * cols + c] = bias[c];
  });
  return TROUPE_OK;
}

troupe_status troupe_relu(int64_t n, const float* x, float* y) {
  each(n, [=](int64_t i) { y[i] = x[i] > 0.0f ? x[i] : 0.0f; });
  return TROUPE_OK;
}

troupe_status troupe_relu_backward(int64_t n, const float* x, const float* dy, float* dx) {
  each(n, [=](int64_t i) { dx[i] = x[i] > 0.0f ? dy[i] : 0.0f; });
  return TROUPE_OK;
}

troupe_status troupe_gelu(int64_t n, const float* x, float* y) {
  each(n, [=](int64_t i) { y[i] = 0.5f * x[i] * (1.0f + std::erf(x[i] * kInvSqrt2)); });
  return TROUPE_OK;
}

troupe_status troupe_gelu_backward(int64_t n, const float* x, const float* dy, float* dx) {
  each(n, [=](int64_t i) {
    float cdf = 0.5f * (1.0f + std::erf(x[i] * kInvSqrt2));
    float pdf = kInvSqrt2Pi * std::exp(-0.5f * x[i] * x[i]);
    dx[i] = dy[i] * (cdf + x[i] * pdf);
  });
  return TROUPE_OK;
}

}  // extern "C"
