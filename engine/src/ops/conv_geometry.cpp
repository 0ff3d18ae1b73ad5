#include "ops/conv_geometry.hpp"

#include <algorithm>

namespace cairn {

Status check_conv_inputs(const PrepareContext& ctx) {
  if (!ctx.has_input(0) || !ctx.has_input(1)) return ctx.error("inputs X and W are required");
  if (ctx.num_inputs() > 3) return ctx.error("at most 3 inputs (X, W, B), got " + std::to_string(ctx.num_inputs()));
  for (size_t i = 0; i < ctx.num_inputs(); ++i) {
    if (ctx.has_input(i) && is_integer_type(ctx.input(i).type)) {
      return ctx.unsupported_feature(std::string("input ") + std::to_string(i) + " of type " +
                                     data_type_name(ctx.input(i).type) + " (only float tensors)");
    }
  }
  if (ctx.node.outputs.size() != 1) return ctx.error("expects exactly one output");
  const Shape& x_shape = ctx.input(0).shape;
  const Shape& w_shape = ctx.input(1).shape;
  if (x_shape.size() < 3) {
    return ctx.error("input X must have rank >= 3 (N x C x spatial...), got " + shape_to_string(x_shape));
  }
  if (x_shape.size() > 5) {
    return ctx.unsupported_feature("input " + shape_to_string(x_shape) + " has more than 3 spatial dims");
  }
  auto x_count = checked_element_count(x_shape, ctx.max_elements);
  if (!x_count) return x_count.status().with_context(ctx.node.describe());
  auto w_count = checked_element_count(w_shape, ctx.max_elements);
  if (!w_count) return w_count.status().with_context(ctx.node.describe());
  if (w_shape.size() != x_shape.size()) {
    return ctx.error("weights " + shape_to_string(w_shape) + " must have the rank of the input " +
                     shape_to_string(x_shape));
  }
  return Status::ok();
}

namespace {

Status read_positive_list(const PrepareContext& ctx, const char* name, size_t count, std::vector<int64_t>& values) {
  if (!ctx.node.has_attr(name)) return Status::ok();
  std::vector<int64_t> raw = ctx.node.attr_ints(name);
  if (raw.size() != count) {
    return ctx.error(std::string(name) + " has " + std::to_string(raw.size()) + " values, expected " +
                     std::to_string(count) + " (one per spatial axis)");
  }
  for (int64_t v : raw) {
    if (v < 1 || v > kMaxSpatialAttribute) {
      return ctx.error(std::string(name) + " " + shape_to_string(raw) + " must be between 1 and " +
                       std::to_string(kMaxSpatialAttribute));
    }
  }
  values = std::move(raw);
  return Status::ok();
}

}  // namespace

std::vector<int64_t> SpatialGeometry::out_dims() const {
  std::vector<int64_t> dims;
  for (int i = kMaxSpatialRank - rank; i < kMaxSpatialRank; ++i) dims.push_back(out[size_t(i)]);
  return dims;
}

std::string auto_pad_name(AutoPad pad) {
  switch (pad) {
    case AutoPad::kNotSet: return "NOTSET";
    case AutoPad::kSameUpper: return "SAME_UPPER";
    case AutoPad::kSameLower: return "SAME_LOWER";
    case AutoPad::kValid: return "VALID";
  }
  return "?";
}

bool checked_mul_i64(int64_t a, int64_t b, int64_t* out) { return !__builtin_mul_overflow(a, b, out); }
bool checked_add_i64(int64_t a, int64_t b, int64_t* out) { return !__builtin_add_overflow(a, b, out); }

Result<SpatialAttributes> read_spatial_attributes(const PrepareContext& ctx, int rank,
                                                  const std::vector<int64_t>& kernel_from_weights,
                                                  bool allow_dilations) {
  SpatialAttributes attrs;
  const size_t n = size_t(rank);
  const std::string auto_pad = ctx.node.attr_string("auto_pad", "NOTSET");
  if (auto_pad == "NOTSET" || auto_pad.empty()) {
    attrs.auto_pad = AutoPad::kNotSet;
  } else if (auto_pad == "SAME_UPPER") {
    attrs.auto_pad = AutoPad::kSameUpper;
  } else if (auto_pad == "SAME_LOWER") {
    attrs.auto_pad = AutoPad::kSameLower;
  } else if (auto_pad == "VALID") {
    attrs.auto_pad = AutoPad::kValid;
  } else {
    return ctx.error("auto_pad '" + auto_pad + "' is not one of NOTSET, SAME_UPPER, SAME_LOWER, VALID");
  }

  if (ctx.node.has_attr("kernel_shape")) {
    CAIRN_RETURN_IF_ERROR(read_positive_list(ctx, "kernel_shape", n, attrs.kernel));
    if (!kernel_from_weights.empty() && attrs.kernel != kernel_from_weights) {
      return ctx.error("kernel_shape " + shape_to_string(attrs.kernel) + " does not match the weights' spatial dims " +
                       shape_to_string(kernel_from_weights));
    }
  } else if (!kernel_from_weights.empty()) {
    for (int64_t k : kernel_from_weights) {
      if (k < 1 || k > kMaxSpatialAttribute) {
        return ctx.error("kernel spatial dims " + shape_to_string(kernel_from_weights) + " must be between 1 and " +
                         std::to_string(kMaxSpatialAttribute));
      }
    }
    attrs.kernel = kernel_from_weights;
  } else {
    return ctx.error("attribute kernel_shape is required");
  }

  attrs.strides.assign(n, 1);
  CAIRN_RETURN_IF_ERROR(read_positive_list(ctx, "strides", n, attrs.strides));
  attrs.dilations.assign(n, 1);
  if (allow_dilations) CAIRN_RETURN_IF_ERROR(read_positive_list(ctx, "dilations", n, attrs.dilations));

  attrs.pads.assign(2 * n, 0);
  if (ctx.node.has_attr("pads")) {
    std::vector<int64_t> pads = ctx.node.attr_ints("pads");
    if (pads.size() != 2 * n) {
      return ctx.error("pads has " + std::to_string(pads.size()) + " values, expected " + std::to_string(2 * n) +
                       " (begin and end per spatial axis)");
    }
    for (int64_t p : pads) {
      if (p < 0 || p > kMaxSpatialAttribute) {
        return ctx.error("pads " + shape_to_string(pads) + " must be between 0 and " +
                         std::to_string(kMaxSpatialAttribute));
      }
    }
    attrs.pads = std::move(pads);
  }
  return attrs;
}

Result<SpatialGeometry> forward_geometry(const PrepareContext& ctx, const SpatialAttributes& attrs,
                                         const std::vector<int64_t>& in_dims, bool ceil_mode) {
  SpatialGeometry g;
  g.rank = int(in_dims.size());
  if (g.rank < 1 || g.rank > kMaxSpatialRank) {
    return ctx.unsupported_feature(std::to_string(g.rank) + " spatial dims (1 to 3 are supported)");
  }
  const size_t n = in_dims.size();
  if (attrs.kernel.size() != n || attrs.strides.size() != n || attrs.dilations.size() != n ||
      attrs.pads.size() != 2 * n) {
    return ctx.error("spatial attributes do not match the input's " + std::to_string(n) + " spatial dims");
  }
  auto window = checked_element_count(attrs.kernel, ctx.max_elements);
  if (!window) return window.status().with_context(ctx.node.describe() + ": kernel");
  for (size_t i = 0; i < n; ++i) {
    const size_t a = size_t(kMaxSpatialRank) - n + i;  // canonical axis
    const int64_t in = in_dims[i];
    const int64_t k = attrs.kernel[i];
    const int64_t s = attrs.strides[i];
    const int64_t d = attrs.dilations[i];
    const int64_t effective_kernel = (k - 1) * d + 1;  // both <= 2^24: no overflow
    int64_t pb = attrs.pads[i];
    int64_t pe = attrs.pads[i + n];
    int64_t out = 0;
    if (attrs.auto_pad == AutoPad::kSameUpper || attrs.auto_pad == AutoPad::kSameLower) {
      out = in / s + (in % s != 0 ? 1 : 0);
      int64_t span = 0;
      if (out > 0 && (!checked_mul_i64(out - 1, s, &span) || !checked_add_i64(span, effective_kernel, &span))) {
        return ctx.error("input spatial dims " + shape_to_string(in_dims) + " are too large");
      }
      const int64_t total = std::max<int64_t>(0, span - in);
      pb = attrs.auto_pad == AutoPad::kSameUpper ? total / 2 : total - total / 2;
      pe = total - pb;
    } else {
      if (attrs.auto_pad == AutoPad::kValid) pb = pe = 0;
      int64_t padded = 0;
      if (!checked_add_i64(in, pb, &padded) || !checked_add_i64(padded, pe, &padded)) {
        return ctx.error("input spatial dims " + shape_to_string(in_dims) + " are too large");
      }
      if (padded >= effective_kernel) {
        const int64_t room = padded - effective_kernel;
        out = room / s + 1;
        if (ceil_mode && room % s != 0) {
          out += 1;
          // The last window must start inside the input or its begin padding.
          if ((out - 1) * s >= in + pb) out -= 1;
        }
      }
    }
    if (out <= 0) {
      return ctx.error("output would be empty: input spatial dims " + shape_to_string(in_dims) + " with kernel " +
                       shape_to_string(attrs.kernel) + ", strides " + shape_to_string(attrs.strides) +
                       ", dilations " + shape_to_string(attrs.dilations) + ", pads " + shape_to_string(attrs.pads) +
                       ", auto_pad " + auto_pad_name(attrs.auto_pad));
    }
    g.in[a] = in;
    g.out[a] = out;
    g.kernel[a] = k;
    g.stride[a] = s;
    g.dilation[a] = d;
    g.pad_begin[a] = pb;
    g.pad_end[a] = pe;
  }
  return g;
}

}  // namespace cairn
