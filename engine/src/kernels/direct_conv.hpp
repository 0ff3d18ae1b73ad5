// Direct convolution kernels, for the layers where im2col + GEMM wastes its time packing: depthwise convolutions
// (one input channel per output channel) and the convolutions that Winograd does not take (few input channels,
// strides, 3-D). Declarations only, as gemm_microkernel.hpp; kernels/dispatch.cpp picks one per ISA.
#pragma once

#include <cstdint>

#include "kernels/epilogue.hpp"

namespace cairn::kernels {

// A convolution window in the canonical 3-D form of ops/conv_geometry.hpp: index 0 is depth, 1 height, 2 width.
struct ConvWindow {
  int64_t in[3];
  int64_t out[3];
  int64_t kernel[3];
  int64_t stride[3];
  int64_t dilation[3];
  int64_t pad_begin[3];
};

// Depthwise: y (one output plane, out[0] x out[1] x out[2]) = x (one input plane) correlated with w (one filter,
// kernel[0] x kernel[1] x kernel[2]), then `bias` and the epilogue's activation added to each output before it is
// stored. Each output row is accumulated tap by tap, vectorized over the row's pixels; the order of the taps is
// fixed, so the result does not depend on who computes which plane.
using DepthwiseConvFn = void (*)(const ConvWindow& g, const float* x, const float* w, float bias,
                                 const Epilogue& epilogue, float* y);

void depthwise_conv_f32__scalar(const ConvWindow& g, const float* x, const float* w, float bias,
                                const Epilogue& epilogue, float* y);
#if defined(__x86_64__)
void depthwise_conv_f32__avx2_fma(const ConvWindow& g, const float* x, const float* w, float bias,
                                  const Epilogue& epilogue, float* y);
void depthwise_conv_f32__avx512f(const ConvWindow& g, const float* x, const float* w, float bias,
                                 const Epilogue& epilogue, float* y);
#endif

// y[c * plane_stride + p] = activation(tile[p * block + c] + bias[c]) for c < channels, p < pixels (bias null: 0):
// a channel tile (pixel-major, `block` channels per pixel, as the channel micro-kernels below write it) into the
// output planes, with the epilogue on the way. The scalar one skips the first `done_pixels` pixels of the channels
// below `done_channels` (stored already: the AVX2 one's 8 x 8 register transposes leave it the tails). The scalar
// loop read every value `block` floats after the last, a sixth of ResNet's and MobileNet's stems.
void channel_tile_to_planes__scalar(const float* tile, int64_t block, int64_t channels, int64_t pixels,
                                    const float* bias, const Epilogue& epilogue, float* y, int64_t plane_stride,
                                    int64_t done_channels, int64_t done_pixels);
#if defined(__x86_64__)
void channel_tile_to_planes__avx2_fma(const float* tile, int64_t block, int64_t channels, int64_t pixels,
                                      const float* bias, const Epilogue& epilogue, float* y, int64_t plane_stride);
#endif

// The row-buffer convolution's micro-kernel: an mr x nr tile of outputs (output channels x output pixels),
// y[i * ldy + j] = sum over taps t of w[t * mr + i] * rows[offsets[t] + j], in the order of the taps. `rows` holds
// the zero-padded input rows the taps read, laid out so that the nr pixels of one tap are contiguous
// (ops/conv_direct.cpp); w is one block of mr output channels' weights, tap-major.
using DirectConvFn = void (*)(int64_t taps, const float* w, const int64_t* offsets, const float* rows, float* y,
                              int64_t ldy);

struct DirectConvMicrokernel {
  const char* name;  // conv_f32_<mr>x<nr>__<isa>
  int64_t mr;
  int64_t nr;
  DirectConvFn tile;
};

void conv_f32_4x16__scalar(int64_t taps, const float* w, const int64_t* offsets, const float* rows, float* y,
                           int64_t ldy);
#if defined(__x86_64__)
void conv_f32_6x16__avx2_fma(int64_t taps, const float* w, const int64_t* offsets, const float* rows, float* y,
                             int64_t ldy);
void conv_f32_8x32__avx512f(int64_t taps, const float* w, const int64_t* offsets, const float* rows, float* y,
                            int64_t ldy);
#endif

// The row-buffer convolution's other micro-kernel, vectorized over output channels instead of pixels, for layers
// whose output rows are short (small maps, where a row-major tile of nr pixels would be mostly padding): an mc x np
// tile of outputs (output channels x pixels), y[p * mc + i] = sum over taps t of w[t * mc + i] * pixels[p][offsets[t]],
// in the order of the taps. Each of the np pixels is named by its own pointer into the same row buffer, so the
// pixels of a tile may come from different output rows; w is one block of mc output channels' weights, tap-major.
using ChannelConvFn = void (*)(int64_t taps, const float* w, const int64_t* offsets, const float* const* pixels,
                               float* y);

struct ChannelConvMicrokernel {
  const char* name;  // conv_channels_f32_<mc>x<np>__<isa>
  int64_t mc;
  int64_t np;
  ChannelConvFn tile;
};

void conv_channels_f32_8x4__scalar(int64_t taps, const float* w, const int64_t* offsets, const float* const* pixels,
                                   float* y);
#if defined(__x86_64__)
void conv_channels_f32_24x4__avx2_fma(int64_t taps, const float* w, const int64_t* offsets,
                                      const float* const* pixels, float* y);
void conv_channels_f32_16x6__avx2_fma(int64_t taps, const float* w, const int64_t* offsets,
                                      const float* const* pixels, float* y);
void conv_channels_f32_48x8__avx512f(int64_t taps, const float* w, const int64_t* offsets,
                                     const float* const* pixels, float* y);
void conv_channels_f32_16x12__avx512f(int64_t taps, const float* w, const int64_t* offsets,
                                      const float* const* pixels, float* y);
#endif

}  // namespace cairn::kernels
