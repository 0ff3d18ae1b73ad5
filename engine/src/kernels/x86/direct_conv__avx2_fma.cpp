// The direct convolution kernels for AVX2+FMA: the depthwise plane (depthwise_impl.inc, vectorized by the
// compiler with this file's flags) and the 6 x 16 row-buffer tile (12 ymm accumulators, the shape of
// gemm_f32_6x16__avx2_fma with B read through the tap offsets), the channel-vectorized tiles of 24 x 4 and
// 16 x 6 (12 ymm accumulators each; the AVX-512 set takes them too: on Zen 4, which splits a zmm FMA in two, eight
// lanes run as fast as sixteen), and their 8 x 8 register transposes into the output planes. Called only when the
// CPU has the ISA.
#if defined(__x86_64__)
#include <immintrin.h>

#include "kernels/direct_conv.hpp"
#include "kernels/x86/epilogue_x86.hpp"

namespace cairn::kernels {
namespace {
#include "kernels/epilogue_impl.inc"
#include "kernels/depthwise_impl.inc"
}  // namespace

void depthwise_conv_f32__avx2_fma(const ConvWindow& g, const float* x, const float* w, float bias,
                                  const Epilogue& epilogue, float* y) {
  depthwise_plane(g, x, w, bias, epilogue, y);
}

void channel_tile_to_planes__avx2_fma(const float* tile, int64_t block, int64_t channels, int64_t pixels,
                                      const float* bias, const Epilogue& epilogue, float* y, int64_t plane_stride) {
  const YmmEpilogue finish(epilogue);
  const int64_t whole_c = channels & ~int64_t{7}, whole_p = pixels & ~int64_t{7};
  for (int64_t c = 0; c < whole_c; c += 8) {
    __m256 b[8];
    for (int i = 0; i < 8; ++i) b[i] = _mm256_set1_ps(bias != nullptr ? bias[c + i] : 0.0f);
    for (int64_t p = 0; p < whole_p; p += 8) {
      __m256 r[8];
      for (int i = 0; i < 8; ++i) r[i] = _mm256_loadu_ps(tile + (p + i) * block + c);
      const __m256 t0 = _mm256_unpacklo_ps(r[0], r[1]), t1 = _mm256_unpackhi_ps(r[0], r[1]);
      const __m256 t2 = _mm256_unpacklo_ps(r[2], r[3]), t3 = _mm256_unpackhi_ps(r[2], r[3]);
      const __m256 t4 = _mm256_unpacklo_ps(r[4], r[5]), t5 = _mm256_unpackhi_ps(r[4], r[5]);
      const __m256 t6 = _mm256_unpacklo_ps(r[6], r[7]), t7 = _mm256_unpackhi_ps(r[6], r[7]);
      const __m256 u0 = _mm256_shuffle_ps(t0, t2, 0x44), u1 = _mm256_shuffle_ps(t0, t2, 0xEE);
      const __m256 u2 = _mm256_shuffle_ps(t1, t3, 0x44), u3 = _mm256_shuffle_ps(t1, t3, 0xEE);
      const __m256 u4 = _mm256_shuffle_ps(t4, t6, 0x44), u5 = _mm256_shuffle_ps(t4, t6, 0xEE);
      const __m256 u6 = _mm256_shuffle_ps(t5, t7, 0x44), u7 = _mm256_shuffle_ps(t5, t7, 0xEE);
      // Row j of the result: channel c + j of pixels p .. p + 7.
      const __m256 rows[8] = {_mm256_permute2f128_ps(u0, u4, 0x20), _mm256_permute2f128_ps(u1, u5, 0x20),
                              _mm256_permute2f128_ps(u2, u6, 0x20), _mm256_permute2f128_ps(u3, u7, 0x20),
                              _mm256_permute2f128_ps(u0, u4, 0x31), _mm256_permute2f128_ps(u1, u5, 0x31),
                              _mm256_permute2f128_ps(u2, u6, 0x31), _mm256_permute2f128_ps(u3, u7, 0x31)};
      float* out = y + c * plane_stride + p;
      for (int j = 0; j < 8; ++j) _mm256_storeu_ps(out + j * plane_stride, finish(rows[j], b[j]));
    }
  }
  // The pixels past the last 8 of the first whole_c channels, and every pixel of the rest.
  channel_tile_to_planes__scalar(tile, block, channels, pixels, bias, epilogue, y, plane_stride, whole_c, whole_p);
}

void conv_f32_6x16__avx2_fma(int64_t taps, const float* w, const int64_t* offsets, const float* rows, float* y,
                             int64_t ldy) {
  __m256 c[6][2];
  for (int i = 0; i < 6; ++i) c[i][0] = c[i][1] = _mm256_setzero_ps();
#pragma GCC unroll 2
  for (int64_t t = 0; t < taps; ++t) {
    const float* b = rows + offsets[t];
    const __m256 b0 = _mm256_loadu_ps(b);
    const __m256 b1 = _mm256_loadu_ps(b + 8);
#pragma GCC unroll 6
    for (int i = 0; i < 6; ++i) {
      const __m256 a = _mm256_broadcast_ss(w + i);
      c[i][0] = _mm256_fmadd_ps(a, b0, c[i][0]);
      c[i][1] = _mm256_fmadd_ps(a, b1, c[i][1]);
    }
    w += 6;
  }
  for (int i = 0; i < 6; ++i) {
    _mm256_storeu_ps(y + i * ldy, c[i][0]);
    _mm256_storeu_ps(y + i * ldy + 8, c[i][1]);
  }
}

// The channel-vectorized tiles: each tap loads its weight vectors once and broadcasts one input float per pixel.
// Written out accumulator by accumulator: with arrays of __m256, GCC 12 stores every accumulator to the stack on
// each tap.
void conv_channels_f32_24x4__avx2_fma(int64_t taps, const float* w, const int64_t* offsets,
                                      const float* const* pixels, float* y) {
  const float* p0 = pixels[0];
  const float* p1 = pixels[1];
  const float* p2 = pixels[2];
  const float* p3 = pixels[3];
  __m256 c00 = _mm256_setzero_ps(), c01 = c00, c02 = c00, c10 = c00, c11 = c00, c12 = c00;
  __m256 c20 = c00, c21 = c00, c22 = c00, c30 = c00, c31 = c00, c32 = c00;
  for (int64_t t = 0; t < taps; ++t) {
    const int64_t o = offsets[t];
    const __m256 w0 = _mm256_loadu_ps(w);
    const __m256 w1 = _mm256_loadu_ps(w + 8);
    const __m256 w2 = _mm256_loadu_ps(w + 16);
    w += 24;
    __m256 x = _mm256_broadcast_ss(p0 + o);
    c00 = _mm256_fmadd_ps(x, w0, c00);
    c01 = _mm256_fmadd_ps(x, w1, c01);
    c02 = _mm256_fmadd_ps(x, w2, c02);
    x = _mm256_broadcast_ss(p1 + o);
    c10 = _mm256_fmadd_ps(x, w0, c10);
    c11 = _mm256_fmadd_ps(x, w1, c11);
    c12 = _mm256_fmadd_ps(x, w2, c12);
    x = _mm256_broadcast_ss(p2 + o);
    c20 = _mm256_fmadd_ps(x, w0, c20);
    c21 = _mm256_fmadd_ps(x, w1, c21);
    c22 = _mm256_fmadd_ps(x, w2, c22);
    x = _mm256_broadcast_ss(p3 + o);
    c30 = _mm256_fmadd_ps(x, w0, c30);
    c31 = _mm256_fmadd_ps(x, w1, c31);
    c32 = _mm256_fmadd_ps(x, w2, c32);
  }
  _mm256_storeu_ps(y, c00);
  _mm256_storeu_ps(y + 8, c01);
  _mm256_storeu_ps(y + 16, c02);
  _mm256_storeu_ps(y + 24, c10);
  _mm256_storeu_ps(y + 32, c11);
  _mm256_storeu_ps(y + 40, c12);
  _mm256_storeu_ps(y + 48, c20);
  _mm256_storeu_ps(y + 56, c21);
  _mm256_storeu_ps(y + 64, c22);
  _mm256_storeu_ps(y + 72, c30);
  _mm256_storeu_ps(y + 80, c31);
  _mm256_storeu_ps(y + 88, c32);
}

void conv_channels_f32_16x6__avx2_fma(int64_t taps, const float* w, const int64_t* offsets,
                                      const float* const* pixels, float* y) {
  const float* p0 = pixels[0];
  const float* p1 = pixels[1];
  const float* p2 = pixels[2];
  const float* p3 = pixels[3];
  const float* p4 = pixels[4];
  const float* p5 = pixels[5];
  __m256 c00 = _mm256_setzero_ps(), c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00;
  __m256 c30 = c00, c31 = c00, c40 = c00, c41 = c00, c50 = c00, c51 = c00;
  for (int64_t t = 0; t < taps; ++t) {
    const int64_t o = offsets[t];
    const __m256 w0 = _mm256_loadu_ps(w);
    const __m256 w1 = _mm256_loadu_ps(w + 8);
    w += 16;
    __m256 x = _mm256_broadcast_ss(p0 + o);
    c00 = _mm256_fmadd_ps(x, w0, c00);
    c01 = _mm256_fmadd_ps(x, w1, c01);
    x = _mm256_broadcast_ss(p1 + o);
    c10 = _mm256_fmadd_ps(x, w0, c10);
    c11 = _mm256_fmadd_ps(x, w1, c11);
    x = _mm256_broadcast_ss(p2 + o);
    c20 = _mm256_fmadd_ps(x, w0, c20);
    c21 = _mm256_fmadd_ps(x, w1, c21);
    x = _mm256_broadcast_ss(p3 + o);
    c30 = _mm256_fmadd_ps(x, w0, c30);
    c31 = _mm256_fmadd_ps(x, w1, c31);
    x = _mm256_broadcast_ss(p4 + o);
    c40 = _mm256_fmadd_ps(x, w0, c40);
    c41 = _mm256_fmadd_ps(x, w1, c41);
    x = _mm256_broadcast_ss(p5 + o);
    c50 = _mm256_fmadd_ps(x, w0, c50);
    c51 = _mm256_fmadd_ps(x, w1, c51);
  }
  _mm256_storeu_ps(y, c00);
  _mm256_storeu_ps(y + 8, c01);
  _mm256_storeu_ps(y + 16, c10);
  _mm256_storeu_ps(y + 24, c11);
  _mm256_storeu_ps(y + 32, c20);
  _mm256_storeu_ps(y + 40, c21);
  _mm256_storeu_ps(y + 48, c30);
  _mm256_storeu_ps(y + 56, c31);
  _mm256_storeu_ps(y + 64, c40);
  _mm256_storeu_ps(y + 72, c41);
  _mm256_storeu_ps(y + 80, c50);
  _mm256_storeu_ps(y + 88, c51);
}

}  // namespace cairn::kernels
#endif
