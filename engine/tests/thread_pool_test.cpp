// The native thread pool (runtime/thread_pool.cpp), whose jobs are published and claimed without a lock: every item
// of every job runs exactly once, on jobs of every size one after another (where a thread still holding the last
// job's state could claim an item of the next one if the protocol let it), with workers taking part, after they
// have gone to sleep, with nested calls (which run serially), and with pools of 2 to 5 threads. The window for a
// stale claim is a few instructions wide and a native run of this loop rarely hits it: the same loop built with
// g++ -fsanitize=thread against runtime/thread_pool.cpp reported the race (and then hung) on the first version
// without the kWriting mark, and reports nothing on this one.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <random>
#include <thread>
#include <vector>

#include "runtime/thread_pool.hpp"

namespace cairn {
namespace {

TEST(ThreadPool, EveryItemOnceAcrossJobsOfEverySize) {
  std::mt19937 rng(5);
  for (int threads : {2, 3, 5}) {
    ThreadPool pool(threads);
    ASSERT_EQ(pool.size(), threads);
    const auto caller = std::this_thread::get_id();
    std::atomic<long> by_workers{0};
    std::vector<std::atomic<int>> hits(64);
    for (int job = 0; job < 20000; ++job) {
      const size_t n = 1 + rng() % 40;
      for (size_t i = 0; i < n; ++i) hits[i].store(0);
      pool.parallel_for(n, [&](size_t i) {
        hits[i].fetch_add(1);
        if (std::this_thread::get_id() != caller) by_workers.fetch_add(1);
        volatile double x = 0;
        for (int k = 0; k < 100; ++k) x = x + k;  // long enough for the workers to claim some items
        if (i % 7 == 3) pool.parallel_for(3, [&](size_t) {});  // nested: serial
      });
      for (size_t i = 0; i < n; ++i) ASSERT_EQ(hits[i].load(), 1) << "job " << job << " item " << i << " of " << n;
      // Now and then the workers poll past their limit and sleep; the next job must wake them.
      if (job % 5000 == 4999) std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
    EXPECT_GT(by_workers.load(), 0) << threads << " threads: the workers never took an item";
  }
}

TEST(ThreadPool, SerialWithoutWorkersAndForEmptyJobs) {
  ThreadPool single(1);
  EXPECT_EQ(single.size(), 1);
  std::vector<size_t> order;
  single.parallel_for(4, [&](size_t i) { order.push_back(i); });
  EXPECT_EQ(order, (std::vector<size_t>{0, 1, 2, 3}));
  ThreadPool pool(2);
  pool.parallel_for(0, [&](size_t) { ADD_FAILURE() << "an empty job ran an item"; });
}

}  // namespace
}  // namespace cairn
