// 6 x 16 tile of C in 12 ymm accumulators; per k: two loads of B, six broadcasts of A, twelve FMAs (the BLIS
// Haswell shape). Compiled with -mavx2 -mfma (engine/CMakeLists.txt); called only when the CPU has both.
#if defined(__x86_64__)
#include <immintrin.h>

#include "kernels/gemm_microkernel.hpp"
#include "kernels/x86/epilogue_x86.hpp"

namespace cairn::kernels {
namespace {

// B row p at b + p * ldb (16: packed). kMasked: the tile's first `columns` < 16 columns, B read and C written
// through lane masks (B read in place, whose rows end there).
template <bool kEpilogue, bool kMasked = false>
inline void tile_6x16(int64_t kc, const float* a, const float* b, int64_t ldb, float* c, int64_t ldc,
                      bool accumulate, const float* bias, const Epilogue* epilogue, int64_t columns = 16) {
  const __m256i lane = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
  const __m256i k0 = _mm256_cmpgt_epi32(_mm256_set1_epi32(int32_t(columns)), lane);
  const __m256i k1 = _mm256_cmpgt_epi32(_mm256_set1_epi32(int32_t(columns - 8)), lane);
  __m256 c00 = _mm256_setzero_ps(), c01 = _mm256_setzero_ps();
  __m256 c10 = _mm256_setzero_ps(), c11 = _mm256_setzero_ps();
  __m256 c20 = _mm256_setzero_ps(), c21 = _mm256_setzero_ps();
  __m256 c30 = _mm256_setzero_ps(), c31 = _mm256_setzero_ps();
  __m256 c40 = _mm256_setzero_ps(), c41 = _mm256_setzero_ps();
  __m256 c50 = _mm256_setzero_ps(), c51 = _mm256_setzero_ps();
#pragma GCC unroll 4
  for (int64_t p = 0; p < kc; ++p) {
    const __m256 b0 = kMasked ? _mm256_maskload_ps(b, k0) : _mm256_loadu_ps(b);
    const __m256 b1 = kMasked ? _mm256_maskload_ps(b + 8, k1) : _mm256_loadu_ps(b + 8);
    __m256 ai = _mm256_broadcast_ss(a + 0);
    c00 = _mm256_fmadd_ps(ai, b0, c00);
    c01 = _mm256_fmadd_ps(ai, b1, c01);
    ai = _mm256_broadcast_ss(a + 1);
    c10 = _mm256_fmadd_ps(ai, b0, c10);
    c11 = _mm256_fmadd_ps(ai, b1, c11);
    ai = _mm256_broadcast_ss(a + 2);
    c20 = _mm256_fmadd_ps(ai, b0, c20);
    c21 = _mm256_fmadd_ps(ai, b1, c21);
    ai = _mm256_broadcast_ss(a + 3);
    c30 = _mm256_fmadd_ps(ai, b0, c30);
    c31 = _mm256_fmadd_ps(ai, b1, c31);
    ai = _mm256_broadcast_ss(a + 4);
    c40 = _mm256_fmadd_ps(ai, b0, c40);
    c41 = _mm256_fmadd_ps(ai, b1, c41);
    ai = _mm256_broadcast_ss(a + 5);
    c50 = _mm256_fmadd_ps(ai, b0, c50);
    c51 = _mm256_fmadd_ps(ai, b1, c51);
    a += 6;
    b += ldb;
  }
  const __m256 rows[6][2] = {{c00, c01}, {c10, c11}, {c20, c21}, {c30, c31}, {c40, c41}, {c50, c51}};
  const YmmEpilogue finish(kEpilogue ? *epilogue : Epilogue{});
  for (int i = 0; i < 6; ++i) {
    float* row = c + i * ldc;
    __m256 r0 = rows[i][0], r1 = rows[i][1];
    if (accumulate) {
      r0 = _mm256_add_ps(r0, _mm256_loadu_ps(row));
      r1 = _mm256_add_ps(r1, _mm256_loadu_ps(row + 8));
    }
    if (kEpilogue) {
      const __m256 bi = _mm256_set1_ps(bias[i]);
      r0 = finish(r0, bi);
      r1 = finish(r1, bi);
    }
    if (kMasked) {
      _mm256_maskstore_ps(row, k0, r0);
      _mm256_maskstore_ps(row + 8, k1, r1);
    } else {
      _mm256_storeu_ps(row, r0);
      _mm256_storeu_ps(row + 8, r1);
    }
  }
}

}  // namespace

void gemm_f32_6x16__avx2_fma(int64_t kc, const float* a, const float* b, int64_t /*b_panel_stride*/, float* c,
                             int64_t ldc, bool accumulate) {
  tile_6x16<false>(kc, a, b, 16, c, ldc, accumulate, nullptr, nullptr);
}

void gemm_f32_6x16__avx2_fma_epilogue(int64_t kc, const float* a, const float* b, int64_t /*b_panel_stride*/, float* c,
                                      int64_t ldc, bool accumulate, const float* bias, const Epilogue& epilogue) {
  tile_6x16<true>(kc, a, b, 16, c, ldc, accumulate, bias, &epilogue);
}

void gemm_f32_6x16__avx2_fma_unpacked_b(int64_t k, const float* a, const float* b, int64_t ldb, int64_t columns,
                                        float* c, int64_t ldc, const float* bias, const Epilogue& epilogue) {
  if (columns == 16) {
    tile_6x16<true>(k, a, b, ldb, c, ldc, /*accumulate=*/false, bias, &epilogue);
  } else {
    tile_6x16<true, true>(k, a, b, ldb, c, ldc, /*accumulate=*/false, bias, &epilogue, columns);
  }
}

}  // namespace cairn::kernels
#endif
