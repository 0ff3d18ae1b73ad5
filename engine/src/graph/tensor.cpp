#include "graph/tensor.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

namespace cairn {

const char* data_type_name(DataType type) {
  switch (type) {
    case DataType::kUndefined: return "undefined";
    case DataType::kFloat: return "float32";
    case DataType::kUint8: return "uint8";
    case DataType::kInt8: return "int8";
    case DataType::kUint16: return "uint16";
    case DataType::kInt16: return "int16";
    case DataType::kInt32: return "int32";
    case DataType::kInt64: return "int64";
    case DataType::kString: return "string";
    case DataType::kBool: return "bool";
    case DataType::kFloat16: return "float16";
    case DataType::kDouble: return "float64";
    case DataType::kUint32: return "uint32";
    case DataType::kUint64: return "uint64";
    case DataType::kComplex64: return "complex64";
    case DataType::kComplex128: return "complex128";
    case DataType::kBfloat16: return "bfloat16";
  }
  return "unknown";
}

bool is_integer_type(DataType type) {
  switch (type) {
    case DataType::kUint8:
    case DataType::kInt8:
    case DataType::kUint16:
    case DataType::kInt16:
    case DataType::kInt32:
    case DataType::kInt64:
    case DataType::kBool:
    case DataType::kUint32:
    case DataType::kUint64:
      return true;
    default:
      return false;
  }
}

int64_t shape_size(const Shape& shape) {
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  return n;
}

Result<int64_t> checked_element_count(const Shape& shape, int64_t limit) {
  // The non-zero dimensions are bounded too: a tensor with a 0 among huge dimensions has no element, but strides and
  // block sizes computed from its shape would overflow (1 x 2^41 x 2^24 x 0 from a hostile model).
  const bool empty = std::find(shape.begin(), shape.end(), 0) != shape.end();
  int64_t n = 1;
  for (int64_t d : shape) {
    if (d < 0) return invalid_argument("negative dimension in shape " + shape_to_string(shape));
    if (d == 0) continue;
    if (n > limit / d) {
      return resource_limit("tensor of shape " + shape_to_string(shape) +
                            (empty ? " has non-zero dimensions whose product exceeds " : " has more than ") +
                            std::to_string(limit) + " elements");
    }
    n *= d;
  }
  if (empty) n = 0;
  if (n > limit) {
    return resource_limit("tensor of shape " + shape_to_string(shape) + " has more than " + std::to_string(limit) +
                          " elements");
  }
  return n;
}

int64_t saturating_int64(double value) {
  if (std::isnan(value)) return 0;
  // 2^63 is exact in a double; every double below it (and at or above -2^63) converts.
  if (value >= 9223372036854775808.0) return std::numeric_limits<int64_t>::max();
  if (value < -9223372036854775808.0) return std::numeric_limits<int64_t>::min();
  return int64_t(value);
}

std::vector<int64_t> ConstTensor::to_ints() const {
  if (!is_float()) return ints;
  std::vector<int64_t> out(floats.size());
  for (size_t i = 0; i < floats.size(); ++i) out[i] = saturating_int64(floats[i]);
  return out;
}

std::vector<float> ConstTensor::to_floats() const {
  if (is_float()) return floats;
  std::vector<float> out(ints.size());
  for (size_t i = 0; i < ints.size(); ++i) out[i] = float(ints[i]);
  return out;
}

ConstTensor ConstTensor::from_floats(Shape shape, std::vector<float> values) {
  ConstTensor t;
  t.type = DataType::kFloat;
  t.shape = std::move(shape);
  t.floats = std::move(values);
  return t;
}

ConstTensor ConstTensor::from_ints(Shape shape, std::vector<int64_t> values, DataType type) {
  ConstTensor t;
  t.type = type;
  t.shape = std::move(shape);
  t.ints = std::move(values);
  return t;
}

}  // namespace cairn
