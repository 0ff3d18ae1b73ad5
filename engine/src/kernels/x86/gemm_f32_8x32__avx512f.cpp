// 8 x 32 tile of C in 16 zmm accumulators over two packed-B panels; per k: two loads of B, eight broadcasts of A,
// sixteen FMAs. Compiled with -mavx512f -mfma (engine/CMakeLists.txt); called only when the CPU has AVX-512F.
#if defined(__x86_64__)
#include <immintrin.h>

#include "kernels/gemm_microkernel.hpp"
#include "kernels/x86/epilogue_x86.hpp"

namespace cairn::kernels {
namespace {

// B row p at b + p * 16 (+ b_panel_stride for the second panel), or with kUnpacked at b + p * b_panel_stride.
// kMasked (unpacked only): the tile's first `columns` < 32 columns, B read and C written through lane masks; with
// kHalf as well, at most 16 columns, whose second half of the tile is not computed at all.
template <bool kEpilogue, bool kUnpacked = false, bool kMasked = false, bool kHalf = false>
inline void tile_8x32(int64_t kc, const float* a, const float* b, int64_t b_panel_stride, float* c, int64_t ldc,
                      bool accumulate, const float* bias, const Epilogue* epilogue, int64_t columns = 32) {
  static_assert((kUnpacked || !kMasked) && (kMasked || !kHalf));
  const __mmask16 m0 = __mmask16(columns >= 16 ? 0xFFFFu : (1u << columns) - 1u);
  const __mmask16 m1 = __mmask16(columns >= 32 ? 0xFFFFu : columns <= 16 ? 0u : (1u << (columns - 16)) - 1u);
  __m512 acc[8][2];
#pragma GCC unroll 8
  for (int i = 0; i < 8; ++i) acc[i][0] = acc[i][1] = _mm512_setzero_ps();
  const float* b_second = kUnpacked ? b + 16 : b + b_panel_stride;
  const int64_t ldb = kUnpacked ? b_panel_stride : 16;
#pragma GCC unroll 2
  for (int64_t p = 0; p < kc; ++p) {
    const __m512 b0 = kMasked ? _mm512_maskz_loadu_ps(m0, b + p * ldb) : _mm512_loadu_ps(b + p * ldb);
    const __m512 b1 = kHalf     ? _mm512_setzero_ps()
                      : kMasked ? _mm512_maskz_loadu_ps(m1, b_second + p * ldb)
                                : _mm512_loadu_ps(b_second + p * ldb);
#pragma GCC unroll 8
    for (int i = 0; i < 8; ++i) {
      const __m512 ai = _mm512_set1_ps(a[i]);
      acc[i][0] = _mm512_fmadd_ps(ai, b0, acc[i][0]);
      if (!kHalf) acc[i][1] = _mm512_fmadd_ps(ai, b1, acc[i][1]);
    }
    a += 8;
  }
  const ZmmEpilogue finish(kEpilogue ? *epilogue : Epilogue{});
#pragma GCC unroll 8
  for (int i = 0; i < 8; ++i) {
    float* row = c + i * ldc;
    __m512 r0 = acc[i][0], r1 = acc[i][1];
    if (accumulate) {
      r0 = _mm512_add_ps(r0, _mm512_loadu_ps(row));
      r1 = _mm512_add_ps(r1, _mm512_loadu_ps(row + 16));
    }
    if (kEpilogue) {
      const __m512 bi = _mm512_set1_ps(bias[i]);
      r0 = finish(r0, bi);
      r1 = finish(r1, bi);
    }
    if (kHalf) {
      _mm512_mask_storeu_ps(row, m0, r0);
    } else if (kMasked) {
      _mm512_mask_storeu_ps(row, m0, r0);
      _mm512_mask_storeu_ps(row + 16, m1, r1);
    } else {
      _mm512_storeu_ps(row, r0);
      _mm512_storeu_ps(row + 16, r1);
    }
  }
}

}  // namespace

void gemm_f32_8x32__avx512f(int64_t kc, const float* a, const float* b, int64_t b_panel_stride, float* c,
                            int64_t ldc, bool accumulate) {
  tile_8x32<false>(kc, a, b, b_panel_stride, c, ldc, accumulate, nullptr, nullptr);
}

void gemm_f32_8x32__avx512f_epilogue(int64_t kc, const float* a, const float* b, int64_t b_panel_stride, float* c,
                                     int64_t ldc, bool accumulate, const float* bias, const Epilogue& epilogue) {
  tile_8x32<true>(kc, a, b, b_panel_stride, c, ldc, accumulate, bias, &epilogue);
}

void gemm_f32_8x32__avx512f_unpacked_b(int64_t k, const float* a, const float* b, int64_t ldb, int64_t columns,
                                       float* c, int64_t ldc, const float* bias, const Epilogue& epilogue) {
  if (columns == 32) {
    tile_8x32<true, true>(k, a, b, ldb, c, ldc, /*accumulate=*/false, bias, &epilogue);
  } else if (columns > 16) {
    tile_8x32<true, true, true>(k, a, b, ldb, c, ldc, /*accumulate=*/false, bias, &epilogue, columns);
  } else {
    tile_8x32<true, true, true, true>(k, a, b, ldb, c, ldc, /*accumulate=*/false, bias, &epilogue, columns);
  }
}

}  // namespace cairn::kernels
#endif
