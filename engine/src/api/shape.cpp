#include <charconv>
#include <string>

#include "cairn/engine.hpp"

namespace cairn {

std::string shape_to_string(const Shape& shape) {
  if (shape.empty()) return "scalar";
  std::string out;
  for (size_t i = 0; i < shape.size(); ++i) {
    if (i) out += 'x';
    out += std::to_string(shape[i]);
  }
  return out;
}

Result<Shape> parse_shape(const std::string& text) {
  Shape shape;
  const char* p = text.data();
  const char* end = p + text.size();
  if (p == end) return invalid_argument("empty shape; expected something like 1x1x512x512");
  while (p < end) {
    int64_t d = 0;
    auto [next, ec] = std::from_chars(p, end, d);
    if (ec != std::errc() || d <= 0) {
      return invalid_argument("bad shape '" + text + "'; expected positive integers separated by 'x', like 1x1x512x512");
    }
    shape.push_back(d);
    p = next;
    if (p < end) {
      if (*p != 'x' && *p != 'X' && *p != ',') {
        return invalid_argument("bad shape '" + text + "'; expected positive integers separated by 'x', like 1x1x512x512");
      }
      ++p;
      if (p == end) return invalid_argument("bad shape '" + text + "': ends with a separator");
    }
  }
  return shape;
}

std::string TensorInfo::declared_shape() const {
  if (!has_shape) return "?";
  if (dims.empty()) return "scalar";
  // "1x1x512x512"; with symbolic dimensions "batch x 1 x height x width", which reads better than "batchx1x...".
  bool symbolic = false;
  for (int64_t d : dims) symbolic = symbolic || d < 0;
  const char* separator = symbolic ? " x " : "x";
  std::string out;
  for (size_t i = 0; i < dims.size(); ++i) {
    if (i) out += separator;
    if (dims[i] >= 0) {
      out += std::to_string(dims[i]);
    } else {
      out += i < dim_names.size() && !dim_names[i].empty() ? dim_names[i] : "?";
    }
  }
  return out;
}

}  // namespace cairn
