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

// How long a worker polls for the next job before it sleeps on a condition variable. A network's parallel layers
// come tens of microseconds apart, and waking a sleeping thread costs about as much (more in a virtual machine).
// Each poll yields, so a thread sharing its core with busy ones takes little from them.
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

// state_ holds generation << 32 | the next item to claim; kWriting as the item means the caller is writing the
// next job's description.
constexpr uint64_t kIndexMask = 0xFFFFFFFFu;
constexpr uint64_t kWriting = kIndexMask;
uint32_t generation_of(uint64_t state) { return uint32_t(state >> 32); }

}  // namespace

ThreadPool::ThreadPool(int threads) {
  for (int i = 1; i < threads; ++i) workers_.emplace_back([this] { worker_loop(); });
}

ThreadPool::~ThreadPool() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stop_.store(true, std::memory_order_seq_cst);
  }
  wake_.notify_all();
  for (auto& t : workers_) t.join();
}

// Claims the items of the job published in state_ one at a time (compare-and-swap of generation and next item)
// and runs them; returns when no item of that job is left to claim. The job's size and function are read after
// the state they belong to (acquire) and before the exchange that claims an item: if the caller has moved on to
// another job since, the state has changed (it marks kWriting before it rewrites them) and the exchange fails.
void ThreadPool::run_items() {
  uint64_t s = state_.load(std::memory_order_acquire);
  while (true) {
    const uint64_t index = s & kIndexMask;
    if (index == kWriting) {  // the next job is being written: a few stores away
      std::this_thread::yield();
      s = state_.load(std::memory_order_acquire);
      continue;
    }
    const size_t n = job_size_.load(std::memory_order_acquire);
    const std::function<void(size_t)>* fn = job_.load(std::memory_order_acquire);
    if (index >= n) return;
    if (!state_.compare_exchange_weak(s, s + 1, std::memory_order_acq_rel, std::memory_order_acquire)) continue;
    (*fn)(size_t(index));
    pending_.fetch_sub(1, std::memory_order_release);
    s = state_.load(std::memory_order_acquire);
  }
}

void ThreadPool::parallel_for(size_t n, const std::function<void(size_t)>& fn) {
  if (n == 0) return;
  // One job at a time: a nested call (from inside fn) or a concurrent one runs on its own thread.
  if (workers_.empty() || n == 1 || n >= kWriting || busy_.exchange(true, std::memory_order_acquire)) {
    for (size_t i = 0; i < n; ++i) fn(i);
    return;
  }
  // Every item of the last job was claimed (its state is generation << 32 | its size). Mark the new generation
  // as being written, so that no thread still holding the old state can claim an item with the new size; then
  // the job (release: whoever reads it also sees the mark); then publish it with item 0.
  const uint64_t generation = uint64_t(generation_of(state_.load(std::memory_order_relaxed)) + 1u);
  state_.store(generation << 32 | kWriting, std::memory_order_seq_cst);
  pending_.store(n, std::memory_order_relaxed);
  job_.store(&fn, std::memory_order_release);
  job_size_.store(n, std::memory_order_release);
  state_.store(generation << 32, std::memory_order_seq_cst);
  // A worker that went to sleep counted itself before checking the state (seq_cst on both sides): either it sees
  // the new generation, or this sees it sleeping and wakes it.
  if (sleepers_.load(std::memory_order_seq_cst) != 0) {
    { std::lock_guard<std::mutex> lock(mutex_); }
    wake_.notify_all();
  }
  // The caller takes items too, and every item no worker has claimed yet.
  run_items();
  // Only items that workers are running are left: their threads are awake, so yield to them until they finish.
  while (pending_.load(std::memory_order_acquire) != 0) std::this_thread::yield();
  busy_.store(false, std::memory_order_release);
}

void ThreadPool::worker_loop() {
  uint32_t seen = generation_of(state_.load(std::memory_order_acquire));  // jobs before this are not ours
  while (true) {
    const auto fresh = [&] {
      return generation_of(state_.load(std::memory_order_seq_cst)) != seen || stop_.load(std::memory_order_seq_cst);
    };
    if (!poll_until(fresh)) {
      std::unique_lock<std::mutex> lock(mutex_);
      sleepers_.fetch_add(1, std::memory_order_seq_cst);
      wake_.wait(lock, fresh);
      sleepers_.fetch_sub(1, std::memory_order_relaxed);
    }
    if (stop_.load(std::memory_order_acquire)) return;
    seen = generation_of(state_.load(std::memory_order_acquire));
    run_items();
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
