// Fuzz target: a folder of CT slices, as `cairn segment SERIES_DIR` reads it. The input holds up to three files:
// one byte (the count, 1 to 3), then for each file but the last a 32-bit little-endian length and its bytes; the last
// file takes the rest. They are written to a private temporary folder and read with read_ct_series (grouping by
// series, geometry and consistency checks, sorting along the normal, pixels to HU).
// Invariant: a series or a Status; no crash, undefined behaviour, or allocation larger than the files justify.
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>

#include "cairn/dicom/ct_series.hpp"

namespace {

// Made on first use and removed at exit. Never freed, so that the exit handler can still read it.
const std::string& scratch_directory() {
  static const std::string* const directory = [] {
    std::string pattern = (std::filesystem::temp_directory_path() / "cairn-ct-series-fuzz-XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr) std::abort();
    return new std::string(pattern);
  }();
  static const bool cleanup = std::atexit([] { std::filesystem::remove_all(*directory); }) == 0;
  (void)cleanup;
  return *directory;
}

void write_file(const std::string& path, const uint8_t* data, size_t size) {
  std::FILE* f = std::fopen(path.c_str(), "wb");
  if (f == nullptr) std::abort();
  if (size != 0 && std::fwrite(data, 1, size, f) != size) std::abort();
  std::fclose(f);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  const std::string& directory = scratch_directory();
  const int files = 1 + data[0] % 3;
  size_t at = 1;
  for (int k = 0; k < 3; ++k) std::remove((directory + "/slice" + std::to_string(k) + ".dcm").c_str());
  for (int k = 0; k < files; ++k) {
    size_t length = size - at;
    if (k + 1 < files) {
      if (size - at < 4) return 0;
      const uint32_t declared = uint32_t(data[at]) | uint32_t(data[at + 1]) << 8 | uint32_t(data[at + 2]) << 16 |
                                uint32_t(data[at + 3]) << 24;
      at += 4;
      length = std::min<size_t>(declared, size - at);
    }
    write_file(directory + "/slice" + std::to_string(k) + ".dcm", data + at, length);
    at += length;
  }
  (void)cairn::dicom::read_ct_series(directory);
  return 0;
}
