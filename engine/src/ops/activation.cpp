// Elementwise activations: Relu, LeakyRelu, Sigmoid, Tanh, Clip. Each is one loop over the flat tensor, split over
// the pool for large tensors; the output may alias the input.
#include <cmath>
#include <limits>
#include <memory>
#include <string>

#include "ops/broadcast.hpp"
#include "ops/kernel.hpp"

namespace cairn {
namespace {

void relu(const float* x, float* y, int64_t n) {
  for (int64_t i = 0; i < n; ++i) y[i] = x[i] < 0.0f ? 0.0f : x[i];  // NaN passes through
}

void leaky_relu(const float* x, float* y, int64_t n, float alpha) {
  for (int64_t i = 0; i < n; ++i) y[i] = x[i] < 0.0f ? alpha * x[i] : x[i];
}

// 1 / (1 + e^-x) without overflow: for x < 0 use e^x / (1 + e^x).
void sigmoid(const float* x, float* y, int64_t n) {
  for (int64_t i = 0; i < n; ++i) {
    const float v = x[i];
    if (v >= 0.0f) {
      y[i] = 1.0f / (1.0f + std::exp(-v));
    } else {
      const float e = std::exp(v);
      y[i] = e / (1.0f + e);
    }
  }
}

void tanh_(const float* x, float* y, int64_t n) {
  for (int64_t i = 0; i < n; ++i) y[i] = std::tanh(x[i]);
}

// min(max(x, lo), hi): when lo > hi every value becomes hi (as ONNX specifies); NaN passes through.
void clip(const float* x, float* y, int64_t n, float lo, float hi) {
  for (int64_t i = 0; i < n; ++i) {
    float v = x[i] < lo ? lo : x[i];
    y[i] = hi < v ? hi : v;
  }
}

enum class Activation { kRelu, kLeakyRelu, kSigmoid, kTanh, kClip };

class ActivationKernel : public Kernel {
 public:
  explicit ActivationKernel(Activation op) : op_(op) {}

  Status prepare(const PrepareContext& ctx, std::vector<Shape>& output_shapes) override {
    CAIRN_RETURN_IF_ERROR(require_float_input(ctx, 0, "X"));
    const Shape& shape = ctx.input(0).shape;
    auto count = checked_element_count(shape, ctx.max_elements);
    if (!count) return count.status().with_context(ctx.node.describe());
    count_ = *count;
    if (op_ == Activation::kLeakyRelu) alpha_ = ctx.node.attr_float("alpha", 0.01f);
    if (op_ == Activation::kClip) CAIRN_RETURN_IF_ERROR(prepare_clip(ctx));
    output_shapes[0] = shape;
    return Status::ok();
  }

  double flops() const override {
    const double per_element = op_ == Activation::kSigmoid || op_ == Activation::kTanh ? 4.0 : 1.0;
    return per_element * double(count_);
  }

  void run(const RunContext& ctx) const override {
    const float* x = ctx.inputs[0].data;
    float* y = ctx.outputs[0].data;
    const float lo = runtime_bound_[0] ? ctx.inputs[1].data[0] : min_;
    const float hi = runtime_bound_[1] ? ctx.inputs[2].data[0] : max_;
    parallel_ranges(ctx.pool, count_, 1 << 14, [&](int64_t begin, int64_t end) {
      const int64_t n = end - begin;
      switch (op_) {
        case Activation::kRelu: relu(x + begin, y + begin, n); break;
        case Activation::kLeakyRelu: leaky_relu(x + begin, y + begin, n, alpha_); break;
        case Activation::kSigmoid: sigmoid(x + begin, y + begin, n); break;
        case Activation::kTanh: tanh_(x + begin, y + begin, n); break;
        case Activation::kClip: clip(x + begin, y + begin, n, lo, hi); break;
      }
    });
  }

 private:
  // Clip bounds: attributes before opset 11, optional scalar inputs from 11 on (constant, or read at run time);
  // absent means unbounded.
  Status prepare_clip(const PrepareContext& ctx) {
    min_ = -std::numeric_limits<float>::infinity();
    max_ = std::numeric_limits<float>::infinity();
    if (ctx.opset < 11) {
      min_ = ctx.node.attr_float("min", min_);
      max_ = ctx.node.attr_float("max", max_);
      return Status::ok();
    }
    const char* names[2] = {"min", "max"};
    float* bounds[2] = {&min_, &max_};
    for (size_t i = 0; i < 2; ++i) {
      runtime_bound_[i] = false;
      if (!ctx.has_input(1 + i)) continue;
      CAIRN_RETURN_IF_ERROR(require_float_input(ctx, 1 + i, names[i]));
      const InputInfo& in = ctx.input(1 + i);
      if (shape_size(in.shape) != 1) {
        return ctx.error(std::string("'") + names[i] + "' must be a scalar, got shape " + shape_to_string(in.shape));
      }
      if (in.constant == nullptr) {
        runtime_bound_[i] = true;  // a float scalar computed by the graph: read when running
      } else {
        const std::vector<float> v = in.constant->to_floats();
        if (v.size() != 1) return ctx.error(std::string("'") + names[i] + "' must hold one value");
        *bounds[i] = v[0];
      }
    }
    return Status::ok();
  }

  Activation op_;
  int64_t count_ = 0;
  float alpha_ = 0.01f;
  float min_ = 0;
  float max_ = 0;
  bool runtime_bound_[2] = {false, false};  // min / max given as non-constant float scalars
};

template <Activation op>
std::unique_ptr<Kernel> make_activation() {
  return std::make_unique<ActivationKernel>(op);
}

}  // namespace

void register_activation_ops(KernelRegistry& registry) {
  registry.add("Relu", make_activation<Activation::kRelu>);
  registry.add("LeakyRelu", make_activation<Activation::kLeakyRelu>);
  registry.add("Sigmoid", make_activation<Activation::kSigmoid>);
  registry.add("Tanh", make_activation<Activation::kTanh>);
  registry.add("Clip", make_activation<Activation::kClip>);
}

}  // namespace cairn
