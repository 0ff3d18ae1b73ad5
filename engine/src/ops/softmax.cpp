// Softmax, numerically stable (the maximum is subtracted before exponentiating).
// Opset < 13: the input is coerced to 2-D at `axis` (default 1) and each row of prod(dims[axis:]) is normalised.
// Opset >= 13: normalised along the single axis `axis` (default -1).
#include <algorithm>
#include <cmath>
#include <memory>
#include <string>

#include "ops/broadcast.hpp"
#include "ops/kernel.hpp"

namespace cairn {
namespace {

// One contiguous row of n values.
void softmax_row(const float* x, float* y, int64_t n) {
  if (n <= 0) return;
  float max = x[0];
  for (int64_t i = 1; i < n; ++i) max = std::max(max, x[i]);
  float sum = 0.0f;
  for (int64_t i = 0; i < n; ++i) {
    y[i] = std::exp(x[i] - max);
    sum += y[i];
  }
  const float inv = 1.0f / sum;
  for (int64_t i = 0; i < n; ++i) y[i] *= inv;
}

// n values at stride `inner`, for `width` adjacent columns at once (width <= kColumns): the rows stay in cache.
constexpr int64_t kColumns = 64;
void softmax_columns(const float* x, float* y, int64_t n, int64_t inner, int64_t width) {
  float max[kColumns];
  float sum[kColumns];
  for (int64_t j = 0; j < width; ++j) {
    max[j] = x[j];
    sum[j] = 0.0f;
  }
  for (int64_t k = 1; k < n; ++k) {
    for (int64_t j = 0; j < width; ++j) max[j] = std::max(max[j], x[k * inner + j]);
  }
  for (int64_t k = 0; k < n; ++k) {
    for (int64_t j = 0; j < width; ++j) {
      const float e = std::exp(x[k * inner + j] - max[j]);
      y[k * inner + j] = e;
      sum[j] += e;
    }
  }
  for (int64_t j = 0; j < width; ++j) sum[j] = 1.0f / sum[j];
  for (int64_t k = 0; k < n; ++k) {
    for (int64_t j = 0; j < width; ++j) y[k * inner + j] *= sum[j];
  }
}

class SoftmaxKernel : public Kernel {
 public:
  Status prepare(const PrepareContext& ctx, std::vector<Shape>& output_shapes) override {
    CAIRN_RETURN_IF_ERROR(require_float_input(ctx, 0, "input"));
    const Shape& shape = ctx.input(0).shape;
    auto count = checked_element_count(shape, ctx.max_elements);
    if (!count) return count.status().with_context(ctx.node.describe());
    const int64_t rank = int64_t(shape.size());
    if (rank == 0) return ctx.error("input must have rank >= 1, got a scalar");
    const bool coerce_2d = ctx.opset < 13;
    const int64_t axis_attr = ctx.node.attr_int("axis", coerce_2d ? 1 : -1);
    const auto axis = normalize_axis(axis_attr, rank);
    if (!axis) {
      return ctx.error("axis " + std::to_string(axis_attr) + " is out of range for input of shape " +
                       shape_to_string(shape));
    }
    outer_ = 1;
    for (int64_t i = 0; i < *axis; ++i) outer_ *= shape[size_t(i)];
    inner_ = 1;
    for (int64_t i = *axis + 1; i < rank; ++i) inner_ *= shape[size_t(i)];
    n_ = shape[size_t(*axis)];
    if (coerce_2d) {  // rows of everything from axis on
      n_ *= inner_;
      inner_ = 1;
    }
    count_ = *count;
    output_shapes[0] = shape;
    return Status::ok();
  }

  double flops() const override { return 5.0 * double(count_); }

  void run(const RunContext& ctx) const override {
    const float* x = ctx.inputs[0].data;
    float* y = ctx.outputs[0].data;
    if (count_ == 0) return;
    const int64_t slab = n_ * inner_;  // one outer index
    const int64_t grain = std::max<int64_t>(1, (1 << 14) / std::max<int64_t>(slab, 1));
    parallel_ranges(ctx.pool, outer_, grain, [&](int64_t begin, int64_t end) {
      for (int64_t o = begin; o < end; ++o) {
        const float* xo = x + o * slab;
        float* yo = y + o * slab;
        if (inner_ == 1) {
          softmax_row(xo, yo, n_);
          continue;
        }
        for (int64_t j = 0; j < inner_; j += kColumns) {
          softmax_columns(xo + j, yo + j, n_, inner_, std::min(kColumns, inner_ - j));
        }
      }
    });
  }

 private:
  int64_t outer_ = 0;
  int64_t n_ = 0;
  int64_t inner_ = 1;
  int64_t count_ = 0;
};

}  // namespace

void register_softmax_ops(KernelRegistry& registry) {
  registry.add("Softmax", [] { return std::unique_ptr<Kernel>(std::make_unique<SoftmaxKernel>()); });
}

}  // namespace cairn
