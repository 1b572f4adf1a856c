// Own blocked, vectorised SGEMM: the CPU GEMM where no CBLAS was found at build time, and a
// second backend to check the BLAS against. The kernel is compiled twice (AVX2+FMA and the
// baseline ISA) and chosen once at run time by what the CPU supports.
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string>

#include "gemm-fallback.h"
#include "thread-pool.h"

#pragma GCC push_options
#pragma GCC target("avx2,fma")
#define TROUPE_KERNEL_NS kernel_avx2
#include "gemm-kernel.inc"
#undef TROUPE_KERNEL_NS
#pragma GCC pop_options

#define TROUPE_KERNEL_NS kernel_generic
#include "gemm-kernel.inc"
#undef TROUPE_KERNEL_NS

namespace troupe {
namespace {

using BlockFn = void (*)(int, int, int64_t, int64_t, int64_t, int64_t, int64_t, float, const float*, int64_t,
                         const float*, int64_t, float, float*, int64_t, float*, float*);

// TROUPE_FALLBACK_ISA=generic forces the baseline build (to test it on an AVX2 machine).
bool cpu_has_avx2() {
  static const bool has = [] {
    const char* force = std::getenv("TROUPE_FALLBACK_ISA");
    if (force && std::string(force) == "generic") return false;
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
  }();
  return has;
}

BlockFn block_fn() { return cpu_has_avx2() ? kernel_avx2::gemm_block : kernel_generic::gemm_block; }

struct AlignedFree {
  void operator()(float* p) const { std::free(p); }
};

// Packing buffers, one pair per thread, kept for the thread's life.
float* scratch(int which) {
  constexpr size_t a_floats = kernel_generic::MC * kernel_generic::KC;
  constexpr size_t b_floats = kernel_generic::KC * kernel_generic::NC;
  thread_local std::unique_ptr<float, AlignedFree> bufs[2];
  if (!bufs[which]) {
    size_t bytes = (which == 0 ? a_floats : b_floats) * sizeof(float);
    bufs[which].reset(static_cast<float*>(std::aligned_alloc(64, bytes)));
  }
  return bufs[which].get();
}

}  // namespace

const char* fallback_isa() { return cpu_has_avx2() ? "avx2+fma" : "generic"; }

void sgemm_fallback(int ta, int tb, int64_t m, int64_t n, int64_t k, float alpha, const float* a, int64_t lda,
                    const float* b, int64_t ldb, float beta, float* c, int64_t ldc) {
  if (m <= 0 || n <= 0) return;
  BlockFn block = block_fn();
  constexpr int64_t MR = kernel_generic::MR, NR = kernel_generic::NR;
  const int64_t tiles_m = (m + MR - 1) / MR, tiles_n = (n + NR - 1) / NR;
  // At least ~2M multiply-adds per thread, or threads cost more than they give.
  const int64_t tile_work = MR * NR * (k > 0 ? k : 1);
  const int64_t min_tiles = (int64_t{1} << 21) / tile_work + 1;
  // Split the dimension with more micro-tiles, so every thread owns whole rows or columns of C.
  auto per_chunk = [&](int64_t other_tiles) { return min_tiles / other_tiles + 1; };
  if (tiles_n >= tiles_m) {
    parallel_chunks(tiles_n, per_chunk(tiles_m), [&](int, int64_t t0, int64_t t1) {
      int64_t n1 = t1 * NR < n ? t1 * NR : n;
      block(ta, tb, 0, m, t0 * NR, n1, k, alpha, a, lda, b, ldb, beta, c, ldc, scratch(0), scratch(1));
    });
  } else {
    parallel_chunks(tiles_m, per_chunk(tiles_n), [&](int, int64_t t0, int64_t t1) {
      int64_t m1 = t1 * MR < m ? t1 * MR : m;
      block(ta, tb, t0 * MR, m1, 0, n, k, alpha, a, lda, b, ldb, beta, c, ldc, scratch(0), scratch(1));
    });
  }
}

}  // namespace troupe
