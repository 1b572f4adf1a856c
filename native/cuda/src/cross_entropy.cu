// Fused softmax cross-entropy over int32 class indices: per-row log-sum-exp, mean loss, gradient.
#include <cmath>

#include "common.h"
#include "device.cuh"

namespace troupe_cuda {
namespace {

__global__ void lse_k(const float *logits, int64_t rows, int64_t classes, float *lse) {
  for (int64_t r = blockIdx.x; r < rows; r += gridDim.x) {
    const float *lr = logits + r * classes;
    float mx = -INFINITY;
    for (int64_t j = threadIdx.x; j < classes; j += blockDim.x) mx = fmaxf(mx, lr[j]);
    mx = block_reduce(mx, Max());
    float acc = 0.f;
    for (int64_t j = threadIdx.x; j < classes; j += blockDim.x) acc += expf(lr[j] - mx);
    acc = block_reduce(acc, Sum());
    if (threadIdx.x == 0) lse[r] = mx + logf(acc);
  }
}

__global__ void mean_loss_k(const float *logits, const int32_t *labels, const float *lse, int64_t rows,
                            int64_t classes, float *loss) {
  double acc = 0.0;
  for (int64_t r = threadIdx.x; r < rows; r += blockDim.x) {
    int32_t y = labels[r];
    acc += (y >= 0 && y < classes) ? double(lse[r]) - logits[r * classes + y] : NAN;
  }
  acc = block_reduce(acc, Sum());
  if (threadIdx.x == 0) loss[0] = static_cast<float>(acc / rows);
}

__global__ void ce_bwd(const float *logits, const int32_t *labels, const float *lse, int64_t rows,
                       int64_t classes, float scale, float *dlogits) {
  GRID_STRIDE(i, rows * classes) {
    int64_t r = i / classes, j = i - r * classes;
    float p = expf(logits[i] - lse[r]);
    dlogits[i] = (p - (j == labels[r] ? 1.f : 0.f)) * scale;
  }
}

int shape(const char *fn, int64_t rows, int64_t classes) {
  if (rows <= 0 || classes <= 0)
    return fail(TROUPE_CUDA_EINVAL, "%s: rows and classes must be > 0, got rows=%lld classes=%lld", fn,
                (long long)rows, (long long)classes);
  return 0;
}

}  // namespace
}  // namespace troupe_cuda

using namespace troupe_cuda;

TROUPE_API int troupe_cuda_cross_entropy_forward(troupe_cuda_stream *s, const float *logits, const int32_t *labels,
                                                 int64_t rows, int64_t classes, float *lse, float *loss) {
  const char *fn = "troupe_cuda_cross_entropy_forward";
  cudaStream_t cs;
  if (int rc = shape(fn, rows, classes)) return rc;
  if (int rc = prologue(fn, s, &cs, rows, {{logits, "logits"}, {labels, "labels"}, {lse, "lse"}, {loss, "loss"}}))
    return rc;
  unsigned threads = classes >= 1024 ? 1024 : classes >= 256 ? 256 : 64;
  lse_k<<<static_cast<unsigned>(rows < (1 << 30) ? rows : (1 << 30)), threads, 0, cs>>>(logits, rows, classes, lse);
  if (int rc = launched("cross entropy log-sum-exp kernel")) return rc;
  mean_loss_k<<<1, 1024, 0, cs>>>(logits, labels, lse, rows, classes, loss);
  return launched("cross entropy mean loss kernel");
}

TROUPE_API int troupe_cuda_cross_entropy_backward(troupe_cuda_stream *s, const float *logits,
                                                  const int32_t *labels, const float *lse, int64_t rows,
                                                  int64_t classes, float grad, float *dlogits) {
  const char *fn = "troupe_cuda_cross_entropy_backward";
  cudaStream_t cs;
  if (int rc = shape(fn, rows, classes)) return rc;
  if (int rc = prologue(fn, s, &cs, rows,
                        {{logits, "logits"}, {labels, "labels"}, {lse, "lse"}, {dlogits, "dlogits"}}))
    return rc;
  ce_bwd<<<blocks_for(rows * classes), kThreads, 0, cs>>>(logits, labels, lse, rows, classes,
                                                         grad / static_cast<float>(rows), dlogits);
  return launched("cross entropy backward kernel");
}
