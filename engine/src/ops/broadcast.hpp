// Shape helpers shared by the elementwise and tensor kernels: NumPy broadcasting and its collapsed loop nest,
// axis normalisation, prepare-time constant inputs, and splitting flat work over the thread pool.
#pragma once

#include <algorithm>
#include <cstdint>
#include <functional>
#include <optional>
#include <vector>

#include "cairn/status.hpp"
#include "graph/tensor.hpp"
#include "ops/kernel.hpp"

namespace cairn {

// NumPy multidirectional broadcasting: shapes are right-aligned, each pair of dimensions must be equal or one of
// them 1. The error (invalid_model) names both shapes: "cannot broadcast 1x3x4 with 1x5x4".
Result<Shape> broadcast_shapes(const Shape& a, const Shape& b);

// Element strides (C order) of a tensor of shape `in` read through a broadcast to `out` (rank(in) <= rank(out),
// already checked compatible): one stride per dimension of `out`, 0 where `in` is broadcast.
std::vector<int64_t> broadcast_strides(const Shape& in, const Shape& out);

// The loop nest of a two-input broadcast after dropping size-1 dimensions and merging dimensions that stay
// contiguous in both inputs. Same-shape and scalar operands collapse to a single row, a per-channel bias to rows of
// H*W. The innermost stride of each input is 0 (broadcast along the row) or 1.
struct BroadcastPlan {
  std::vector<int64_t> dims;       // at least one dimension; the last is the row
  std::vector<int64_t> a_strides;  // per dim, in elements
  std::vector<int64_t> b_strides;
  int64_t count = 0;  // output elements

  int64_t row_length() const { return dims.back(); }
  bool a_row_contiguous() const { return a_strides.back() != 0; }
  bool b_row_contiguous() const { return b_strides.back() != 0; }
};
BroadcastPlan make_broadcast_plan(const Shape& a, const Shape& b, const Shape& out);

// Calls fn(a_offset, b_offset, out_offset, length) for each run of output elements in [begin, end) that lies within
// one row; offsets are of the first element of the run.
template <typename Fn>
void for_each_broadcast_run(const BroadcastPlan& plan, int64_t begin, int64_t end, Fn&& fn) {
  if (begin >= end) return;
  const size_t outer_rank = plan.dims.size() - 1;
  const int64_t length = plan.row_length();
  const int64_t a_step = plan.a_strides.back();
  const int64_t b_step = plan.b_strides.back();
  std::vector<int64_t> coord(outer_rank);
  int64_t row = begin / length;
  int64_t col = begin % length;
  int64_t a_row = 0;
  int64_t b_row = 0;
  for (size_t k = outer_rank; k-- > 0;) {
    coord[k] = row % plan.dims[k];
    row /= plan.dims[k];
    a_row += coord[k] * plan.a_strides[k];
    b_row += coord[k] * plan.b_strides[k];
  }
  for (int64_t pos = begin; pos < end;) {
    const int64_t run = std::min(length - col, end - pos);
    fn(a_row + col * a_step, b_row + col * b_step, pos, run);
    pos += run;
    col = 0;
    for (size_t k = outer_rank; k-- > 0;) {  // odometer over the outer dimensions
      a_row += plan.a_strides[k];
      b_row += plan.b_strides[k];
      if (++coord[k] < plan.dims[k]) break;
      a_row -= plan.dims[k] * plan.a_strides[k];
      b_row -= plan.dims[k] * plan.b_strides[k];
      coord[k] = 0;
    }
  }
}

// `axis` in [-rank, rank) mapped to [0, rank); nullopt when out of range.
std::optional<int64_t> normalize_axis(int64_t axis, int64_t rank);

// A data input: present, and float at run time (integer tensors are folded by the loader before kernels see them).
Status require_float_input(const PrepareContext& ctx, size_t index, const char* what);

// Values of an input that must be known at load time (a shape, axes, pads, scales, sizes, a bound).
// `what` names it in the messages: "'shape' input must be a constant known at load time".
Result<std::vector<int64_t>> constant_input_ints(const PrepareContext& ctx, size_t index, const char* what);
Result<std::vector<float>> constant_input_floats(const PrepareContext& ctx, size_t index, const char* what);

// Calls fn(begin, end) on contiguous chunks covering [0, n) of at least `grain` items each (except the last),
// on the pool when there is one and the work is worth splitting.
void parallel_ranges(ThreadPool* pool, int64_t n, int64_t grain, const std::function<void(int64_t, int64_t)>& fn);

}  // namespace cairn
