// The GEMM micro-kernel interface: one register-blocked tile of C from packed panels. Each ISA's kernels live in
// their own translation unit compiled with that ISA's flags (kernels/x86/, kernels/arm/, kernels/wasm/);
// kernels/dispatch.cpp picks one at load. This header holds declarations only (no inline code), so that a
// translation unit compiled with -mavx2 or -mavx512f emits nothing the baseline engine could link by mistake.
#pragma once

#include <cstdint>

namespace cairn::kernels {

// Width of one packed-B panel (columns), shared by every micro-kernel, so that packing (Conv's im2col tiles,
// Winograd's 16-tile transforms) is the same whatever the ISA. A kernel with nr columns reads nr / 16 panels,
// b_panel_stride floats apart; a narrower one (nr = 8 or 4: 128-bit SIMD) reads the columns [j0 % 16, j0 % 16 + nr)
// of one panel, its rows still 16 floats apart (the macro-kernel passes b already offset to that column).
inline constexpr int64_t kGemmPanelWidth = 16;

// C[mr x nr] (row stride ldc) = or += a[kc x mr] * b[kc x nr]: a is one packed-A panel (element (i, p) at
// a[p * mr + i]); element (p, j) of b is at b[(j / 16) * b_panel_stride + p * 16 + j % 16]. No epilogue: the
// operators add bias and activation when they store their outputs (ops/conv.cpp apply_bias_activation).
using GemmMicrokernelFn = void (*)(int64_t kc, const float* a, const float* b, int64_t b_panel_stride, float* c,
                                   int64_t ldc, bool accumulate);

struct GemmMicrokernel {
  const char* name;  // gemm_f32_<mr>x<nr>__<isa>
  int64_t mr;
  int64_t nr;  // a multiple of kGemmPanelWidth (at most two panels) or a divisor of it
  GemmMicrokernelFn full_tile;
};

void gemm_f32_4x16__scalar(int64_t kc, const float* a, const float* b, int64_t b_panel_stride, float* c,
                           int64_t ldc, bool accumulate);
#if defined(__x86_64__)
void gemm_f32_6x16__avx2_fma(int64_t kc, const float* a, const float* b, int64_t b_panel_stride, float* c,
                             int64_t ldc, bool accumulate);
void gemm_f32_8x32__avx512f(int64_t kc, const float* a, const float* b, int64_t b_panel_stride, float* c,
                            int64_t ldc, bool accumulate);
#endif
#if defined(__aarch64__)
void gemm_f32_6x16__aarch64_neonfma(int64_t kc, const float* a, const float* b, int64_t b_panel_stride, float* c,
                                    int64_t ldc, bool accumulate);
#endif
#if defined(__wasm_simd128__)
void gemm_f32_5x8__wasmsimd(int64_t kc, const float* a, const float* b, int64_t b_panel_stride, float* c,
                            int64_t ldc, bool accumulate);
#endif
#if defined(__wasm_relaxed_simd__)
void gemm_f32_6x8__wasmrelaxedsimd(int64_t kc, const float* a, const float* b, int64_t b_panel_stride, float* c,
                                   int64_t ldc, bool accumulate);
#endif

}  // namespace cairn::kernels
