// Convolution helpers shared by the Conv, ConvTranspose and Gemm/MatMul kernels and their tests: the bias +
// fused-activation epilogue, and the naive direct convolution that is the tests' oracle for the fast path.
#pragma once

#include <cstdint>

#include "graph/graph.hpp"
#include "ops/conv_geometry.hpp"

namespace cairn {

// y[i] = act(y[i] + bias) for i < n, with the switch on the activation outside the loop.
void apply_bias_activation(float* y, int64_t n, float bias, const FusedActivation& activation);

// The obviously-correct convolution, used only as the oracle of the tests: seven nested loops in double,
// X [batch, in_channels, in...], W [out_channels, in_channels / group, kernel...], bias [out_channels] or null,
// Y [batch, out_channels, out...] in the canonical 3-D form of `g`. The result is rounded to float and the
// activation applied. When abs_sum is not null it receives, per output, the sum of |w * x| over the dot product
// (before bias and activation), from which the tests derive their error bound.
void conv_direct_naive(const SpatialGeometry& g, int64_t batch, int64_t in_channels, int64_t out_channels,
                       int64_t group, const float* x, const float* w, const float* bias,
                       const FusedActivation& activation, float* y, double* abs_sum);

}  // namespace cairn
