// Winograd F(4x4, 3x3) and F(2x2, 3x3) for 2-D 3x3 stride-1 undilated ungrouped convolutions (Lavin & Gray
// 2016): each m x m tile of output (m = 4 or 2) is A^T [ (G g G^T) . (B^T d B) ] A over an (m + 2)^2 input patch
// d, so the per-channel products become (m + 2)^2 independent GEMMs U_xi[Cout x Cin] * V_xi[Cin x tiles]: 36
// multiplies per 16 outputs instead of 144 for F(4x4), 16 per 4 instead of 36 for F(2x2), which keeps 16 instead
// of 36 transformed values per filter. The transformed weights U are packed once at prepare as the GEMM's A
// panels; a block of tiles has its input transform written straight into packed-B form in per-thread scratch
// (no im2col, no full V), the GEMMs run on the dispatched micro-kernel, and the output transform adds bias and
// the fused activation as it stores. The transforms of 16 tiles at a time are the dispatched ones
// (kernels/winograd_transforms.hpp).
// Error: see engine/tests/kernels_conv_test.cpp (bounded by (Cin + 20) u times the same computation in
// absolute values).
#pragma once

#include <cstdint>
#include <vector>

#include "graph/graph.hpp"
#include "kernels/gemm_microkernel.hpp"
#include "kernels/winograd_transforms.hpp"
#include "ops/conv_geometry.hpp"

namespace cairn {

class RunContext;

class WinogradConv {
 public:
  static constexpr int64_t kMaxAlpha = 6;  // input patch side of F(4x4, 3x3)

  // Whether the geometry is one Winograd computes: 2-D (or 1 x H x W), 3x3, stride 1, dilation 1.
  static bool supports(const SpatialGeometry& g, int64_t group);
  // The output tile to use for a supported layer, 4 or 2, or 0 when im2col + GEMM is the better choice: from
  // measurements on Zen 4 (see the .cpp). direct_channel_tiles: the direct convolution has channel-vectorized
  // tiles (KernelSet::channel_conv), which take small planes.
  static int64_t choose_tile(const SpatialGeometry& g, int64_t in_channels, int64_t out_channels,
                             bool direct_channel_tiles = false);

  // w: [cout, cin, 3, 3]; tile: 4 or 2, with its transform.
  WinogradConv(const SpatialGeometry& g, int64_t batch, int64_t in_channels, int64_t out_channels, const float* w,
               const kernels::GemmMicrokernel& gemm, const kernels::WinogradTransform& transform, int threads);
  int64_t tile() const { return tile_; }
  size_t scratch_floats() const { return slot_floats_ * size_t(threads_); }
  size_t packed_bytes() const { return packed_.size() * sizeof(float); }
  double flops() const;  // of the direct convolution, for progress (the model's FLOP count)
  void run(const RunContext& ctx, const float* x, float* y, const float* bias,
           const FusedActivation& activation) const;

 private:
  void input_transform(const float* x, int64_t t_begin, int64_t tiles, float* v) const;
  void output_transform(const float* m, int64_t t_begin, int64_t tiles, float* y, const float* bias,
                        const FusedActivation& activation) const;

  SpatialGeometry g_;
  int64_t tile_ = 4, alpha_ = 6, points_ = 36;  // m, m + 2, (m + 2)^2
  int64_t batch_ = 0, cin_ = 0, cout_ = 0;
  int64_t tiles_y_ = 0, tiles_x_ = 0, tiles_ = 0;  // tiles per image
  int64_t block_ = 0;                               // tiles per unit of work, a multiple of 16
  int64_t blocks_ = 0;                              // per image
  int64_t u_stride_ = 0;                            // floats of one packed U_xi
  size_t v_floats_ = 0, slot_floats_ = 0;
  int threads_ = 1;
  const kernels::GemmMicrokernel* gemm_ = nullptr;
  const kernels::WinogradTransform* transform_ = nullptr;
  std::vector<float> packed_;
};

}  // namespace cairn
