// Shared by the library's sources: status reporting, the stream object and launch helpers.
#pragma once

#include <cuda_runtime.h>

#include <cstdint>
#include <initializer_list>
#include <mutex>
#include <utility>

#include "../troupe_cuda.h"

#define TROUPE_API extern "C" __attribute__((visibility("default")))

struct troupe_cuda_stream {
  cudaStream_t stream;
  int device;
  std::mutex blas_mu;        // guards blas: one GEMM at a time may set it up and enqueue
  void *blas = nullptr;      // cublasHandle_t, made on first GEMM
};

namespace troupe_cuda {

// Records a printf-style message as this thread's last error and returns code.
int fail(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
// Maps a CUDA runtime error to a status, naming what failed and the error.
int cuda_fail(cudaError_t err, const char *what);
// Checks a runtime call; returns 0 or the failure status.
inline int check(cudaError_t err, const char *what) { return err == cudaSuccess ? 0 : cuda_fail(err, what); }

// Resolves a Troupe stream to a cudaStream_t, making its device current (NULL: legacy default).
int enter(troupe_cuda_stream *s, cudaStream_t *out);
// Reports a failed kernel launch (bad configuration, sticky earlier error).
inline int launched(const char *kernel) { return check(cudaGetLastError(), kernel); }

// Grid for a grid-stride loop over n elements.
constexpr int kThreads = 256;
inline unsigned blocks_for(int64_t n) {
  int64_t b = (n + kThreads - 1) / kThreads;
  if (b < 1) b = 1;
  return static_cast<unsigned>(b > (1 << 20) ? (1 << 20) : b);
}

// Argument checks shared by the kernel entry points.
int need(const void *p, const char *fn, const char *name);
int need_count(int64_t n, const char *fn, const char *name);
// Checks a kernel call's count and pointers (named), then enters its stream.
int prologue(const char *fn, troupe_cuda_stream *s, cudaStream_t *cs, int64_t n,
             std::initializer_list<std::pair<const void *, const char *>> ptrs);

}  // namespace troupe_cuda
