// Convolution helpers shared by the Conv, ConvTranspose and Gemm/MatMul kernels and their tests: the bias +
// fused-activation epilogue, and the naive direct convolution that is the tests' oracle for the fast path.
#pragma once

#include <cstdint>
#include <functional>

#include "graph/graph.hpp"
#include "kernels/epilogue.hpp"
#include "ops/conv_geometry.hpp"

namespace cairn {

class RunContext;

// y[i] = act(y[i] + bias) for i < n, with the switch on the activation outside the loop.
void apply_bias_activation(float* y, int64_t n, float bias, const FusedActivation& activation);

// The part of `activation` that kernels apply in their epilogue (kernels/epilogue.hpp): all of it except Sigmoid and
// Tanh, which become kNone there and are left to apply_bias_activation with a zero bias (see leaves_activation).
kernels::Epilogue kernel_epilogue(const FusedActivation& activation);
inline bool leaves_activation(const FusedActivation& activation) {
  return activation.kind == FusedActivation::Kind::kSigmoid || activation.kind == FusedActivation::Kind::kTanh;
}

// Operators of fewer floating-point operations run on the calling thread (parallel_units): splitting them moves
// their data between the cores' caches for little work.
inline constexpr double kMinParallelFlops = 2e6;

// Runs body(slot, begin, end) over the work units [0, count) (tiles of output pixels, usually), split over the
// run's thread pool in waves: each wave gives every thread one contiguous range, and `slot` (< threads) names
// the per-thread scratch the body may use. Every unit is computed the same way whichever thread runs it, so
// results do not depend on the thread count. Between waves the calling thread reports progress (flops_per_unit
// per unit done) and stops when the run is cancelled. `threads` is the kernel's prepared thread count (its
// scratch slots); fewer are used when the pool is smaller.
void parallel_units(const RunContext& ctx, int threads, int64_t count, double flops_per_unit,
                    const std::function<void(int slot, int64_t begin, int64_t end)>& body);

// The obviously-correct convolution, used only as the oracle of the tests: seven nested loops in double,
// X [batch, in_channels, in...], W [out_channels, in_channels / group, kernel...], bias [out_channels] or null,
// Y [batch, out_channels, out...] in the canonical 3-D form of `g`. The result is rounded to float and the
// activation applied. When abs_sum is not null it receives, per output, the sum of |w * x| over the dot product
// (before bias and activation), from which the tests derive their error bound.
void conv_direct_naive(const SpatialGeometry& g, int64_t batch, int64_t in_channels, int64_t out_channels,
                       int64_t group, const float* x, const float* w, const float* bias,
                       const FusedActivation& activation, float* y, double* abs_sum);

}  // namespace cairn
