// Fused optimizer updates: one pass over each parameter, PyTorch's update rules.
#include <cmath>

#include "thread-pool.h"
#include "troupe_core.h"

namespace {
constexpr int64_t kGrain = 1 << 15;
}

extern "C" {

troupe_status troupe_sgd_step(int64_t n, float* param, const float* grad, float* buf, const troupe_sgd_params* p) {
  const float lr = p->lr, mu = p->momentum, damp = p->dampening, wd = p->weight_decay;
  const bool nesterov = p->nesterov != 0, first = p->first != 0;
  if (mu != 0.0f && buf == nullptr) return TROUPE_INVALID_ARGUMENT;
  troupe::parallel_chunks(n, kGrain, [&](int, int64_t b, int64_t e) {
    for (int64_t i = b; i < e; i++) {
      float g = grad[i] + wd * param[i];
      if (mu != 0.0f) {
        float v = first ? g : mu * buf[i] + (1.0f - damp) * g;
        buf[i] = v;
        g = nesterov ? g + mu * v : v;
      }
      param[i] -= lr * g;
    }
  });
  return TROUPE_OK;
}

troupe_status troupe_adamw_step(int64_t n, float* param, const float* grad, float* m, float* v,
                                const troupe_adamw_params* p) {
  if (p->step < 1) return TROUPE_INVALID_ARGUMENT;
  const float lr = p->lr, b1 = p->beta1, b2 = p->beta2, eps = p->eps;
  const float decay = 1.0f - p->lr * p->weight_decay;
  const float c1 = static_cast<float>(1.0 - std::pow(static_cast<double>(b1), static_cast<double>(p->step)));
  const float c2 = static_cast<float>(1.0 - std::pow(static_cast<double>(b2), static_cast<double>(p->step)));
  const float step_size = lr / c1, c2_sqrt = std::sqrt(c2);
  troupe::parallel_chunks(n, kGrain, [&](int, int64_t b, int64_t e) {
    for (int64_t i = b; i < e; i++) {
      float g = grad[i];
      float mi = b1 * m[i] + (1.0f - b1) * g;
      float vi = b2 * v[i] + (1.0f - b2) * g * g;
      m[i] = mi;
      v[i] = vi;
      param[i] = param[i] * decay - step_size * mi / (std::sqrt(vi) / c2_sqrt + eps);
    }
  });
  return TROUPE_OK;
}

}  // extern "C"
