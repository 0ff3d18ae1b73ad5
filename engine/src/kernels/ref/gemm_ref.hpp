// The portable single-precision GEMM shared by Conv, ConvTranspose, Gemm and MatMul: row-major
// C[M x N] (+)= A[M x K] * B[K x N], in plain C++ the compiler vectorizes (no intrinsics).
//
// Structure (the BLIS/GotoBLAS loop nest): A is packed into panels of kGemmMR rows and B into panels of
// kGemmNR columns, both k-major and zero-padded to whole panels, so the micro-kernel reads two contiguous
// streams. K is blocked by kGemmKC so that one B micro-panel (KC x NR) stays in L1 while the A panels of a
// KC-slab stream from L2; M is blocked by kGemmMC.
//
// Callers that own their operands pack them themselves (Conv packs its weights once at prepare and writes its
// im2col tile straight into packed-B form) and call gemm_packed; everyone else calls gemm_ref with strided
// views and a workspace.
#pragma once

#include <cstddef>
#include <cstdint>

namespace cairn::kernels {

// Micro-tile: 4 rows x 16 columns of C in registers (16 SSE / 8 AVX registers of accumulators). Measured on
// Zen 4 with GCC 12 -O3: 33-37 GFLOP/s at baseline x86-64 (SSE2), about 100 at x86-64-v3; 6x8 and 6x16
// were slower at both levels.
inline constexpr int64_t kGemmMR = 4;
inline constexpr int64_t kGemmNR = 16;
inline constexpr int64_t kGemmKC = 256;  // KC x NR x 4 bytes = 16 KiB of B micro-panel in L1
inline constexpr int64_t kGemmMC = 128;  // MC x KC x 4 bytes = 128 KiB of A block in L2
inline constexpr int64_t kGemmNC = 512;  // gemm_ref only: KC x NC x 4 bytes = 512 KiB of packed B

// Element (i, j) of a strided matrix is data[i * row_stride + j * col_stride]; a transposed operand is the same
// memory with the strides swapped.
struct MatrixView {
  const float* data = nullptr;
  int64_t row_stride = 0;
  int64_t col_stride = 1;
  float at(int64_t i, int64_t j) const { return data[i * row_stride + j * col_stride]; }
};

constexpr int64_t gemm_round_up(int64_t value, int64_t multiple) { return (value + multiple - 1) / multiple * multiple; }

// Floats of A packed for gemm_packed: ceil(m / MR) panels of k * MR floats.
inline int64_t gemm_packed_a_floats(int64_t m, int64_t k) { return gemm_round_up(m, kGemmMR) * k; }
// Floats of B packed for gemm_packed: ceil(n / NR) panels of k * NR floats.
inline int64_t gemm_packed_b_floats(int64_t k, int64_t n) { return gemm_round_up(n, kGemmNR) * k; }

// Packs the m x k matrix `a` into MR-row panels: panel p holds rows [p*MR, p*MR + MR), element (i, kk) at
// packed[p * k * MR + kk * MR + i - p*MR]; rows past m are zero.
void gemm_pack_a(int64_t m, int64_t k, MatrixView a, float* packed);
// Packs the k x n matrix `b` into NR-column panels: element (kk, j) at packed[(j / NR) * k * NR + kk * NR + j % NR];
// columns past n are zero.
void gemm_pack_b(int64_t k, int64_t n, MatrixView b, float* packed);

// C[m x n] (row stride ldc) = or += packed_a * packed_b, both packed with the same k as above.
// With k == 0, C is zeroed (or left as is when accumulating).
void gemm_packed(int64_t m, int64_t n, int64_t k, const float* packed_a, const float* packed_b, float* c,
                 int64_t ldc, bool accumulate);

// Floats of workspace gemm_ref needs for an m x n x k product: one packed KC x NC block of B and one packed
// MC x KC block of A (at most 160 K floats, 640 KiB).
constexpr size_t gemm_ref_workspace_floats(int64_t m, int64_t n, int64_t k) {
  const int64_t kc = k < kGemmKC ? k : kGemmKC;
  const int64_t mc = m < kGemmMC ? m : kGemmMC;
  const int64_t nc = n < kGemmNC ? n : kGemmNC;
  if (kc <= 0 || mc <= 0 || nc <= 0) return 0;
  return size_t(kc) * size_t(gemm_round_up(mc, kGemmMR) + gemm_round_up(nc, kGemmNR));
}
// Enough workspace for any shape.
constexpr size_t gemm_ref_workspace_floats() { return gemm_ref_workspace_floats(kGemmMC, kGemmNC, kGemmKC); }

// C[m x n] (row stride ldc) = or += A[m x k] * B[k x n] from strided views; packs blocks of both into
// `workspace` (gemm_ref_workspace_floats(m, n, k) floats).
void gemm_ref(int64_t m, int64_t n, int64_t k, MatrixView a, MatrixView b, float* c, int64_t ldc, bool accumulate,
              float* workspace);

}  // namespace cairn::kernels
