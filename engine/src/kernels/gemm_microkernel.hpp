// The GEMM micro-kernel interface: one register-blocked tile of C from packed panels. Each ISA's kernels live in
// their own translation unit compiled with that ISA's flags (kernels/x86/); kernels/dispatch.cpp picks one at
// load. This header holds declarations only (no inline code), so that a translation unit compiled with -mavx2 or
// -mavx512f emits nothing the baseline engine could link by mistake.
#pragma once

#include <cstdint>

namespace cairn::kernels {

// Width of one packed-B panel (columns), shared by every micro-kernel: a kernel with nr columns reads nr / 16
// panels, b_panel_stride floats apart.
inline constexpr int64_t kGemmPanelWidth = 16;

// C[mr x nr] (row stride ldc) = or += a[kc x mr] * b[kc x nr]: a is one packed-A panel (element (i, p) at
// a[p * mr + i]), b is nr / 16 packed-B panels (element (p, j) at b[(j / 16) * b_panel_stride + p * 16 + j % 16]).
using GemmMicrokernelFn = void (*)(int64_t kc, const float* a, const float* b, int64_t b_panel_stride, float* c,
                                   int64_t ldc, bool accumulate);

struct GemmMicrokernel {
  const char* name;  // gemm_f32_<mr>x<nr>__<isa>
  int64_t mr;
  int64_t nr;  // a multiple of kGemmPanelWidth
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

}  // namespace cairn::kernels
