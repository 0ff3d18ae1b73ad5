// Fuzz target: NumPy .npy files (the CLI's `cairn run` inputs). Invariant: a value of exactly the product of its
// shape's elements, or a Status; arrays above the element limit are refused before anything is allocated.
#include <cstdint>
#include <cstdlib>
#include <span>

#include "io/npy.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  constexpr int64_t kMaxElements = int64_t{1} << 20;
  auto array = cairn::npy::parse(std::span<const uint8_t>(data, size), kMaxElements);
  if (!array.is_ok()) return 0;
  int64_t count = 1;
  for (int64_t d : array->shape) count *= d;
  if (count > kMaxElements || array->data.size() != size_t(count)) std::abort();
  return 0;
}
