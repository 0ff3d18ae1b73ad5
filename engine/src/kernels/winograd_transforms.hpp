// Winograd transforms of 16 tiles at once (one packed-B panel of lanes), for F(4x4, 3x3) and F(2x2, 3x3). The
// same plain C++ (winograd_transforms_impl.inc) is compiled once per ISA (kernels/ref at baseline, kernels/x86
// with AVX2+FMA and AVX-512 flags), where the compiler turns the 16-lane loops into one, two or four vectors;
// WebAssembly has its own by hand (kernels/wasm). kernels/dispatch.cpp picks the one the CPU runs. Declarations
// only, as gemm_microkernel.hpp.
#pragma once

#include <cstdint>

namespace cairn::kernels {

inline constexpr int64_t kWinogradLanes = 16;

// input: v = B^T d B for 16 tiles: d holds the alpha x alpha input patches, element (i, j) of lane l at
// d[(i * alpha + j) * 16 + l]; point xi = i * alpha + j of lane l goes to v[xi * v_stride + l].
using WinogradInputFn = void (*)(const float* d, float* v, int64_t v_stride);
// output: y = A^T m A for 16 tiles: point xi of lane l at m[xi * m_stride + l]; output (r, c) of lane l goes to
// y[(r * tile + c) * 16 + l].
using WinogradOutputFn = void (*)(const float* m, int64_t m_stride, float* y);
// The same for 16 horizontally adjacent tiles read from and written to the image rows, skipping the gather into
// d and the scatter from y: input_rows reads point (i, j) of lane l at x[i * x_row_stride + tile * l + j];
// output_rows writes output (r, c) of lane l to y[r * y_row_stride + tile * l + c]. Each gives exactly what
// gathering and input (output and scattering) give, so results do not depend on which tiles share a call.
using WinogradInputRowsFn = void (*)(const float* x, int64_t x_row_stride, float* v, int64_t v_stride);
using WinogradOutputRowsFn = void (*)(const float* m, int64_t m_stride, float* y, int64_t y_row_stride);
// input_rows where the strip of rows may cross the image's edges: only rows [row_begin, row_end) and columns
// [col_begin, col_end) of the strip (relative to x, which may lie outside the image) are read, the rest is zero, as
// gathering with zero padding gives. scatter_rows writes what output wrote (output (r, c) of lane l at
// y[(r * tile + c) * 16 + l]) to rows[r * row_stride + tile * l + c]: the operator adds bias and activation to y
// in between, in cache, as on the gathering path.
using WinogradInputRowsPaddedFn = void (*)(const float* x, int64_t x_row_stride, int64_t row_begin, int64_t row_end,
                                           int64_t col_begin, int64_t col_end, float* v, int64_t v_stride);
using WinogradScatterRowsFn = void (*)(const float* y, float* rows, int64_t row_stride);

struct WinogradTransform {
  const char* name;  // winograd_f32_f<tile>x<tile>_3x3__<isa>
  int64_t tile;      // outputs per tile side: 4 or 2
  WinogradInputFn input;
  WinogradOutputFn output;
  // Optional (null: the operator gathers and scatters around input and output); the WebAssembly ones have them.
  WinogradInputRowsFn input_rows;
  WinogradOutputRowsFn output_rows;
  // Optional as well; the AVX2 and AVX-512 ones have them (and not the two above).
  WinogradInputRowsPaddedFn input_rows_padded = nullptr;
  WinogradScatterRowsFn scatter_rows = nullptr;
};

void winograd_f32_f4x4_3x3_input__scalar(const float* d, float* v, int64_t v_stride);
void winograd_f32_f4x4_3x3_output__scalar(const float* m, int64_t m_stride, float* y);
void winograd_f32_f2x2_3x3_input__scalar(const float* d, float* v, int64_t v_stride);
void winograd_f32_f2x2_3x3_output__scalar(const float* m, int64_t m_stride, float* y);
#if defined(__x86_64__)
void winograd_f32_f4x4_3x3_input__avx2_fma(const float* d, float* v, int64_t v_stride);
void winograd_f32_f4x4_3x3_output__avx2_fma(const float* m, int64_t m_stride, float* y);
void winograd_f32_f2x2_3x3_input__avx2_fma(const float* d, float* v, int64_t v_stride);
void winograd_f32_f2x2_3x3_output__avx2_fma(const float* m, int64_t m_stride, float* y);
void winograd_f32_f4x4_3x3_input_rows_padded__avx2_fma(const float* x, int64_t x_row_stride, int64_t row_begin,
                                                       int64_t row_end, int64_t col_begin, int64_t col_end, float* v,
                                                       int64_t v_stride);
void winograd_f32_f4x4_3x3_scatter_rows__avx2_fma(const float* y, float* rows, int64_t row_stride);
void winograd_f32_f2x2_3x3_input_rows_padded__avx2_fma(const float* x, int64_t x_row_stride, int64_t row_begin,
                                                       int64_t row_end, int64_t col_begin, int64_t col_end, float* v,
                                                       int64_t v_stride);
void winograd_f32_f2x2_3x3_scatter_rows__avx2_fma(const float* y, float* rows, int64_t row_stride);
void winograd_f32_f4x4_3x3_input__avx512f(const float* d, float* v, int64_t v_stride);
void winograd_f32_f4x4_3x3_output__avx512f(const float* m, int64_t m_stride, float* y);
void winograd_f32_f2x2_3x3_input__avx512f(const float* d, float* v, int64_t v_stride);
void winograd_f32_f2x2_3x3_output__avx512f(const float* m, int64_t m_stride, float* y);
void winograd_f32_f4x4_3x3_input_rows_padded__avx512f(const float* x, int64_t x_row_stride, int64_t row_begin,
                                                      int64_t row_end, int64_t col_begin, int64_t col_end, float* v,
                                                      int64_t v_stride);
void winograd_f32_f4x4_3x3_scatter_rows__avx512f(const float* y, float* rows, int64_t row_stride);
void winograd_f32_f2x2_3x3_input_rows_padded__avx512f(const float* x, int64_t x_row_stride, int64_t row_begin,
                                                      int64_t row_end, int64_t col_begin, int64_t col_end, float* v,
                                                      int64_t v_stride);
void winograd_f32_f2x2_3x3_scatter_rows__avx512f(const float* y, float* rows, int64_t row_stride);
#endif
#if defined(__wasm_simd128__)
void winograd_f32_f4x4_3x3_input__wasmsimd(const float* d, float* v, int64_t v_stride);
void winograd_f32_f4x4_3x3_output__wasmsimd(const float* m, int64_t m_stride, float* y);
void winograd_f32_f4x4_3x3_input_rows__wasmsimd(const float* x, int64_t x_row_stride, float* v, int64_t v_stride);
void winograd_f32_f4x4_3x3_output_rows__wasmsimd(const float* m, int64_t m_stride, float* y, int64_t y_row_stride);
void winograd_f32_f2x2_3x3_input__wasmsimd(const float* d, float* v, int64_t v_stride);
void winograd_f32_f2x2_3x3_output__wasmsimd(const float* m, int64_t m_stride, float* y);
void winograd_f32_f2x2_3x3_input_rows__wasmsimd(const float* x, int64_t x_row_stride, float* v, int64_t v_stride);
void winograd_f32_f2x2_3x3_output_rows__wasmsimd(const float* m, int64_t m_stride, float* y, int64_t y_row_stride);
#endif

}  // namespace cairn::kernels
