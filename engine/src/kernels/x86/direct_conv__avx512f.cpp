// The direct convolution kernels for AVX-512: the depthwise plane (depthwise_impl.inc, vectorized by the compiler
// with this file's flags) and the 8 x 32 row-buffer tile (16 zmm accumulators, the shape of
// gemm_f32_8x32__avx512f with B read through the tap offsets). Called only when the CPU has the ISA.
#if defined(__x86_64__)
#include <immintrin.h>

#include "kernels/direct_conv.hpp"

namespace cairn::kernels {
namespace {
#include "kernels/depthwise_impl.inc"
}  // namespace

void depthwise_conv_f32__avx512f(const ConvWindow& g, const float* x, const float* w, float* y) {
  depthwise_plane(g, x, w, y);
}

void conv_f32_8x32__avx512f(int64_t taps, const float* w, const int64_t* offsets, const float* rows, float* y,
                            int64_t ldy) {
  __m512 c[8][2];
  for (int i = 0; i < 8; ++i) c[i][0] = c[i][1] = _mm512_setzero_ps();
#pragma GCC unroll 2
  for (int64_t t = 0; t < taps; ++t) {
    const float* b = rows + offsets[t];
    const __m512 b0 = _mm512_loadu_ps(b);
    const __m512 b1 = _mm512_loadu_ps(b + 16);
#pragma GCC unroll 8
    for (int i = 0; i < 8; ++i) {
      const __m512 a = _mm512_set1_ps(w[i]);
      c[i][0] = _mm512_fmadd_ps(a, b0, c[i][0]);
      c[i][1] = _mm512_fmadd_ps(a, b1, c[i][1]);
    }
    w += 8;
  }
  for (int i = 0; i < 8; ++i) {
    _mm512_storeu_ps(y + i * ldy, c[i][0]);
    _mm512_storeu_ps(y + i * ldy + 16, c[i][1]);
  }
}

// The channel-vectorized tile: 48 output channels (3 zmm) x 8 pixels, 24 accumulators; each tap loads its three
// weight vectors once and broadcasts one input float per pixel. Twice the pixels of the AVX2 tiles, so half the
// weight traffic per FMA (the weights of a deep layer do not fit in L1). Accumulators written out one by one, as
// in direct_conv__avx2_fma.cpp (arrays of vectors are stored on every tap by GCC 12).
#define CAIRN_CHANNEL_ROW(i)                 \
  x = _mm512_set1_ps(p##i[o]);               \
  c##i##0 = _mm512_fmadd_ps(x, w0, c##i##0); \
  c##i##1 = _mm512_fmadd_ps(x, w1, c##i##1); \
  c##i##2 = _mm512_fmadd_ps(x, w2, c##i##2)
#define CAIRN_CHANNEL_STORE(i)                \
  _mm512_storeu_ps(y + 48 * i, c##i##0);      \
  _mm512_storeu_ps(y + 48 * i + 16, c##i##1); \
  _mm512_storeu_ps(y + 48 * i + 32, c##i##2)

void conv_channels_f32_48x8__avx512f(int64_t taps, const float* w, const int64_t* offsets,
                                     const float* const* pixels, float* y) {
  const float* p0 = pixels[0];
  const float* p1 = pixels[1];
  const float* p2 = pixels[2];
  const float* p3 = pixels[3];
  const float* p4 = pixels[4];
  const float* p5 = pixels[5];
  const float* p6 = pixels[6];
  const float* p7 = pixels[7];
  __m512 c00 = _mm512_setzero_ps(), c01 = c00, c02 = c00, c10 = c00, c11 = c00, c12 = c00;
  __m512 c20 = c00, c21 = c00, c22 = c00, c30 = c00, c31 = c00, c32 = c00;
  __m512 c40 = c00, c41 = c00, c42 = c00, c50 = c00, c51 = c00, c52 = c00;
  __m512 c60 = c00, c61 = c00, c62 = c00, c70 = c00, c71 = c00, c72 = c00;
  for (int64_t t = 0; t < taps; ++t) {
    const int64_t o = offsets[t];
    const __m512 w0 = _mm512_loadu_ps(w);
    const __m512 w1 = _mm512_loadu_ps(w + 16);
    const __m512 w2 = _mm512_loadu_ps(w + 32);
    w += 48;
    __m512 x;
    CAIRN_CHANNEL_ROW(0);
    CAIRN_CHANNEL_ROW(1);
    CAIRN_CHANNEL_ROW(2);
    CAIRN_CHANNEL_ROW(3);
    CAIRN_CHANNEL_ROW(4);
    CAIRN_CHANNEL_ROW(5);
    CAIRN_CHANNEL_ROW(6);
    CAIRN_CHANNEL_ROW(7);
  }
  CAIRN_CHANNEL_STORE(0);
  CAIRN_CHANNEL_STORE(1);
  CAIRN_CHANNEL_STORE(2);
  CAIRN_CHANNEL_STORE(3);
  CAIRN_CHANNEL_STORE(4);
  CAIRN_CHANNEL_STORE(5);
  CAIRN_CHANNEL_STORE(6);
  CAIRN_CHANNEL_STORE(7);
}
#undef CAIRN_CHANNEL_ROW
#undef CAIRN_CHANNEL_STORE

}  // namespace cairn::kernels
#endif
