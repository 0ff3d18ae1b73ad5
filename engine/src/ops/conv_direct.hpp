// The direct convolutions of Conv, for the layers where im2col + GEMM spends its time packing (before: depthwise
// layers at 3 GFLOP/s, 3-channel stems and 3-D layers at 7-18 GFLOP/s).
//
// DepthwiseConv: one input channel per group (depthwise, channel multiplier allowed); each output plane is one
// unit of work for kernels/direct_conv.hpp's depthwise kernel, which adds bias and activation before it stores.
//
// RowBufferConv: any other grouped or ungrouped convolution (1-D, 2-D, 3-D, any stride, dilation and padding). A
// unit of work is a block of R output rows (fixed image, group and output depth). The input rows its taps read,
// row (c, kd, kh) of each output row, are copied once into a zero-padded row buffer, split into `stride` phases
// (phase p holds padded columns p, p + s, p + 2s...), so that the pixels of one output row for one tap (c, kd, kh,
// kw) are consecutive floats of one phase. The R output rows sit side by side, each L = out_w + (kw - 1) d / s
// columns wide (the last columns of each are computed and dropped), and a register-tiled micro-kernel computes
// mr output channels x nr columns as a GEMM whose B rows are read through a table of tap offsets: no im2col.
// On short rows (small maps) most of such a tile would be padding: 9x8 outputs padded to 10-column rows and a
// 32-column tile use 75% of what it computes. There the unit takes a channel-vectorized micro-kernel instead (mc
// output channels x np pixels, each pixel read through its own pointer, so a tile may span output rows and only
// real pixels are computed), when its output-channel and pixel tails waste less. Its buffer holds each input row
// once (plane (c, kd) after plane, zero-padded and split by stride phase as above) rather than once per kernel
// row: a tap is an offset from the pixel's first input row, and filling the buffer costs a third as much for 3x3.
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
  // Channel-vectorized tiles of more pixels than this are not taken.
  static constexpr int64_t kMaxChannelTilePixels = 16;
  // Whether a layer fits: not depthwise, and one output row's buffer under the limit.
  static bool supports(const SpatialGeometry& g, int64_t in_channels, int64_t group,
                       const kernels::DirectConvMicrokernel& uk);

  // The candidate channel-vectorized tile (null entries are skipped) that wastes the least on output-channel and
  // pixel tails, or null when the row tile `uk` wastes less on its row padding and column tail.
  static const kernels::ChannelConvMicrokernel* choose_channel_tile(
      const SpatialGeometry& g, int64_t in_channels, int64_t out_channels, int64_t group,
      const kernels::DirectConvMicrokernel& uk, const kernels::ChannelConvMicrokernel* const* candidates,
      int count);

  // w: [cout, cin / group, kernel...], packed once here for `channel_uk` when not null, else for `uk`.
  RowBufferConv(const SpatialGeometry& g, int64_t batch, int64_t in_channels, int64_t out_channels, int64_t group,
                const float* w, const kernels::DirectConvMicrokernel& uk, int threads,
                const kernels::ChannelConvMicrokernel* channel_uk = nullptr);
  size_t scratch_floats() const { return slot_floats_ * size_t(threads_); }
  size_t packed_bytes() const { return packed_.size() * sizeof(float); }
  void run(const RunContext& ctx, const float* x, float* y, const float* bias,
           const FusedActivation& activation) const;

 private:
  void fill_rows(const float* xg, int64_t od, int64_t oh0, float* rows) const;
  // Channel tiles: the input rows the unit reads, each once, plane (c, kd) after plane, split into phases.
  void fill_planes(const float* xg, int64_t od, int64_t oh0, float* rows) const;
  // One unit's outputs into its tile, from its filled buffer: every column of the row tiles, or the `pixels` real
  // pixels of the channel tiles.
  void compute_rows(const float* rows, const float* w, float* tile) const;
  void compute_channels(const float* rows, const float* w, int64_t pixels, float* tile) const;

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
  const kernels::ChannelConvMicrokernel* channel_uk_ = nullptr;  // when set, blocks are of its mc channels
  int64_t input_rows_ = 0;   // channel tiles: input rows per plane in the buffer
  int64_t tile_pixels_ = 0;  // channel tiles: pixels per block in the output tile, R * out_w rounded up to np
  std::vector<int64_t> offsets_;  // per tap
  std::vector<int64_t> phase_columns_;  // channel tiles: per phase, the first and end column that exist
  std::vector<char> plane_row_read_;  // channel tiles: per input row and phase of a plane, whether a tap reads it
  std::vector<float> packed_;     // [group][block][tap][mr or mc]
};

}  // namespace cairn
