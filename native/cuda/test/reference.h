// Plain CPU references for every CUDA kernel, in double precision, written straight from the
// formulas in troupe_cuda.h. gradcheck.h checks their backward passes against finite differences.
#pragma once

#include <cmath>
#include <cstdint>
#include <vector>

namespace ref {

using Vec = std::vector<double>;

// Row-major C[m,n] = alpha op(A) op(B) + beta C.
inline void gemm(bool ta, bool tb, int m, int n, int k, double alpha, const Vec &a, const Vec &b, double beta,
                 Vec &c) {
  for (int i = 0; i < m; i++)
    for (int j = 0; j < n; j++) {
      double acc = 0;
      for (int p = 0; p < k; p++) acc += (ta ? a[p * m + i] : a[i * k + p]) * (tb ? b[j * k + p] : b[p * n + j]);
      c[i * n + j] = alpha * acc + beta * c[i * n + j];
    }
}

inline void bias_add(Vec &y, const Vec &bias, int64_t rows, int64_t cols) {
  for (int64_t r = 0; r < rows; r++)
    for (int64_t c = 0; c < cols; c++) y[r * cols + c] += bias[c];
}

inline Vec column_sums(const Vec &dy, int64_t rows, int64_t cols) {
  Vec out(cols, 0.0);
  for (int64_t r = 0; r < rows; r++)
    for (int64_t c = 0; c < cols; c++) out[c] += dy[r * cols + c];
  return out;
}

inline double relu(double x) { return x > 0 ? x : 0; }
inline double relu_grad(double x) { return x > 0 ? 1 : 0; }

// Exact GELU, x Phi(x).
inline double gelu(double x) { return 0.5 * x * (1 + std::erf(x / std::sqrt(2.0))); }
inline double gelu_grad(double x) {
  const double pi = 3.14159265358979323846;
  return 0.5 * (1 + std::erf(x / std::sqrt(2.0))) + x * std::exp(-0.5 * x * x) / std::sqrt(2 * pi);
}

struct LayerNormOut {
  Vec y, mean, rstd;
};

// gamma/beta empty: taken as 1 and 0.
inline LayerNormOut layernorm(const Vec &x, const Vec &gamma, const Vec &beta, double eps, int64_t rows,
                              int64_t cols) {
  LayerNormOut o{Vec(rows * cols), Vec(rows), Vec(rows)};
  for (int64_t r = 0; r < rows; r++) {
    double mean = 0, var = 0;
    for (int64_t c = 0; c < cols; c++) mean += x[r * cols + c];
    mean /= cols;
    for (int64_t c = 0; c < cols; c++) var += (x[r * cols + c] - mean) * (x[r * cols + c] - mean);
    double rstd = 1 / std::sqrt(var / cols + eps);
    for (int64_t c = 0; c < cols; c++)
      o.y[r * cols + c] = (x[r * cols + c] - mean) * rstd * (gamma.empty() ? 1 : gamma[c]) + (beta.empty() ? 0 : beta[c]);
    o.mean[r] = mean;
    o.rstd[r] = rstd;
  }
  return o;
}

struct LayerNormGrad {
  Vec dx, dgamma, dbeta;
};

inline LayerNormGrad layernorm_backward(const Vec &x, const Vec &dy, const Vec &gamma, double eps, int64_t rows,
                                        int64_t cols) {
  LayerNormOut f = layernorm(x, {}, {}, eps, rows, cols);  // f.y is xhat
  LayerNormGrad g{Vec(rows * cols), Vec(cols, 0.0), Vec(cols, 0.0)};
  for (int64_t r = 0; r < rows; r++) {
    double mg = 0, mgx = 0;
    for (int64_t c = 0; c < cols; c++) {
      double gi = dy[r * cols + c] * (gamma.empty() ? 1 : gamma[c]);
      mg += gi;
      mgx += gi * f.y[r * cols + c];
    }
    mg /= cols;
    mgx /= cols;
    for (int64_t c = 0; c < cols; c++) {
      int64_t i = r * cols + c;
      double gi = dy[i] * (gamma.empty() ? 1 : gamma[c]);
      g.dx[i] = f.rstd[r] * (gi - mg - f.y[i] * mgx);
      g.dgamma[c] += dy[i] * f.y[i];
      g.dbeta[c] += dy[i];
    }
  }
  return g;
}

// Mean softmax cross-entropy; lse receives the per-row log-sum-exp.
inline double cross_entropy(const Vec &logits, const std::vector<int32_t> &labels, int64_t rows, int64_t classes,
                            Vec *lse = nullptr) {
  double loss = 0;
  for (int64_t r = 0; r < rows; r++) {
    double mx = -INFINITY, s = 0;
    for (int64_t j = 0; j < classes; j++) mx = std::fmax(mx, logits[r * classes + j]);
    for (int64_t j = 0; j < classes; j++) s += std::exp(logits[r * classes + j] - mx);
    double l = mx + std::log(s);
    if (lse) (*lse)[r] = l;
    loss += l - logits[r * classes + labels[r]];
  }
  return loss / rows;
}

inline Vec cross_entropy_backward(const Vec &logits, const std::vector<int32_t> &labels, int64_t rows,
                                  int64_t classes, double grad) {
  Vec lse(rows), d(rows * classes);
  cross_entropy(logits, labels, rows, classes, &lse);
  for (int64_t r = 0; r < rows; r++)
    for (int64_t j = 0; j < classes; j++)
      d[r * classes + j] = (std::exp(logits[r * classes + j] - lse[r]) - (j == labels[r] ? 1 : 0)) * grad / rows;
  return d;
}

// PyTorch's SGD: the buffer starts as the first gradient; later steps damp the new gradient.
inline void sgd(Vec &param, const Vec &grad, Vec &buf, double lr, double momentum, double dampening, double wd,
                bool nesterov, bool first) {
  for (size_t i = 0; i < param.size(); i++) {
    double g = grad[i] + wd * param[i];
    if (momentum != 0) {
      buf[i] = first ? g : momentum * buf[i] + (1 - dampening) * g;
      g = nesterov ? g + momentum * buf[i] : buf[i];
    }
    param[i] -= lr * g;
  }
}

inline void adamw(Vec &param, const Vec &grad, Vec &m, Vec &v, double lr, double b1, double b2, double eps,
                  double wd, int64_t step) {
  double bc1 = 1 - std::pow(b1, double(step)), bc2 = 1 - std::pow(b2, double(step));
  for (size_t i = 0; i < param.size(); i++) {
    param[i] *= 1 - lr * wd;
    m[i] = b1 * m[i] + (1 - b1) * grad[i];
    v[i] = b2 * v[i] + (1 - b2) * grad[i] * grad[i];
    param[i] -= lr * (m[i] / bc1) / (std::sqrt(v[i] / bc2) + eps);
  }
}

}  // namespace ref
