// BatchNormalization in inference mode: y = (x - mean) / sqrt(var + epsilon) * scale + B, folded per channel
// into y = x * a + b (at prepare when the four parameters are constants). The graph pass folds most
// BatchNormalization nodes into the preceding Conv; this kernel serves the rest.
#include <cmath>
#include <memory>
#include <vector>

#include "ops/conv.hpp"
#include "ops/kernel.hpp"

namespace cairn {

namespace {

class BatchNormKernel final : public Kernel {
 public:
  Status prepare(const PrepareContext& ctx, std::vector<Shape>& output_shapes) override;
  double flops() const override { return flops_; }
  size_t scratch_floats() const override { return folded_.empty() ? size_t(2 * params_) : 0; }
  void run(const RunContext& ctx) const override;

 private:
  // a = scale / sqrt(var + epsilon), b = B - mean * a, into folded[0..params) and folded[params..2 params).
  void fold(const float* scale, const float* bias, const float* mean, const float* var, float* folded) const;

  int64_t batch_ = 0;
  int64_t channels_ = 0;
  int64_t inner_ = 0;   // elements per channel and image
  int64_t params_ = 0;  // channels, or channels * inner for the per-activation form (spatial = 0)
  bool per_activation_ = false;
  float epsilon_ = 1e-5f;
  std::vector<float> folded_;  // when all parameters are constants
  FusedActivation activation_;
  double flops_ = 0;
};

Status BatchNormKernel::prepare(const PrepareContext& ctx, std::vector<Shape>& output_shapes) {
  if (ctx.num_inputs() != 5) {
    return ctx.error("expects 5 inputs (X, scale, B, mean, var), got " + std::to_string(ctx.num_inputs()));
  }
  for (size_t i = 0; i < 5; ++i) {
    if (!ctx.has_input(i)) return ctx.error("input " + std::to_string(i) + " is required");
    if (is_integer_type(ctx.input(i).type)) {
      return ctx.unsupported_feature(std::string("input ") + std::to_string(i) + " of type " +
                                     data_type_name(ctx.input(i).type) + " (only float tensors)");
    }
  }
  if (ctx.node.attr_int("training_mode", 0) != 0) {
    return ctx.unsupported_feature("training_mode=1 (only inference is supported)");
  }
  const auto& outputs = ctx.node.outputs;
  if (outputs.empty() || outputs[0] < 0) return ctx.error("output Y is required");
  for (size_t i = 1; i < outputs.size(); ++i) {
    if (outputs[i] >= 0) {
      return ctx.unsupported_feature("output " + std::to_string(i) +
                                     " (running or saved statistics are training outputs)");
    }
  }
  const Shape& x_shape = ctx.input(0).shape;
  if (x_shape.size() < 2) return ctx.error("input X must have rank >= 2 (N x C ...), got " + shape_to_string(x_shape));
  auto x_count = checked_element_count(x_shape, ctx.max_elements);
  if (!x_count) return x_count.status().with_context(ctx.node.describe());
  batch_ = x_shape[0];
  channels_ = x_shape[1];
  inner_ = 1;
  for (size_t i = 2; i < x_shape.size(); ++i) inner_ *= x_shape[i];
  // Opsets before 9 have `spatial`; spatial = 0 gives every activation its own statistics (shape C x D1 ...).
  per_activation_ = ctx.opset < 9 && ctx.node.attr_int("spatial", 1) == 0;
  params_ = per_activation_ ? channels_ * inner_ : channels_;
  static const char* const kNames[] = {"X", "scale", "B", "mean", "var"};
  for (size_t i = 1; i < 5; ++i) {
    const Shape& shape = ctx.input(i).shape;
    auto count = checked_element_count(shape, ctx.max_elements);
    if (!count) return count.status().with_context(ctx.node.describe());
    if (*count != params_) {
      return ctx.error(std::string(kNames[i]) + " " + shape_to_string(shape) + " must have " +
                       std::to_string(params_) + " elements for input " + shape_to_string(x_shape) +
                       (per_activation_ ? " with spatial=0" : ""));
    }
  }
  epsilon_ = ctx.node.attr_float("epsilon", 1e-5f);
  if (!(epsilon_ >= 0.0f) || !std::isfinite(epsilon_)) {
    return ctx.error("epsilon " + std::to_string(epsilon_) + " must be finite and non-negative");
  }
  folded_.clear();
  bool all_constant = true;
  for (size_t i = 1; i < 5; ++i) {
    const ConstTensor* c = ctx.input(i).constant;
    all_constant = all_constant && c != nullptr && c->is_float() && int64_t(c->floats.size()) == params_;
  }
  if (all_constant) {
    folded_.resize(size_t(2 * params_));
    fold(ctx.input(1).constant->floats.data(), ctx.input(2).constant->floats.data(),
         ctx.input(3).constant->floats.data(), ctx.input(4).constant->floats.data(), folded_.data());
  }
  activation_ = ctx.node.activation;
  flops_ = 2.0 * double(*x_count);
  output_shapes.assign(outputs.size(), Shape{});
  output_shapes[0] = x_shape;
  return Status::ok();
}

void BatchNormKernel::fold(const float* scale, const float* bias, const float* mean, const float* var,
                           float* folded) const {
  for (int64_t i = 0; i < params_; ++i) {
    const double a = double(scale[i]) / std::sqrt(double(var[i]) + double(epsilon_));
    folded[i] = float(a);
    folded[params_ + i] = float(double(bias[i]) - double(mean[i]) * a);
  }
}

void BatchNormKernel::run(const RunContext& ctx) const {
  const float* folded = folded_.data();
  if (folded_.empty()) {
    fold(ctx.inputs[1].data, ctx.inputs[2].data, ctx.inputs[3].data, ctx.inputs[4].data, ctx.scratch);
    folded = ctx.scratch;
  }
  const float* x = ctx.inputs[0].data;
  float* y = ctx.outputs[0].data;
  for (int64_t n = 0; n < batch_; ++n) {
    if (ctx.cancelled()) return;
    for (int64_t c = 0; c < channels_; ++c) {
      const int64_t offset = (n * channels_ + c) * inner_;
      if (per_activation_) {
        const float* a = folded + c * inner_;
        const float* b = folded + params_ + c * inner_;
        for (int64_t i = 0; i < inner_; ++i) y[offset + i] = activation_.apply(x[offset + i] * a[i] + b[i]);
      } else {
        const float a = folded[c];
        const float b = folded[params_ + c];
        for (int64_t i = 0; i < inner_; ++i) y[offset + i] = x[offset + i] * a;
        apply_bias_activation(y + offset, inner_, b, activation_);
      }
    }
  }
}

}  // namespace

std::unique_ptr<Kernel> make_batch_norm() { return std::make_unique<BatchNormKernel>(); }

}  // namespace cairn
