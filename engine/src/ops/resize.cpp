// Resize (opsets 10, 11, 13, 18) and Upsample (7, 9): nearest and N-linear interpolation over any number of axes.
//
// Each output coordinate x along an axis maps to an input coordinate x_original by the coordinate transformation
// mode; nearest rounds it (nearest_mode) and clamps it into the axis, linear blends the two neighbouring input
// elements (clamped at the edges). The transform follows the ONNX reference: `scale` is the given scale (or
// output/input when sizes are given) and the "resized length" in align_corners and pytorch_half_pixel is
// scale * input length, which is not an integer for scales like 0.6. Before opset 11 (Resize-10, Upsample) the
// transform is asymmetric, and nearest takes floor when upsampling and ceil when downsampling, as ONNX Runtime does.
//
// The output is computed row by row (last axis): the input offsets and weights of the leading axes ("corners",
// two per linearly interpolated axis) are computed once per row, the last axis uses a table made at prepare time.
// Refused: mode cubic, coordinate mode tf_crop_and_resize, antialias (opset 18).
#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <memory>
#include <string>
#include <utility>

#include "ops/broadcast.hpp"
#include "ops/kernel.hpp"

namespace cairn {
namespace {

enum class CoordinateMode {
  kHalfPixel,
  kHalfPixelSymmetric,
  kPytorchHalfPixel,
  kAlignCorners,
  kAsymmetric,
  kTfHalfPixel
};
enum class NearestMode { kRoundPreferFloor, kRoundPreferCeil, kFloor, kCeil, kLegacy };

struct ResizeAxis {
  int64_t in = 1;
  int64_t out = 1;
  double scale = 1.0;           // as given, or out / in when sizes are given
  double resized_length = 1.0;  // scale * in, or the given size
  bool identity = true;         // output index i reads input index i
};

// value = input[i0] * w0 + input[i1] * w1
struct Tap {
  int64_t i0 = 0;
  int64_t i1 = 0;
  float w0 = 1.0f;
  float w1 = 0.0f;
};

constexpr int kMaxLinearAxes = 8;  // 2^8 taps per output element

class ResizeKernel : public Kernel {
 public:
  explicit ResizeKernel(bool upsample_op) : upsample_op_(upsample_op) {}

  Status prepare(const PrepareContext& ctx, std::vector<Shape>& output_shapes) override {
    CAIRN_RETURN_IF_ERROR(require_float_input(ctx, 0, "X"));
    const Shape& in = ctx.input(0).shape;
    CAIRN_RETURN_IF_ERROR(checked_element_count(in, ctx.max_elements).status().with_context(ctx.node.describe()));
    if (in.empty()) return ctx.error("input must have rank >= 1, got a scalar");
    CAIRN_RETURN_IF_ERROR(read_modes(ctx));
    axes_.assign(in.size(), ResizeAxis{});
    for (size_t a = 0; a < in.size(); ++a) {
      axes_[a].in = axes_[a].out = in[a];
      axes_[a].resized_length = double(in[a]);
    }
    const bool legacy = upsample_op_ || ctx.opset < 11;
    CAIRN_RETURN_IF_ERROR(legacy ? read_legacy_scales(ctx, in) : read_scales_or_sizes(ctx, in));

    Shape out(in.size());
    for (size_t a = 0; a < in.size(); ++a) out[a] = axes_[a].out;
    auto count = checked_element_count(out, ctx.max_elements);
    if (!count) return count.status().with_context(ctx.node.describe());
    count_ = *count;
    in_strides_.assign(in.size(), 1);
    for (size_t k = in.size(); k-- > 1;) in_strides_[k - 1] = in_strides_[k] * in[k];
    last_taps_.clear();
    linear_axes_ = 0;
    if (count_ > 0) {
      for (size_t a = 0; a < axes_.size(); ++a) {
        ResizeAxis& axis = axes_[a];
        if (axis.in == 0)
          return ctx.error("cannot resize axis " + std::to_string(a) + " of " + shape_to_string(in) + ": it is empty");
        axis.identity = axis.out == axis.in;
        for (int64_t o = 0; axis.identity && o < axis.out; ++o) {
          const Tap t = tap(axis, o);
          axis.identity = t.i0 == o && t.w1 == 0.0f;
        }
        if (!axis.identity && linear_) ++linear_axes_;
      }
      if (linear_axes_ > kMaxLinearAxes) {
        return ctx.unsupported_feature("linear interpolation over " + std::to_string(linear_axes_) + " axes (at most " +
                                       std::to_string(kMaxLinearAxes) + ")");
      }
      const ResizeAxis& last = axes_.back();
      last_taps_.resize(size_t(last.out));
      for (int64_t o = 0; o < last.out; ++o) last_taps_[size_t(o)] = tap(last, o);
    }
    output_shapes[0] = out;
    return Status::ok();
  }

  double flops() const override {
    if (!linear_) return 0;
    return 2.0 * double(int64_t{1} << linear_axes_) * double(count_);
  }

  size_t packed_bytes() const override { return last_taps_.size() * sizeof(Tap); }

  void run(const RunContext& ctx) const override {
    if (count_ == 0) return;
    const float* in = ctx.inputs[0].data;
    float* out = ctx.outputs[0].data;
    const ResizeAxis& last = axes_.back();
    const int64_t rows = count_ / last.out;
    const int64_t grain = std::max<int64_t>(1, 4096 / last.out);
    parallel_ranges(ctx.pool, rows, grain, [&](int64_t begin, int64_t end) { run_rows(in, out, begin, end); });
  }

 private:
  Status read_modes(const PrepareContext& ctx) {
    const Node& node = ctx.node;
    const std::string mode = node.attr_string("mode", "nearest");
    if (mode == "nearest") {
      linear_ = false;
    } else if (mode == "linear" || (upsample_op_ && mode == "bilinear")) {
      linear_ = true;
    } else if (mode == "cubic") {
      return ctx.unsupported_feature("mode 'cubic' is not supported (nearest and linear are)");
    } else {
      return ctx.error("unknown mode '" + mode + "'");
    }
    if (node.attr_int("antialias", 0) != 0) {
      return ctx.unsupported_feature("antialias=1 is not supported");
    }
    if (upsample_op_ || ctx.opset < 11) {
      coordinate_mode_ = CoordinateMode::kAsymmetric;
      nearest_mode_ = NearestMode::kLegacy;
      return Status::ok();
    }
    const std::string coord = node.attr_string("coordinate_transformation_mode", "half_pixel");
    if (coord == "half_pixel") {
      coordinate_mode_ = CoordinateMode::kHalfPixel;
    } else if (coord == "half_pixel_symmetric") {
      coordinate_mode_ = CoordinateMode::kHalfPixelSymmetric;
    } else if (coord == "pytorch_half_pixel") {
      coordinate_mode_ = CoordinateMode::kPytorchHalfPixel;
    } else if (coord == "align_corners") {
      coordinate_mode_ = CoordinateMode::kAlignCorners;
    } else if (coord == "asymmetric") {
      coordinate_mode_ = CoordinateMode::kAsymmetric;
    } else if (coord == "tf_half_pixel_for_nn" || coord == "tf_half_pixel_for_nearest") {
      coordinate_mode_ = CoordinateMode::kTfHalfPixel;
    } else if (coord == "tf_crop_and_resize") {
      return ctx.unsupported_feature("coordinate_transformation_mode 'tf_crop_and_resize' is not supported");
    } else {
      return ctx.error("unknown coordinate_transformation_mode '" + coord + "'");
    }
    const std::string nearest = node.attr_string("nearest_mode", "round_prefer_floor");
    if (nearest == "round_prefer_floor") {
      nearest_mode_ = NearestMode::kRoundPreferFloor;
    } else if (nearest == "round_prefer_ceil") {
      nearest_mode_ = NearestMode::kRoundPreferCeil;
    } else if (nearest == "floor") {
      nearest_mode_ = NearestMode::kFloor;
    } else if (nearest == "ceil") {
      nearest_mode_ = NearestMode::kCeil;
    } else {
      return ctx.error("unknown nearest_mode '" + nearest + "'");
    }
    return Status::ok();
  }

  // Sets out = floor(scale * in) on the listed axes.
  Status apply_scales(const PrepareContext& ctx, const Shape& in, const std::vector<float>& scales,
                      const std::vector<int64_t>& axes, bool at_least_one) {
    for (size_t k = 0; k < axes.size(); ++k) {
      const float s = scales[k];
      if (!std::isfinite(s) || s <= 0.0f || (at_least_one && s < 1.0f)) {
        return ctx.error("scale " + std::to_string(s) + " for axis " + std::to_string(axes[k]) + " must be " +
                         (at_least_one ? ">= 1" : "finite and > 0"));
      }
      ResizeAxis& axis = axes_[size_t(axes[k])];
      const double length = double(s) * double(in[size_t(axes[k])]);
      if (!(length <= double(ctx.max_elements))) {
        return resource_limit(ctx.node.describe() + ": scale " + std::to_string(s) + " on input " +
                              shape_to_string(in) + " gives more than " + std::to_string(ctx.max_elements) +
                              " elements along axis " + std::to_string(axes[k]));
      }
      axis.scale = double(s);
      axis.resized_length = length;
      axis.out = int64_t(std::floor(length));
    }
    return Status::ok();
  }

  // Upsample-7 (scales attribute), Upsample-9 and Resize-10 (scales input 1).
  Status read_legacy_scales(const PrepareContext& ctx, const Shape& in) {
    std::vector<float> scales;
    if (ctx.has_input(1)) {
      CAIRN_ASSIGN_OR_RETURN(scales, constant_input_floats(ctx, 1, "scales"));
    } else if (upsample_op_ && ctx.node.has_attr("scales")) {
      scales = ctx.node.attr_floats("scales");
    } else {
      return ctx.error("missing 'scales'");
    }
    if (scales.size() != in.size()) {
      return ctx.error("'scales' has " + std::to_string(scales.size()) + " values for input of shape " +
                       shape_to_string(in));
    }
    std::vector<int64_t> axes(in.size());
    for (size_t a = 0; a < in.size(); ++a) axes[a] = int64_t(a);
    return apply_scales(ctx, in, scales, axes, upsample_op_);
  }

  // Resize-11 and later: X, roi, scales, sizes; exactly one of scales and sizes is non-empty.
  Status read_scales_or_sizes(const PrepareContext& ctx, const Shape& in) {
    const int64_t rank = int64_t(in.size());
    auto given = [&](size_t i) {
      if (!ctx.has_input(i)) return false;
      const InputInfo& info = ctx.input(i);
      return (info.constant != nullptr ? info.constant->size() : shape_size(info.shape)) > 0;
    };
    const bool has_scales = given(2);
    const bool has_sizes = given(3);
    if (has_scales == has_sizes) {
      return ctx.error(has_scales ? "only one of 'scales' and 'sizes' may be given"
                                  : "one of 'scales' and 'sizes' must be given");
    }
    std::vector<int64_t> axes;
    if (ctx.opset >= 18 && ctx.node.has_attr("axes")) {
      axes = ctx.node.attr_ints("axes");
      std::vector<bool> seen(size_t(rank), false);
      for (int64_t& a : axes) {
        const auto n = normalize_axis(a, rank);
        if (!n || seen[size_t(*n)]) {
          return ctx.error("bad 'axes' attribute for input of shape " + shape_to_string(in));
        }
        seen[size_t(*n)] = true;
        a = *n;
      }
    } else {
      for (int64_t a = 0; a < rank; ++a) axes.push_back(a);
    }
    if (has_scales) {
      CAIRN_ASSIGN_OR_RETURN(std::vector<float> scales, constant_input_floats(ctx, 2, "scales"));
      if (scales.size() != axes.size()) {
        return ctx.error("'scales' has " + std::to_string(scales.size()) + " values; expected " +
                         std::to_string(axes.size()) + " for input of shape " + shape_to_string(in));
      }
      return apply_scales(ctx, in, scales, axes, false);
    }
    CAIRN_ASSIGN_OR_RETURN(std::vector<int64_t> sizes, constant_input_ints(ctx, 3, "sizes"));
    if (sizes.size() != axes.size()) {
      return ctx.error("'sizes' has " + std::to_string(sizes.size()) + " values; expected " +
                       std::to_string(axes.size()) + " for input of shape " + shape_to_string(in));
    }
    for (size_t k = 0; k < axes.size(); ++k) {
      if (sizes[k] < 0) return ctx.error("negative size " + std::to_string(sizes[k]));
      if (sizes[k] > ctx.max_elements) {
        return resource_limit(ctx.node.describe() + ": size " + std::to_string(sizes[k]) + " exceeds the limit of " +
                              std::to_string(ctx.max_elements) + " elements");
      }
      if (in[size_t(axes[k])] == 0 && sizes[k] != 0) {
        return ctx.error("cannot resize empty axis " + std::to_string(axes[k]) + " of " + shape_to_string(in) + " to " +
                         std::to_string(sizes[k]));
      }
    }
    const std::string policy =
        ctx.opset >= 18 ? ctx.node.attr_string("keep_aspect_ratio_policy", "stretch") : std::string("stretch");
    if (policy == "stretch") {
      for (size_t k = 0; k < axes.size(); ++k) {
        ResizeAxis& axis = axes_[size_t(axes[k])];
        axis.out = sizes[k];
        axis.scale = axis.in > 0 ? double(sizes[k]) / double(axis.in) : 1.0;
        axis.resized_length = double(sizes[k]);
      }
      return Status::ok();
    }
    if (policy != "not_larger" && policy != "not_smaller") {
      return ctx.error("unknown keep_aspect_ratio_policy '" + policy + "'");
    }
    // One scale for all listed axes: the largest that fits in sizes (not_larger) or the smallest that covers it.
    double scale = policy == "not_larger" ? std::numeric_limits<double>::infinity() : 0.0;
    for (size_t k = 0; k < axes.size(); ++k) {
      const int64_t dim = in[size_t(axes[k])];
      if (dim == 0) continue;
      const double s = double(sizes[k]) / double(dim);
      scale = policy == "not_larger" ? std::min(scale, s) : std::max(scale, s);
    }
    if (!std::isfinite(scale) || scale <= 0.0) return ctx.error("'sizes' give no usable scale");
    for (int64_t a : axes) {
      ResizeAxis& axis = axes_[size_t(a)];
      const double length = scale * double(axis.in);
      if (!(length <= double(ctx.max_elements))) {
        return resource_limit(ctx.node.describe() + ": output size exceeds the limit of " +
                              std::to_string(ctx.max_elements) + " elements");
      }
      axis.scale = scale;
      axis.resized_length = length;
      axis.out = int64_t(std::round(length));
    }
    return Status::ok();
  }

  double original_coordinate(const ResizeAxis& a, int64_t o) const {
    const double x = double(o);
    switch (coordinate_mode_) {
      case CoordinateMode::kHalfPixel: return (x + 0.5) / a.scale - 0.5;
      case CoordinateMode::kHalfPixelSymmetric: {
        const double adjustment = double(a.out) / a.resized_length;
        const double offset = double(a.in) / 2.0 * (1.0 - adjustment);
        return offset + (x + 0.5) / a.scale - 0.5;
      }
      case CoordinateMode::kPytorchHalfPixel: return a.resized_length > 1.0 ? (x + 0.5) / a.scale - 0.5 : 0.0;
      case CoordinateMode::kAlignCorners:
        return a.resized_length == 1.0 ? 0.0 : x * double(a.in - 1) / (a.resized_length - 1.0);
      case CoordinateMode::kAsymmetric: return x / a.scale;
      case CoordinateMode::kTfHalfPixel: return (x + 0.5) / a.scale;
    }
    return x;
  }

  // Where output index o of axis `a` reads from (nearest: one index; linear: two neighbours and their weights).
  Tap tap(const ResizeAxis& a, int64_t o) const {
    const double x = original_coordinate(a, o);
    const double last = double(a.in - 1);
    Tap t;
    if (!linear_) {
      const double f = std::floor(x);
      double v = f;
      switch (nearest_mode_) {
        case NearestMode::kRoundPreferFloor: v = x - f <= 0.5 ? f : f + 1.0; break;
        case NearestMode::kRoundPreferCeil: v = x - f < 0.5 ? f : f + 1.0; break;
        case NearestMode::kFloor: v = f; break;
        case NearestMode::kCeil: v = std::ceil(x); break;
        case NearestMode::kLegacy: v = a.scale < 1.0 ? std::ceil(x) : std::trunc(x); break;
      }
      t.i0 = t.i1 = int64_t(std::clamp(v, 0.0, last));  // clamp before converting: NaN-free, in range
      return t;
    }
    if (!(x > 0.0)) return t;  // left of the first element (or exactly on it)
    if (x >= last) {
      t.i0 = t.i1 = a.in - 1;
      return t;
    }
    const double f = std::floor(x);
    t.i0 = int64_t(f);
    t.i1 = t.i0 + 1;
    t.w1 = float(x - f);
    t.w0 = float(1.0 - (x - f));
    return t;
  }

  void run_rows(const float* in, float* out, int64_t begin, int64_t end) const {
    const size_t lead = axes_.size() - 1;
    const ResizeAxis& last = axes_.back();
    const int64_t width = last.out;
    std::vector<int64_t> coord(lead);
    int64_t r = begin;
    for (size_t k = lead; k-- > 0;) {
      coord[k] = r % axes_[k].out;
      r /= axes_[k].out;
    }
    std::vector<std::pair<int64_t, float>> corners;  // input offset of the row and its weight
    std::vector<std::pair<int64_t, float>> next;
    for (int64_t row = begin; row < end; ++row) {
      corners.assign(1, {0, 1.0f});
      for (size_t k = 0; k < lead; ++k) {
        const ResizeAxis& axis = axes_[k];
        const int64_t stride = in_strides_[k];
        if (axis.identity) {
          for (auto& c : corners) c.first += coord[k] * stride;
          continue;
        }
        const Tap t = tap(axis, coord[k]);
        if (t.w1 == 0.0f) {
          for (auto& c : corners) c.first += t.i0 * stride;
          continue;
        }
        next.clear();
        for (const auto& c : corners) {
          next.emplace_back(c.first + t.i0 * stride, c.second * t.w0);
          next.emplace_back(c.first + t.i1 * stride, c.second * t.w1);
        }
        corners.swap(next);
      }
      float* dst = out + row * width;
      if (corners.size() == 1) {
        const float* src = in + corners[0].first;
        if (last.identity) {
          std::memcpy(dst, src, size_t(width) * sizeof(float));
        } else if (!linear_) {
          for (int64_t j = 0; j < width; ++j) dst[j] = src[last_taps_[size_t(j)].i0];
        } else {
          for (int64_t j = 0; j < width; ++j) {
            const Tap& t = last_taps_[size_t(j)];
            dst[j] = src[t.i0] * t.w0 + src[t.i1] * t.w1;
          }
        }
      } else if (corners.size() == 2) {
        // Bilinear: both input rows in one pass over the tap table (the common case, and half the loads).
        const float* a = in + corners[0].first;
        const float* b = in + corners[1].first;
        const float wa = corners[0].second;
        const float wb = corners[1].second;
        for (int64_t j = 0; j < width; ++j) {
          const Tap& t = last_taps_[size_t(j)];
          const float va = wa * (a[t.i0] * t.w0 + a[t.i1] * t.w1);
          dst[j] = va + wb * (b[t.i0] * t.w0 + b[t.i1] * t.w1);
        }
      } else {
        std::fill(dst, dst + width, 0.0f);
        for (const auto& c : corners) {
          const float* src = in + c.first;
          const float w = c.second;
          for (int64_t j = 0; j < width; ++j) {
            const Tap& t = last_taps_[size_t(j)];
            dst[j] += w * (src[t.i0] * t.w0 + src[t.i1] * t.w1);
          }
        }
      }
      for (size_t k = lead; k-- > 0;) {  // odometer over the leading output dims
        if (++coord[k] < axes_[k].out) break;
        coord[k] = 0;
      }
    }
  }

  bool upsample_op_;
  bool linear_ = false;
  CoordinateMode coordinate_mode_ = CoordinateMode::kHalfPixel;
  NearestMode nearest_mode_ = NearestMode::kRoundPreferFloor;
  std::vector<ResizeAxis> axes_;
  std::vector<int64_t> in_strides_;
  std::vector<Tap> last_taps_;
  int linear_axes_ = 0;
  int64_t count_ = 0;
};

}  // namespace

void register_resize_ops(KernelRegistry& registry) {
  registry.add("Resize", [] { return std::unique_ptr<Kernel>(std::make_unique<ResizeKernel>(false)); });
  registry.add("Upsample", [] { return std::unique_ptr<Kernel>(std::make_unique<ResizeKernel>(true)); });
}

}  // namespace cairn
