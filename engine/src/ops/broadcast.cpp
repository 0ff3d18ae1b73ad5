#include "ops/broadcast.hpp"

#include <cmath>
#include <string>

#include "runtime/thread_pool.hpp"

namespace cairn {

Result<Shape> broadcast_shapes(const Shape& a, const Shape& b) {
  const size_t rank = std::max(a.size(), b.size());
  Shape out(rank);
  for (size_t i = 0; i < rank; ++i) {
    // Right-aligned: dimension i of the output is dimension i - (rank - rank(x)) of x, or 1 when x is shorter.
    const int64_t da = i + a.size() >= rank ? a[i + a.size() - rank] : 1;
    const int64_t db = i + b.size() >= rank ? b[i + b.size() - rank] : 1;
    if (da == db || db == 1) {
      out[i] = da;
    } else if (da == 1) {
      out[i] = db;
    } else {
      return invalid_model("cannot broadcast " + shape_to_string(a) + " with " + shape_to_string(b));
    }
  }
  return out;
}

std::vector<int64_t> broadcast_strides(const Shape& in, const Shape& out) {
  std::vector<int64_t> strides(out.size(), 0);
  int64_t stride = 1;
  for (size_t k = in.size(); k-- > 0;) {
    const size_t o = k + out.size() - in.size();
    strides[o] = in[k] == 1 ? 0 : stride;
    stride *= in[k];
  }
  return strides;
}

BroadcastPlan make_broadcast_plan(const Shape& a, const Shape& b, const Shape& out) {
  const std::vector<int64_t> sa = broadcast_strides(a, out);
  const std::vector<int64_t> sb = broadcast_strides(b, out);
  BroadcastPlan plan;
  plan.count = shape_size(out);
  for (size_t i = 0; i < out.size(); ++i) {
    if (out[i] == 1) continue;  // contributes nothing to any offset
    // Dimension i continues the previous one when both inputs step through them as through one longer dimension.
    if (!plan.dims.empty() && plan.a_strides.back() == sa[i] * out[i] && plan.b_strides.back() == sb[i] * out[i]) {
      plan.dims.back() *= out[i];
      plan.a_strides.back() = sa[i];
      plan.b_strides.back() = sb[i];
      continue;
    }
    plan.dims.push_back(out[i]);
    plan.a_strides.push_back(sa[i]);
    plan.b_strides.push_back(sb[i]);
  }
  if (plan.dims.empty()) {  // a single element
    plan.dims.push_back(1);
    plan.a_strides.push_back(0);
    plan.b_strides.push_back(0);
  }
  return plan;
}

std::optional<int64_t> normalize_axis(int64_t axis, int64_t rank) {
  if (axis < -rank || axis >= rank) return std::nullopt;
  return axis < 0 ? axis + rank : axis;
}

Status require_float_input(const PrepareContext& ctx, size_t index, const char* what) {
  if (!ctx.has_input(index)) return ctx.error(std::string("missing input '") + what + "'");
  const InputInfo& in = ctx.input(index);
  const bool integer = is_integer_type(in.type) || (in.constant != nullptr && !in.constant->is_float());
  if (integer || in.type == DataType::kString) {
    return ctx.unsupported_feature(std::string("input '") + what + "' is " + data_type_name(in.type) +
                                   "; only float tensors are supported here");
  }
  return Status::ok();
}

namespace {

Status require_constant(const PrepareContext& ctx, size_t index, const char* what) {
  if (!ctx.has_input(index)) return ctx.error(std::string("missing input '") + what + "'");
  if (ctx.input(index).constant == nullptr) {
    return ctx.unsupported_feature(std::string("'") + what + "' input must be a constant known at load time");
  }
  return Status::ok();
}

}  // namespace

Result<std::vector<int64_t>> constant_input_ints(const PrepareContext& ctx, size_t index, const char* what) {
  CAIRN_RETURN_IF_ERROR(require_constant(ctx, index, what));
  const ConstTensor& c = *ctx.input(index).constant;
  if (!c.is_float()) return c.ints;
  // Float-typed shapes or axes are unusual but harmless when integral; guard the conversion.
  std::vector<int64_t> out;
  out.reserve(c.floats.size());
  for (float v : c.floats) {
    if (!std::isfinite(v) || std::fabs(v) > 9.0e18f || v != std::trunc(v)) {
      return ctx.error(std::string("'") + what + "' input holds " + std::to_string(v) + ", not an integer");
    }
    out.push_back(int64_t(v));
  }
  return out;
}

Result<std::vector<float>> constant_input_floats(const PrepareContext& ctx, size_t index, const char* what) {
  CAIRN_RETURN_IF_ERROR(require_constant(ctx, index, what));
  return ctx.input(index).constant->to_floats();
}

void parallel_ranges(ThreadPool* pool, int64_t n, int64_t grain, const std::function<void(int64_t, int64_t)>& fn) {
  if (n <= 0) return;
  const int threads = pool != nullptr ? pool->size() : 1;
  grain = std::max<int64_t>(grain, 1);
  if (threads <= 1 || n < 2 * grain) {
    fn(0, n);
    return;
  }
  const int64_t chunks = std::min<int64_t>(n / grain, int64_t{threads} * 4);
  const int64_t chunk = (n + chunks - 1) / chunks;
  parallel_for(pool, size_t(chunks), [&](size_t i) {
    const int64_t begin = int64_t(i) * chunk;
    const int64_t end = std::min(n, begin + chunk);
    if (begin < end) fn(begin, end);
  });
}

}  // namespace cairn
