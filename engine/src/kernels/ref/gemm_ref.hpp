// The single-precision GEMM shared by Conv, ConvTranspose, Gemm and MatMul: row-major C[M x N] (+)= A[M x K] *
// B[K x N], the BLIS/GotoBLAS loop nest in plain C++ around a register-blocked micro-kernel (gemm_microkernel.hpp)
// that the caller passes in: the scalar gemm_f32_4x16__scalar here, or an ISA kernel chosen by kernels/dispatch.
//
// A is packed into panels of MR rows (MR: the micro-kernel's) and B into panels of 16 columns, both k-major and
// zero-padded to whole panels, so the micro-kernel reads two contiguous streams. K is blocked by kGemmKC so that
// the B micro-panels (KC x NR) stay in L1 while the A panels of a KC-slab stream from L2; M is blocked by kGemmMC.
//
// Callers that own their operands pack them themselves (Conv packs its weights once at prepare and writes its
// im2col tile straight into packed-B form) and call gemm_packed; everyone else calls gemm with strided views and a
// workspace.
#pragma once

#include <cstddef>
#include <cstdint>

#include "kernels/gemm_microkernel.hpp"

namespace cairn::kernels {

// The scalar micro-tile, 4 rows x 16 columns of C in registers (16 SSE / 8 AVX registers of accumulators).
// Measured on Zen 4 with GCC 12 -O3: 33-37 GFLOP/s at baseline x86-64 (SSE2); 6x8 and 6x16 were slower.
inline constexpr int64_t kGemmMR = 4;
inline constexpr int64_t kGemmMaxMR = 8;              // the largest MR of any micro-kernel
inline constexpr int64_t kGemmNR = kGemmPanelWidth;  // packed-B panel width
inline constexpr int64_t kGemmKC = 256;  // KC x NR x 4 bytes = 16-32 KiB of B micro-panels in L1
inline constexpr int64_t kGemmMC = 128;  // MC x KC x 4 bytes = 128 KiB of A block in L2
inline constexpr int64_t kGemmNC = 512;  // gemm only: KC x NC x 4 bytes = 512 KiB of packed B

// The scalar micro-kernel (every CPU), and the reference: the scalar kernel in the loop nest below.
const GemmMicrokernel& gemm_scalar_microkernel();

// Element (i, j) of a strided matrix is data[i * row_stride + j * col_stride]; a transposed operand is the same
// memory with the strides swapped.
struct MatrixView {
  const float* data = nullptr;
  int64_t row_stride = 0;
  int64_t col_stride = 1;
  float at(int64_t i, int64_t j) const { return data[i * row_stride + j * col_stride]; }
};

constexpr int64_t gemm_round_up(int64_t value, int64_t multiple) { return (value + multiple - 1) / multiple * multiple; }

// Floats of A packed for gemm_packed with micro-kernel rows mr: ceil(m / mr) panels of k * mr floats.
inline int64_t gemm_packed_a_floats(int64_t mr, int64_t m, int64_t k) { return gemm_round_up(m, mr) * k; }
// Floats of B packed for gemm_packed: ceil(n / 16) panels of k * 16 floats.
inline int64_t gemm_packed_b_floats(int64_t k, int64_t n) { return gemm_round_up(n, kGemmNR) * k; }

// Packs the m x k matrix `a` into mr-row panels: panel p holds rows [p*mr, p*mr + mr), element (i, kk) at
// packed[p * k * mr + kk * mr + i - p*mr]; rows past m are zero.
void gemm_pack_a(int64_t mr, int64_t m, int64_t k, MatrixView a, float* packed);
// Packs the k x n matrix `b` into NR-column panels: element (kk, j) at packed[(j / NR) * k * NR + kk * NR + j % NR];
// columns past n are zero.
void gemm_pack_b(int64_t k, int64_t n, MatrixView b, float* packed);

// C[m x n] (row stride ldc) = or += packed_a * packed_b with micro-kernel `uk`, A packed with uk.mr rows and both
// packed with the same k as above. With k == 0, C is zeroed (or left as is when accumulating). With an epilogue,
// row i of C is stored as activation(C + bias[i]) (bias null: 0), by the micro-kernel's epilogue form where it has
// one, else by a pass over each tile while it is in cache.
void gemm_packed(const GemmMicrokernel& uk, int64_t m, int64_t n, int64_t k, const float* packed_a,
                 const float* packed_b, float* c, int64_t ldc, bool accumulate, const float* bias = nullptr,
                 const Epilogue* epilogue = nullptr);

// C[m x n] = activation(packed_a * B + bias) with the micro-kernel's unpacked-B form, B read in place (k x n, row
// stride ldb, contiguous columns) over the whole depth: a 1x1 convolution's input without packing it. Returns the
// number of columns done: n, or 0 when the micro-kernel has no such form (the caller packs B then).
int64_t gemm_unpacked_b(const GemmMicrokernel& uk, int64_t m, int64_t n, int64_t k, const float* packed_a,
                        const float* b, int64_t ldb, float* c, int64_t ldc, const float* bias,
                        const Epilogue& epilogue);

// Floats of workspace gemm needs for an m x n x k product with any micro-kernel: one packed KC x NC block of B
// and one packed MC x KC block of A (under 170 K floats, 680 KiB).
constexpr size_t gemm_workspace_floats(int64_t m, int64_t n, int64_t k) {
  const int64_t kc = k < kGemmKC ? k : kGemmKC;
  const int64_t mc = m < kGemmMC ? m : kGemmMC;
  const int64_t nc = n < kGemmNC ? n : kGemmNC;
  if (kc <= 0 || mc <= 0 || nc <= 0) return 0;
  return size_t(kc) * size_t(mc + kGemmMaxMR + gemm_round_up(nc, kGemmNR));
}
// Enough workspace for any shape.
constexpr size_t gemm_workspace_floats() { return gemm_workspace_floats(kGemmMC, kGemmNC, kGemmKC); }
constexpr size_t gemm_ref_workspace_floats(int64_t m, int64_t n, int64_t k) { return gemm_workspace_floats(m, n, k); }
constexpr size_t gemm_ref_workspace_floats() { return gemm_workspace_floats(); }

// C[m x n] (row stride ldc) = or += A[m x k] * B[k x n] from strided views with micro-kernel `uk`; packs blocks of
// both into `workspace` (gemm_workspace_floats(m, n, k) floats).
void gemm(const GemmMicrokernel& uk, int64_t m, int64_t n, int64_t k, MatrixView a, MatrixView b, float* c,
          int64_t ldc, bool accumulate, float* workspace);
// gemm with the scalar micro-kernel: the reference.
void gemm_ref(int64_t m, int64_t n, int64_t k, MatrixView a, MatrixView b, float* c, int64_t ldc, bool accumulate,
              float* workspace);

}  // namespace cairn::kernels
