/*
 * Troupe CUDA library: the C ABI of libtroupe_cuda.so.
 *
 * Built by native/cuda/Makefile with nvcc; the CUDA runtime is linked statically, so at run time
 * the library needs only the NVIDIA driver (libcuda.so.1). cuBLAS and NCCL are opened with dlopen
 * on first use (see "Libraries" below), so the library loads on any Linux machine; without a GPU
 * troupe_cuda_device_count() reports it and every other call fails cleanly.
 *
 * Conventions
 * - Every function returns an int status: TROUPE_CUDA_OK (0) or one of the TROUPE_CUDA_E* codes.
 *   Nothing aborts the process. On failure troupe_cuda_last_error() names what failed.
 * - The last-error string is thread-local: read it on the thread that made the failing call.
 * - Tensors are float32, contiguous and row-major; counts are element counts. Pointers are device
 *   pointers unless named host_*.
 * - Kernels and async copies are enqueued on a stream and return before the work is done; errors
 *   raised while the work runs surface at troupe_cuda_stream_sync(). A NULL stream is the legacy
 *   default stream of the calling thread's current device (troupe_cuda_set_device); a stream made
 *   by troupe_cuda_stream_create carries its device, and calls on it switch to that device.
 * - Thread safety: all functions may be called from any thread. Work enqueued on one stream from
 *   several threads at once runs in an unspecified order; give each worker its own stream.
 */
#ifndef TROUPE_CUDA_H
#define TROUPE_CUDA_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define TROUPE_CUDA_ABI_VERSION 2 /* 2: sgd_step takes dampening and first_step */

enum {
  TROUPE_CUDA_OK = 0,
  TROUPE_CUDA_EINVAL = 1,      /* bad argument: null pointer, negative size, unknown enum */
  TROUPE_CUDA_ENODEVICE = 2,   /* no GPU, no driver, or the device index is out of range */
  TROUPE_CUDA_ECUDA = 3,       /* the CUDA runtime reported an error (message has its name) */
  TROUPE_CUDA_ENOMEM = 4,      /* device or pinned host allocation failed */
  TROUPE_CUDA_ENOLIB = 5,      /* cuBLAS or NCCL not found (message lists the paths searched) */
  TROUPE_CUDA_ECUBLAS = 6,     /* a cuBLAS call failed */
  TROUPE_CUDA_ENCCL = 7        /* an NCCL call failed, or the communicator has an async error */
};

/* Always returns TROUPE_CUDA_ABI_VERSION; lets a loader check it opened the library it expects. */
int troupe_cuda_abi_version(void);
/* Message of the last failed call on this thread ("" if none). Valid until the next failing call
 * on this thread. */
const char *troupe_cuda_last_error(void);

/* ---- Devices ------------------------------------------------------------------------------- */
/* Number of visible GPUs. With no driver or no GPU: returns TROUPE_CUDA_ENODEVICE, *count = 0. */
int troupe_cuda_device_count(int *count);
/* Writes a NUL-terminated name (e.g. "NVIDIA H100 80GB HBM3"), truncated to cap bytes, and the
 * compute capability as major*10+minor (may be NULL). */
int troupe_cuda_device_name(int device, char *name, size_t cap, int *compute_capability);
/* Free and total memory of the device in bytes. */
int troupe_cuda_device_memory(int device, size_t *free_bytes, size_t *total_bytes);
/* Makes device current for the calling thread (per thread, as in the CUDA runtime). */
int troupe_cuda_set_device(int device);
/* Waits for all work on the current device of this thread. */
int troupe_cuda_device_sync(void);

/* ---- Memory -------------------------------------------------------------------------------- */
int troupe_cuda_malloc(int device, size_t bytes, void **out);
int troupe_cuda_free(void *ptr); /* NULL is a no-op */
int troupe_cuda_memset(void *ptr, int value, size_t bytes);
/* Page-locked host memory: makes the async copies truly asynchronous. */
int troupe_cuda_host_alloc(size_t bytes, void **out);
int troupe_cuda_host_free(void *ptr);

/* Synchronous copies: return when the data has arrived. */
int troupe_cuda_copy_htod(void *dst, const void *host_src, size_t bytes);
int troupe_cuda_copy_dtoh(void *host_dst, const void *src, size_t bytes);
int troupe_cuda_copy_dtod(void *dst, const void *src, size_t bytes);

/* ---- Streams ------------------------------------------------------------------------------- */
typedef struct troupe_cuda_stream troupe_cuda_stream; /* opaque */

/* A non-blocking stream on device; owns its cuBLAS handle (made on first GEMM). */
int troupe_cuda_stream_create(int device, troupe_cuda_stream **out);
/* Waits for the stream's work, then frees it. NULL is a no-op. */
int troupe_cuda_stream_destroy(troupe_cuda_stream *stream);
/* Waits for the stream's work; reports errors raised while it ran. */
int troupe_cuda_stream_sync(troupe_cuda_stream *stream);
/* The underlying cudaStream_t, for code that calls CUDA itself. */
void *troupe_cuda_stream_handle(troupe_cuda_stream *stream);

/* Async copies on a stream (host memory should be pinned for real overlap). */
int troupe_cuda_copy_htod_async(void *dst, const void *host_src, size_t bytes, troupe_cuda_stream *stream);
int troupe_cuda_copy_dtoh_async(void *host_dst, const void *src, size_t bytes, troupe_cuda_stream *stream);
int troupe_cuda_copy_dtod_async(void *dst, const void *src, size_t bytes, troupe_cuda_stream *stream);
int troupe_cuda_memset_async(void *ptr, int value, size_t bytes, troupe_cuda_stream *stream);

/* ---- Kernels (float32, row-major, enqueued on stream) -------------------------------------- */

/* C[m,n] = alpha * op(A)[m,k] * op(B)[k,n] + beta * C, through cuBLAS SGEMM (plain FP32, no TF32).
 * op(X) = X, or X transposed when trans_x != 0. A is stored [m,k] (or [k,m] if trans_a), B is
 * stored [k,n] (or [n,k] if trans_b), all contiguous. With beta == 0, C need not be initialised. */
int troupe_cuda_gemm(troupe_cuda_stream *stream, int trans_a, int trans_b, int m, int n, int k,
                     float alpha, const float *a, const float *b, float beta, float *c);

/* y[rows,cols] += bias[cols] (in place, broadcast over rows). */
int troupe_cuda_bias_add(troupe_cuda_stream *stream, float *y, const float *bias, int64_t rows,
                         int64_t cols);
/* dbias[cols] = sum over rows of dy[rows,cols]; added to dbias instead when accumulate != 0. */
int troupe_cuda_bias_grad(troupe_cuda_stream *stream, const float *dy, float *dbias, int64_t rows,
                          int64_t cols, int accumulate);

/* y = max(x, 0). dx = dy where x > 0, else 0 (x is the forward input). y may alias x, dx dy. */
int troupe_cuda_relu_forward(troupe_cuda_stream *stream, const float *x, float *y, int64_t n);
int troupe_cuda_relu_backward(troupe_cuda_stream *stream, const float *x, const float *dy,
                              float *dx, int64_t n);

/* GELU, exact (as the CPU core and PyTorch's default): y = x Phi(x) = 0.5 x (1 + erf(x / sqrt(2))).
 * Backward: dx = dy * (Phi(x) + x phi(x)), phi(x) = exp(-x^2 / 2) / sqrt(2 pi) (x is the forward
 * input). */
int troupe_cuda_gelu_forward(troupe_cuda_stream *stream, const float *x, float *y, int64_t n);
int troupe_cuda_gelu_backward(troupe_cuda_stream *stream, const float *x, const float *dy,
                              float *dx, int64_t n);

/* LayerNorm over the last dimension of x[rows,cols]:
 *   mean = sum(x)/cols, var = sum((x-mean)^2)/cols (biased), rstd = 1/sqrt(var + eps),
 *   y = (x - mean) * rstd * gamma + beta.
 * gamma and beta [cols] may be NULL (taken as 1 and 0). mean and rstd [rows] are written for the
 * backward pass. */
int troupe_cuda_layernorm_forward(troupe_cuda_stream *stream, const float *x, const float *gamma,
                                  const float *beta, float eps, int64_t rows, int64_t cols,
                                  float *y, float *mean, float *rstd);
/* dx[rows,cols] from dy, x and the saved mean/rstd; dgamma and dbeta [cols] are overwritten with
 * sum over rows of dy*xhat and dy (each may be NULL to skip it). gamma may be NULL (taken as 1). */
int troupe_cuda_layernorm_backward(troupe_cuda_stream *stream, const float *x, const float *dy,
                                   const float *mean, const float *rstd, const float *gamma,
                                   int64_t rows, int64_t cols, float *dx, float *dgamma,
                                   float *dbeta);

/* Fused softmax cross-entropy over int32 class indices.
 * Forward: lse[r] = log(sum_j exp(logits[r,j])) (written, kept for backward) and
 *   loss[0] = mean over rows of (lse[r] - logits[r, labels[r]]). loss is one device float.
 *   A label outside [0, classes) makes loss NaN: check labels on the host before upload.
 * Backward: dlogits[r,j] = (exp(logits[r,j] - lse[r]) - (j == labels[r])) * grad / rows,
 *   where grad is dL/dloss (1 for a plain loss). dlogits may alias logits. */
int troupe_cuda_cross_entropy_forward(troupe_cuda_stream *stream, const float *logits,
                                      const int32_t *labels, int64_t rows, int64_t classes,
                                      float *lse, float *loss);
int troupe_cuda_cross_entropy_backward(troupe_cuda_stream *stream, const float *logits,
                                       const int32_t *labels, const float *lse, int64_t rows,
                                       int64_t classes, float grad, float *dlogits);

/* out = a + b; out = alpha * x. out may alias an input. */
int troupe_cuda_add(troupe_cuda_stream *stream, const float *a, const float *b, float *out,
                    int64_t n);
int troupe_cuda_scale(troupe_cuda_stream *stream, const float *x, float alpha, float *out,
                      int64_t n);

/* out[0] = sum(x); out[0] = sum(x^2) (+= when accumulate != 0, to sum over many tensors).
 * out is one device float. Deterministic: the same inputs give the same bits. */
int troupe_cuda_sum(troupe_cuda_stream *stream, const float *x, int64_t n, float *out);
int troupe_cuda_sum_squares(troupe_cuda_stream *stream, const float *x, int64_t n, float *out,
                            int accumulate);
/* Global-norm clipping without a host round trip: norm = sqrt(sum_squares[0]) (a device float,
 * e.g. accumulated by troupe_cuda_sum_squares over all gradients); x *= max_norm / (norm + 1e-6)
 * when norm > max_norm, else unchanged. Call once per gradient tensor. */
int troupe_cuda_clip_by_norm(troupe_cuda_stream *stream, const float *sum_squares, float max_norm,
                             float *x, int64_t n);

/* SGD with momentum, fused (PyTorch semantics, as the CPU core; momentum_buf may be NULL when
 * momentum == 0):
 *   g = grad + weight_decay * param
 *   buf = first_step ? g : momentum * buf + (1 - dampening) * g
 *   g = nesterov ? g + momentum * buf : buf        (g itself when momentum == 0)
 *   param -= lr * g
 * Pass first_step != 0 on a parameter's first step with momentum: the buffer then starts as the
 * gradient (its old contents are ignored). nesterov needs momentum > 0 and dampening 0. */
int troupe_cuda_sgd_step(troupe_cuda_stream *stream, float *param, const float *grad,
                         float *momentum_buf, int64_t n, float lr, float momentum, float dampening,
                         float weight_decay, int nesterov, int first_step);
/* AdamW, fused (decoupled weight decay, PyTorch semantics); step counts from 1; m and v start at
 * zero:
 *   param *= 1 - lr * weight_decay
 *   m = beta1 m + (1 - beta1) g;  v = beta2 v + (1 - beta2) g^2
 *   param -= lr * (m / (1 - beta1^step)) / (sqrt(v / (1 - beta2^step)) + eps) */
int troupe_cuda_adamw_step(troupe_cuda_stream *stream, float *param, const float *grad, float *m,
                           float *v, int64_t n, float lr, float beta1, float beta2, float eps,
                           float weight_decay, int64_t step);

/* ---- Libraries ----------------------------------------------------------------------------- */
/* cuBLAS is searched as libcublas.so.13/.12/.11/libcublas.so, NCCL as libnccl.so.2/libnccl.so, in:
 *   1. each directory of TROUPE_CUDA_LIBS (colon-separated),
 *   2. the dynamic loader's own search (LD_LIBRARY_PATH, ldconfig cache),
 *   3. /usr/local/cuda/lib64 and the usual system library directories,
 *   4. Python wheels' nvidia/<name>/lib folders: each site-packages directory of
 *      TROUPE_PYTHON_NVIDIA_DIRS (colon-separated), $VIRTUAL_ENV, $CONDA_PREFIX, ~/.local,
 *      /usr/local/lib/python3*, /usr/lib/python3*, /opt/conda.
 * which: TROUPE_CUDA_LIB_CUBLAS or TROUPE_CUDA_LIB_NCCL. Loads the library if not yet loaded and
 * writes the path it was loaded from (NUL-terminated, truncated to cap). */
enum { TROUPE_CUDA_LIB_CUBLAS = 0, TROUPE_CUDA_LIB_NCCL = 1 };
int troupe_cuda_library_path(int which, char *path, size_t cap);

/* ---- NCCL ---------------------------------------------------------------------------------- */
#define TROUPE_NCCL_UNIQUE_ID_BYTES 128

typedef struct troupe_nccl_comm troupe_nccl_comm; /* opaque */

enum { TROUPE_NCCL_FLOAT32 = 0, TROUPE_NCCL_FLOAT64 = 1 };
enum { TROUPE_NCCL_SUM = 0, TROUPE_NCCL_MAX = 1, TROUPE_NCCL_AVG = 2 };

/* NCCL's version as an integer (e.g. 22105 for 2.21.5). */
int troupe_nccl_version(int *version);
/* Rank 0 makes the id and shares its 128 bytes with every rank (the collective group's
 * rendezvous); each rank then calls comm_init_rank with the same id. */
int troupe_nccl_get_unique_id(uint8_t id[TROUPE_NCCL_UNIQUE_ID_BYTES]);
/* Blocks until all nranks ranks have joined: call it off the event loop. Makes device current. */
int troupe_nccl_comm_init_rank(int nranks, const uint8_t id[TROUPE_NCCL_UNIQUE_ID_BYTES], int rank,
                               int device, troupe_nccl_comm **out);
int troupe_nccl_comm_rank(troupe_nccl_comm *comm, int *rank, int *nranks, int *device);

/* Collectives are enqueued on stream (NULL: the device's default stream); count is in elements.
 * sendbuf may equal recvbuf (in place). */
int troupe_nccl_allreduce(troupe_nccl_comm *comm, const void *sendbuf, void *recvbuf, size_t count,
                          int dtype, int op, troupe_cuda_stream *stream);
int troupe_nccl_broadcast(troupe_nccl_comm *comm, const void *sendbuf, void *recvbuf, size_t count,
                          int dtype, int root, troupe_cuda_stream *stream);
int troupe_nccl_send(troupe_nccl_comm *comm, const void *buf, size_t count, int dtype, int peer,
                     troupe_cuda_stream *stream);
int troupe_nccl_recv(troupe_nccl_comm *comm, void *buf, size_t count, int dtype, int peer,
                     troupe_cuda_stream *stream);
/* Brackets sends and receives that must be issued together (e.g. a ring step) so they cannot
 * deadlock. Group calls are per thread. */
int troupe_nccl_group_start(void);
int troupe_nccl_group_end(void);

/* Writes NCCL's async state: 0 when healthy, else the ncclResult_t code; also returns
 * TROUPE_CUDA_ENCCL (with a message) when the communicator has failed, e.g. a peer died.
 * Poll it while waiting on a stream that has NCCL work, and abort on failure. */
int troupe_nccl_comm_async_error(troupe_nccl_comm *comm, int *nccl_result);
/* Abort: stops outstanding operations (safe after a failure) and frees comm.
 * Destroy: waits for outstanding operations, then frees comm. Either way comm is gone. */
int troupe_nccl_comm_abort(troupe_nccl_comm *comm);
int troupe_nccl_comm_destroy(troupe_nccl_comm *comm);

#ifdef __cplusplus
}
#endif

#endif /* TROUPE_CUDA_H */
