/*
 * Troupe native core: the C ABI under the Node binding.
 *
 * Plain functions on raw float32 buffers, row-major, no allocation and no exceptions: each
 * returns a troupe_status (0 on success). The CPU implementation lives in native/src. GPU tensors
 * go to the CUDA library's own C ABI (native/cuda/troupe_cuda.h), opened at run time by the
 * binding (native/binding/device.cc).
 */
#ifndef TROUPE_CORE_H
#define TROUPE_CORE_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum {
  TROUPE_OK = 0,
  /** An argument broke a rule that the caller should have checked (sizes, label range). */
  TROUPE_INVALID_ARGUMENT = 1,
  /** The requested backend or device is not available in this build or on this machine. */
  TROUPE_UNAVAILABLE = 2,
  TROUPE_INTERNAL = 3,
} troupe_status;

typedef enum { TROUPE_GEMM_FALLBACK = 0, TROUPE_GEMM_BLAS = 1 } troupe_gemm_backend;

/* ---- configuration ---- */

/** Threads used by CPU kernels (and by the BLAS). Results are deterministic for a given count. */
troupe_status troupe_set_threads(int threads);
int troupe_threads(void);
/** 1 when the core was built against a CBLAS (OpenBLAS). */
int troupe_have_blas(void);
/** Selects the CPU GEMM; TROUPE_UNAVAILABLE for BLAS in a build without one. */
troupe_status troupe_set_gemm_backend(troupe_gemm_backend backend);
troupe_gemm_backend troupe_gemm_backend_get(void);
/** "avx2+fma" or "generic": which build of the fallback kernel this CPU runs. */
const char* troupe_fallback_isa(void);

/* ---- GEMM: C = alpha * op(A) op(B) + beta * C, row-major, op(A) is M x K, op(B) is K x N ---- */

troupe_status troupe_sgemm(int trans_a, int trans_b, int64_t m, int64_t n, int64_t k, float alpha,
                           const float* a, int64_t lda, const float* b, int64_t ldb, float beta, float* c,
                           int64_t ldc);
/** The CBLAS, whatever backend is selected; TROUPE_UNAVAILABLE in a build without one. */
troupe_status troupe_sgemm_blas(int trans_a, int trans_b, int64_t m, int64_t n, int64_t k, float alpha,
                                const float* a, int64_t lda, const float* b, int64_t ldb, float beta, float* c,
                                int64_t ldc);
/** The own blocked, vectorised kernel, whatever backend is selected. */
troupe_status troupe_sgemm_fallback(int trans_a, int trans_b, int64_t m, int64_t n, int64_t k, float alpha,
                                    const float* a, int64_t lda, const float* b, int64_t ldb, float beta,
                                    float* c, int64_t ldc);

/* ---- elementwise and reductions ---- */

troupe_status troupe_add(int64_t n, const float* a, const float* b, float* out);
/** out = a * s */
troupe_status troupe_scale(int64_t n, const float* a, float s, float* out);
/** y += x */
troupe_status troupe_accumulate(int64_t n, const float* x, float* y);
troupe_status troupe_fill(int64_t n, float value, float* out);
/** Sum of all elements, accumulated in double in a fixed order. */
troupe_status troupe_sum(int64_t n, const float* x, double* out);
/** out[c] = sum over rows of x[r][c] (x is rows x cols). */
troupe_status troupe_sum_rows(int64_t rows, int64_t cols, const float* x, float* out);
/** Each row of y (rows x cols) set to bias (cols). */
troupe_status troupe_broadcast_rows(int64_t rows, int64_t cols, const float* bias, float* y);

/* ---- activations ---- */

troupe_status troupe_relu(int64_t n, const float* x, float* y);
troupe_status troupe_relu_backward(int64_t n, const float* x, const float* dy, float* dx);
/** Exact GELU, x * Phi(x). */
troupe_status troupe_gelu(int64_t n, const float* x, float* y);
troupe_status troupe_gelu_backward(int64_t n, const float* x, const float* dy, float* dx);

/* ---- LayerNorm over the last dimension (rows x cols) ---- */

troupe_status troupe_layernorm(int64_t rows, int64_t cols, const float* x, const float* gamma, const float* beta,
                               float eps, float* y, float* mean, float* rstd);
troupe_status troupe_layernorm_backward(int64_t rows, int64_t cols, const float* x, const float* gamma,
                                        const float* mean, const float* rstd, const float* dy, float* dx,
                                        float* dgamma, float* dbeta);

/* ---- softmax cross-entropy over class indices, mean over rows; writes the gradient too ---- */

/** On a label outside [0, cols) returns TROUPE_INVALID_ARGUMENT with *bad_row set. */
troupe_status troupe_softmax_xent(int64_t rows, int64_t cols, const float* logits, const int32_t* labels,
                                  float* loss, float* dlogits, int64_t* bad_row);

/* ---- fused optimizer updates (PyTorch semantics) ---- */

typedef struct {
  float lr, momentum, dampening, weight_decay;
  int nesterov;
  /** 1 on the first step with momentum: the buffer starts as the gradient. */
  int first;
} troupe_sgd_params;
troupe_status troupe_sgd_step(int64_t n, float* param, const float* grad, float* momentum_buf,
                              const troupe_sgd_params* p);

typedef struct {
  float lr, beta1, beta2, eps, weight_decay;
  /** 1-based step count, for bias correction. */
  int64_t step;
} troupe_adamw_params;
troupe_status troupe_adamw_step(int64_t n, float* param, const float* grad, float* m, float* v,
                                const troupe_adamw_params* p);

/** Sum of squares in double, fixed order (global-norm clipping). */
troupe_status troupe_sumsq(int64_t n, const float* x, double* out);

#ifdef __cplusplus
}
#endif

#endif
