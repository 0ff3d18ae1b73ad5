// The plugin's cache of file bytes: one copy per file while it is unchanged, a fresh read when it changed, the size
// limits, and many threads at once.
#include "file_cache.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <unistd.h>
#include <vector>

namespace cairn::plugin {
namespace {

namespace fs = std::filesystem;

class FileCacheTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (fs::temp_directory_path() / "cairn-cache-XXXXXX").string();
    ASSERT_NE(mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
  }
  void TearDown() override { fs::remove_all(dir_); }

  fs::path write(const std::string& name, const std::string& data) {
    fs::path p = dir_ / name;
    std::ofstream(p, std::ios::binary) << data;
    return p;
  }

  fs::path dir_;
};

TEST_F(FileCacheTest, KeepsOneCopyWhileTheFileIsUnchanged) {
  FileCache cache(1000, 10000);
  fs::path p = write("a.bin", "0123456789");
  auto first = cache.get(p, 10, 1);
  auto second = cache.get(p, 10, 1);
  ASSERT_NE(first, nullptr);
  EXPECT_EQ(*first, "0123456789");
  EXPECT_EQ(first, second);
  EXPECT_EQ(cache.cached_bytes(), 10u);
}

TEST_F(FileCacheTest, RereadsAFileWhoseSizeOrTimeChanged) {
  FileCache cache(1000, 10000);
  fs::path p = write("a.bin", "old");
  auto old_bytes = cache.get(p, 3, 1);
  write("a.bin", "newer");
  auto new_bytes = cache.get(p, 5, 2);
  ASSERT_NE(new_bytes, nullptr);
  EXPECT_EQ(*new_bytes, "newer");
  EXPECT_EQ(*old_bytes, "old");
  EXPECT_EQ(cache.cached_bytes(), 5u);
  write("a.bin", "other");  // same size, another modification time
  EXPECT_EQ(*cache.get(p, 5, 3), "other");
}

TEST_F(FileCacheTest, RefusesAFileShorterThanMeasured) {
  FileCache cache(1000, 10000);
  fs::path p = write("a.bin", "abc");
  EXPECT_EQ(cache.get(p, 10, 1), nullptr);
  EXPECT_EQ(cache.get(dir_ / "missing.bin", 3, 1), nullptr);
  EXPECT_EQ(cache.cached_bytes(), 0u);
}

TEST_F(FileCacheTest, ServesButDoesNotKeepWhatIsOverTheLimits) {
  FileCache cache(8, 20);
  fs::path big = write("big.bin", std::string(9, 'b'));
  auto bytes = cache.get(big, 9, 1);
  ASSERT_NE(bytes, nullptr);
  EXPECT_EQ(bytes->size(), 9u);
  EXPECT_EQ(cache.cached_bytes(), 0u);

  // 8 + 8 fit in 20; a third 8 evicts what no request holds, never what one is sending.
  auto held = cache.get(write("a.bin", std::string(8, 'a')), 8, 1);
  cache.get(write("b.bin", std::string(8, 'b')), 8, 1);
  EXPECT_EQ(cache.cached_bytes(), 16u);
  auto c = cache.get(write("c.bin", std::string(8, 'c')), 8, 1);
  EXPECT_EQ(cache.cached_bytes(), 16u);
  EXPECT_EQ(cache.get(dir_ / "a.bin", 8, 1), held);  // still cached: a request held it
  // Everything held: a new file is served without being kept.
  auto d = cache.get(write("d.bin", std::string(8, 'd')), 8, 1);
  ASSERT_NE(d, nullptr);
  EXPECT_EQ(cache.cached_bytes(), 16u);
}

TEST_F(FileCacheTest, ManyThreadsAtOnce) {
  FileCache cache(1 << 20, 1 << 20);
  std::vector<fs::path> files;
  for (int i = 0; i < 4; ++i) files.push_back(write("f" + std::to_string(i), std::string(1000 + i, char('a' + i))));
  std::vector<std::thread> threads;
  std::vector<int> bad(8, 0);
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      for (int n = 0; n < 500; ++n) {
        int i = (t + n) % 4;
        auto bytes = cache.get(files[i], 1000 + i, 1);
        if (bytes == nullptr || *bytes != std::string(1000 + i, char('a' + i))) ++bad[t];
      }
    });
  }
  for (std::thread& th : threads) th.join();
  for (int t = 0; t < 8; ++t) EXPECT_EQ(bad[t], 0) << t;
  EXPECT_EQ(cache.cached_bytes(), 1000u + 1001u + 1002u + 1003u);
}

}  // namespace
}  // namespace cairn::plugin
