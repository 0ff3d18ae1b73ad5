// The direct convolution kernels at the baseline ISA (SSE2 on x86-64, SIMD128 in WebAssembly): the path of every
// CPU and the reference for the ISA copies.
#include "kernels/direct_conv.hpp"

namespace cairn::kernels {
namespace {
#include "kernels/epilogue_impl.inc"
#include "kernels/depthwise_impl.inc"
}  // namespace

void depthwise_conv_f32__scalar(const ConvWindow& g, const float* x, const float* w, float bias,
                                const Epilogue& epilogue, float* y) {
  depthwise_plane(g, x, w, bias, epilogue, y);
}

void channel_tile_to_planes__scalar(const float* tile, int64_t block, int64_t channels, int64_t pixels,
                                    const float* bias, const Epilogue& epilogue, float* y, int64_t plane_stride,
                                    int64_t done_channels, int64_t done_pixels) {
  for (int64_t c = 0; c < channels; ++c) {
    const float b = bias != nullptr ? bias[c] : 0.0f;
    for (int64_t p = c < done_channels ? done_pixels : 0; p < pixels; ++p) {
      y[c * plane_stride + p] = apply_epilogue(epilogue, b, tile[p * block + c]);
    }
  }
}

// 4 x 16 outputs in registers, as gemm_f32_4x16__scalar (kept out of line so that the accumulators stay local).
[[gnu::noinline]] void conv_f32_4x16__scalar(int64_t taps, const float* __restrict w, const int64_t* offsets,
                                             const float* __restrict rows, float* __restrict y, int64_t ldy) {
  constexpr int kMR = 4;
  constexpr int kNR = 16;
  float acc[kMR][kNR] = {};
  for (int64_t t = 0; t < taps; ++t) {
    const float* wt = w + t * kMR;
    const float* b = rows + offsets[t];
#pragma GCC unroll 16
    for (int i = 0; i < kMR; ++i) {
#pragma GCC unroll 16
      for (int j = 0; j < kNR; ++j) acc[i][j] += wt[i] * b[j];
    }
  }
  for (int i = 0; i < kMR; ++i) {
#pragma GCC unroll 16
    for (int j = 0; j < kNR; ++j) y[i * ldy + j] = acc[i][j];
  }
}

// 8 output channels x 4 pixels in registers (for the tests: the scalar and WebAssembly sets keep the row tile).
[[gnu::noinline]] void conv_channels_f32_8x4__scalar(int64_t taps, const float* __restrict w, const int64_t* offsets,
                                                     const float* const* pixels, float* __restrict y) {
  constexpr int kMC = 8;
  constexpr int kNP = 4;
  float acc[kNP][kMC] = {};
  const float* px[kNP];
  for (int p = 0; p < kNP; ++p) px[p] = pixels[p];
  for (int64_t t = 0; t < taps; ++t) {
    const float* wt = w + t * kMC;
    const int64_t o = offsets[t];
#pragma GCC unroll 4
    for (int p = 0; p < kNP; ++p) {
      const float x = px[p][o];
#pragma GCC unroll 8
      for (int i = 0; i < kMC; ++i) acc[p][i] += wt[i] * x;
    }
  }
  for (int p = 0; p < kNP; ++p) {
#pragma GCC unroll 8
    for (int i = 0; i < kMC; ++i) y[p * kMC + i] = acc[p][i];
  }
}

}  // namespace cairn::kernels
