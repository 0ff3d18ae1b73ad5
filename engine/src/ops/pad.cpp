// Pad: modes constant, reflect, edge (and wrap, opset 19). Pads come as the `pads` attribute before opset 11 and as a
// constant input from 11 on, with an optional constant_value input (a constant, or a float scalar read at run time)
// and (opset 18) an optional constant axes input.
// Negative pads crop; as ONNX Runtime does, the crop is applied first and reflect/edge/wrap pad the cropped tensor.
#include <algorithm>
#include <cstring>
#include <memory>
#include <string>

#include "ops/broadcast.hpp"
#include "ops/kernel.hpp"

namespace cairn {
namespace {

enum class PadMode { kConstant, kReflect, kEdge, kWrap };

struct AxisPad {
  int64_t crop_begin = 0;  // input elements dropped at the start
  int64_t length = 0;      // input elements kept
  int64_t pad_begin = 0;   // elements added at the start
  int64_t out = 0;         // output length
};

// The input index along one axis that output index `o` reads, or -1 for the constant.
int64_t source_index(const AxisPad& a, int64_t o, PadMode mode) {
  int64_t i = o - a.pad_begin;  // relative to the kept part
  if (i >= 0 && i < a.length) return a.crop_begin + i;
  switch (mode) {
    case PadMode::kConstant: return -1;
    case PadMode::kEdge: i = i < 0 ? 0 : a.length - 1; break;
    case PadMode::kReflect: {  // period 2 * (length - 1), as NumPy for pads longer than the axis
      if (a.length == 1) {
        i = 0;
        break;
      }
      const int64_t period = 2 * (a.length - 1);
      i %= period;
      if (i < 0) i += period;
      if (i >= a.length) i = period - i;
      break;
    }
    case PadMode::kWrap:
      i %= a.length;
      if (i < 0) i += a.length;
      break;
  }
  return a.crop_begin + i;
}

std::string ints_to_string(const std::vector<int64_t>& v) {
  std::string s = "[";
  for (size_t i = 0; i < v.size(); ++i) s += (i ? ", " : "") + std::to_string(v[i]);
  return s + "]";
}

class PadKernel : public Kernel {
 public:
  Status prepare(const PrepareContext& ctx, std::vector<Shape>& output_shapes) override {
    CAIRN_RETURN_IF_ERROR(require_float_input(ctx, 0, "data"));
    const Shape& in = ctx.input(0).shape;
    CAIRN_RETURN_IF_ERROR(checked_element_count(in, ctx.max_elements).status().with_context(ctx.node.describe()));
    const int64_t rank = int64_t(in.size());

    const std::string mode = ctx.node.attr_string("mode", "constant");
    if (mode == "constant") {
      mode_ = PadMode::kConstant;
    } else if (mode == "reflect") {
      mode_ = PadMode::kReflect;
    } else if (mode == "edge") {
      mode_ = PadMode::kEdge;
    } else if (mode == "wrap") {
      mode_ = PadMode::kWrap;
    } else {
      return ctx.error("unknown mode '" + mode + "' (expected constant, reflect, edge or wrap)");
    }

    std::vector<int64_t> pads;
    value_ = 0.0f;
    runtime_value_ = false;
    std::vector<int64_t> axes;
    if (ctx.opset < 11) {
      if (!ctx.node.has_attr("pads")) return ctx.error("missing the 'pads' attribute");
      pads = ctx.node.attr_ints("pads");
      value_ = ctx.node.attr_float("value", 0.0f);
    } else {
      CAIRN_ASSIGN_OR_RETURN(pads, constant_input_ints(ctx, 1, "pads"));
      if (ctx.has_input(2)) {
        CAIRN_RETURN_IF_ERROR(require_float_input(ctx, 2, "constant_value"));
        const InputInfo& v = ctx.input(2);
        if (shape_size(v.shape) > 1) {
          return ctx.error("'constant_value' must be a scalar, got shape " + shape_to_string(v.shape));
        }
        if (v.constant == nullptr) {
          runtime_value_ = shape_size(v.shape) == 1;  // a float scalar computed by the graph: read when running
        } else {
          const std::vector<float> values = v.constant->to_floats();
          if (!values.empty()) value_ = values[0];
        }
      }
      if (ctx.opset >= 18 && ctx.has_input(3)) {
        CAIRN_ASSIGN_OR_RETURN(axes, constant_input_ints(ctx, 3, "axes"));
        std::vector<bool> seen(size_t(rank), false);
        for (int64_t& a : axes) {
          const auto n = normalize_axis(a, rank);
          if (!n || seen[size_t(*n)]) {
            return ctx.error("bad 'axes' " + ints_to_string(axes) + " for input of shape " + shape_to_string(in));
          }
          seen[size_t(*n)] = true;
          a = *n;
        }
      }
    }
    if (axes.empty() && !(ctx.opset >= 18 && ctx.has_input(3))) {
      for (int64_t a = 0; a < rank; ++a) axes.push_back(a);
    }
    if (pads.size() != 2 * axes.size()) {
      return ctx.error("'pads' has " + std::to_string(pads.size()) + " values; expected " +
                       std::to_string(2 * axes.size()) + " for input of shape " + shape_to_string(in));
    }

    axes_.assign(size_t(rank), AxisPad{});
    for (int64_t a = 0; a < rank; ++a) axes_[size_t(a)] = AxisPad{0, in[size_t(a)], 0, in[size_t(a)]};
    Shape out = in;
    const size_t n = axes.size();
    for (size_t k = 0; k < n; ++k) {
      const int64_t dim = in[size_t(axes[k])];
      const int64_t begin = pads[k];
      const int64_t end = pads[k + n];
      if (begin > ctx.max_elements || end > ctx.max_elements) {
        return resource_limit(ctx.node.describe() + ": pads " + ints_to_string(pads) + " on input " +
                              shape_to_string(in) + " exceed the limit of " + std::to_string(ctx.max_elements) +
                              " elements");
      }
      if (begin < -dim || end < -dim || -(begin < 0 ? begin : 0) - (end < 0 ? end : 0) > dim) {
        return ctx.error("pads " + ints_to_string(pads) + " crop more than axis " + std::to_string(axes[k]) + " of " +
                         shape_to_string(in) + " holds");
      }
      AxisPad& p = axes_[size_t(axes[k])];
      p.crop_begin = begin < 0 ? -begin : 0;
      p.length = dim - p.crop_begin - (end < 0 ? -end : 0);
      p.pad_begin = begin > 0 ? begin : 0;
      p.out = p.pad_begin + p.length + (end > 0 ? end : 0);
      if (mode_ != PadMode::kConstant && p.length == 0 && p.out > 0) {
        return ctx.error("cannot " + mode + "-pad axis " + std::to_string(axes[k]) + " of " + shape_to_string(in) +
                         ": it is empty");
      }
      out[size_t(axes[k])] = p.out;
    }
    auto count = checked_element_count(out, ctx.max_elements);
    if (!count) return count.status().with_context(ctx.node.describe());
    count_ = *count;
    in_strides_.assign(size_t(rank), 1);
    for (size_t k = size_t(rank); k-- > 1;) in_strides_[k - 1] = in_strides_[k] * in[k];
    output_shapes[0] = out;
    return Status::ok();
  }

  void run(const RunContext& ctx) const override {
    const float* in = ctx.inputs[0].data;
    float* out = ctx.outputs[0].data;
    if (count_ == 0) return;
    const float value = runtime_value_ ? ctx.inputs[2].data[0] : value_;
    const size_t rank = axes_.size();
    if (rank == 0) {
      out[0] = in[0];
      return;
    }
    const AxisPad& last = axes_[rank - 1];
    const int64_t rows = count_ / last.out;
    std::vector<int64_t> coord(rank - 1, 0);
    for (int64_t r = 0; r < rows; ++r) {
      float* dst = out + r * last.out;
      int64_t base = 0;
      bool constant_row = false;
      for (size_t k = 0; k + 1 < rank && !constant_row; ++k) {
        const int64_t s = source_index(axes_[k], coord[k], mode_);
        if (s < 0) {
          constant_row = true;
        } else {
          base += s * in_strides_[k];
        }
      }
      if (constant_row) {
        std::fill(dst, dst + last.out, value);
      } else {
        const float* src = in + base;
        const int64_t mid_end = last.pad_begin + last.length;
        for (int64_t j = 0; j < last.pad_begin; ++j) {
          const int64_t s = source_index(last, j, mode_);
          dst[j] = s < 0 ? value : src[s];
        }
        if (last.length > 0) {
          std::memcpy(dst + last.pad_begin, src + last.crop_begin, size_t(last.length) * sizeof(float));
        }
        for (int64_t j = mid_end; j < last.out; ++j) {
          const int64_t s = source_index(last, j, mode_);
          dst[j] = s < 0 ? value : src[s];
        }
      }
      for (size_t k = rank - 1; k-- > 0;) {  // odometer over the outer output dims
        if (++coord[k] < axes_[k].out) break;
        coord[k] = 0;
      }
    }
  }

 private:
  PadMode mode_ = PadMode::kConstant;
  float value_ = 0.0f;
  bool runtime_value_ = false;  // constant_value is a non-constant float scalar
  std::vector<AxisPad> axes_;   // one per input dim
  std::vector<int64_t> in_strides_;
  int64_t count_ = 0;
};

}  // namespace

void register_pad_ops(KernelRegistry& registry) {
  registry.add("Pad", [] { return std::unique_ptr<Kernel>(std::make_unique<PadKernel>()); });
}

}  // namespace cairn
