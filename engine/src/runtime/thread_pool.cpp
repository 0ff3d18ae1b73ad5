#include "runtime/thread_pool.hpp"

#include <algorithm>

namespace cairn {

#if defined(__wasi__)
ThreadPool::ThreadPool(int /*threads*/) {}
ThreadPool::~ThreadPool() = default;
void ThreadPool::parallel_for(size_t n, const std::function<void(size_t)>& fn) {
  for (size_t i = 0; i < n; ++i) fn(i);
}
int hardware_threads() { return 1; }
#else
int hardware_threads() { return int(std::max(1u, std::thread::hardware_concurrency())); }

ThreadPool::ThreadPool(int threads) {
  for (int i = 1; i < threads; ++i) workers_.emplace_back([this, i] { worker_loop(size_t(i)); });
}

ThreadPool::~ThreadPool() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stop_ = true;
  }
  wake_.notify_all();
  for (auto& t : workers_) t.join();
}

void ThreadPool::parallel_for(size_t n, const std::function<void(size_t)>& fn) {
  if (n == 0) return;
  if (workers_.empty() || n == 1) {
    for (size_t i = 0; i < n; ++i) fn(i);
    return;
  }
  std::unique_lock<std::mutex> lock(mutex_);
  job_ = &fn;
  job_size_ = n;
  next_ = 0;
  pending_ = n;
  ++generation_;
  wake_.notify_all();
  // The caller takes items too.
  while (next_ < job_size_) {
    size_t i = next_++;
    lock.unlock();
    fn(i);
    lock.lock();
    if (--pending_ == 0) done_.notify_all();
  }
  done_.wait(lock, [this] { return pending_ == 0; });
  job_ = nullptr;
}

void ThreadPool::worker_loop(size_t /*index*/) {
  uint64_t seen = 0;
  std::unique_lock<std::mutex> lock(mutex_);
  while (true) {
    wake_.wait(lock, [&] { return stop_ || (generation_ != seen && job_ != nullptr && next_ < job_size_); });
    if (stop_) return;
    seen = generation_;
    while (job_ != nullptr && next_ < job_size_) {
      size_t i = next_++;
      const auto* fn = job_;
      lock.unlock();
      (*fn)(i);
      lock.lock();
      if (--pending_ == 0) done_.notify_all();
    }
  }
}

#endif

void parallel_for(ThreadPool* pool, size_t n, const std::function<void(size_t)>& fn) {
  if (pool == nullptr) {
    for (size_t i = 0; i < n; ++i) fn(i);
  } else {
    pool->parallel_for(n, fn);
  }
}

}  // namespace cairn
