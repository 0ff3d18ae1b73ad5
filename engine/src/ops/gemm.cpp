// Gemm (Y = alpha * A' * B' + beta * C) and MatMul (NumPy semantics: 1-D promotion, batch broadcasting), both on
// the blocked GEMM of kernels/ref with the fused activation in the epilogue.
#include <algorithm>
#include <memory>
#include <vector>

#include "kernels/dispatch.hpp"
#include "kernels/ref/gemm_ref.hpp"
#include "ops/conv.hpp"
#include "ops/kernel.hpp"

namespace cairn {

namespace {

Status check_float_inputs(const PrepareContext& ctx) {
  for (size_t i = 0; i < ctx.num_inputs(); ++i) {
    if (ctx.has_input(i) && is_integer_type(ctx.input(i).type)) {
      return ctx.unsupported_feature(std::string("input ") + std::to_string(i) + " of type " +
                                     data_type_name(ctx.input(i).type) + " (only float tensors)");
    }
  }
  return Status::ok();
}

class GemmKernel final : public Kernel {
 public:
  Status prepare(const PrepareContext& ctx, std::vector<Shape>& output_shapes) override;
  double flops() const override { return flops_; }
  size_t scratch_floats() const override { return kernels::gemm_workspace_floats(m_, n_, k_); }
  void run(const RunContext& ctx) const override;

 private:
  int64_t m_ = 0;
  int64_t n_ = 0;
  int64_t k_ = 0;
  bool trans_a_ = false;
  bool trans_b_ = false;
  float alpha_ = 1.0f;
  float beta_ = 1.0f;
  bool has_c_ = false;
  int64_t c_row_stride_ = 0;  // 0 when C broadcasts along M
  int64_t c_col_stride_ = 0;  // 0 when C broadcasts along N
  FusedActivation activation_;
  double flops_ = 0;
  const kernels::GemmMicrokernel* gemm_ = kernels::active_kernels().gemm;
};

Status GemmKernel::prepare(const PrepareContext& ctx, std::vector<Shape>& output_shapes) {
  CAIRN_RETURN_IF_ERROR(check_float_inputs(ctx));
  if (!ctx.has_input(0) || !ctx.has_input(1)) return ctx.error("inputs A and B are required");
  if (ctx.num_inputs() > 3) return ctx.error("at most 3 inputs (A, B, C), got " + std::to_string(ctx.num_inputs()));
  if (ctx.node.outputs.size() != 1) return ctx.error("expects exactly one output");
  const Shape& a = ctx.input(0).shape;
  const Shape& b = ctx.input(1).shape;
  if (a.size() != 2 || b.size() != 2) {
    return ctx.error("A " + shape_to_string(a) + " and B " + shape_to_string(b) + " must both be 2-D");
  }
  for (const Shape* s : {&a, &b}) {
    auto count = checked_element_count(*s, ctx.max_elements);
    if (!count) return count.status().with_context(ctx.node.describe());
  }
  const int64_t trans_a = ctx.node.attr_int("transA", 0);
  const int64_t trans_b = ctx.node.attr_int("transB", 0);
  if ((trans_a != 0 && trans_a != 1) || (trans_b != 0 && trans_b != 1)) {
    return ctx.error("transA and transB must be 0 or 1");
  }
  trans_a_ = trans_a == 1;
  trans_b_ = trans_b == 1;
  m_ = trans_a_ ? a[1] : a[0];
  k_ = trans_a_ ? a[0] : a[1];
  n_ = trans_b_ ? b[0] : b[1];
  const int64_t k_b = trans_b_ ? b[1] : b[0];
  if (k_ != k_b) {
    return ctx.error("inner dimensions do not match: A " + shape_to_string(a) + (trans_a_ ? " (transposed)" : "") +
                     " and B " + shape_to_string(b) + (trans_b_ ? " (transposed)" : ""));
  }
  alpha_ = ctx.node.attr_float("alpha", 1.0f);
  beta_ = ctx.node.attr_float("beta", 1.0f);
  has_c_ = ctx.has_input(2);
  if (has_c_) {
    const Shape& c = ctx.input(2).shape;
    // Unidirectional broadcast of C to (M, N): right-aligned, each dim 1 or equal.
    bool ok = c.size() <= 2;
    const int64_t cm = c.size() == 2 ? c[0] : 1;
    const int64_t cn = c.empty() ? 1 : c.back();
    ok = ok && (cm == 1 || cm == m_) && (cn == 1 || cn == n_);
    if (!ok) {
      return ctx.error("C " + shape_to_string(c) + " cannot be broadcast to the output " +
                       shape_to_string(Shape{m_, n_}));
    }
    c_col_stride_ = cn == 1 ? 0 : 1;
    c_row_stride_ = cm == 1 ? 0 : cn;
  }
  const Shape y_shape{m_, n_};
  auto y_count = checked_element_count(y_shape, ctx.max_elements);
  if (!y_count) return y_count.status().with_context(ctx.node.describe() + ": output");
  activation_ = ctx.node.activation;
  flops_ = 2.0 * double(m_) * double(n_) * double(k_);
  output_shapes.assign(1, y_shape);
  return Status::ok();
}

void GemmKernel::run(const RunContext& ctx) const {
  const float* a = ctx.inputs[0].data;
  const float* b = ctx.inputs[1].data;
  float* y = ctx.outputs[0].data;
  // A' (M x K): A is M x K, or K x M read transposed.
  const kernels::MatrixView a_view = trans_a_ ? kernels::MatrixView{a, 1, m_} : kernels::MatrixView{a, k_, 1};
  const kernels::MatrixView b_view = trans_b_ ? kernels::MatrixView{b, 1, k_} : kernels::MatrixView{b, n_, 1};
  kernels::gemm(*gemm_, m_, n_, k_, a_view, b_view, y, n_, /*accumulate=*/false, ctx.scratch);
  const float* c = has_c_ && beta_ != 0.0f ? ctx.inputs[2].data : nullptr;  // beta = 0 ignores C, as ONNX Runtime
  for (int64_t i = 0; i < m_; ++i) {
    float* row = y + i * n_;
    if (alpha_ != 1.0f) {
      for (int64_t j = 0; j < n_; ++j) row[j] *= alpha_;
    }
    if (c != nullptr) {
      const float* c_row = c + i * c_row_stride_;
      for (int64_t j = 0; j < n_; ++j) row[j] += beta_ * c_row[j * c_col_stride_];
    }
    apply_bias_activation(row, n_, 0.0f, activation_);
  }
  ctx.progress(flops_);
}

class MatMulKernel final : public Kernel {
 public:
  Status prepare(const PrepareContext& ctx, std::vector<Shape>& output_shapes) override;
  double flops() const override { return flops_; }
  size_t scratch_floats() const override { return kernels::gemm_workspace_floats(m_, n_, k_); }
  void run(const RunContext& ctx) const override;

 private:
  int64_t m_ = 0;
  int64_t n_ = 0;
  int64_t k_ = 0;
  Shape batch_;                    // broadcast batch dims of the output
  std::vector<int64_t> a_stride_;  // per batch dim, in matrices of A (0 where A broadcasts)
  std::vector<int64_t> b_stride_;
  int64_t batch_count_ = 0;
  FusedActivation activation_;
  double flops_ = 0;
  const kernels::GemmMicrokernel* gemm_ = kernels::active_kernels().gemm;
};

Status MatMulKernel::prepare(const PrepareContext& ctx, std::vector<Shape>& output_shapes) {
  CAIRN_RETURN_IF_ERROR(check_float_inputs(ctx));
  if (ctx.num_inputs() != 2 || !ctx.has_input(0) || !ctx.has_input(1)) return ctx.error("expects inputs A and B");
  if (ctx.node.outputs.size() != 1) return ctx.error("expects exactly one output");
  const Shape& a = ctx.input(0).shape;
  const Shape& b = ctx.input(1).shape;
  if (a.empty() || b.empty()) {
    return ctx.error("A " + shape_to_string(a) + " and B " + shape_to_string(b) + " must have rank >= 1");
  }
  for (const Shape* s : {&a, &b}) {
    auto count = checked_element_count(*s, ctx.max_elements);
    if (!count) return count.status().with_context(ctx.node.describe());
  }
  // 1-D promotion: A (K) is 1 x K, B (K) is K x 1; the added dim is removed from the output.
  Shape a2 = a.size() == 1 ? Shape{1, a[0]} : a;
  Shape b2 = b.size() == 1 ? Shape{b[0], 1} : b;
  m_ = a2[a2.size() - 2];
  k_ = a2.back();
  n_ = b2.back();
  if (b2[b2.size() - 2] != k_) {
    return ctx.error("inner dimensions do not match: A " + shape_to_string(a) + " and B " + shape_to_string(b));
  }
  const size_t a_batch_rank = a2.size() - 2;
  const size_t b_batch_rank = b2.size() - 2;
  const size_t rank = std::max(a_batch_rank, b_batch_rank);
  batch_.assign(rank, 1);
  a_stride_.assign(rank, 0);
  b_stride_.assign(rank, 0);
  for (size_t i = 0; i < rank; ++i) {
    const int64_t da = i + a_batch_rank >= rank ? a2[i + a_batch_rank - rank] : 1;
    const int64_t db = i + b_batch_rank >= rank ? b2[i + b_batch_rank - rank] : 1;
    if (da != db && da != 1 && db != 1) {
      return ctx.error("batch dimensions of A " + shape_to_string(a) + " and B " + shape_to_string(b) +
                       " do not broadcast");
    }
    batch_[i] = da == 1 ? db : da;
  }
  // Strides in matrices, innermost batch dim last; dims of size 1 broadcast (stride 0).
  int64_t a_step = 1;
  int64_t b_step = 1;
  for (size_t i = rank; i-- > 0;) {
    const int64_t da = i + a_batch_rank >= rank ? a2[i + a_batch_rank - rank] : 1;
    const int64_t db = i + b_batch_rank >= rank ? b2[i + b_batch_rank - rank] : 1;
    a_stride_[i] = da == 1 ? 0 : a_step;
    b_stride_[i] = db == 1 ? 0 : b_step;
    a_step *= da;
    b_step *= db;
  }
  Shape y_shape = batch_;
  if (a.size() > 1) y_shape.push_back(m_);
  if (b.size() > 1) y_shape.push_back(n_);
  auto y_count = checked_element_count(y_shape, ctx.max_elements);
  if (!y_count) return y_count.status().with_context(ctx.node.describe() + ": output");
  batch_count_ = shape_size(batch_);
  activation_ = ctx.node.activation;
  flops_ = 2.0 * double(batch_count_) * double(m_) * double(n_) * double(k_);
  output_shapes.assign(1, y_shape);
  return Status::ok();
}

void MatMulKernel::run(const RunContext& ctx) const {
  const float* a = ctx.inputs[0].data;
  const float* b = ctx.inputs[1].data;
  float* y = ctx.outputs[0].data;
  const size_t rank = batch_.size();
  std::vector<int64_t> index(rank, 0);
  double done = 0;
  for (int64_t batch = 0; batch < batch_count_; ++batch) {
    if (ctx.cancelled()) return;
    int64_t a_matrix = 0;
    int64_t b_matrix = 0;
    for (size_t i = 0; i < rank; ++i) {
      a_matrix += index[i] * a_stride_[i];
      b_matrix += index[i] * b_stride_[i];
    }
    float* yb = y + batch * m_ * n_;
    kernels::gemm(*gemm_, m_, n_, k_, kernels::MatrixView{a + a_matrix * m_ * k_, k_, 1},
                  kernels::MatrixView{b + b_matrix * k_ * n_, n_, 1}, yb, n_, /*accumulate=*/false, ctx.scratch);
    if (activation_.kind != FusedActivation::Kind::kNone) apply_bias_activation(yb, m_ * n_, 0.0f, activation_);
    done += 2.0 * double(m_) * double(n_) * double(k_);
    ctx.progress(done);
    for (size_t i = rank; i-- > 0;) {  // next batch multi-index
      if (++index[i] < batch_[i]) break;
      index[i] = 0;
    }
  }
}

}  // namespace

std::unique_ptr<Kernel> make_gemm() { return std::make_unique<GemmKernel>(); }
std::unique_ptr<Kernel> make_matmul() { return std::make_unique<MatMulKernel>(); }

}  // namespace cairn
