// LayerNorm over the last dimension and the fused softmax cross-entropy. Row statistics are
// accumulated in double; parameter gradients are summed per column over rows in row order.
#include <cmath>
#include <vector>

#include "thread-pool.h"
#include "troupe_core.h"

namespace {
constexpr int64_t kGrain = 1 << 14;
int64_t rows_per_piece(int64_t cols) { return kGrain / (cols > 0 ? cols : 1) + 1; }
}  // namespace

extern "C" {

troupe_status troupe_layernorm(int64_t rows, int64_t cols, const float* x, const float* gamma, const float* beta,
                               float eps, float* y, float* mean, float* rstd) {
  if (cols <= 0) return TROUPE_INVALID_ARGUMENT;
  troupe::parallel_chunks(rows, rows_per_piece(cols), [&](int, int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; r++) {
      const float* xr = x + r * cols;
      double s = 0;
      for (int64_t c = 0; c < cols; c++) s += xr[c];
      double mu = s / cols, ss = 0;
      for (int64_t c = 0; c < cols; c++) ss += (xr[c] - mu) * (xr[c] - mu);
      float inv = static_cast<float>(1.0 / std::sqrt(ss / cols + eps));
      float m = static_cast<float>(mu);
      mean[r] = m;
      rstd[r] = inv;
      float* yr = y + r * cols;
      for (int64_t c = 0; c < cols; c++) yr[c] = (xr[c] - m) * inv * gamma[c] + beta[c];
    }
  });
  return TROUPE_OK;
}

troupe_status troupe_layernorm_backward(int64_t rows, int64_t cols, const float* x, const float* gamma,
                                        const float* mean, const float* rstd, const float* dy, float* dx,
                                        float* dgamma, float* dbeta) {
  if (cols <= 0) return TROUPE_INVALID_ARGUMENT;
  troupe::parallel_chunks(rows, rows_per_piece(cols), [&](int, int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; r++) {
      const float *xr = x + r * cols, *dyr = dy + r * cols;
      float m = mean[r], inv = rstd[r];
      double a = 0, b = 0;  // mean of dxhat, mean of dxhat * xhat
      for (int64_t c = 0; c < cols; c++) {
        double g = static_cast<double>(dyr[c]) * gamma[c];
        a += g;
        b += g * ((xr[c] - m) * inv);
      }
      float ma = static_cast<float>(a / cols), mb = static_cast<float>(b / cols);
      float* dxr = dx + r * cols;
      for (int64_t c = 0; c < cols; c++) {
        float xhat = (xr[c] - m) * inv;
        dxr[c] = inv * (dyr[c] * gamma[c] - ma - xhat * mb);
      }
    }
  });
  troupe::parallel_chunks(cols, kGrain / (rows > 0 ? rows : 1) + 1, [&](int, int64_t c0, int64_t c1) {
    std::vector<double> dg(c1 - c0, 0.0), db(c1 - c0, 0.0);
    for (int64_t r = 0; r < rows; r++) {
      const float *xr = x + r * cols, *dyr = dy + r * cols;
      float m = mean[r], inv = rstd[r];
      for (int64_t c = c0; c < c1; c++) {
        dg[c - c0] += static_cast<double>(dyr[c]) * ((xr[c] - m) * inv);
        db[c - c0] += dyr[c];
      }
    }
    for (int64_t c = c0; c < c1; c++) {
      dgamma[c] = static_cast<float>(dg[c - c0]);
      dbeta[c] = static_cast<float>(db[c - c0]);
    }
  });
  return TROUPE_OK;
}

troupe_status troupe_softmax_xent(int64_t rows, int64_t cols, const float* logits, const int32_t* labels,
                                  float* loss, float* dlogits, int64_t* bad_row) {
  if (cols <= 0 || rows <= 0) return TROUPE_INVALID_ARGUMENT;
  for (int64_t r = 0; r < rows; r++) {
    if (labels[r] < 0 || labels[r] >= cols) {
      if (bad_row) *bad_row = r;
      return TROUPE_INVALID_ARGUMENT;
    }
  }
  double partial[troupe::kMaxThreads];
  const float inv_rows = 1.0f / static_cast<float>(rows);
  int chunks = troupe::parallel_chunks(rows, rows_per_piece(cols), [&](int piece, int64_t r0, int64_t r1) {
    double acc = 0;
    for (int64_t r = r0; r < r1; r++) {
      const float* xr = logits + r * cols;
      float mx = xr[0];
      for (int64_t c = 1; c < cols; c++) mx = xr[c] > mx ? xr[c] : mx;
      double s = 0;
      for (int64_t c = 0; c < cols; c++) s += std::exp(static_cast<double>(xr[c] - mx));
      double lse = mx + std::log(s);
      acc += lse - xr[labels[r]];
      float* dr = dlogits + r * cols;
      for (int64_t c = 0; c < cols; c++) dr[c] = static_cast<float>(std::exp(xr[c] - lse)) * inv_rows;
      dr[labels[r]] -= inv_rows;
    }
    partial[piece] = acc;
  });
  double total = 0;
  for (int c = 0; c < chunks; c++) total += partial[c];
  *loss = static_cast<float>(total / rows);
  return TROUPE_OK;
}

}  // extern "C"
