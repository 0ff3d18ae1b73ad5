// NumPy .npy files: the exchange format for tensors between the cairn tools, tests and Python.
// Reads format versions 1.0, 2.0 and 3.0 (C order, little-endian numeric dtypes, converted to float32);
// writes version 1.0 float32 and uint8.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "cairn/engine.hpp"
#include "cairn/status.hpp"

namespace cairn::npy {

struct Array {
  Shape shape;              // empty for a 0-d array
  std::vector<float> data;  // C order, product of `shape` elements
};

// Parses the bytes of a whole .npy file. Accepted dtypes: <f4, <f8, <f2, |u1, |i1, |b1, <i2, <u2, <i4, <u4, <i8,
// <u8 (all converted to float). Refuses Fortran order, big-endian dtypes, malformed headers, data whose length
// differs from what the shape needs, and arrays of more than `max_elements` elements (before allocating).
Result<Array> parse(std::span<const uint8_t> bytes, int64_t max_elements);

// Reads and parses a .npy file; error messages name the file.
Result<Array> read_file(const std::string& path, int64_t max_elements);

// Writes a version 1.0 .npy file (header padded with spaces to a multiple of 64 bytes, ending in '\n').
// `data` must hold exactly the product of `shape` elements.
Status write_float32(const std::string& path, const Shape& shape, std::span<const float> data);
Status write_uint8(const std::string& path, const Shape& shape, std::span<const uint8_t> data);

}  // namespace cairn::npy
