// Tensors whose values are known at load time (initializers, Constant nodes, folded shape subgraphs).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "cairn/engine.hpp"
#include "cairn/status.hpp"

namespace cairn {

// ONNX TensorProto.DataType codes.
enum class DataType : int {
  kUndefined = 0,
  kFloat = 1,
  kUint8 = 2,
  kInt8 = 3,
  kUint16 = 4,
  kInt16 = 5,
  kInt32 = 6,
  kInt64 = 7,
  kString = 8,
  kBool = 9,
  kFloat16 = 10,
  kDouble = 11,
  kUint32 = 12,
  kUint64 = 13,
  kComplex64 = 14,
  kComplex128 = 15,
  kBfloat16 = 16,
};

const char* data_type_name(DataType type);
bool is_integer_type(DataType type);  // integers and bool

// A float or double as int64, truncated toward zero, saturated at int64's limits; NaN is 0. A plain cast of NaN or of
// a value out of range is undefined behaviour, and hostile models put such values where integers are expected.
int64_t saturating_int64(double value);

// Product of the dimensions; the caller has checked them with checked_element_count.
int64_t shape_size(const Shape& shape);
// Product of the dimensions, or an error when a dimension is negative or the product exceeds `limit`.
Result<int64_t> checked_element_count(const Shape& shape, int64_t limit);

// A constant tensor. Floating types are held as float32 (float16, bfloat16 and double are converted at load),
// integer and bool types as int64; `type` remembers the declared ONNX type.
struct ConstTensor {
  DataType type = DataType::kFloat;
  Shape shape;
  std::vector<float> floats;   // when !is_integer_type(type)
  std::vector<int64_t> ints;   // when is_integer_type(type)

  bool is_float() const { return !is_integer_type(type); }
  int64_t size() const { return shape_size(shape); }
  // Element i as a double / int64, whatever the storage.
  double as_double(int64_t i) const { return is_float() ? double(floats[size_t(i)]) : double(ints[size_t(i)]); }
  int64_t as_int(int64_t i) const { return is_float() ? saturating_int64(floats[size_t(i)]) : ints[size_t(i)]; }
  // All elements as int64 (for shapes, axes, pads...).
  std::vector<int64_t> to_ints() const;
  std::vector<float> to_floats() const;

  static ConstTensor from_floats(Shape shape, std::vector<float> values);
  static ConstTensor from_ints(Shape shape, std::vector<int64_t> values, DataType type = DataType::kInt64);
};

using ConstTensorPtr = std::shared_ptr<const ConstTensor>;

}  // namespace cairn
