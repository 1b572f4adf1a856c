// Fused optimizer updates: SGD with momentum (Nesterov, weight decay) and AdamW.
#include <cmath>

#include "common.h"
#include "device.cuh"

namespace troupe_cuda {
namespace {

__global__ void sgd_k(float *param, const float *grad, float *buf, int64_t n, float lr, float momentum,
                      float dampening, float weight_decay, int nesterov, int first_step) {
  GRID_STRIDE(i, n) {
    float g = grad[i] + weight_decay * param[i];
    if (buf) {
      float b = first_step ? g : momentum * buf[i] + (1.f - dampening) * g;
      buf[i] = b;
      g = nesterov ? g + momentum * b : b;
    }
    param[i] -= lr * g;
  }
}

__global__ void adamw_k(float *param, const float *grad, float *m, float *v, int64_t n, float lr, float beta1,
                        float beta2, float eps, float decay, float bc1, float bc2) {
  GRID_STRIDE(i, n) {
    float g = grad[i];
    float mi = beta1 * m[i] + (1.f - beta1) * g;
    float vi = beta2 * v[i] + (1.f - beta2) * g * g;
    m[i] = mi;
    v[i] = vi;
    float p = param[i] * decay;
    param[i] = p - lr * (mi / bc1) / (sqrtf(vi / bc2) + eps);
  }
}

}  // namespace
}  // namespace troupe_cuda

using namespace troupe_cuda;

TROUPE_API int troupe_cuda_sgd_step(troupe_cuda_stream *s, float *param, const float *grad, float *momentum_buf,
                                    int64_t n, float lr, float momentum, float dampening, float weight_decay,
                                    int nesterov, int first_step) {
  const char *fn = "troupe_cuda_sgd_step";
  if (momentum != 0.f) {
    if (int rc = need(momentum_buf, fn, "momentum_buf (required when momentum != 0)")) return rc;
  } else {
    momentum_buf = nullptr;
  }
  if (nesterov && (momentum == 0.f || dampening != 0.f))
    return fail(TROUPE_CUDA_EINVAL, "%s: nesterov needs momentum > 0 and dampening 0", fn);
  return launch_n(fn, s, n, {{param, "param"}, {grad, "grad"}}, sgd_k, param, grad, momentum_buf, n, lr, momentum,
                  dampening, weight_decay, nesterov, first_step);
}

TROUPE_API int troupe_cuda_adamw_step(troupe_cuda_stream *s, float *param, const float *grad, float *m, float *v,
                                      int64_t n, float lr, float beta1, float beta2, float eps, float weight_decay,
                                      int64_t step) {
  const char *fn = "troupe_cuda_adamw_step";
  if (step < 1) return fail(TROUPE_CUDA_EINVAL, "%s: step counts from 1, got %lld", fn, (long long)step);
  if (!(beta1 >= 0.f && beta1 < 1.f && beta2 >= 0.f && beta2 < 1.f))
    return fail(TROUPE_CUDA_EINVAL, "%s: betas must be in [0, 1), got %g and %g", fn, beta1, beta2);
  float bc1 = static_cast<float>(1.0 - std::pow(double(beta1), double(step)));
  float bc2 = static_cast<float>(1.0 - std::pow(double(beta2), double(step)));
  return launch_n(fn, s, n, {{param, "param"}, {grad, "grad"}, {m, "m"}, {v, "v"}}, adamw_k, param, grad, m, v, n,
                  lr, beta1, beta2, eps, 1.f - lr * weight_decay, bc1, bc2);
}
