// The GEMM micro-kernel interface: one register-blocked tile of C from packed panels. Each ISA's kernels live in
// their own translation unit compiled with that ISA's flags (kernels/x86/, kernels/arm/, kernels/wasm/);
// kernels/dispatch.cpp picks one at load. This header holds declarations only (no inline code), so that a
// translation unit compiled with -mavx2 or -mavx512f emits nothing the baseline engine could link by mistake.
#pragma once

#include <cstdint>

#include "kernels/epilogue.hpp"

namespace cairn::kernels {

// Width of one packed-B panel (columns), shared by every micro-kernel, so that packing (Conv's im2col tiles,
// Winograd's 16-tile transforms) is the same whatever the ISA. A kernel with nr columns reads nr / 16 panels,
// b_panel_stride floats apart; a narrower one (nr = 8 or 4: 128-bit SIMD) reads the columns [j0 % 16, j0 % 16 + nr)
// of one panel, its rows still 16 floats apart (the macro-kernel passes b already offset to that column).
inline constexpr int64_t kGemmPanelWidth = 16;

// C[mr x nr] (row stride ldc) = or += a[kc x mr] * b[kc x nr]: a is one packed-A panel (element (i, p) at
// a[p * mr + i]); element (p, j) of b is at b[(j / 16) * b_panel_stride + p * 16 + j % 16].
using GemmMicrokernelFn = void (*)(int64_t kc, const float* a, const float* b, int64_t b_panel_stride, float* c,
                                   int64_t ldc, bool accumulate);
// The same with an epilogue on the way out: row i of the tile is stored as activation(sum (+ C) + bias[i])
// (kernels/epilogue.hpp; bias holds mr values). The last K block of a convolution's GEMM takes it, so that its
// outputs are written once.
using GemmMicrokernelEpilogueFn = void (*)(int64_t kc, const float* a, const float* b, int64_t b_panel_stride,
                                           float* c, int64_t ldc, bool accumulate, const float* bias,
                                           const Epilogue& epilogue);

// The epilogue form over the whole depth with B read in place instead of packed: element (p, j) of b at
// b[p * ldb + j] (a 1x1 convolution's input planes, ldb apart), for the tile's first `columns` <= nr columns: the
// others are neither read nor written.
using GemmMicrokernelUnpackedFn = void (*)(int64_t k, const float* a, const float* b, int64_t ldb, int64_t columns,
                                           float* c, int64_t ldc, const float* bias, const Epilogue& epilogue);

struct GemmMicrokernel {
  const char* name;  // gemm_f32_<mr>x<nr>__<isa>
  int64_t mr;
  int64_t nr;  // a multiple of kGemmPanelWidth (at most two panels) or a divisor of it
  GemmMicrokernelFn full_tile;
  // Optional (the x86 kernels have them); without the first the macro-kernel applies the epilogue to the tile
  // after it, without the second B is packed.
  GemmMicrokernelEpilogueFn full_tile_epilogue = nullptr;
  GemmMicrokernelUnpackedFn full_tile_unpacked_b = nullptr;
};

void gemm_f32_4x16__scalar(int64_t kc, const float* a, const float* b, int64_t b_panel_stride, float* c,
                           int64_t ldc, bool accumulate);
#if defined(__x86_64__)
void gemm_f32_6x16__avx2_fma(int64_t kc, const float* a, const float* b, int64_t b_panel_stride, float* c,
                             int64_t ldc, bool accumulate);
void gemm_f32_6x16__avx2_fma_epilogue(int64_t kc, const float* a, const float* b, int64_t b_panel_stride, float* c,
                                      int64_t ldc, bool accumulate, const float* bias, const Epilogue& epilogue);
void gemm_f32_6x16__avx2_fma_unpacked_b(int64_t k, const float* a, const float* b, int64_t ldb, int64_t columns,
                                        float* c, int64_t ldc, const float* bias, const Epilogue& epilogue);
void gemm_f32_8x32__avx512f(int64_t kc, const float* a, const float* b, int64_t b_panel_stride, float* c,
                            int64_t ldc, bool accumulate);
void gemm_f32_8x32__avx512f_epilogue(int64_t kc, const float* a, const float* b, int64_t b_panel_stride, float* c,
                                     int64_t ldc, bool accumulate, const float* bias, const Epilogue& epilogue);
void gemm_f32_8x32__avx512f_unpacked_b(int64_t k, const float* a, const float* b, int64_t ldb, int64_t columns,
                                       float* c, int64_t ldc, const float* bias, const Epilogue& epilogue);
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
