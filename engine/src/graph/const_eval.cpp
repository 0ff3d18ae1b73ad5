#include "graph/const_eval.hpp"

#include <algorithm>
#include <cmath>
#include <functional>
#include <limits>
#include <set>

#include "ops/broadcast.hpp"

namespace cairn {

namespace {

using Tensors = std::vector<ConstTensor>;
using MaybeTensors = std::optional<Tensors>;

// Inputs an operator cannot be folded without (the model is invalid when one is missing). Optional inputs are not
// counted: Slice's axes and steps, ConstantOfShape's shape.
size_t required_inputs(const std::string& op, int64_t opset) {
  if (op == "ConstantOfShape") return 0;
  if (op == "Reshape" || op == "Gather" || op == "Expand") return 2;
  if (op == "Slice") return opset < 10 ? 1 : 3;
  if (op == "Range" || op == "Where") return 3;
  static const std::set<std::string> binary = {"Add", "Sub", "Mul", "Div", "Min", "Max", "Equal", "Less", "Greater",
                                               "Mod", "Pow", "And", "Or"};
  return binary.count(op) ? 2 : 1;
}

// Integer arithmetic of folded constants wraps around (two's complement) as ONNX Runtime's does, instead of the
// undefined behaviour of signed overflow in C++.
int64_t wrapping_add(int64_t a, int64_t b) { return int64_t(uint64_t(a) + uint64_t(b)); }
int64_t wrapping_sub(int64_t a, int64_t b) { return int64_t(uint64_t(a) - uint64_t(b)); }
int64_t wrapping_mul(int64_t a, int64_t b) { return int64_t(uint64_t(a) * uint64_t(b)); }

std::vector<int64_t> strides_of(const Shape& shape) {
  std::vector<int64_t> s(shape.size(), 1);
  for (size_t i = shape.size(); i-- > 1;) s[i - 1] = s[i] * shape[i];
  return s;
}

// Builds a tensor of `shape` whose element k is source element index(k) (same storage kind as source).
ConstTensor gather_elements(const ConstTensor& source, const Shape& shape, int64_t count,
                            const std::function<int64_t(int64_t)>& index) {
  ConstTensor out;
  out.type = source.type;
  out.shape = shape;
  if (source.is_float()) {
    out.floats.resize(size_t(count));
    for (int64_t k = 0; k < count; ++k) out.floats[size_t(k)] = source.floats[size_t(index(k))];
  } else {
    out.ints.resize(size_t(count));
    for (int64_t k = 0; k < count; ++k) out.ints[size_t(k)] = source.ints[size_t(index(k))];
  }
  return out;
}

Result<int64_t> normalize_axis(int64_t axis, int64_t rank, const Node& node) {
  if (axis < -rank || axis >= rank) {
    return invalid_model(node.describe() + ": axis " + std::to_string(axis) + " is out of range for rank " +
                         std::to_string(rank));
  }
  return axis < 0 ? axis + rank : axis;
}

Result<Shape> broadcast(const Shape& a, const Shape& b, const Node& node) {
  auto shape = broadcast_shapes(a, b);
  if (!shape.is_ok()) return shape.status().with_context(node.describe());
  return shape;
}

// Maps an output index to the index in an input of `in_shape` broadcast to `out_shape`.
std::function<int64_t(int64_t)> broadcast_index(const Shape& in_shape, const Shape& out_shape) {
  std::vector<int64_t> in_strides = strides_of(in_shape);
  std::vector<int64_t> out_strides = strides_of(out_shape);
  size_t offset = out_shape.size() - in_shape.size();
  std::vector<int64_t> eff(out_shape.size(), 0);
  for (size_t i = 0; i < in_shape.size(); ++i) eff[i + offset] = in_shape[i] == 1 ? 0 : in_strides[i];
  return [eff, out_strides](int64_t k) {
    int64_t idx = 0;
    for (size_t d = 0; d < out_strides.size(); ++d) {
      idx += (k / out_strides[d]) * eff[d];
      k %= out_strides[d];
    }
    return idx;
  };
}

Result<std::vector<int64_t>> axes_from(const Node& node, int64_t opset, int64_t from_opset,
                                       std::span<const ConstTensor* const> values, size_t input, bool& given) {
  given = false;
  if (opset < from_opset) {
    if (node.has_attr("axes")) given = true;
    return node.attr_ints("axes");
  }
  if (input < values.size() && values[input] != nullptr) {
    given = true;
    return values[input]->to_ints();
  }
  return std::vector<int64_t>{};
}

Result<MaybeTensors> eval(const Node& node, int64_t opset, std::span<const ConstTensor* const> v,
                          std::span<const Shape* const> shapes, int64_t max_elements) {
  const std::string& op = node.op_type;
  auto value = [&](size_t i) -> const ConstTensor* { return i < v.size() ? v[i] : nullptr; };
  auto count_of = [&](const Shape& s) { return checked_element_count(s, max_elements); };

  if (op == "Shape") {
    if (shapes.empty() || shapes[0] == nullptr) return MaybeTensors{};
    auto rank = int64_t(shapes[0]->size());
    int64_t start = node.attr_int("start", 0), end = node.attr_int("end", rank);
    if (start < 0) start += rank;
    if (end < 0) end += rank;
    start = std::clamp<int64_t>(start, 0, rank);
    end = std::clamp<int64_t>(end, start, rank);
    std::vector<int64_t> dims(shapes[0]->begin() + start, shapes[0]->begin() + end);
    return MaybeTensors{Tensors{ConstTensor::from_ints({int64_t(dims.size())}, dims)}};
  }
  if (op == "Size") {
    if (shapes.empty() || shapes[0] == nullptr) return MaybeTensors{};
    return MaybeTensors{Tensors{ConstTensor::from_ints({}, {shape_size(*shapes[0])})}};
  }
  // Everything below needs every present input's value, and the inputs the operator requires (a hostile model may
  // leave them out: they are read below without further checks).
  const size_t required = required_inputs(op, opset);
  for (size_t i = 0; i < required; ++i) {
    if (i >= node.inputs.size() || node.inputs[i] < 0) {
      return invalid_model(node.describe() + " needs " + std::to_string(required) +
                           (required == 1 ? " input" : " inputs") + "; input " + std::to_string(i) + " is missing");
    }
  }
  for (size_t i = 0; i < node.inputs.size(); ++i) {
    if (node.inputs[i] >= 0 && value(i) == nullptr) return MaybeTensors{};
  }
  const ConstTensor* x = value(0);

  if (op == "Identity" || op == "Dropout") {
    if (node.outputs.size() > 1 && node.outputs[1] >= 0) return MaybeTensors{};
    return MaybeTensors{Tensors{*x}};
  }
  if (op == "Cast") {
    auto to = DataType(node.attr_int("to", 1));
    if (to == DataType::kString) return unsupported(node.describe() + ": cast to string");
    ConstTensor out;
    out.type = to;
    out.shape = x->shape;
    if (is_integer_type(to)) {
      out.ints.resize(size_t(x->size()));
      for (int64_t i = 0; i < x->size(); ++i) {
        double d = x->as_double(i);
        out.ints[size_t(i)] =
            to == DataType::kBool ? int64_t(d != 0) : (x->is_float() ? saturating_int64(d) : x->ints[size_t(i)]);
      }
    } else {
      out.floats = x->to_floats();
    }
    return MaybeTensors{Tensors{std::move(out)}};
  }
  if (op == "Reshape") {
    const ConstTensor* s = value(1);
    if (s == nullptr) return MaybeTensors{};
    std::vector<int64_t> dims = s->to_ints();
    bool allowzero = node.attr_int("allowzero", 0) != 0;
    int64_t known = 1;
    int infer = -1;
    for (size_t i = 0; i < dims.size(); ++i) {
      if (dims[i] == 0 && !allowzero) {
        if (i >= x->shape.size()) return invalid_model(node.describe() + ": 0 in shape beyond the input's rank");
        dims[i] = x->shape[i];
      }
      if (dims[i] == -1) {
        if (infer >= 0) return invalid_model(node.describe() + ": more than one -1 in shape");
        infer = int(i);
      } else if (dims[i] < 0) {
        return invalid_model(node.describe() + ": negative dimension in shape");
      } else if (dims[i] != 0 && known > max_elements / dims[i]) {  // before it overflows (the data may be empty)
        return resource_limit(node.describe() + ": shape " + shape_to_string(dims) + " has more than " +
                              std::to_string(max_elements) + " elements");
      } else {
        known *= dims[i];
      }
    }
    if (infer >= 0) {
      if (known == 0 || x->size() % known != 0) {
        return invalid_model(node.describe() + ": cannot reshape " + shape_to_string(x->shape) + " to " +
                             shape_to_string(s->to_ints()));
      }
      dims[size_t(infer)] = x->size() / known;
    }
    CAIRN_ASSIGN_OR_RETURN(int64_t reshaped, count_of(dims));
    if (reshaped != x->size()) {
      return invalid_model(node.describe() + ": cannot reshape " + shape_to_string(x->shape) + " (" +
                           std::to_string(x->size()) + " elements) to " + shape_to_string(dims));
    }
    ConstTensor out = *x;
    out.shape = dims;
    return MaybeTensors{Tensors{std::move(out)}};
  }
  if (op == "Flatten") {
    auto rank = int64_t(x->shape.size());
    int64_t axis = node.attr_int("axis", 1);
    if (axis < 0) axis += rank;
    if (axis < 0 || axis > rank) return invalid_model(node.describe() + ": axis out of range");
    int64_t outer = 1;
    for (int64_t i = 0; i < axis; ++i) outer *= x->shape[size_t(i)];
    ConstTensor out = *x;
    out.shape = {outer, outer == 0 ? 0 : x->size() / outer};
    return MaybeTensors{Tensors{std::move(out)}};
  }
  if (op == "Unsqueeze" || op == "Squeeze") {
    bool given = false;
    CAIRN_ASSIGN_OR_RETURN(std::vector<int64_t> axes, axes_from(node, opset, 13, v, 1, given));
    Shape dims = x->shape;
    if (op == "Unsqueeze") {
      auto rank = int64_t(dims.size() + axes.size());
      std::set<int64_t> norm;
      for (int64_t a : axes) {
        CAIRN_ASSIGN_OR_RETURN(int64_t n, normalize_axis(a, rank, node));
        if (!norm.insert(n).second) return invalid_model(node.describe() + ": repeated axis");
      }
      Shape out_shape;
      size_t k = 0;
      for (int64_t i = 0; i < rank; ++i) out_shape.push_back(norm.count(i) ? 1 : dims[k++]);
      dims = out_shape;
    } else {
      auto rank = int64_t(dims.size());
      std::set<int64_t> norm;
      for (int64_t a : axes) {
        CAIRN_ASSIGN_OR_RETURN(int64_t n, normalize_axis(a, rank, node));
        if (dims[size_t(n)] != 1) return invalid_model(node.describe() + ": cannot squeeze a dimension that is not 1");
        norm.insert(n);
      }
      Shape out_shape;
      for (int64_t i = 0; i < rank; ++i) {
        bool drop = given ? norm.count(i) != 0 : dims[size_t(i)] == 1;
        if (!drop) out_shape.push_back(dims[size_t(i)]);
      }
      dims = out_shape;
    }
    ConstTensor out = *x;
    out.shape = dims;
    return MaybeTensors{Tensors{std::move(out)}};
  }
  if (op == "Concat") {
    auto rank = int64_t(x->shape.size());
    CAIRN_ASSIGN_OR_RETURN(int64_t axis, normalize_axis(node.attr_int("axis", 0), rank, node));
    bool any_float = false;
    Shape out_shape = x->shape;
    out_shape[size_t(axis)] = 0;
    std::vector<const ConstTensor*> parts;
    for (size_t i = 0; i < node.inputs.size(); ++i) {
      const ConstTensor* t = value(i);
      if (t == nullptr) continue;
      if (t->shape.size() != x->shape.size()) return invalid_model(node.describe() + ": inputs of different ranks");
      for (size_t d = 0; d < t->shape.size(); ++d) {
        if (int64_t(d) != axis && t->shape[d] != x->shape[d]) {
          return invalid_model(node.describe() + ": cannot concatenate " + shape_to_string(x->shape) + " and " +
                               shape_to_string(t->shape) + " on axis " + std::to_string(axis));
        }
      }
      out_shape[size_t(axis)] += t->shape[size_t(axis)];
      any_float |= t->is_float();
      parts.push_back(t);
    }
    CAIRN_ASSIGN_OR_RETURN(int64_t count, count_of(out_shape));
    (void)count;
    ConstTensor out;
    out.type = any_float ? DataType::kFloat : x->type;
    out.shape = out_shape;
    int64_t outer = 1;
    for (int64_t d = 0; d < axis; ++d) outer *= out_shape[size_t(d)];
    for (int64_t o = 0; o < outer; ++o) {
      for (const ConstTensor* t : parts) {
        int64_t block = t->size() / std::max<int64_t>(outer, 1);
        for (int64_t k = 0; k < block; ++k) {
          int64_t src = o * block + k;
          if (any_float) out.floats.push_back(float(t->as_double(src)));
          else out.ints.push_back(t->ints[size_t(src)]);
        }
      }
    }
    return MaybeTensors{Tensors{std::move(out)}};
  }
  if (op == "Gather") {
    const ConstTensor* indices = value(1);
    auto rank = int64_t(x->shape.size());
    if (rank == 0) return invalid_model(node.describe() + ": cannot gather from a scalar");
    CAIRN_ASSIGN_OR_RETURN(int64_t axis, normalize_axis(node.attr_int("axis", 0), rank, node));
    std::vector<int64_t> idx = indices->to_ints();
    int64_t dim = x->shape[size_t(axis)];
    for (int64_t& i : idx) {
      if (i < -dim || i >= dim) return invalid_model(node.describe() + ": index " + std::to_string(i) + " out of range");
      if (i < 0) i += dim;
    }
    Shape out_shape(x->shape.begin(), x->shape.begin() + axis);
    out_shape.insert(out_shape.end(), indices->shape.begin(), indices->shape.end());
    out_shape.insert(out_shape.end(), x->shape.begin() + axis + 1, x->shape.end());
    CAIRN_ASSIGN_OR_RETURN(int64_t count, count_of(out_shape));
    int64_t inner = 1;
    for (size_t d = size_t(axis) + 1; d < x->shape.size(); ++d) inner *= x->shape[d];
    auto n_idx = int64_t(idx.size());
    return MaybeTensors{Tensors{gather_elements(*x, out_shape, count, [&](int64_t k) {
      int64_t in = k % inner;
      int64_t j = (k / inner) % n_idx;
      int64_t o = k / inner / n_idx;
      return (o * dim + idx[size_t(j)]) * inner + in;
    })}};
  }
  if (op == "Slice") {
    std::vector<int64_t> starts, ends, axes, steps;
    if (opset < 10) {
      starts = node.attr_ints("starts");
      ends = node.attr_ints("ends");
      axes = node.attr_ints("axes");
    } else {
      starts = value(1)->to_ints();
      ends = value(2)->to_ints();
      if (value(3) != nullptr) axes = value(3)->to_ints();
      if (value(4) != nullptr) steps = value(4)->to_ints();
    }
    auto rank = int64_t(x->shape.size());
    if (axes.empty()) {
      for (size_t i = 0; i < starts.size(); ++i) axes.push_back(int64_t(i));
    }
    if (steps.empty()) steps.assign(starts.size(), 1);
    if (ends.size() != starts.size() || axes.size() != starts.size() || steps.size() != starts.size()) {
      return invalid_model(node.describe() + ": starts, ends, axes and steps differ in length");
    }
    std::vector<int64_t> begin(size_t(rank), 0), step(size_t(rank), 1);
    Shape out_shape = x->shape;
    for (size_t i = 0; i < starts.size(); ++i) {
      CAIRN_ASSIGN_OR_RETURN(int64_t a, normalize_axis(axes[i], rank, node));
      int64_t dim = x->shape[size_t(a)];
      int64_t s = steps[i];
      if (s == 0) return invalid_model(node.describe() + ": step 0");
      int64_t b = starts[i], e = ends[i];
      if (b < 0) b += dim;
      if (e < 0) e += dim;
      if (s > 0) {
        b = std::clamp<int64_t>(b, 0, dim);
        e = std::clamp<int64_t>(e, 0, dim);
      } else {
        b = std::clamp<int64_t>(b, 0, dim - 1);
        e = std::clamp<int64_t>(e, -1, dim - 1);
      }
      // Counted without overflow for any step (a hostile model may give +-2^63): b and e are within [-1, dim].
      const int64_t n = s > 0 ? (e > b ? (e - b - 1) / s + 1 : 0)
                              : (b > e ? (b - e - 1) / -std::max(s, -std::numeric_limits<int64_t>::max()) + 1 : 0);
      out_shape[size_t(a)] = std::max<int64_t>(n, 0);
      begin[size_t(a)] = b;
      step[size_t(a)] = s;
    }
    CAIRN_ASSIGN_OR_RETURN(int64_t count, count_of(out_shape));
    std::vector<int64_t> in_strides = strides_of(x->shape), out_strides = strides_of(out_shape);
    return MaybeTensors{Tensors{gather_elements(*x, out_shape, count, [&](int64_t k) {
      int64_t idx = 0;
      for (size_t d = 0; d < out_shape.size(); ++d) {
        int64_t c = (k / out_strides[d]) % out_shape[d];
        idx += (begin[d] + c * step[d]) * in_strides[d];
      }
      return idx;
    })}};
  }
  if (op == "Transpose") {
    auto rank = int64_t(x->shape.size());
    std::vector<int64_t> perm = node.attr_ints("perm");
    if (perm.empty()) {
      for (int64_t i = rank; i-- > 0;) perm.push_back(i);
    }
    if (int64_t(perm.size()) != rank) return invalid_model(node.describe() + ": perm has the wrong length");
    Shape out_shape(static_cast<size_t>(rank), 0);
    for (int64_t i = 0; i < rank; ++i) {
      if (perm[size_t(i)] < 0 || perm[size_t(i)] >= rank) return invalid_model(node.describe() + ": bad perm");
      out_shape[size_t(i)] = x->shape[size_t(perm[size_t(i)])];
    }
    std::vector<int64_t> in_strides = strides_of(x->shape), out_strides = strides_of(out_shape);
    return MaybeTensors{Tensors{gather_elements(*x, out_shape, x->size(), [&](int64_t k) {
      int64_t idx = 0;
      for (size_t d = 0; d < out_shape.size(); ++d) idx += ((k / out_strides[d]) % out_shape[d]) * in_strides[size_t(perm[d])];
      return idx;
    })}};
  }
  if (op == "Expand") {
    CAIRN_ASSIGN_OR_RETURN(Shape out_shape, broadcast(x->shape, value(1)->to_ints(), node));
    CAIRN_ASSIGN_OR_RETURN(int64_t count, count_of(out_shape));
    return MaybeTensors{Tensors{gather_elements(*x, out_shape, count, broadcast_index(x->shape, out_shape))}};
  }
  if (op == "ConstantOfShape") {
    Shape out_shape = x != nullptr ? x->to_ints() : Shape{};
    CAIRN_ASSIGN_OR_RETURN(int64_t count, count_of(out_shape));
    ConstTensor fill = ConstTensor::from_floats({1}, {0.0f});
    if (const Attribute* a = node.find_attr("value"); a != nullptr && a->tensor && a->tensor->size() == 1) fill = *a->tensor;
    return MaybeTensors{Tensors{gather_elements(fill, out_shape, count, [](int64_t) { return int64_t{0}; })}};
  }
  if (op == "Range") {
    const ConstTensor *start = value(0), *limit = value(1), *delta = value(2);
    if (start->size() != 1 || limit->size() != 1 || delta->size() != 1) {
      return invalid_model(node.describe() + ": start, limit and delta must be scalars");
    }
    double s = start->as_double(0), l = limit->as_double(0), d = delta->as_double(0);
    if (d == 0) return invalid_model(node.describe() + ": delta is 0");
    const int64_t n = saturating_int64(std::max(0.0, std::ceil((l - s) / d)));  // NaN (inf - inf) is 0
    CAIRN_ASSIGN_OR_RETURN(int64_t count, count_of({n}));
    ConstTensor out;
    out.type = start->type;
    out.shape = {count};
    for (int64_t i = 0; i < count; ++i) {
      if (start->is_float()) out.floats.push_back(float(s + double(i) * d));
      else out.ints.push_back(wrapping_add(start->ints[0], wrapping_mul(i, delta->ints[0])));
    }
    return MaybeTensors{Tensors{std::move(out)}};
  }
  static const std::set<std::string> unary = {"Neg", "Abs", "Floor", "Ceil", "Sqrt", "Not", "Reciprocal"};
  if (unary.count(op)) {
    ConstTensor out = *x;
    for (int64_t i = 0; i < x->size(); ++i) {
      double a = x->as_double(i), r = a;
      if (op == "Neg") r = -a;
      else if (op == "Abs") r = std::fabs(a);
      else if (op == "Floor") r = std::floor(a);
      else if (op == "Ceil") r = std::ceil(a);
      else if (op == "Sqrt") r = std::sqrt(a);
      else if (op == "Not") r = a == 0;
      else if (op == "Reciprocal") r = 1.0 / a;
      if (out.is_float()) out.floats[size_t(i)] = float(r);
      else out.ints[size_t(i)] = saturating_int64(r);
    }
    return MaybeTensors{Tensors{std::move(out)}};
  }
  static const std::set<std::string> binary = {"Add", "Sub", "Mul", "Div", "Min", "Max", "Equal", "Less", "Greater",
                                               "Mod", "Pow", "And", "Or"};
  if (binary.count(op) || op == "Where") {
    bool where = op == "Where";
    const ConstTensor* a = where ? value(1) : value(0);
    const ConstTensor* b = where ? value(2) : value(1);
    if (a == nullptr || b == nullptr) return MaybeTensors{};
    CAIRN_ASSIGN_OR_RETURN(Shape out_shape, broadcast(a->shape, b->shape, node));
    if (where) {
      CAIRN_ASSIGN_OR_RETURN(Shape s2, broadcast(out_shape, x->shape, node));
      out_shape = s2;
    }
    CAIRN_ASSIGN_OR_RETURN(int64_t count, count_of(out_shape));
    auto ia = broadcast_index(a->shape, out_shape), ib = broadcast_index(b->shape, out_shape);
    auto ic = broadcast_index(x->shape, out_shape);
    bool comparison = op == "Equal" || op == "Less" || op == "Greater" || op == "And" || op == "Or";
    bool ints = !a->is_float() && !b->is_float();
    ConstTensor out;
    out.type = comparison ? DataType::kBool : (ints ? a->type : DataType::kFloat);
    out.shape = out_shape;
    for (int64_t k = 0; k < count; ++k) {
      int64_t ka = ia(k), kb = ib(k);
      if (ints) {
        int64_t p = a->ints[size_t(ka)], q = b->ints[size_t(kb)], r = 0;
        if (where) r = x->as_int(ic(k)) != 0 ? p : q;
        else if (op == "Add") r = wrapping_add(p, q);
        else if (op == "Sub") r = wrapping_sub(p, q);
        else if (op == "Mul") r = wrapping_mul(p, q);
        else if (op == "Div" || op == "Mod") {
          if (q == 0) return invalid_model(node.describe() + ": integer division by zero");
          if (q == -1) r = op == "Div" ? wrapping_sub(0, p) : 0;  // INT64_MIN / -1 overflows
          else r = op == "Div" ? p / q : p % q;
          if (op == "Mod" && node.attr_int("fmod", 0) == 0 && r != 0 && ((r < 0) != (q < 0))) r += q;
        } else if (op == "Min") r = std::min(p, q);
        else if (op == "Max") r = std::max(p, q);
        else if (op == "Equal") r = p == q;
        else if (op == "Less") r = p < q;
        else if (op == "Greater") r = p > q;
        else if (op == "And") r = p != 0 && q != 0;
        else if (op == "Or") r = p != 0 || q != 0;
        else if (op == "Pow") r = saturating_int64(std::pow(double(p), double(q)));
        out.ints.push_back(r);
      } else {
        double p = a->as_double(ka), q = b->as_double(kb), r = 0;
        if (where) r = x->as_int(ic(k)) != 0 ? p : q;
        else if (op == "Add") r = double(float(p) + float(q));
        else if (op == "Sub") r = double(float(p) - float(q));
        else if (op == "Mul") r = double(float(p) * float(q));
        else if (op == "Div") r = double(float(p) / float(q));
        else if (op == "Mod") r = std::fmod(p, q);
        else if (op == "Min") r = std::min(p, q);
        else if (op == "Max") r = std::max(p, q);
        else if (op == "Equal") r = p == q;
        else if (op == "Less") r = p < q;
        else if (op == "Greater") r = p > q;
        else if (op == "And") r = p != 0 && q != 0;
        else if (op == "Or") r = p != 0 || q != 0;
        else if (op == "Pow") r = std::pow(p, q);
        if (comparison) out.ints.push_back(int64_t(r));
        else out.floats.push_back(float(r));
      }
    }
    return MaybeTensors{Tensors{std::move(out)}};
  }
  return MaybeTensors{};
}

}  // namespace

bool is_constant_foldable(const std::string& op_type) {
  static const std::set<std::string> ops = {
      "Shape", "Size", "Identity", "Dropout", "Cast", "Reshape", "Flatten", "Unsqueeze", "Squeeze", "Concat",
      "Gather", "Slice", "Transpose", "Expand", "ConstantOfShape", "Range", "Neg", "Abs", "Floor", "Ceil", "Sqrt",
      "Not", "Reciprocal", "Add", "Sub", "Mul", "Div", "Min", "Max", "Equal", "Less", "Greater", "Mod", "Pow",
      "And", "Or", "Where"};
  return ops.count(op_type) != 0;
}

Result<std::optional<std::vector<ConstTensor>>> evaluate_constant_node(const Node& node, int64_t opset,
                                                                      std::span<const ConstTensor* const> values,
                                                                      std::span<const Shape* const> shapes,
                                                                      int64_t max_elements) {
  if (!node.domain.empty() || !is_constant_foldable(node.op_type)) return MaybeTensors{};
  return eval(node, opset, values, shapes, max_elements);
}

}  // namespace cairn
