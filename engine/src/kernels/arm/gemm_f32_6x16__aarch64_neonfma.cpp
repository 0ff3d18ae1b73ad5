// 6 x 16 tile of C in 24 of AArch64's 32 vector registers; per k: four loads of B (one packed panel row), one
// 4-float and one 2-float load of A, and 24 fused multiply-adds by lane (fmla v.4s, v.4s, v.s[i]), so A needs no
// broadcasts. 24 accumulators + 4 of B + 2 of A = 30 registers. NEON and FMA are part of every AArch64 CPU: no
// flags, no run-time check. Each element is one fused chain over k, as the x86 kernels compute it.
#if defined(__aarch64__)
#include <arm_neon.h>

#include "kernels/gemm_microkernel.hpp"

namespace cairn::kernels {

void gemm_f32_6x16__aarch64_neonfma(int64_t kc, const float* a, const float* b, int64_t /*b_panel_stride*/,
                                    float* c, int64_t ldc, bool accumulate) {
  float32x4_t acc[6][4];
#pragma GCC unroll 6
  for (int i = 0; i < 6; ++i) {
#pragma GCC unroll 4
    for (int j = 0; j < 4; ++j) acc[i][j] = vdupq_n_f32(0.0f);
  }
  for (int64_t p = 0; p < kc; ++p) {
    const float32x4_t b0 = vld1q_f32(b), b1 = vld1q_f32(b + 4), b2 = vld1q_f32(b + 8), b3 = vld1q_f32(b + 12);
    const float32x4_t a0123 = vld1q_f32(a);
    const float32x2_t a45 = vld1_f32(a + 4);
#define CAIRN_NEON_ROW_LANEQ(i)                            \
  acc[i][0] = vfmaq_laneq_f32(acc[i][0], b0, a0123, i);    \
  acc[i][1] = vfmaq_laneq_f32(acc[i][1], b1, a0123, i);    \
  acc[i][2] = vfmaq_laneq_f32(acc[i][2], b2, a0123, i);    \
  acc[i][3] = vfmaq_laneq_f32(acc[i][3], b3, a0123, i);
#define CAIRN_NEON_ROW_LANE(i)                             \
  acc[4 + i][0] = vfmaq_lane_f32(acc[4 + i][0], b0, a45, i); \
  acc[4 + i][1] = vfmaq_lane_f32(acc[4 + i][1], b1, a45, i); \
  acc[4 + i][2] = vfmaq_lane_f32(acc[4 + i][2], b2, a45, i); \
  acc[4 + i][3] = vfmaq_lane_f32(acc[4 + i][3], b3, a45, i);
    CAIRN_NEON_ROW_LANEQ(0)
    CAIRN_NEON_ROW_LANEQ(1)
    CAIRN_NEON_ROW_LANEQ(2)
    CAIRN_NEON_ROW_LANEQ(3)
    CAIRN_NEON_ROW_LANE(0)
    CAIRN_NEON_ROW_LANE(1)
#undef CAIRN_NEON_ROW_LANEQ
#undef CAIRN_NEON_ROW_LANE
    a += 6;
    b += kGemmPanelWidth;
  }
#pragma GCC unroll 6
  for (int i = 0; i < 6; ++i) {
    float* row = c + i * ldc;
#pragma GCC unroll 4
    for (int j = 0; j < 4; ++j) {
      float32x4_t r = acc[i][j];
      if (accumulate) r = vaddq_f32(r, vld1q_f32(row + 4 * j));
      vst1q_f32(row + 4 * j, r);
    }
  }
}

}  // namespace cairn::kernels
#endif
