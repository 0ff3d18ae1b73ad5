// The Winograd transforms for SIMD128 by hand, four tiles per vector. The arithmetic is that of
// winograd_transforms_impl.inc operation for operation (SIMD128 has no fused multiply-add: each operation rounds
// as it does there), so the results are the scalar transforms' to the bit. The *_rows variants read the patches
// of 16 horizontally adjacent tiles straight from the image rows (a 4 x 4 transpose and two shuffles per row of
// four tiles instead of ops/conv_winograd.cpp's strided scalar gather) and write the output tiles straight into
// the output rows; that gather and scatter took most of the time of the 32- and 64-channel layers in WebAssembly.
// Compiled in both WebAssembly builds (-msimd128).
#if defined(__wasm_simd128__)
#include <wasm_simd128.h>

#include "kernels/winograd_transforms.hpp"

namespace cairn::kernels {
namespace {

using V = v128_t;
constexpr int kL = int(kWinogradLanes);  // 16 tiles: 4 vectors of lanes, group g holding tiles 4g .. 4g + 3

inline V add(V a, V b) { return wasm_f32x4_add(a, b); }
inline V sub(V a, V b) { return wasm_f32x4_sub(a, b); }
inline V mul(float s, V a) { return wasm_f32x4_mul(wasm_f32x4_splat(s), a); }
inline V load(const float* p) { return wasm_v128_load(p); }
inline void store(float* p, V v) { wasm_v128_store(p, v); }

// The 1-D transforms of winograd_transforms_impl.inc, in its order of operations.
inline void f4_input_1d(const V d[6], V v[6]) {
  v[0] = add(sub(mul(4.0f, d[0]), mul(5.0f, d[2])), d[4]);
  v[1] = add(add(mul(-4.0f, add(d[1], d[2])), d[3]), d[4]);
  v[2] = add(sub(mul(4.0f, sub(d[1], d[2])), d[3]), d[4]);
  v[3] = add(sub(mul(2.0f, sub(d[3], d[1])), d[2]), d[4]);
  v[4] = add(sub(mul(2.0f, sub(d[1], d[3])), d[2]), d[4]);
  v[5] = add(sub(mul(4.0f, d[1]), mul(5.0f, d[3])), d[5]);
}
inline void f4_output_1d(const V m[6], V y[4]) {
  const V s12 = add(m[1], m[2]), d12 = sub(m[1], m[2]), s34 = add(m[3], m[4]), d34 = sub(m[3], m[4]);
  y[0] = add(add(m[0], s12), s34);
  y[1] = add(d12, mul(2.0f, d34));
  y[2] = add(s12, mul(4.0f, s34));
  y[3] = add(add(d12, mul(8.0f, d34)), m[5]);
}
inline void f2_input_1d(const V d[4], V v[4]) {
  v[0] = sub(d[0], d[2]);
  v[1] = add(d[1], d[2]);
  v[2] = sub(d[2], d[1]);
  v[3] = sub(d[1], d[3]);
}
inline void f2_output_1d(const V m[4], V y[2]) {
  y[0] = add(add(m[0], m[1]), m[2]);
  y[1] = sub(sub(m[1], m[2]), m[3]);
}

// Columns of a 4 x 4 block held as rows: out[c] = (in[0][c], in[1][c], in[2][c], in[3][c]).
inline void transpose4(const V in[4], V out[4]) {
  const V a0 = wasm_i32x4_shuffle(in[0], in[1], 0, 4, 1, 5), a1 = wasm_i32x4_shuffle(in[2], in[3], 0, 4, 1, 5);
  const V a2 = wasm_i32x4_shuffle(in[0], in[1], 2, 6, 3, 7), a3 = wasm_i32x4_shuffle(in[2], in[3], 2, 6, 3, 7);
  out[0] = wasm_i32x4_shuffle(a0, a1, 0, 1, 4, 5);
  out[1] = wasm_i32x4_shuffle(a0, a1, 2, 3, 6, 7);
  out[2] = wasm_i32x4_shuffle(a2, a3, 0, 1, 4, 5);
  out[3] = wasm_i32x4_shuffle(a2, a3, 2, 3, 6, 7);
}

// d[j] = point j of the patch row `row` for tiles 4g .. 4g + 3 of F(4x4): row[16 g + 4 l + j], j < 6. The last
// group reads only the two floats past its four tiles that the patches need.
inline void f4_patch_row(const float* row, int g, V d[6]) {
  const float* p = row + 16 * g;
  const V in[4] = {load(p), load(p + 4), load(p + 8), load(p + 12)};
  const V next = g < 3 ? load(p + 16) : wasm_v128_load64_zero(p + 16);
  transpose4(in, d);
  d[4] = wasm_i32x4_shuffle(d[0], next, 1, 2, 3, 4);
  d[5] = wasm_i32x4_shuffle(d[1], next, 1, 2, 3, 5);
}
// F(2x2): row[8 g + 2 l + j], j < 4.
inline void f2_patch_row(const float* row, int g, V d[4]) {
  const float* p = row + 8 * g;
  const V v0 = load(p), v1 = load(p + 4);
  const V next = g < 3 ? load(p + 8) : wasm_v128_load64_zero(p + 8);
  d[0] = wasm_i32x4_shuffle(v0, v1, 0, 2, 4, 6);
  d[1] = wasm_i32x4_shuffle(v0, v1, 1, 3, 5, 7);
  d[2] = wasm_i32x4_shuffle(d[0], next, 1, 2, 3, 4);
  d[3] = wasm_i32x4_shuffle(d[1], next, 1, 2, 3, 5);
}

// V = B^T d B for the four tiles of group g, the rows of d from `patch_row` (a row pass then a column pass, as
// f4_input in the .inc).
template <class PatchRow>
inline void f4_input_group(PatchRow patch_row, int g, float* v, long v_stride) {
  V t[6][6];
  for (int i = 0; i < 6; ++i) {
    V d[6];
    patch_row(i, g, d);
    f4_input_1d(d, t[i]);
  }
  for (int j = 0; j < 6; ++j) {
    const V column[6] = {t[0][j], t[1][j], t[2][j], t[3][j], t[4][j], t[5][j]};
    V out[6];
    f4_input_1d(column, out);
    for (int i = 0; i < 6; ++i) store(v + (i * 6 + j) * v_stride + 4 * g, out[i]);
  }
}
template <class PatchRow>
inline void f2_input_group(PatchRow patch_row, int g, float* v, long v_stride) {
  V t[4][4];
  for (int i = 0; i < 4; ++i) {
    V d[4];
    patch_row(i, g, d);
    f2_input_1d(d, t[i]);
  }
  for (int j = 0; j < 4; ++j) {
    const V column[4] = {t[0][j], t[1][j], t[2][j], t[3][j]};
    V out[4];
    f2_input_1d(column, out);
    for (int i = 0; i < 4; ++i) store(v + (i * 4 + j) * v_stride + 4 * g, out[i]);
  }
}

// Y = A^T M A for the four tiles of group g (a pass over i, then over j, as f4_output in the .inc); y[r][c] holds
// output (r, c) of the four tiles.
inline void f4_output_group(const float* m, long m_stride, int g, V y[4][4]) {
  V t[4][6];
  for (int j = 0; j < 6; ++j) {
    V column[6];
    for (int i = 0; i < 6; ++i) column[i] = load(m + (i * 6 + j) * m_stride + 4 * g);
    V out[4];
    f4_output_1d(column, out);
    for (int r = 0; r < 4; ++r) t[r][j] = out[r];
  }
  for (int r = 0; r < 4; ++r) f4_output_1d(t[r], y[r]);
}
inline void f2_output_group(const float* m, long m_stride, int g, V y[2][2]) {
  V t[2][4];
  for (int j = 0; j < 4; ++j) {
    V column[4];
    for (int i = 0; i < 4; ++i) column[i] = load(m + (i * 4 + j) * m_stride + 4 * g);
    V out[2];
    f2_output_1d(column, out);
    for (int r = 0; r < 2; ++r) t[r][j] = out[r];
  }
  for (int r = 0; r < 2; ++r) f2_output_1d(t[r], y[r]);
}

}  // namespace

void winograd_f32_f4x4_3x3_input__wasmsimd(const float* d, float* v, int64_t v_stride) {
  for (int g = 0; g < kL / 4; ++g) {
    f4_input_group([d](int i, int group, V* out) {
      for (int j = 0; j < 6; ++j) out[j] = load(d + (i * 6 + j) * kL + 4 * group);
    }, g, v, long(v_stride));
  }
}

void winograd_f32_f4x4_3x3_input_rows__wasmsimd(const float* x, int64_t x_row_stride, float* v, int64_t v_stride) {
  for (int g = 0; g < kL / 4; ++g) {
    f4_input_group([x, x_row_stride](int i, int group, V* out) { f4_patch_row(x + i * x_row_stride, group, out); },
                   g, v, long(v_stride));
  }
}

void winograd_f32_f4x4_3x3_output__wasmsimd(const float* m, int64_t m_stride, float* y) {
  for (int g = 0; g < kL / 4; ++g) {
    V out[4][4];
    f4_output_group(m, long(m_stride), g, out);
    for (int r = 0; r < 4; ++r) {
      for (int c = 0; c < 4; ++c) store(y + (r * 4 + c) * kL + 4 * g, out[r][c]);
    }
  }
}

void winograd_f32_f4x4_3x3_output_rows__wasmsimd(const float* m, int64_t m_stride, float* y, int64_t y_row_stride) {
  for (int g = 0; g < kL / 4; ++g) {
    V out[4][4];
    f4_output_group(m, long(m_stride), g, out);
    for (int r = 0; r < 4; ++r) {
      V tiles[4];  // tiles[l] = output row r of tile 4g + l: four adjacent floats of the image row
      transpose4(out[r], tiles);
      float* row = y + r * y_row_stride + 16 * g;
      for (int l = 0; l < 4; ++l) store(row + 4 * l, tiles[l]);
    }
  }
}

void winograd_f32_f2x2_3x3_input__wasmsimd(const float* d, float* v, int64_t v_stride) {
  for (int g = 0; g < kL / 4; ++g) {
    f2_input_group([d](int i, int group, V* out) {
      for (int j = 0; j < 4; ++j) out[j] = load(d + (i * 4 + j) * kL + 4 * group);
    }, g, v, long(v_stride));
  }
}

void winograd_f32_f2x2_3x3_input_rows__wasmsimd(const float* x, int64_t x_row_stride, float* v, int64_t v_stride) {
  for (int g = 0; g < kL / 4; ++g) {
    f2_input_group([x, x_row_stride](int i, int group, V* out) { f2_patch_row(x + i * x_row_stride, group, out); },
                   g, v, long(v_stride));
  }
}

void winograd_f32_f2x2_3x3_output__wasmsimd(const float* m, int64_t m_stride, float* y) {
  for (int g = 0; g < kL / 4; ++g) {
    V out[2][2];
    f2_output_group(m, long(m_stride), g, out);
    for (int r = 0; r < 2; ++r) {
      for (int c = 0; c < 2; ++c) store(y + (r * 2 + c) * kL + 4 * g, out[r][c]);
    }
  }
}

void winograd_f32_f2x2_3x3_output_rows__wasmsimd(const float* m, int64_t m_stride, float* y, int64_t y_row_stride) {
  for (int g = 0; g < kL / 4; ++g) {
    V out[2][2];
    f2_output_group(m, long(m_stride), g, out);
    for (int r = 0; r < 2; ++r) {
      float* row = y + r * y_row_stride + 8 * g;  // tile 4g + l's two outputs at row[2l], row[2l + 1]
      store(row, wasm_i32x4_shuffle(out[r][0], out[r][1], 0, 4, 1, 5));
      store(row + 4, wasm_i32x4_shuffle(out[r][0], out[r][1], 2, 6, 3, 7));
    }
  }
}

}  // namespace cairn::kernels
#endif
