// Concat along any axis (negative axes count from the back): for each index of the dimensions before the axis,
// every input contributes one contiguous block of dims[axis] * inner elements. When the memory plan placed an input
// inside the output (runtime/plan.hpp, Concat without copies), its block is skipped.
#include <cstring>
#include <memory>
#include <string>

#include "ops/broadcast.hpp"
#include "ops/kernel.hpp"

namespace cairn {
namespace {

class ConcatKernel : public Kernel {
 public:
  Status prepare(const PrepareContext& ctx, std::vector<Shape>& output_shapes) override {
    if (ctx.num_inputs() == 0) return ctx.error("needs at least one input");
    for (size_t i = 0; i < ctx.num_inputs(); ++i) {
      CAIRN_RETURN_IF_ERROR(require_float_input(ctx, i, ("inputs[" + std::to_string(i) + "]").c_str()));
    }
    if (!ctx.node.has_attr("axis") && ctx.opset >= 4) return ctx.error("missing the 'axis' attribute");
    const int64_t axis_attr = ctx.node.attr_int("axis", 1);
    const Shape& first = ctx.input(0).shape;
    const int64_t rank = int64_t(first.size());
    if (rank == 0) return ctx.error("cannot concatenate scalars");
    const auto axis = normalize_axis(axis_attr, rank);
    if (!axis) {
      return ctx.error("axis " + std::to_string(axis_attr) + " is out of range for inputs of rank " +
                       std::to_string(rank));
    }
    Shape out = first;
    out[size_t(*axis)] = 0;
    for (size_t i = 0; i < ctx.num_inputs(); ++i) {
      const Shape& s = ctx.input(i).shape;
      bool compatible = s.size() == first.size();
      for (size_t d = 0; compatible && d < s.size(); ++d) compatible = int64_t(d) == *axis || s[d] == first[d];
      if (!compatible) {
        return ctx.error("cannot concatenate " + shape_to_string(first) + " with " + shape_to_string(s) +
                         " along axis " + std::to_string(*axis));
      }
      if (s[size_t(*axis)] < 0 || s[size_t(*axis)] > ctx.max_elements) {
        return ctx.error("bad dimension in input shape " + shape_to_string(s));
      }
      out[size_t(*axis)] += s[size_t(*axis)];
    }
    auto count = checked_element_count(out, ctx.max_elements);
    if (!count) return count.status().with_context(ctx.node.describe());
    outer_ = 1;
    for (int64_t d = 0; d < *axis; ++d) outer_ *= out[size_t(d)];
    int64_t inner = 1;
    for (size_t d = size_t(*axis) + 1; d < out.size(); ++d) inner *= out[d];
    blocks_.clear();
    for (size_t i = 0; i < ctx.num_inputs(); ++i) blocks_.push_back(ctx.input(i).shape[size_t(*axis)] * inner);
    out_block_ = out[size_t(*axis)] * inner;
    if (*count == 0) outer_ = 0;
    output_shapes[0] = out;
    return Status::ok();
  }

  void run(const RunContext& ctx) const override {
    float* out = ctx.outputs[0].data;
    for (int64_t o = 0; o < outer_; ++o) {
      float* dst = out + o * out_block_;
      for (size_t i = 0; i < blocks_.size(); ++i) {
        const int64_t n = blocks_[i];
        const float* src = ctx.inputs[i].data + o * n;
        // An input the memory plan computed in place (runtime/plan.hpp) is already there.
        if (n != 0 && src != dst) std::memcpy(dst, src, size_t(n) * sizeof(float));
        dst += n;
      }
    }
  }

 private:
  int64_t outer_ = 0;
  int64_t out_block_ = 0;
  std::vector<int64_t> blocks_;  // elements each input contributes per outer index
};

}  // namespace

void register_concat_ops(KernelRegistry& registry) {
  registry.add("Concat", [] { return std::unique_ptr<Kernel>(std::make_unique<ConcatKernel>()); });
}

}  // namespace cairn
