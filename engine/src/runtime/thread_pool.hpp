// A fixed pool of worker threads that runs parallel_for over an index range. The calling thread takes part.
// Work is split into contiguous chunks by index, so results never depend on the number of threads.
#pragma once

#include <cstddef>
#include <functional>
#include <vector>
#if !defined(__wasi__)
#include <atomic>
#include <condition_variable>
#include <mutex>
#include <thread>
#endif

namespace cairn {

class ThreadPool {
 public:
  explicit ThreadPool(int threads);  // total threads including the caller; <= 1 means no workers
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  // Calls fn(i) for every i in [0, n), spread over the threads; returns when all are done.
  void parallel_for(size_t n, const std::function<void(size_t)>& fn);

#if defined(__wasi__)
  // wasi-libc has no threads. The workers are JavaScript workers, each running the same module over one shared
  // WebAssembly.Memory and parked in cairn_pool_worker() (thread_pool.cpp); the pool uses those that registered
  // before it was made, none in a module without shared memory.
  int size() const { return size_; }

 private:
  int size_ = 1;
#else
  int size() const { return int(workers_.size()) + 1; }

 private:
  void worker_loop(size_t index);
  std::vector<std::thread> workers_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::condition_variable done_;
  const std::function<void(size_t)>* job_ = nullptr;
  size_t job_size_ = 0;
  size_t next_ = 0;
  // Written under mutex_; atomic so that threads may poll them without it before they sleep (thread_pool.cpp).
  std::atomic<size_t> pending_{0};
  std::atomic<uint64_t> generation_{0};
  bool stop_ = false;
#endif
};

// Hardware threads of the machine, at least 1 (1 under WASI, which has no threads).
int hardware_threads();

// parallel_for on the pool, or a plain loop when pool is null.
void parallel_for(ThreadPool* pool, size_t n, const std::function<void(size_t)>& fn);

}  // namespace cairn
