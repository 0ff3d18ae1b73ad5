// A fixed pool of worker threads that runs parallel_for over an index range. The calling thread takes part.
// Work is split into contiguous chunks by index, so results never depend on the number of threads.
#pragma once

#include <cstddef>
#include <functional>
#include <vector>
#if !defined(__wasi__)
#include <atomic>
#include <condition_variable>
#include <cstdint>
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
  void worker_loop();
  void run_items();
  std::vector<std::thread> workers_;
  // The job: published by storing state_, claimed item by item without a lock (a mutex taken on every dispatch
  // put a sleeping worker and a wake-up, 6-9 us in this virtual machine, on the path of a 2-item job).
  std::atomic<const std::function<void(size_t)>*> job_{nullptr};
  std::atomic<size_t> job_size_{0};
  alignas(64) std::atomic<uint64_t> state_{0};  // generation << 32 | next item to claim
  alignas(64) std::atomic<size_t> pending_{0};  // items not finished
  std::atomic<bool> busy_{false};
  // Sleeping workers (after polling for kPollTime) wait here; the mutex guards only the sleep.
  std::mutex mutex_;
  std::condition_variable wake_;
  std::atomic<int> sleepers_{0};
  std::atomic<bool> stop_{false};
#endif
};

// Hardware threads of the machine, at least 1 (1 under WASI, which has no threads).
int hardware_threads();

// parallel_for on the pool, or a plain loop when pool is null.
void parallel_for(ThreadPool* pool, size_t n, const std::function<void(size_t)>& fn);

}  // namespace cairn
