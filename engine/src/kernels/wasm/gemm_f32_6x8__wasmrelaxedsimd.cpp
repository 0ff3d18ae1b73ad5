// 6 x 8 tile of C in 12 f32x4 accumulators; per k: two loads of B (half a row of one 16-wide packed panel), six
// splat loads of A and twelve relaxed multiply-adds. Where the engine fuses them (V8 on x86-64 with FMA3 emits
// vfmadd231ps, on ARM64 fmla) there is no product temporary, so 12 accumulators + 2 of B + A's splat fit V8's 16
// xmm registers with a sixth row (measured in Node 20 on Zen 4 as gemm_f32_5x8__wasmsimd: 52-57 GFLOP/s).
// Relaxed madd may be fused or not, as the engine chooses (V8 fuses here): each element is one chain over k either
// way, and the tests accept either rounding, but not a mix. Compiled in the relaxed-SIMD build only
// (-mrelaxed-simd); LLVM never forms relaxed madd by itself.
#if defined(__wasm_relaxed_simd__)
#include <wasm_simd128.h>

#include "kernels/gemm_microkernel.hpp"

namespace cairn::kernels {

void gemm_f32_6x8__wasmrelaxedsimd(int64_t kc, const float* a, const float* b, int64_t /*b_panel_stride*/, float* c,
                                   int64_t ldc, bool accumulate) {
  v128_t c00 = wasm_f32x4_const_splat(0.0f), c01 = c00;
  v128_t c10 = c00, c11 = c00;
  v128_t c20 = c00, c21 = c00;
  v128_t c30 = c00, c31 = c00;
  v128_t c40 = c00, c41 = c00;
  v128_t c50 = c00, c51 = c00;
  for (int64_t p = 0; p < kc; ++p) {
    const v128_t b0 = wasm_v128_load(b);
    const v128_t b1 = wasm_v128_load(b + 4);
    v128_t ai = wasm_v128_load32_splat(a + 0);
    c00 = wasm_f32x4_relaxed_madd(ai, b0, c00);
    c01 = wasm_f32x4_relaxed_madd(ai, b1, c01);
    ai = wasm_v128_load32_splat(a + 1);
    c10 = wasm_f32x4_relaxed_madd(ai, b0, c10);
    c11 = wasm_f32x4_relaxed_madd(ai, b1, c11);
    ai = wasm_v128_load32_splat(a + 2);
    c20 = wasm_f32x4_relaxed_madd(ai, b0, c20);
    c21 = wasm_f32x4_relaxed_madd(ai, b1, c21);
    ai = wasm_v128_load32_splat(a + 3);
    c30 = wasm_f32x4_relaxed_madd(ai, b0, c30);
    c31 = wasm_f32x4_relaxed_madd(ai, b1, c31);
    ai = wasm_v128_load32_splat(a + 4);
    c40 = wasm_f32x4_relaxed_madd(ai, b0, c40);
    c41 = wasm_f32x4_relaxed_madd(ai, b1, c41);
    ai = wasm_v128_load32_splat(a + 5);
    c50 = wasm_f32x4_relaxed_madd(ai, b0, c50);
    c51 = wasm_f32x4_relaxed_madd(ai, b1, c51);
    a += 6;
    b += kGemmPanelWidth;
  }
  const v128_t rows[6][2] = {{c00, c01}, {c10, c11}, {c20, c21}, {c30, c31}, {c40, c41}, {c50, c51}};
  for (int i = 0; i < 6; ++i) {
    float* row = c + i * ldc;
    v128_t r0 = rows[i][0], r1 = rows[i][1];
    if (accumulate) {
      r0 = wasm_f32x4_add(r0, wasm_v128_load(row));
      r1 = wasm_f32x4_add(r1, wasm_v128_load(row + 4));
    }
    wasm_v128_store(row, r0);
    wasm_v128_store(row + 4, r1);
  }
}

}  // namespace cairn::kernels
#endif
