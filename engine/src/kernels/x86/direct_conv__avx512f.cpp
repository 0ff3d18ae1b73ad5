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

}  // namespace cairn::kernels
#endif
