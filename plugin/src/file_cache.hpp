// The bytes of the files the plugin serves, read once and shared by every request that sends them: a hundred
// browsers fetching the 15.5 MB model at once hold one copy, not a hundred (Orthanc sends an answer from the
// plugin's buffer as it is when it does not compress). An entry is valid for the size and modification time it was
// read with; a file that changed is read again. Thread-safe: Orthanc calls the plugin from many threads at once.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>

namespace cairn::plugin {

class FileCache {
 public:
  // Files up to `max_file_bytes` are kept, up to `max_total_bytes` in all; larger ones are read for each request.
  FileCache(uint64_t max_file_bytes, uint64_t max_total_bytes)
      : max_file_bytes_(max_file_bytes), max_total_bytes_(max_total_bytes) {}

  // The `size` bytes of `path` as last modified at `mtime_ns`, or null when the file cannot be read whole.
  std::shared_ptr<const std::string> get(const std::filesystem::path& path, uint64_t size, int64_t mtime_ns);

  uint64_t cached_bytes() const;

 private:
  struct Entry {
    uint64_t size;
    int64_t mtime_ns;
    std::shared_ptr<const std::string> bytes;
  };

  void insert(const std::string& key, Entry entry);

  const uint64_t max_file_bytes_;
  const uint64_t max_total_bytes_;
  mutable std::mutex mutex_;
  std::unordered_map<std::string, Entry> entries_;
  uint64_t total_bytes_ = 0;
};

}  // namespace cairn::plugin
