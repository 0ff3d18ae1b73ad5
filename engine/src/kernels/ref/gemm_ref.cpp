#include "kernels/ref/gemm_ref.hpp"

#include <algorithm>
#include <cstring>

namespace cairn::kernels {

namespace {

constexpr int MR = int(kGemmMR);
constexpr int NR = int(kGemmNR);

// C[MR x NR] (+)= a_panel[kc x MR] * b_panel[kc x NR], a full tile. Kept out of line with its accumulators
// local: inlined into the loops above, GCC 12 spilled them and vectorized along i with shuffles (3x slower).
// The unroll pragmas make it keep the 4 x 16 accumulators in registers and vectorize along j.
[[gnu::noinline]] void gemm_ukernel_4x16_ref(int64_t kc, const float* __restrict a, const float* __restrict b,
                                             float* __restrict c, int64_t ldc, bool accumulate) {
  float acc[MR][NR] = {};
  for (int64_t p = 0; p < kc; ++p) {
    const float* ap = a + p * MR;
    const float* bp = b + p * NR;
#pragma GCC unroll 16
    for (int i = 0; i < MR; ++i) {
#pragma GCC unroll 16
      for (int j = 0; j < NR; ++j) acc[i][j] += ap[i] * bp[j];
    }
  }
  for (int i = 0; i < MR; ++i) {
    float* row = c + i * ldc;
    if (accumulate) {
#pragma GCC unroll 16
      for (int j = 0; j < NR; ++j) row[j] += acc[i][j];
    } else {
#pragma GCC unroll 16
      for (int j = 0; j < NR; ++j) row[j] = acc[i][j];
    }
  }
}

// One MR x NR tile of C of which rows < mr and columns < nr are real: edge tiles go through a local tile.
void gemm_tile(int64_t kc, const float* a, const float* b, float* c, int64_t ldc, int64_t mr, int64_t nr,
               bool accumulate) {
  if (mr == MR && nr == NR) {
    gemm_ukernel_4x16_ref(kc, a, b, c, ldc, accumulate);
    return;
  }
  float tile[MR * NR];
  gemm_ukernel_4x16_ref(kc, a, b, tile, NR, /*accumulate=*/false);
  for (int64_t i = 0; i < mr; ++i) {
    float* row = c + i * ldc;
    for (int64_t j = 0; j < nr; ++j) row[j] = accumulate ? row[j] + tile[i * NR + j] : tile[i * NR + j];
  }
}

// C[m x n] (+)= A * B for one KC slab: a_panels[p] at a + p * a_panel_stride, b_panels[q] at
// b + q * b_panel_stride, each already offset to the slab's first k.
void gemm_macro(int64_t m, int64_t n, int64_t kc, const float* a, int64_t a_panel_stride, const float* b,
                int64_t b_panel_stride, float* c, int64_t ldc, bool accumulate) {
  for (int64_t m0 = 0; m0 < m; m0 += kGemmMC) {
    const int64_t m1 = std::min(m, m0 + kGemmMC);
    for (int64_t j0 = 0; j0 < n; j0 += NR) {
      const float* b_panel = b + (j0 / NR) * b_panel_stride;
      const int64_t nr = std::min<int64_t>(NR, n - j0);
      for (int64_t i0 = m0; i0 < m1; i0 += MR) {
        const int64_t mr = std::min<int64_t>(MR, m1 - i0);
        gemm_tile(kc, a + (i0 / MR) * a_panel_stride, b_panel, c + i0 * ldc + j0, ldc, mr, nr, accumulate);
      }
    }
  }
}

void zero_matrix(int64_t m, int64_t n, float* c, int64_t ldc) {
  for (int64_t i = 0; i < m; ++i) std::memset(c + i * ldc, 0, size_t(n) * sizeof(float));
}

}  // namespace

void gemm_pack_a(int64_t m, int64_t k, MatrixView a, float* packed) {
  for (int64_t i0 = 0; i0 < m; i0 += MR) {
    float* panel = packed + (i0 / MR) * k * MR;
    const int64_t mr = std::min<int64_t>(MR, m - i0);
    for (int64_t kk = 0; kk < k; ++kk) {
      float* dst = panel + kk * MR;
      for (int64_t i = 0; i < mr; ++i) dst[i] = a.at(i0 + i, kk);
      for (int64_t i = mr; i < MR; ++i) dst[i] = 0.0f;
    }
  }
}

void gemm_pack_b(int64_t k, int64_t n, MatrixView b, float* packed) {
  for (int64_t j0 = 0; j0 < n; j0 += NR) {
    float* panel = packed + (j0 / NR) * k * NR;
    const int64_t nr = std::min<int64_t>(NR, n - j0);
    for (int64_t kk = 0; kk < k; ++kk) {
      float* dst = panel + kk * NR;
      if (b.col_stride == 1) {
        std::memcpy(dst, b.data + kk * b.row_stride + j0, size_t(nr) * sizeof(float));
      } else {
        for (int64_t j = 0; j < nr; ++j) dst[j] = b.at(kk, j0 + j);
      }
      for (int64_t j = nr; j < NR; ++j) dst[j] = 0.0f;
    }
  }
}

void gemm_packed(int64_t m, int64_t n, int64_t k, const float* packed_a, const float* packed_b, float* c,
                 int64_t ldc, bool accumulate) {
  if (m <= 0 || n <= 0) return;
  if (k <= 0) {
    if (!accumulate) zero_matrix(m, n, c, ldc);
    return;
  }
  for (int64_t k0 = 0; k0 < k; k0 += kGemmKC) {
    const int64_t kc = std::min(kGemmKC, k - k0);
    gemm_macro(m, n, kc, packed_a + k0 * MR, k * MR, packed_b + k0 * NR, k * NR, c, ldc, accumulate || k0 > 0);
  }
}

void gemm_ref(int64_t m, int64_t n, int64_t k, MatrixView a, MatrixView b, float* c, int64_t ldc, bool accumulate,
              float* workspace) {
  if (m <= 0 || n <= 0) return;
  if (k <= 0) {
    if (!accumulate) zero_matrix(m, n, c, ldc);
    return;
  }
  // Packed B for the widest block first, then packed A (see gemm_ref_workspace_floats).
  float* packed_b = workspace;
  float* packed_a = workspace + std::min(kGemmKC, k) * gemm_round_up(std::min(kGemmNC, n), NR);
  for (int64_t j0 = 0; j0 < n; j0 += kGemmNC) {
    const int64_t nc = std::min(kGemmNC, n - j0);
    for (int64_t k0 = 0; k0 < k; k0 += kGemmKC) {
      const int64_t kc = std::min(kGemmKC, k - k0);
      MatrixView b_block{b.data + k0 * b.row_stride + j0 * b.col_stride, b.row_stride, b.col_stride};
      gemm_pack_b(kc, nc, b_block, packed_b);
      for (int64_t i0 = 0; i0 < m; i0 += kGemmMC) {
        const int64_t mc = std::min(kGemmMC, m - i0);
        MatrixView a_block{a.data + i0 * a.row_stride + k0 * a.col_stride, a.row_stride, a.col_stride};
        gemm_pack_a(mc, kc, a_block, packed_a);
        gemm_macro(mc, nc, kc, packed_a, kc * MR, packed_b, kc * NR, c + i0 * ldc + j0, ldc, accumulate || k0 > 0);
      }
    }
  }
}

}  // namespace cairn::kernels
