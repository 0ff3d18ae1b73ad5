#include "file_cache.hpp"

#include <fstream>
#include <utility>

namespace cairn::plugin {
namespace {

std::shared_ptr<const std::string> read_whole(const std::filesystem::path& path, uint64_t size) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return nullptr;
  auto bytes = std::make_shared<std::string>();
  bytes->resize(size);
  in.read(bytes->data(), static_cast<std::streamsize>(size));
  // A file that shrank since it was measured is refused; one that grew is served as it was measured (its ETag).
  if (static_cast<uint64_t>(in.gcount()) != size) return nullptr;
  return bytes;
}

}  // namespace

std::shared_ptr<const std::string> FileCache::get(const std::filesystem::path& path, uint64_t size,
                                                  int64_t mtime_ns) {
  const std::string key = path.string();
  {
    std::lock_guard<std::mutex> lock(mutex_);
    auto it = entries_.find(key);
    if (it != entries_.end() && it->second.size == size && it->second.mtime_ns == mtime_ns) return it->second.bytes;
  }
  // Read without the lock: other files keep being served meanwhile (two first requests may both read; one wins).
  std::shared_ptr<const std::string> bytes = read_whole(path, size);
  if (bytes != nullptr && size <= max_file_bytes_) insert(key, Entry{size, mtime_ns, bytes});
  return bytes;
}

void FileCache::insert(const std::string& key, Entry entry) {
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = entries_.find(key);
  if (it != entries_.end()) {
    total_bytes_ -= it->second.size;
    entries_.erase(it);
  }
  // Over the budget: drop the entries no request is sending (the cache holds their only reference).
  for (auto e = entries_.begin(); e != entries_.end() && total_bytes_ + entry.size > max_total_bytes_;) {
    if (e->second.bytes.use_count() == 1) {
      total_bytes_ -= e->second.size;
      e = entries_.erase(e);
    } else {
      ++e;
    }
  }
  if (total_bytes_ + entry.size > max_total_bytes_) return;
  total_bytes_ += entry.size;
  entries_.emplace(key, std::move(entry));
}

uint64_t FileCache::cached_bytes() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return total_bytes_;
}

}  // namespace cairn::plugin
