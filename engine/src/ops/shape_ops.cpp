// Operators that only change how a tensor is viewed (Reshape, Flatten, Squeeze, Unsqueeze, Identity and Dropout
// at inference: a copy, skipped when the executor aliases output and input) and Transpose (a strided gather).
#include <algorithm>
#include <cstring>
#include <memory>
#include <string>

#include "ops/broadcast.hpp"
#include "ops/kernel.hpp"

namespace cairn {
namespace {

std::string ints_to_string(const std::vector<int64_t>& v) {
  std::string s = "[";
  for (size_t i = 0; i < v.size(); ++i) s += (i ? ", " : "") + std::to_string(v[i]);
  return s + "]";
}

// Output = input data under another shape.
class CopyKernel : public Kernel {
 public:
  Status prepare(const PrepareContext& ctx, std::vector<Shape>& output_shapes) final {
    CAIRN_RETURN_IF_ERROR(require_float_input(ctx, 0, "data"));
    const Shape& in = ctx.input(0).shape;
    auto count = checked_element_count(in, ctx.max_elements);
    if (!count) return count.status().with_context(ctx.node.describe());
    count_ = *count;
    Shape out;
    CAIRN_RETURN_IF_ERROR(output_shape(ctx, in, out));
    output_shapes[0] = std::move(out);
    return Status::ok();
  }

  void run(const RunContext& ctx) const final {
    const float* in = ctx.inputs[0].data;
    float* out = ctx.outputs[0].data;
    if (count_ > 0 && in != out) std::memcpy(out, in, size_t(count_) * sizeof(float));
  }

 protected:
  // The output shape (same element count as `in`), or an error.
  virtual Status output_shape(const PrepareContext& ctx, const Shape& in, Shape& out) = 0;
  int64_t count_ = 0;
};

// Reshape: 0 copies the input dimension (unless allowzero, opset 14), -1 is inferred from the element count.
class ReshapeKernel : public CopyKernel {
  Status output_shape(const PrepareContext& ctx, const Shape& in, Shape& out) override {
    std::vector<int64_t> target;
    if (ctx.has_input(1)) {
      CAIRN_ASSIGN_OR_RETURN(target, constant_input_ints(ctx, 1, "shape"));
    } else if (ctx.node.has_attr("shape")) {  // opset < 5
      target = ctx.node.attr_ints("shape");
    } else {
      return ctx.error("missing the 'shape' input");
    }
    const bool allow_zero = ctx.opset >= 14 && ctx.node.attr_int("allowzero", 0) != 0;
    const std::string what = "Reshape of " + shape_to_string(in) + " to " + shape_to_string(target);
    out.assign(target.size(), 1);
    int64_t inferred = -1;
    bool has_zero = false;
    for (size_t i = 0; i < target.size(); ++i) {
      int64_t d = target[i];
      if (d == -1) {
        if (inferred >= 0) return ctx.error(what + ": more than one -1");
        inferred = int64_t(i);
        continue;
      }
      if (d == 0 && !allow_zero) {
        if (i >= in.size()) return ctx.error(what + ": 0 at position " + std::to_string(i) + " has no input dimension");
        d = in[i];
      }
      if (d < 0) return ctx.error(what + ": invalid dimension " + std::to_string(d));
      if (d == 0) has_zero = true;
      out[i] = d;
    }
    if (allow_zero && has_zero && inferred >= 0) return ctx.error(what + ": -1 with 0 is ambiguous when allowzero=1");
    auto known = checked_element_count(out, ctx.max_elements);  // the -1 slot counts as 1
    if (!known) return ctx.error(what + ": " + known.status().message());
    if (inferred >= 0) {
      if (*known == 0 || count_ % *known != 0) {
        return ctx.error(what + ": cannot infer the -1 dimension from " + std::to_string(count_) + " elements");
      }
      out[size_t(inferred)] = count_ / *known;
    } else if (*known != count_) {
      return ctx.error(what + ": " + std::to_string(count_) + " elements vs " + std::to_string(*known));
    }
    return Status::ok();
  }
};

// Flatten: [prod(dims[:axis]), prod(dims[axis:])], axis in [-rank, rank].
class FlattenKernel : public CopyKernel {
  Status output_shape(const PrepareContext& ctx, const Shape& in, Shape& out) override {
    const int64_t rank = int64_t(in.size());
    const int64_t axis_attr = ctx.node.attr_int("axis", 1);
    const int64_t axis = axis_attr < 0 ? axis_attr + rank : axis_attr;
    if (axis < 0 || axis > rank) {
      return ctx.error("axis " + std::to_string(axis_attr) + " is out of range for input of shape " +
                       shape_to_string(in));
    }
    int64_t outer = 1;
    for (int64_t i = 0; i < axis; ++i) outer *= in[size_t(i)];
    int64_t inner = 1;
    for (int64_t i = axis; i < rank; ++i) inner *= in[size_t(i)];
    out = {outer, inner};
    return Status::ok();
  }
};

// Axes from the attribute (before opset 13) or the optional constant input 1 (opset 13 on).
Status read_axes(const PrepareContext& ctx, std::vector<int64_t>& axes, bool& given) {
  given = false;
  if (ctx.has_input(1)) {
    CAIRN_ASSIGN_OR_RETURN(axes, constant_input_ints(ctx, 1, "axes"));
    given = true;
  } else if (ctx.node.has_attr("axes")) {
    axes = ctx.node.attr_ints("axes");
    given = true;
  }
  return Status::ok();
}

// Normalises axes against `rank` and checks they are in range and distinct.
Status normalize_axes(const PrepareContext& ctx, std::vector<int64_t>& axes, int64_t rank, const Shape& shape) {
  std::vector<bool> seen(size_t(rank), false);
  for (int64_t& a : axes) {
    const auto n = normalize_axis(a, rank);
    if (!n) {
      return ctx.error("axis " + std::to_string(a) + " is out of range for rank " + std::to_string(rank) + " (input " +
                       shape_to_string(shape) + ")");
    }
    if (seen[size_t(*n)]) return ctx.error("axis " + std::to_string(a) + " is repeated in " + ints_to_string(axes));
    seen[size_t(*n)] = true;
    a = *n;
  }
  return Status::ok();
}

class SqueezeKernel : public CopyKernel {
  Status output_shape(const PrepareContext& ctx, const Shape& in, Shape& out) override {
    std::vector<int64_t> axes;
    bool given = false;
    CAIRN_RETURN_IF_ERROR(read_axes(ctx, axes, given));
    const int64_t rank = int64_t(in.size());
    std::vector<bool> drop(in.size(), false);
    if (given) {
      CAIRN_RETURN_IF_ERROR(normalize_axes(ctx, axes, rank, in));
      for (int64_t a : axes) {
        if (in[size_t(a)] != 1) {
          return ctx.error("cannot squeeze axis " + std::to_string(a) + " of size " + std::to_string(in[size_t(a)]) +
                           " in " + shape_to_string(in));
        }
        drop[size_t(a)] = true;
      }
    } else {
      for (size_t i = 0; i < in.size(); ++i) drop[i] = in[i] == 1;
    }
    out.clear();
    for (size_t i = 0; i < in.size(); ++i) {
      if (!drop[i]) out.push_back(in[i]);
    }
    return Status::ok();
  }
};

class UnsqueezeKernel : public CopyKernel {
  Status output_shape(const PrepareContext& ctx, const Shape& in, Shape& out) override {
    std::vector<int64_t> axes;
    bool given = false;
    CAIRN_RETURN_IF_ERROR(read_axes(ctx, axes, given));
    if (!given) return ctx.error("missing 'axes'");
    const int64_t out_rank = int64_t(in.size() + axes.size());
    CAIRN_RETURN_IF_ERROR(normalize_axes(ctx, axes, out_rank, in));
    std::vector<bool> inserted(size_t(out_rank), false);
    for (int64_t a : axes) inserted[size_t(a)] = true;
    out.clear();
    size_t next = 0;
    for (int64_t i = 0; i < out_rank; ++i) out.push_back(inserted[size_t(i)] ? 1 : in[next++]);
    return Status::ok();
  }
};

class IdentityKernel : public CopyKernel {
  Status output_shape(const PrepareContext&, const Shape& in, Shape& out) override {
    out = in;
    return Status::ok();
  }
};

// Dropout at inference is the identity. Training mode (random masking) and the boolean mask output are refused.
class DropoutKernel : public CopyKernel {
  Status output_shape(const PrepareContext& ctx, const Shape& in, Shape& out) override {
    if (ctx.node.outputs.size() > 1 && ctx.node.outputs[1] >= 0) {
      return ctx.unsupported_feature("the 'mask' output (a bool tensor) is not supported");
    }
    if (ctx.opset >= 12 && ctx.has_input(2)) {
      if (ctx.input(2).constant == nullptr) {
        return ctx.unsupported_feature("'training_mode' input must be a constant known at load time");
      }
      for (int64_t v : ctx.input(2).constant->to_ints()) {
        if (v != 0) return ctx.unsupported_feature("training mode (random dropout) is not supported");
      }
    }
    out = in;
    return Status::ok();
  }
};

// Transpose: out[i0..in] = in[i_perm]. The loop nest is collapsed (size-1 dims dropped, dims that stay adjacent
// merged); rows whose source is contiguous are copied, otherwise the last two dims are gathered in square tiles.
class TransposeKernel : public Kernel {
 public:
  Status prepare(const PrepareContext& ctx, std::vector<Shape>& output_shapes) override {
    CAIRN_RETURN_IF_ERROR(require_float_input(ctx, 0, "data"));
    const Shape& in = ctx.input(0).shape;
    auto count = checked_element_count(in, ctx.max_elements);
    if (!count) return count.status().with_context(ctx.node.describe());
    count_ = *count;
    const size_t rank = in.size();
    std::vector<int64_t> perm;
    if (ctx.node.has_attr("perm")) {
      perm = ctx.node.attr_ints("perm");
    } else {
      for (size_t i = rank; i-- > 0;) perm.push_back(int64_t(i));
    }
    bool valid = perm.size() == rank;
    std::vector<bool> seen(rank, false);
    for (size_t i = 0; valid && i < perm.size(); ++i) {
      valid = perm[i] >= 0 && perm[i] < int64_t(rank) && !seen[size_t(perm[i])];
      if (valid) seen[size_t(perm[i])] = true;
    }
    if (!valid) {
      return ctx.error("perm " + ints_to_string(perm) + " is not a permutation of the axes of " + shape_to_string(in));
    }
    std::vector<int64_t> in_strides(rank, 1);
    for (size_t k = rank; k-- > 1;) in_strides[k - 1] = in_strides[k] * in[k];
    Shape out(rank);
    dims_.clear();
    strides_.clear();
    for (size_t k = 0; k < rank; ++k) {
      const size_t src = size_t(perm[k]);
      out[k] = in[src];
      if (in[src] == 1) continue;
      if (!dims_.empty() && strides_.back() == in_strides[src] * in[src]) {
        dims_.back() *= in[src];
        strides_.back() = in_strides[src];
      } else {
        dims_.push_back(in[src]);
        strides_.push_back(in_strides[src]);
      }
    }
    output_shapes[0] = out;
    return Status::ok();
  }

  void run(const RunContext& ctx) const override {
    const float* in = ctx.inputs[0].data;
    float* out = ctx.outputs[0].data;
    if (count_ == 0) return;
    if (dims_.size() <= 1) {  // the order of the elements does not change
      std::memcpy(out, in, size_t(count_) * sizeof(float));
      return;
    }
    const size_t r = dims_.size();
    const int64_t rows = dims_[r - 2];
    const int64_t cols = dims_[r - 1];
    const int64_t row_stride = strides_[r - 2];
    const int64_t col_stride = strides_[r - 1];
    const int64_t planes = count_ / (rows * cols);
    std::vector<int64_t> coord(r - 2, 0);
    int64_t base = 0;
    for (int64_t p = 0; p < planes; ++p) {
      const float* src = in + base;
      float* dst = out + p * rows * cols;
      if (col_stride == 1) {
        for (int64_t i = 0; i < rows; ++i)
          std::memcpy(dst + i * cols, src + i * row_stride, size_t(cols) * sizeof(float));
      } else {
        constexpr int64_t kTile = 32;
        for (int64_t i0 = 0; i0 < rows; i0 += kTile) {
          const int64_t i1 = std::min(rows, i0 + kTile);
          for (int64_t j0 = 0; j0 < cols; j0 += kTile) {
            const int64_t j1 = std::min(cols, j0 + kTile);
            for (int64_t i = i0; i < i1; ++i) {
              for (int64_t j = j0; j < j1; ++j) dst[i * cols + j] = src[i * row_stride + j * col_stride];
            }
          }
        }
      }
      for (size_t k = r - 2; k-- > 0;) {  // odometer over the outer dims
        base += strides_[k];
        if (++coord[k] < dims_[k]) break;
        base -= dims_[k] * strides_[k];
        coord[k] = 0;
      }
    }
  }

 private:
  int64_t count_ = 0;
  std::vector<int64_t> dims_;     // collapsed output dims
  std::vector<int64_t> strides_;  // input stride of each
};

template <typename K>
std::unique_ptr<Kernel> make() {
  return std::make_unique<K>();
}

}  // namespace

void register_shape_ops(KernelRegistry& registry) {
  registry.add("Reshape", make<ReshapeKernel>);
  registry.add("Flatten", make<FlattenKernel>);
  registry.add("Transpose", make<TransposeKernel>);
  registry.add("Squeeze", make<SqueezeKernel>);
  registry.add("Unsqueeze", make<UnsqueezeKernel>);
  registry.add("Identity", make<IdentityKernel>);
  registry.add("Dropout", make<DropoutKernel>);
}

}  // namespace cairn
