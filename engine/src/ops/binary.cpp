// Add, Sub, Mul, Div with NumPy multidirectional broadcasting. The broadcast is collapsed at prepare time into rows
// (see BroadcastPlan) so the inner loops are always one of three contiguous forms: vector-vector, vector-scalar or
// scalar-vector. Same shapes and scalar operands are a single row; a per-channel bias is rows of H*W.
#include <memory>
#include <string>

#include "ops/broadcast.hpp"
#include "ops/kernel.hpp"

namespace cairn {
namespace {

struct AddOp {
  static float apply(float a, float b) { return a + b; }
};
struct SubOp {
  static float apply(float a, float b) { return a - b; }
};
struct MulOp {
  static float apply(float a, float b) { return a * b; }
};
struct DivOp {
  static float apply(float a, float b) { return a / b; }
};

template <typename Op>
void row_vector_vector(const float* a, const float* b, float* out, int64_t n) {
  for (int64_t i = 0; i < n; ++i) out[i] = Op::apply(a[i], b[i]);
}

template <typename Op>
void row_vector_scalar(const float* a, float b, float* out, int64_t n) {
  for (int64_t i = 0; i < n; ++i) out[i] = Op::apply(a[i], b);
}

template <typename Op>
void row_scalar_vector(float a, const float* b, float* out, int64_t n) {
  for (int64_t i = 0; i < n; ++i) out[i] = Op::apply(a, b[i]);
}

template <typename Op>
class BinaryKernel : public Kernel {
 public:
  Status prepare(const PrepareContext& ctx, std::vector<Shape>& output_shapes) override {
    if (ctx.num_inputs() != 2) {
      return ctx.error("expects 2 inputs, got " + std::to_string(ctx.num_inputs()));
    }
    CAIRN_RETURN_IF_ERROR(require_float_input(ctx, 0, "A"));
    CAIRN_RETURN_IF_ERROR(require_float_input(ctx, 1, "B"));
    const Shape& a = ctx.input(0).shape;
    const Shape& b = ctx.input(1).shape;
    auto out = broadcast_shapes(a, b);
    if (!out) return out.status().with_context(ctx.node.describe());
    auto count = checked_element_count(*out, ctx.max_elements);
    if (!count) return count.status().with_context(ctx.node.describe());
    plan_ = make_broadcast_plan(a, b, *out);
    output_shapes[0] = *out;
    return Status::ok();
  }

  double flops() const override { return double(plan_.count); }

  void run(const RunContext& ctx) const override {
    const float* a = ctx.inputs[0].data;
    const float* b = ctx.inputs[1].data;
    float* out = ctx.outputs[0].data;
    const bool a_vec = plan_.a_row_contiguous();
    const bool b_vec = plan_.b_row_contiguous();
    parallel_ranges(ctx.pool, plan_.count, 1 << 14, [&](int64_t begin, int64_t end) {
      for_each_broadcast_run(plan_, begin, end, [&](int64_t ia, int64_t ib, int64_t io, int64_t n) {
        if (a_vec && b_vec) {
          row_vector_vector<Op>(a + ia, b + ib, out + io, n);
        } else if (a_vec) {
          row_vector_scalar<Op>(a + ia, b[ib], out + io, n);
        } else if (b_vec) {
          row_scalar_vector<Op>(a[ia], b + ib, out + io, n);
        } else {  // both broadcast along the row: only for a single-element output
          for (int64_t i = 0; i < n; ++i) out[io + i] = Op::apply(a[ia], b[ib]);
        }
      });
    });
  }

 private:
  BroadcastPlan plan_;
};

template <typename Op>
std::unique_ptr<Kernel> make_binary() {
  return std::make_unique<BinaryKernel<Op>>();
}

}  // namespace

void register_binary_ops(KernelRegistry& registry) {
  registry.add("Add", make_binary<AddOp>);
  registry.add("Sub", make_binary<SubOp>);
  registry.add("Mul", make_binary<MulOp>);
  registry.add("Div", make_binary<DivOp>);
}

}  // namespace cairn
