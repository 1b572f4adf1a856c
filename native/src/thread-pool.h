// A fixed set of worker threads that runs one parallel region at a time. Work is split into
// contiguous chunks by the thread count alone, so every reduction is combined in the same order
// on every run with the same count: CPU results are deterministic for a given thread count.
#pragma once

#include <cstdint>
#include <functional>

namespace troupe {

/** Sets the number of threads (>= 1); the calling thread counts as one. */
void set_pool_threads(int threads);
int pool_threads();

/** Upper bound on the thread count, so reductions can keep one partial per chunk on the stack. */
constexpr int kMaxThreads = 64;

/**
 * Calls fn(chunk, begin, end) for contiguous pieces of [0, n), one per thread (fewer when a piece
 * would hold under `min_per_chunk` items), and returns the number of pieces once all are done.
 * Regions from several callers run one after another.
 */
int parallel_chunks(int64_t n, int64_t min_per_chunk, const std::function<void(int, int64_t, int64_t)>& fn);

}  // namespace troupe
