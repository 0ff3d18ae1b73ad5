#include "runtime/thread_pool.hpp"

#include <algorithm>
#include <chrono>
#include <cstdint>

#if defined(__wasi__)
#include "cairn/cairn.h"
#endif

namespace cairn {

#if defined(__wasi__)
// The WebAssembly pool. Its state is in linear memory, which every instance of the module shares in the threaded
// build: one slot per worker, written by the calling thread and read by that worker only. A worker sleeps on its
// slot's generation (memory.atomic.wait32); the caller fills the slot, bumps the generation and notifies, runs its
// own share, then spins until every slot reports the generation done (a spin, because the caller may be a page's
// main thread, where waiting traps). Items are dealt round-robin (worker k takes k, k + T, ...), so no counter is
// shared and a slow worker can never take an item of the next job. Only one parallel_for runs at a time (the
// engine is used by one thread); a nested one, or one from a worker, runs serially. Workers may allocate: the
// modules' malloc is locked (wasm_heap_lock.cpp).
namespace {

constexpr int kMaxWorkers = 64;

struct alignas(64) WorkerSlot {
  int32_t generation = 0;  // bumped by the caller for each job it deals this worker
  int32_t finished = 0;    // the last generation this worker completed; written by the worker only
  const std::function<void(size_t)>* fn = nullptr;
  uint32_t first = 0;  // items first, first + stride, ... below count
  uint32_t stride = 1;
  uint32_t count = 0;
};

WorkerSlot slots[kMaxWorkers];
int32_t registered = 0;  // slots taken by workers (0 .. registered - 1), counted before each worker is parked
int32_t busy = 0;        // a parallel_for is running
int32_t failed = 0;      // a worker trapped (cairn_pool_worker_failed): its share of a job will never be done

int32_t load(const int32_t& v) { return __atomic_load_n(&v, __ATOMIC_ACQUIRE); }
void store(int32_t& v, int32_t x) { __atomic_store_n(&v, x, __ATOMIC_RELEASE); }
int32_t next_generation(int32_t g) { return int32_t(uint32_t(g) + 1u); }  // wraps, without signed overflow

// A run cannot complete without the dead worker: stop the calling thread with a trap (a RuntimeError in
// JavaScript, after the worker's own error was reported) rather than spin forever.
void check_workers_alive() {
  if (load(failed) != 0) __builtin_trap();
}

}  // namespace

ThreadPool::ThreadPool(int threads) : size_(std::max(1, std::min(threads, load(registered) + 1))) {}
ThreadPool::~ThreadPool() = default;

void ThreadPool::parallel_for(size_t n, const std::function<void(size_t)>& fn) {
  const uint32_t t = uint32_t(std::min<size_t>(n, size_t(size_)));
  if (t <= 1 || __atomic_exchange_n(&busy, 1, __ATOMIC_ACQ_REL) != 0) {
    for (size_t i = 0; i < n; ++i) fn(i);
    return;
  }
  check_workers_alive();
  for (uint32_t k = 1; k < t; ++k) {
    WorkerSlot& slot = slots[k - 1];
    slot.fn = &fn;
    slot.first = k;
    slot.stride = t;
    slot.count = uint32_t(n);
    store(slot.generation, next_generation(slot.generation));
    __builtin_wasm_memory_atomic_notify(&slot.generation, 1);
  }
  for (size_t i = 0; i < n; i += t) fn(i);
  for (uint32_t k = 1; k < t; ++k) {
    const WorkerSlot& slot = slots[k - 1];
    while (load(slot.finished) != slot.generation) check_workers_alive();
  }
  store(busy, 0);
}

int hardware_threads() { return 1; }
#else
int hardware_threads() { return int(std::max(1u, std::thread::hardware_concurrency())); }

namespace {

// How long a thread polls before it sleeps on a condition variable: a worker, for the next job; the caller, for
// the workers to finish. A network's parallel layers come tens of microseconds apart, and waking a sleeping thread
// costs about as much (more in a virtual machine): polling first took a small ResNet at 2 threads from slower than
// 1 thread to faster. Each poll yields, so a thread sharing its core with busy ones takes little from them.
constexpr auto kPollTime = std::chrono::microseconds(200);

template <typename Ready>
bool poll_until(Ready&& ready) {
  const auto deadline = std::chrono::steady_clock::now() + kPollTime;
  while (!ready()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::yield();
  }
  return true;
}

}  // namespace

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
  if (pending_ != 0) {
    lock.unlock();
    poll_until([this] { return pending_.load(std::memory_order_acquire) == 0; });
    lock.lock();
  }
  done_.wait(lock, [this] { return pending_ == 0; });
  job_ = nullptr;
}

void ThreadPool::worker_loop(size_t /*index*/) {
  uint64_t seen = 0;
  std::unique_lock<std::mutex> lock(mutex_);
  const auto has_work = [&] { return stop_ || (generation_ != seen && job_ != nullptr && next_ < job_size_); };
  while (true) {
    if (!has_work()) {
      const uint64_t current = generation_;
      lock.unlock();
      poll_until([&] { return generation_.load(std::memory_order_acquire) != current; });
      lock.lock();
    }
    wake_.wait(lock, has_work);
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

#if defined(__wasi__)
// A pool worker's life, called by a JavaScript worker on its own instance of the module (over the shared memory,
// with its own stack): registers, then runs the jobs dealt to its slot, forever. Returns -1 at once when all the
// slots are taken. Only for a module over a shared memory: waiting traps on an unshared one.
int32_t cairn_pool_worker(void) {
  using namespace cairn;
  const int32_t index = __atomic_fetch_add(&registered, 1, __ATOMIC_ACQ_REL);
  if (index >= kMaxWorkers) {
    __atomic_fetch_sub(&registered, 1, __ATOMIC_ACQ_REL);
    return -1;
  }
  WorkerSlot& slot = slots[index];
  // Every generation after the last one finished is a job for this worker, including one the caller dealt between
  // the registration above and the first load below: a baseline read from slot.generation would miss that job and
  // leave the caller spinning forever.
  int32_t done = slot.finished;
  while (true) {
    const int32_t generation = load(slot.generation);
    if (generation == done) {
      __builtin_wasm_memory_atomic_wait32(&slot.generation, done, -1);
      continue;
    }
    for (uint32_t i = slot.first; i < slot.count; i += slot.stride) (*slot.fn)(i);
    done = generation;
    store(slot.finished, generation);
  }
}

int32_t cairn_pool_workers(void) { return cairn::load(cairn::registered); }

// Called by a pool worker's JavaScript when cairn_pool_worker() trapped: the calling thread then traps too, in the
// job it is waiting for or in its next one, instead of waiting forever for this worker. Uses no stack (the trap left
// this instance's __stack_pointer where it was).
extern "C" __attribute__((export_name("cairn_pool_worker_failed"))) void cairn_pool_worker_failed(void) {
  cairn::store(cairn::failed, 1);
}
#endif
