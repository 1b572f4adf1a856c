#pragma once

#include <cstdint>

namespace troupe {

/** Row-major SGEMM with the own kernel: C = alpha op(A) op(B) + beta C. */
void sgemm_fallback(int trans_a, int trans_b, int64_t m, int64_t n, int64_t k, float alpha, const float* a,
                    int64_t lda, const float* b, int64_t ldb, float beta, float* c, int64_t ldc);

const char* fallback_isa();

}  // namespace troupe
