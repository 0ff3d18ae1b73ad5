#include "kernels/ref/gemm_ref.hpp"

#include <algorithm>
#include <cstring>

namespace cairn::kernels {

namespace {

constexpr int MR = int(kGemmMR);
constexpr int NR = int(kGemmNR);

const GemmMicrokernel kScalar{"gemm_f32_4x16__scalar", kGemmMR, kGemmNR, gemm_f32_4x16__scalar};

#include "kernels/epilogue_impl.inc"

// The epilogue of a GEMM: bias per row of C (null: none) and the activation.
struct TileEpilogue {
  const float* bias = nullptr;
  const Epilogue* epilogue = nullptr;
};

// One mr x nr tile of C of which rows < rows and columns < cols are real: edge tiles go through a local tile.
// A tile with at most one real B panel passes panel stride 0, so that a two-panel kernel reads that panel twice
// instead of past the end of the packed buffer. A kernel narrower than a panel reads inside its panel (zero-padded
// to 16 columns) whatever cols is. `bias` (with an epilogue) points at the tile's first row's.
void gemm_tile(const GemmMicrokernel& uk, int64_t kc, const float* a, const float* b, int64_t b_panel_stride,
               float* c, int64_t ldc, int64_t rows, int64_t cols, bool accumulate, const TileEpilogue& e) {
  if (cols <= NR) b_panel_stride = 0;
  if (rows == uk.mr && cols == uk.nr) {
    if (e.epilogue == nullptr) {
      uk.full_tile(kc, a, b, b_panel_stride, c, ldc, accumulate);
      return;
    }
    alignas(64) float zeros[kGemmMaxMR] = {};
    const float* bias = e.bias != nullptr ? e.bias : zeros;
    if (uk.full_tile_epilogue != nullptr) {
      uk.full_tile_epilogue(kc, a, b, b_panel_stride, c, ldc, accumulate, bias, *e.epilogue);
      return;
    }
    uk.full_tile(kc, a, b, b_panel_stride, c, ldc, accumulate);
    for (int64_t i = 0; i < rows; ++i) apply_epilogue_row(*e.epilogue, bias[i], c + i * ldc, cols);
    return;
  }
  alignas(64) float tile[kGemmMaxMR * 2 * NR];
  uk.full_tile(kc, a, b, b_panel_stride, tile, uk.nr, /*accumulate=*/false);
  for (int64_t i = 0; i < rows; ++i) {
    float* row = c + i * ldc;
    const float* t = tile + i * uk.nr;
    if (accumulate) {
      for (int64_t j = 0; j < cols; ++j) row[j] += t[j];
    } else {
      for (int64_t j = 0; j < cols; ++j) row[j] = t[j];
    }
    if (e.epilogue != nullptr) apply_epilogue_row(*e.epilogue, e.bias != nullptr ? e.bias[i] : 0.0f, row, cols);
  }
}

// C[m x n] (+)= A * B for one KC slab: a_panels[p] at a + p * a_panel_stride, b_panels[q] at
// b + q * b_panel_stride, each already offset to the slab's first k.
void gemm_macro(const GemmMicrokernel& uk, int64_t m, int64_t n, int64_t kc, const float* a, int64_t a_panel_stride,
                const float* b, int64_t b_panel_stride, float* c, int64_t ldc, bool accumulate,
                const TileEpilogue& e = {}) {
  const int64_t mc = std::max<int64_t>(1, kGemmMC / uk.mr) * uk.mr;
  for (int64_t m0 = 0; m0 < m; m0 += mc) {
    const int64_t m1 = std::min(m, m0 + mc);
    for (int64_t j0 = 0; j0 < n; j0 += uk.nr) {
      // A kernel narrower than a panel starts at its column within the panel (gemm_microkernel.hpp).
      const float* b_panel = b + (j0 / NR) * b_panel_stride + j0 % NR;
      const int64_t cols = std::min<int64_t>(uk.nr, n - j0);
      for (int64_t i0 = m0; i0 < m1; i0 += uk.mr) {
        const int64_t rows = std::min<int64_t>(uk.mr, m1 - i0);
        const TileEpilogue tile_e{e.bias != nullptr ? e.bias + i0 : nullptr, e.epilogue};
        gemm_tile(uk, kc, a + (i0 / uk.mr) * a_panel_stride, b_panel, b_panel_stride, c + i0 * ldc + j0, ldc, rows,
                  cols, accumulate, tile_e);
      }
    }
  }
}

void zero_matrix(int64_t m, int64_t n, float* c, int64_t ldc) {
  for (int64_t i = 0; i < m; ++i) std::memset(c + i * ldc, 0, size_t(n) * sizeof(float));
}

}  // namespace

// C[4 x 16] (+)= a_panel[kc x 4] * b_panel[kc x 16], a full tile. Kept out of line with its accumulators local:
// inlined into the loops above, GCC 12 spilled them and vectorized along i with shuffles (3x slower). The unroll
// pragmas make it keep the 4 x 16 accumulators in registers and vectorize along j.
[[gnu::noinline]] void gemm_f32_4x16__scalar(int64_t kc, const float* __restrict a, const float* __restrict b,
                                             int64_t /*b_panel_stride*/, float* __restrict c, int64_t ldc,
                                             bool accumulate) {
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

const GemmMicrokernel& gemm_scalar_microkernel() { return kScalar; }

void gemm_pack_a(int64_t mr, int64_t m, int64_t k, MatrixView a, float* packed) {
  for (int64_t i0 = 0; i0 < m; i0 += mr) {
    float* panel = packed + (i0 / mr) * k * mr;
    const int64_t rows = std::min<int64_t>(mr, m - i0);
    for (int64_t kk = 0; kk < k; ++kk) {
      float* dst = panel + kk * mr;
      for (int64_t i = 0; i < rows; ++i) dst[i] = a.at(i0 + i, kk);
      for (int64_t i = rows; i < mr; ++i) dst[i] = 0.0f;
    }
  }
}

void gemm_pack_b(int64_t k, int64_t n, MatrixView b, float* packed) {
  for (int64_t j0 = 0; j0 < n; j0 += NR) {
    float* panel = packed + (j0 / NR) * k * NR;
    const int64_t nr = std::min<int64_t>(NR, n - j0);
    for (int64_t kk = 0; kk < k; ++kk) {
      float* dst = panel + kk * NR;
      if (b.col_stride == 1 && nr == NR) {
        // A whole panel row: a memcpy of constant size, which the compiler inlines as vector moves (a memcpy call
        // of variable size per row took as long as the multiplications of a 1x1 convolution with 16-32 input
        // channels, and a plain loop stayed scalar for fear of aliasing).
        std::memcpy(dst, b.data + kk * b.row_stride + j0, sizeof(float) * NR);
        continue;
      }
      if (b.col_stride == 1) {
        std::memcpy(dst, b.data + kk * b.row_stride + j0, size_t(nr) * sizeof(float));
      } else {
        for (int64_t j = 0; j < nr; ++j) dst[j] = b.at(kk, j0 + j);
      }
      for (int64_t j = nr; j < NR; ++j) dst[j] = 0.0f;
    }
  }
}

void gemm_packed(const GemmMicrokernel& uk, int64_t m, int64_t n, int64_t k, const float* packed_a,
                 const float* packed_b, float* c, int64_t ldc, bool accumulate, const float* bias,
                 const Epilogue* epilogue) {
  if (m <= 0 || n <= 0) return;
  if (k <= 0) {
    if (!accumulate) zero_matrix(m, n, c, ldc);
    if (epilogue != nullptr) {
      for (int64_t i = 0; i < m; ++i) apply_epilogue_row(*epilogue, bias != nullptr ? bias[i] : 0.0f, c + i * ldc, n);
    }
    return;
  }
  for (int64_t k0 = 0; k0 < k; k0 += kGemmKC) {
    const int64_t kc = std::min(kGemmKC, k - k0);
    const bool last = k0 + kc >= k;
    gemm_macro(uk, m, n, kc, packed_a + k0 * uk.mr, k * uk.mr, packed_b + k0 * NR, k * NR, c, ldc,
               accumulate || k0 > 0, last ? TileEpilogue{bias, epilogue} : TileEpilogue{});
  }
}

int64_t gemm_unpacked_b(const GemmMicrokernel& uk, int64_t m, int64_t n, int64_t k, const float* packed_a,
                        const float* b, int64_t ldb, float* c, int64_t ldc, const float* bias,
                        const Epilogue& epilogue) {
  if (uk.full_tile_unpacked_b == nullptr || m <= 0 || k <= 0) return 0;
  alignas(64) float biases[kGemmMaxMR];
  alignas(64) float tile[kGemmMaxMR * 2 * NR];
  for (int64_t i0 = 0; i0 < m; i0 += uk.mr) {
    const int64_t rows = std::min<int64_t>(uk.mr, m - i0);
    for (int64_t i = 0; i < uk.mr; ++i) biases[i] = bias != nullptr && i < rows ? bias[i0 + i] : 0.0f;
    const float* a = packed_a + (i0 / uk.mr) * k * uk.mr;
    for (int64_t j0 = 0; j0 < n; j0 += uk.nr) {
      const int64_t cols = std::min(uk.nr, n - j0);
      if (rows == uk.mr) {
        uk.full_tile_unpacked_b(k, a, b + j0, ldb, cols, c + i0 * ldc + j0, ldc, biases, epilogue);
        continue;
      }
      // The last rows of C: A's panel is zero-padded, the tile's padding rows are dropped.
      uk.full_tile_unpacked_b(k, a, b + j0, ldb, cols, tile, uk.nr, biases, epilogue);
      for (int64_t i = 0; i < rows; ++i) {
        std::memcpy(c + (i0 + i) * ldc + j0, tile + i * uk.nr, size_t(cols) * sizeof(float));
      }
    }
  }
  return n;
}

void gemm(const GemmMicrokernel& uk, int64_t m, int64_t n, int64_t k, MatrixView a, MatrixView b, float* c,
          int64_t ldc, bool accumulate, float* workspace) {
  if (m <= 0 || n <= 0) return;
  if (k <= 0) {
    if (!accumulate) zero_matrix(m, n, c, ldc);
    return;
  }
  // Packed B for the widest block first, then packed A (see gemm_workspace_floats).
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
        gemm_pack_a(uk.mr, mc, kc, a_block, packed_a);
        gemm_macro(uk, mc, nc, kc, packed_a, kc * uk.mr, packed_b, kc * NR, c + i0 * ldc + j0, ldc,
                   accumulate || k0 > 0);
      }
    }
  }
}

void gemm_ref(int64_t m, int64_t n, int64_t k, MatrixView a, MatrixView b, float* c, int64_t ldc, bool accumulate,
              float* workspace) {
  gemm(kScalar, m, n, k, a, b, c, ldc, accumulate, workspace);
}

}  // namespace cairn::kernels
