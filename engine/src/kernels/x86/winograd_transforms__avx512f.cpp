// The Winograd transforms compiled for AVX-512F (one 16-float vector per 16 lanes): the same source as the
// scalar ones (winograd_transforms_impl.inc), vectorized by the compiler with this file's flags
// (engine/CMakeLists.txt). Called only when the CPU has the ISA.
//
// input_rows_padded reads the patches of 16 horizontally adjacent tiles straight from the image rows, with masked
// loads for the zero padding at the image's edges; scatter_rows writes output tiles into the output rows. The
// strided gather into the transform's layout (lane l of point (i, j) is x[i * stride + tile * l + j]) is two
// two-source permutes and a blend per point, from four vector loads of the row, instead of
// ops/conv_winograd.cpp's 16 scalar loads and stores (and a zero-padded copy of the strip at the edges); the
// scatter is the same in reverse. Those scalar loops and copies took about a third of the paper's U-Net at
// 512 x 512. The arithmetic is f4_input's / f2_input's on the gathered values, so results equal the gathering
// path's to the bit.
#if defined(__x86_64__)
#include <immintrin.h>

#include <algorithm>

#include "kernels/winograd_transforms.hpp"
#include "kernels/x86/avx512_lanes.hpp"

namespace cairn::kernels {
namespace {
#include "kernels/winograd_transforms_impl.inc"

using avx512::LaneTable;
using avx512::strided_lanes;

// Point j of the 16 patches of a row: every 4th (F(4x4)) or 2nd (F(2x2)) float from j.
constexpr LaneTable kF4Points[4] = {strided_lanes(4, 0), strided_lanes(4, 1), strided_lanes(4, 2), strided_lanes(4, 3)};
constexpr LaneTable kF2Points[2] = {strided_lanes(2, 0), strided_lanes(2, 1)};

// scatter_rows: vector q of an F(4x4) output row takes columns 0, 1 of tiles 4q .. 4q + 3 from the pair (c0, c1)
// and columns 2, 3 from (c2, c3) (blended); of an F(2x2) row, tiles 8q .. 8q + 7 from (c0, c1).
constexpr LaneTable f4_scatter_lanes(int q) {
  LaneTable t{};
  for (int e = 0; e < 16; ++e) t.lane[e] = (4 * q + e / 4) + 16 * ((e % 4) & 1);
  return t;
}
constexpr LaneTable f2_scatter_lanes(int q) {
  LaneTable t{};
  for (int e = 0; e < 16; ++e) t.lane[e] = (8 * q + e / 2) + 16 * (e % 2);
  return t;
}
constexpr LaneTable kF4Scatter[4] = {f4_scatter_lanes(0), f4_scatter_lanes(1), f4_scatter_lanes(2),
                                     f4_scatter_lanes(3)};
constexpr LaneTable kF2Scatter[2] = {f2_scatter_lanes(0), f2_scatter_lanes(1)};

// Lane l of the result = p[4 * l + j] for j < 4, given p[0 .. 63] as four vectors (lanes 0-7 from the first pair,
// 8-15 from the second).
inline __m512 stride4(__m512 a, __m512 b, __m512 c, __m512 d, __m512i idx) {
  return _mm512_mask_blend_ps(__mmask16(0xFF00), _mm512_permutex2var_ps(a, idx, b), _mm512_permutex2var_ps(c, idx, d));
}

}  // namespace

void winograd_f32_f4x4_3x3_input__avx512f(const float* d, float* v, int64_t v_stride) { f4_input(d, v, long(v_stride)); }
void winograd_f32_f4x4_3x3_output__avx512f(const float* m, int64_t m_stride, float* y) { f4_output(m, long(m_stride), y); }
void winograd_f32_f2x2_3x3_input__avx512f(const float* d, float* v, int64_t v_stride) { f2_input(d, v, long(v_stride)); }
void winograd_f32_f2x2_3x3_output__avx512f(const float* m, int64_t m_stride, float* y) { f2_output(m, long(m_stride), y); }

// Lanes of a load of 16 floats from strip column `offset` that lie in columns [col_begin, col_end).
inline __mmask16 column_mask(int64_t offset, int64_t col_begin, int64_t col_end) {
  return avx512::lane_range(col_begin - offset, col_end - offset);
}

// The strip is 6 rows of 4 * 15 + 6 = 66 columns: [0, 64) in four loads for j = 0..3, and [4, 68) for j = 4, 5
// (p[4 * l + j] = (p + 4)[4 * l + j - 4]; columns 66 and 67 are never inside). Loads are masked to the columns
// inside the image, rows outside it are zero.
void winograd_f32_f4x4_3x3_input_rows_padded__avx512f(const float* x, int64_t x_row_stride, int64_t row_begin,
                                                      int64_t row_end, int64_t col_begin, int64_t col_end, float* v,
                                                      int64_t v_stride) {
  alignas(64) float d[36 * kL];
  __m512i idx[4];
  for (int j = 0; j < 4; ++j) idx[j] = avx512::load(kF4Points[j]);
  col_end = std::min<int64_t>(col_end, 66);
  __mmask16 mask[8];
  for (int k = 0; k < 4; ++k) {
    mask[k] = column_mask(16 * k, col_begin, col_end);
    mask[4 + k] = column_mask(4 + 16 * k, col_begin, col_end);
  }
  for (int i = 0; i < 6; ++i) {
    if (i < row_begin || i >= row_end) {
      for (int j = 0; j < 6; ++j) _mm512_store_ps(d + (i * 6 + j) * kL, _mm512_setzero_ps());
      continue;
    }
    const float* p = x + i * x_row_stride;
    __m512 r[8];
    for (int k = 0; k < 4; ++k) {
      r[k] = _mm512_maskz_loadu_ps(mask[k], p + 16 * k);
      r[4 + k] = _mm512_maskz_loadu_ps(mask[4 + k], p + 4 + 16 * k);
    }
    for (int j = 0; j < 4; ++j) _mm512_store_ps(d + (i * 6 + j) * kL, stride4(r[0], r[1], r[2], r[3], idx[j]));
    for (int j = 4; j < 6; ++j) _mm512_store_ps(d + (i * 6 + j) * kL, stride4(r[4], r[5], r[6], r[7], idx[j - 4]));
  }
  f4_input(d, v, long(v_stride));
}

// Output row r of the 16 tiles is 64 floats: float 4 * l + c is y[(r * 4 + c) * 16 + l]. Vector q of the row holds
// tiles 4q .. 4q + 3: columns 0, 1 from the pair (c0, c1), columns 2, 3 from (c2, c3), blended.
void winograd_f32_f4x4_3x3_scatter_rows__avx512f(const float* y, float* rows, int64_t row_stride) {
  __m512i idx[4];
  for (int q = 0; q < 4; ++q) idx[q] = avx512::load(kF4Scatter[q]);
  for (int r = 0; r < 4; ++r) {
    const float* o = y + r * 4 * kL;
    const __m512 c0 = _mm512_loadu_ps(o), c1 = _mm512_loadu_ps(o + kL), c2 = _mm512_loadu_ps(o + 2 * kL),
                 c3 = _mm512_loadu_ps(o + 3 * kL);
    float* row = rows + r * row_stride;
    for (int q = 0; q < 4; ++q) {
      const __m512 low = _mm512_permutex2var_ps(c0, idx[q], c1), high = _mm512_permutex2var_ps(c2, idx[q], c3);
      _mm512_storeu_ps(row + 16 * q, _mm512_mask_blend_ps(__mmask16(0xCCCC), low, high));
    }
  }
}

// The strip is 4 rows of 2 * 15 + 4 = 34 columns: [0, 32) for j = 0, 1 and [2, 34) for j = 2, 3.
void winograd_f32_f2x2_3x3_input_rows_padded__avx512f(const float* x, int64_t x_row_stride, int64_t row_begin,
                                                      int64_t row_end, int64_t col_begin, int64_t col_end, float* v,
                                                      int64_t v_stride) {
  alignas(64) float d[16 * kL];
  __m512i idx[2];
  for (int j = 0; j < 2; ++j) idx[j] = avx512::load(kF2Points[j]);
  col_end = std::min<int64_t>(col_end, 34);
  const __mmask16 m0 = column_mask(0, col_begin, col_end), m1 = column_mask(16, col_begin, col_end),
                  m2 = column_mask(2, col_begin, col_end), m3 = column_mask(18, col_begin, col_end);
  for (int i = 0; i < 4; ++i) {
    if (i < row_begin || i >= row_end) {
      for (int j = 0; j < 4; ++j) _mm512_store_ps(d + (i * 4 + j) * kL, _mm512_setzero_ps());
      continue;
    }
    const float* p = x + i * x_row_stride;
    const __m512 a = _mm512_maskz_loadu_ps(m0, p), b = _mm512_maskz_loadu_ps(m1, p + 16);
    const __m512 a2 = _mm512_maskz_loadu_ps(m2, p + 2), b2 = _mm512_maskz_loadu_ps(m3, p + 18);
    for (int j = 0; j < 2; ++j) _mm512_store_ps(d + (i * 4 + j) * kL, _mm512_permutex2var_ps(a, idx[j], b));
    for (int j = 2; j < 4; ++j) _mm512_store_ps(d + (i * 4 + j) * kL, _mm512_permutex2var_ps(a2, idx[j - 2], b2));
  }
  f2_input(d, v, long(v_stride));
}

// Output row r is 32 floats: float 2 * l + c is y[(r * 2 + c) * 16 + l].
void winograd_f32_f2x2_3x3_scatter_rows__avx512f(const float* y, float* rows, int64_t row_stride) {
  const __m512i idx0 = avx512::load(kF2Scatter[0]), idx1 = avx512::load(kF2Scatter[1]);
  for (int r = 0; r < 2; ++r) {
    const __m512 c0 = _mm512_loadu_ps(y + r * 2 * kL), c1 = _mm512_loadu_ps(y + r * 2 * kL + kL);
    float* row = rows + r * row_stride;
    _mm512_storeu_ps(row, _mm512_permutex2var_ps(c0, idx0, c1));
    _mm512_storeu_ps(row + 16, _mm512_permutex2var_ps(c0, idx1, c1));
  }
}

}  // namespace cairn::kernels
#endif
