// The Winograd transforms compiled for AVX2+FMA (8-float vectors: two per 16 lanes): the same source as the
// scalar ones (winograd_transforms_impl.inc), vectorized by the compiler with this file's flags
// (engine/CMakeLists.txt). Called only when the CPU has the ISA.
//
// input_rows_padded and scatter_rows as the AVX-512 ones (see there), with AVX2's in-lane unpacks and shuffles:
// the patches of 8 tiles from 4 loads of a row (unpack, shuffle, one cross-lane permute per point), the output
// rows of 8 tiles from 4 vectors (unpack, shuffle, 128-bit lane swaps). A strip that crosses the image's edges is
// first copied into a zero-padded one (AVX2's masked loads are slow on some CPUs). The arithmetic is f4_input's /
// f2_input's on the gathered values, so results equal the gathering path's to the bit.
#if defined(__x86_64__)
#include <immintrin.h>

#include <algorithm>

#include "kernels/winograd_transforms.hpp"

namespace cairn::kernels {
namespace {
#include "kernels/winograd_transforms_impl.inc"

// out[j][l] = p[4 * l + j] for j < 4, l < 8, from the 32 floats p[0, 32) (the last 8 from `last`).
inline void deinterleave4(const float* p, __m256 last, __m256 out[4]) {
  const __m256 a0 = _mm256_loadu_ps(p), a1 = _mm256_loadu_ps(p + 8), a2 = _mm256_loadu_ps(p + 16);
  const __m256 lo01 = _mm256_unpacklo_ps(a0, a1), hi01 = _mm256_unpackhi_ps(a0, a1);
  const __m256 lo23 = _mm256_unpacklo_ps(a2, last), hi23 = _mm256_unpackhi_ps(a2, last);
  // The shuffles leave tiles in the order 0 2 4 6 1 3 5 7.
  const __m256i order = _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7);
  out[0] = _mm256_permutevar8x32_ps(_mm256_shuffle_ps(lo01, lo23, 0x44), order);
  out[1] = _mm256_permutevar8x32_ps(_mm256_shuffle_ps(lo01, lo23, 0xEE), order);
  out[2] = _mm256_permutevar8x32_ps(_mm256_shuffle_ps(hi01, hi23, 0x44), order);
  out[3] = _mm256_permutevar8x32_ps(_mm256_shuffle_ps(hi01, hi23, 0xEE), order);
}

// out[j][l] = p[2 * l + j] for j < 2, l < 8, from p[0, 16).
inline void deinterleave2(const float* p, __m256 out[2]) {
  const __m256 a = _mm256_loadu_ps(p), b = _mm256_loadu_ps(p + 8);
  // The shuffles leave pairs of tiles in the order (0 1) (4 5) (2 3) (6 7).
  out[0] = _mm256_castpd_ps(_mm256_permute4x64_pd(_mm256_castps_pd(_mm256_shuffle_ps(a, b, 0x88)), 0xD8));
  out[1] = _mm256_castpd_ps(_mm256_permute4x64_pd(_mm256_castps_pd(_mm256_shuffle_ps(a, b, 0xDD)), 0xD8));
}

// The 6 rows of 66 floats of 16 F(4x4) patches, the last row's last 2 floats not read past.
void f4_gather_rows(const float* x, int64_t x_row_stride, float* d) {
  const __m256i first6 = _mm256_setr_epi32(-1, -1, -1, -1, -1, -1, 0, 0);
  for (int i = 0; i < 6; ++i) {
    const float* p = x + i * x_row_stride;
    for (int h = 0; h < 2; ++h) {
      const float* q = p + 32 * h;
      __m256 cols[4];
      deinterleave4(q, _mm256_loadu_ps(q + 24), cols);
      for (int j = 0; j < 4; ++j) _mm256_store_ps(d + (i * 6 + j) * kL + 8 * h, cols[j]);
      // Columns 4 and 5 of tile l are columns 0 and 1 of the patch 4 floats on; the second half's last load
      // would reach floats 66 and 67, which are not there.
      const __m256 last = h == 0 ? _mm256_loadu_ps(q + 28) : _mm256_maskload_ps(q + 28, first6);
      deinterleave4(q + 4, last, cols);
      for (int j = 4; j < 6; ++j) _mm256_store_ps(d + (i * 6 + j) * kL + 8 * h, cols[j - 4]);
    }
  }
}

// The 4 rows of 34 floats of 16 F(2x2) patches.
void f2_gather_rows(const float* x, int64_t x_row_stride, float* d) {
  for (int i = 0; i < 4; ++i) {
    const float* p = x + i * x_row_stride;
    for (int h = 0; h < 2; ++h) {
      __m256 cols[2];
      deinterleave2(p + 16 * h, cols);
      for (int j = 0; j < 2; ++j) _mm256_store_ps(d + (i * 4 + j) * kL + 8 * h, cols[j]);
      deinterleave2(p + 16 * h + 2, cols);
      for (int j = 2; j < 4; ++j) _mm256_store_ps(d + (i * 4 + j) * kL + 8 * h, cols[j - 2]);
    }
  }
}

// Gathers the patches of a strip of Rows x Width floats at x into d (with `gather`, f4_gather_rows or
// f2_gather_rows); a strip that crosses the image's edges (only rows [row_begin, row_end) and columns
// [col_begin, col_end) are inside) is first copied into a zero-padded one.
template <int Rows, int Width>
void gather_strip(const float* x, int64_t x_row_stride, int64_t row_begin, int64_t row_end, int64_t col_begin,
                  int64_t col_end, void (*gather)(const float*, int64_t, float*), float* d) {
  col_end = std::min<int64_t>(col_end, Width);
  if (row_begin == 0 && row_end >= Rows && col_begin == 0 && col_end == Width) {
    gather(x, x_row_stride, d);
    return;
  }
  float strip[Rows * Width];
  for (int i = 0; i < Rows; ++i) {
    float* dst = strip + i * Width;
    for (int c = 0; c < Width; ++c) dst[c] = 0.0f;
    if (i < row_begin || i >= row_end) continue;
    for (int64_t c = col_begin; c < col_end; ++c) dst[c] = x[i * x_row_stride + c];
  }
  gather(strip, Width, d);
}

}  // namespace

void winograd_f32_f4x4_3x3_input__avx2_fma(const float* d, float* v, int64_t v_stride) { f4_input(d, v, long(v_stride)); }
void winograd_f32_f4x4_3x3_output__avx2_fma(const float* m, int64_t m_stride, float* y) { f4_output(m, long(m_stride), y); }
void winograd_f32_f2x2_3x3_input__avx2_fma(const float* d, float* v, int64_t v_stride) { f2_input(d, v, long(v_stride)); }
void winograd_f32_f2x2_3x3_output__avx2_fma(const float* m, int64_t m_stride, float* y) { f2_output(m, long(m_stride), y); }

void winograd_f32_f4x4_3x3_input_rows_padded__avx2_fma(const float* x, int64_t x_row_stride, int64_t row_begin,
                                                       int64_t row_end, int64_t col_begin, int64_t col_end, float* v,
                                                       int64_t v_stride) {
  alignas(32) float d[36 * kL];
  gather_strip<6, 66>(x, x_row_stride, row_begin, row_end, col_begin, col_end, f4_gather_rows, d);
  f4_input(d, v, long(v_stride));
}

// Output row r of 8 tiles (half h) is 32 floats: float 4 * l + c is y[(r * 4 + c) * 16 + 8h + l].
void winograd_f32_f4x4_3x3_scatter_rows__avx2_fma(const float* y, float* rows, int64_t row_stride) {
  for (int r = 0; r < 4; ++r) {
    for (int h = 0; h < 2; ++h) {
      const float* o = y + r * 4 * kL + 8 * h;
      const __m256 c0 = _mm256_loadu_ps(o), c1 = _mm256_loadu_ps(o + kL), c2 = _mm256_loadu_ps(o + 2 * kL),
                   c3 = _mm256_loadu_ps(o + 3 * kL);
      const __m256 t0 = _mm256_unpacklo_ps(c0, c1), t1 = _mm256_unpackhi_ps(c0, c1);
      const __m256 t2 = _mm256_unpacklo_ps(c2, c3), t3 = _mm256_unpackhi_ps(c2, c3);
      // u_k holds tile k's 4 outputs in its low half and tile k + 4's in its high half.
      const __m256 u0 = _mm256_shuffle_ps(t0, t2, 0x44), u1 = _mm256_shuffle_ps(t0, t2, 0xEE);
      const __m256 u2 = _mm256_shuffle_ps(t1, t3, 0x44), u3 = _mm256_shuffle_ps(t1, t3, 0xEE);
      float* row = rows + r * row_stride + 32 * h;
      _mm256_storeu_ps(row, _mm256_permute2f128_ps(u0, u1, 0x20));
      _mm256_storeu_ps(row + 8, _mm256_permute2f128_ps(u2, u3, 0x20));
      _mm256_storeu_ps(row + 16, _mm256_permute2f128_ps(u0, u1, 0x31));
      _mm256_storeu_ps(row + 24, _mm256_permute2f128_ps(u2, u3, 0x31));
    }
  }
}

void winograd_f32_f2x2_3x3_input_rows_padded__avx2_fma(const float* x, int64_t x_row_stride, int64_t row_begin,
                                                       int64_t row_end, int64_t col_begin, int64_t col_end, float* v,
                                                       int64_t v_stride) {
  alignas(32) float d[16 * kL];
  gather_strip<4, 34>(x, x_row_stride, row_begin, row_end, col_begin, col_end, f2_gather_rows, d);
  f2_input(d, v, long(v_stride));
}

// Output row r of 8 tiles (half h) is 16 floats: float 2 * l + c is y[(r * 2 + c) * 16 + 8h + l].
void winograd_f32_f2x2_3x3_scatter_rows__avx2_fma(const float* y, float* rows, int64_t row_stride) {
  for (int r = 0; r < 2; ++r) {
    for (int h = 0; h < 2; ++h) {
      const float* o = y + r * 2 * kL + 8 * h;
      const __m256 c0 = _mm256_loadu_ps(o), c1 = _mm256_loadu_ps(o + kL);
      const __m256 lo = _mm256_unpacklo_ps(c0, c1), hi = _mm256_unpackhi_ps(c0, c1);
      float* row = rows + r * row_stride + 16 * h;
      _mm256_storeu_ps(row, _mm256_permute2f128_ps(lo, hi, 0x20));
      _mm256_storeu_ps(row + 8, _mm256_permute2f128_ps(lo, hi, 0x31));
    }
  }
}

}  // namespace cairn::kernels
#endif
