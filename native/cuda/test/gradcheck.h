// Checks the CPU references' backward passes against central finite differences, so the GPU
// kernels are compared with references that are right. Runs on any machine.
#pragma once

#include <cmath>
#include <cstdio>
#include <functional>

#include "reference.h"
#include "rng.h"

namespace gradcheck {

constexpr double kStep = 1e-6;

// Largest |analytic - numeric| / max(1, |numeric|) over the entries of x.
inline double worst(ref::Vec &x, const ref::Vec &analytic, const std::function<double()> &loss) {
  double w = 0;
  for (size_t i = 0; i < x.size(); i++) {
    double keep = x[i];
    x[i] = keep + kStep;
    double up = loss();
    x[i] = keep - kStep;
    double down = loss();
    x[i] = keep;
    double numeric = (up - down) / (2 * kStep);
    w = std::fmax(w, std::fabs(analytic[i] - numeric) / std::fmax(1.0, std::fabs(numeric)));
  }
  return w;
}

inline ref::Vec random(Rng &rng, size_t n, double lo = -2, double hi = 2) {
  ref::Vec v(n);
  for (auto &e : v) e = rng.uniform(lo, hi);
  return v;
}

// Returns the number of failures; prints one line per check.
inline int run() {
  const double tol = 1e-6;
  int failures = 0;
  auto report = [&](const char *what, double err) {
    bool ok = err < tol;
    printf("  %-4s cpu reference %-28s vs finite differences: worst error %.2e\n", ok ? "ok" : "FAIL", what, err);
    failures += !ok;
  };
  Rng rng(7);

  ref::Vec xs = random(rng, 64, -5, 5), gelu_grads(64);
  for (size_t i = 0; i < xs.size(); i++) gelu_grads[i] = ref::gelu_grad(xs[i]);
  double g_err = 0;
  for (size_t i = 0; i < xs.size(); i++) {
    ref::Vec one{xs[i]};
    g_err = std::fmax(g_err, worst(one, {gelu_grads[i]}, [&] { return ref::gelu(one[0]); }));
  }
  report("gelu backward", g_err);

  const int64_t rows = 3, cols = 7;
  const double eps = 1e-5;
  ref::Vec x = random(rng, rows * cols), gamma = random(rng, cols), beta = random(rng, cols), w = random(rng, rows * cols);
  auto ln_loss = [&] {
    ref::Vec y = ref::layernorm(x, gamma, beta, eps, rows, cols).y;
    double l = 0;
    for (size_t i = 0; i < y.size(); i++) l += w[i] * y[i];
    return l;
  };
  ref::LayerNormGrad g = ref::layernorm_backward(x, w, gamma, eps, rows, cols);
  report("layernorm backward dx", worst(x, g.dx, ln_loss));
  report("layernorm backward dgamma", worst(gamma, g.dgamma, ln_loss));
  report("layernorm backward dbeta", worst(beta, g.dbeta, ln_loss));

  const int64_t r = 4, k = 5;
  ref::Vec logits = random(rng, r * k, -3, 3);
  std::vector<int32_t> labels{0, 4, 2, 2};
  ref::Vec d = ref::cross_entropy_backward(logits, labels, r, k, 1.0);
  report("cross entropy backward", worst(logits, d, [&] { return ref::cross_entropy(logits, labels, r, k); }));
  return failures;
}

}  // namespace gradcheck
