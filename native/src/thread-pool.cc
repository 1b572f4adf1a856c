#include "thread-pool.h"

#include <algorithm>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <vector>

namespace troupe {
namespace {

class Pool {
 public:
  ~Pool() { resize(1); }

  void resize(int threads) {
    std::lock_guard<std::mutex> region(region_);
    {
      std::lock_guard<std::mutex> lock(mu_);
      stop_ = true;
      ++generation_;
    }
    cv_.notify_all();
    for (auto& t : workers_) t.join();
    workers_.clear();
    stop_ = false;
    threads_ = std::clamp(threads, 1, kMaxThreads);
    // New workers start from the current generation, so none mistakes a finished region for work.
    const uint64_t now = generation_;
    for (int i = 1; i < threads_; i++) workers_.emplace_back([this, i, now] { loop(i, now); });
  }

  int threads() const { return threads_; }

  // Splits [0, n) by the thread count at the time the region starts, under the region lock.
  int run(int64_t n, int64_t min_per_chunk, const std::function<void(int, int64_t, int64_t)>& fn) {
    std::lock_guard<std::mutex> region(region_);
    int64_t by_size = min_per_chunk > 0 ? n / min_per_chunk : n;
    int chunks = static_cast<int>(std::max<int64_t>(1, std::min<int64_t>(threads_, by_size)));
    std::function<void(int)> task = [&](int c) {
      int64_t begin = n * c / chunks, end = n * (c + 1) / chunks;
      if (begin < end) fn(c, begin, end);
    };
    if (chunks == 1) {
      task(0);
      return 1;
    }
    {
      std::lock_guard<std::mutex> lock(mu_);
      task_ = &task;
      chunks_ = chunks;
      pending_ = chunks - 1;
      ++generation_;
    }
    cv_.notify_all();
    task(0);
    std::unique_lock<std::mutex> lock(mu_);
    done_.wait(lock, [this] { return pending_ == 0; });
    task_ = nullptr;
    return chunks;
  }

 private:
  void loop(int index, uint64_t seen) {
    for (;;) {
      const std::function<void(int)>* task;
      {
        std::unique_lock<std::mutex> lock(mu_);
        cv_.wait(lock, [&] { return generation_ != seen; });
        seen = generation_;
        if (stop_) return;
        if (index >= chunks_) continue;
        task = task_;
      }
      (*task)(index);
      std::lock_guard<std::mutex> lock(mu_);
      if (--pending_ == 0) done_.notify_one();
    }
  }

  std::mutex region_;  // one parallel region at a time
  std::mutex mu_;
  std::condition_variable cv_, done_;
  std::vector<std::thread> workers_;
  const std::function<void(int)>* task_ = nullptr;
  int threads_ = 1;
  int chunks_ = 0;
  int pending_ = 0;
  uint64_t generation_ = 0;
  bool stop_ = false;
};

Pool& pool() {
  static Pool* p = [] {
    auto* made = new Pool();  // never destroyed: worker threads must not be joined during exit
    made->resize(1);
    return made;
  }();
  return *p;
}

}  // namespace

void set_pool_threads(int threads) { pool().resize(threads); }
int pool_threads() { return pool().threads(); }

int parallel_chunks(int64_t n, int64_t min_per_chunk, const std::function<void(int, int64_t, int64_t)>& fn) {
  return pool().run(n, min_per_chunk, fn);
}

}  // namespace troupe
