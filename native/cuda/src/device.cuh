// Device-side helpers shared by the kernels: grid-stride loops and block reductions in a fixed order
// (so results are deterministic).
#pragma once

#include <cuda_runtime.h>

#include "common.h"

#define GRID_STRIDE(i, n) \
  for (int64_t i = blockIdx.x * (int64_t)blockDim.x + threadIdx.x; i < (n); i += (int64_t)gridDim.x * blockDim.x)

namespace troupe_cuda {

struct Sum {
  template <class T> __device__ T operator()(T a, T b) const { return a + b; }
};
struct Max {
  template <class T> __device__ T operator()(T a, T b) const { return a > b ? a : b; }
};

// Reduces v over the whole block (blockDim.x a multiple of 32, at most 1024); every thread gets
// the result. All threads of the block must call it.
template <class T, class Op>
__device__ T block_reduce(T v, Op op) {
  __shared__ T warp_part[32];
  __shared__ T result;
  const unsigned lane = threadIdx.x & 31, warp = threadIdx.x >> 5, warps = blockDim.x >> 5;
  for (int off = 16; off > 0; off >>= 1) v = op(v, __shfl_down_sync(0xffffffffu, v, off));
  if (lane == 0) warp_part[warp] = v;
  __syncthreads();
  if (warp == 0) {
    T w = warp_part[lane < warps ? lane : 0];  // lanes past the last warp are never combined
    for (int off = 16; off > 0; off >>= 1) {
      T other = __shfl_down_sync(0xffffffffu, w, off);
      if (lane + off < warps) w = op(w, other);
    }
    if (lane == 0) result = w;
  }
  __syncthreads();
  T r = result;
  __syncthreads();  // result and warp_part may be reused by the next call
  return r;
}

}  // namespace troupe_cuda

namespace troupe_cuda {

// out[c] (+)= sum over rows of value(r, c), for a row-major [rows, cols] input. Launch with
// blockDim (32, 32) and gridDim.x = ceil(cols / 32): a block owns 32 adjacent columns (coalesced
// reads) and its 32 thread rows split the rows in a fixed order.
template <class F>
__global__ void column_sum(F value, int64_t rows, int64_t cols, float *out, int accumulate) {
  __shared__ float part[32][33];
  const int64_t c = blockIdx.x * 32 + threadIdx.x;
  float acc = 0.f;
  if (c < cols)
    for (int64_t r = threadIdx.y; r < rows; r += 32) acc += value(r, c);
  part[threadIdx.y][threadIdx.x] = acc;
  __syncthreads();
  if (threadIdx.y == 0 && c < cols) {
    float t = 0.f;
    for (int j = 0; j < 32; j++) t += part[j][threadIdx.x];
    out[c] = accumulate ? out[c] + t : t;
  }
}

// The common body of an elementwise entry point: checks n and the named pointers, enters the
// stream, and launches kernel over a grid-stride grid for n elements (nothing when n is 0).
template <class... P, class... A>
int launch_n(const char *fn, troupe_cuda_stream *s, int64_t n,
             std::initializer_list<std::pair<const void *, const char *>> ptrs, void (*kernel)(P...), A... args) {
  cudaStream_t cs;
  if (int rc = prologue(fn, s, &cs, n, ptrs)) return rc;
  if (n == 0) return 0;
  kernel<<<blocks_for(n), kThreads, 0, cs>>>(args...);
  return launched(fn);
}

// value(r, c) of a row-major matrix, for column_sum.
struct RowMajor {
  const float *x;
  int64_t cols;
  __device__ float operator()(int64_t r, int64_t c) const { return x[r * cols + c]; }
};

template <class F>
inline void launch_column_sum(F value, int64_t rows, int64_t cols, float *out, int accumulate, cudaStream_t s) {
  column_sum<<<static_cast<unsigned>((cols + 31) / 32), dim3(32, 32), 0, s>>>(value, rows, cols, out, accumulate);
}

}  // namespace troupe_cuda
