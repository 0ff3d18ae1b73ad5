// The direct convolution kernels for AVX2+FMA: the depthwise plane (depthwise_impl.inc, vectorized by the
// compiler with this file's flags) and the 6 x 16 row-buffer tile (12 ymm accumulators, the shape of
// gemm_f32_6x16__avx2_fma with B read through the tap offsets). Called only when the CPU has the ISA.
#if defined(__x86_64__)
#include <immintrin.h>

#include "kernels/direct_conv.hpp"

namespace cairn::kernels {
namespace {
#include "kernels/depthwise_impl.inc"
}  // namespace

void depthwise_conv_f32__avx2_fma(const ConvWindow& g, const float* x, const float* w, float* y) {
  depthwise_plane(g, x, w, y);
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

}  // namespace cairn::kernels
#endif
