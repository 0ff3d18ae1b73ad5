// The direct convolutions of Conv, for the layers where im2col + GEMM spends its time packing (before: depthwise
// layers at 3 GFLOP/s, 3-channel stems and 3-D layers at 7-18 GFLOP/s).
//
// DepthwiseConv: one input channel per group (depthwise, channel multiplier allowed); each output plane is one
// unit of work for kernels/direct_conv.hpp's depthwise kernel, then bias and activation.
//
// RowBufferConv: any other grouped or ungrouped convolution (1-D, 2-D, 3-D, any stride, dilation and padding). A
// unit of work is a block of R output rows (fixed image, group and output depth). The input rows its taps read,
// row (c, kd, kh) of each output row, are copied once into a zero-padded row buffer, split into `stride` phases
// (phase p holds padded columns p, p + s, p + 2s...), so that the pixels of one output row for one tap (c, kd, kh,
// kw) are consecutive floats of one phase. The R output rows sit side by side, each L = out_w + (kw - 1) d / s
// columns wide (the last columns of each are computed and dropped), and a register-tiled micro-kernel computes
// mr output channels x nr columns as a GEMM whose B rows are read through a table of tap offsets: no im2col.
// Each output is the sum of its taps in their order, computed by one thread: results do not depend on the
// thread count.
#pragma once

#include <cstdint>
#include <vector>

#include "graph/graph.hpp"
#include "kernels/direct_conv.hpp"
#include "ops/conv_geometry.hpp"

namespace cairn {

class RunContext;

kernels::ConvWindow conv_window(const SpatialGeometry& g);

class DepthwiseConv {
 public:
  static bool supports(int64_t in_channels, int64_t group) { return group > 1 && in_channels == group; }
  DepthwiseConv(const SpatialGeometry& g, int64_t batch, int64_t channels, int64_t out_channels,
                kernels::DepthwiseConvFn kernel, int threads);
  size_t scratch_floats() const { return 0; }
  void run(const RunContext& ctx, const float* x, const float* w, float* y, const float* bias,
           const FusedActivation& activation) const;

 private:
  SpatialGeometry g_;
  kernels::ConvWindow window_{};
  int64_t batch_ = 0, channels_ = 0, out_channels_ = 0;
  int threads_ = 1;
  kernels::DepthwiseConvFn kernel_ = nullptr;
};

class RowBufferConv {
 public:
  // The row buffer of one unit is kept under about this many floats (1 MiB, in L2); layers whose single output
  // row would need more go through im2col + GEMM.
  static constexpr int64_t kMaxRowBufferFloats = 256 * 1024;
  // Whether a layer fits: not depthwise, and one output row's buffer under the limit.
  static bool supports(const SpatialGeometry& g, int64_t in_channels, int64_t group,
                       const kernels::DirectConvMicrokernel& uk);

  // w: [cout, cin / group, kernel...], packed once here.
  RowBufferConv(const SpatialGeometry& g, int64_t batch, int64_t in_channels, int64_t out_channels, int64_t group,
                const float* w, const kernels::DirectConvMicrokernel& uk, int threads);
  size_t scratch_floats() const { return slot_floats_ * size_t(threads_); }
  size_t packed_bytes() const { return packed_.size() * sizeof(float); }
  void run(const RunContext& ctx, const float* x, float* y, const float* bias,
           const FusedActivation& activation) const;

 private:
  void fill_rows(const float* xg, int64_t od, int64_t oh0, float* rows) const;

  SpatialGeometry g_;
  int64_t batch_ = 0, cin_ = 0, cout_ = 0, group_ = 1, cin_g_ = 0, cout_g_ = 0;
  int64_t taps_ = 0;         // cin_g * kernel volume
  int64_t tap_rows_ = 0;     // cin_g * kernel depth * kernel height
  int64_t row_width_ = 0;    // L: columns per output row in the buffer
  int64_t rows_per_unit_ = 0;  // R
  int64_t columns_ = 0;      // R * L rounded up to nr
  int64_t phase_floats_ = 0;   // one phase of one buffer row
  int64_t blocks_ = 0;       // blocks of mr output channels per group
  int64_t units_per_plane_ = 0;
  size_t rows_floats_ = 0, slot_floats_ = 0;
  int threads_ = 1;
  const kernels::DirectConvMicrokernel* uk_ = nullptr;
  std::vector<int64_t> offsets_;  // per tap
  std::vector<float> packed_;     // [group][block][tap][mr]
};

}  // namespace cairn
