// The Winograd transforms compiled for AVX2+FMA (8-float vectors: two per 16 lanes): the same source as the
// scalar ones (winograd_transforms_impl.inc), vectorized by the compiler with this file's flags
// (engine/CMakeLists.txt). Called only when the CPU has the ISA.
#if defined(__x86_64__)
#include "kernels/winograd_transforms.hpp"

namespace cairn::kernels {
namespace {
#include "kernels/winograd_transforms_impl.inc"
}  // namespace

void winograd_f32_f4x4_3x3_input__avx2_fma(const float* d, float* v, int64_t v_stride) { f4_input(d, v, long(v_stride)); }
void winograd_f32_f4x4_3x3_output__avx2_fma(const float* m, int64_t m_stride, float* y) { f4_output(m, long(m_stride), y); }
void winograd_f32_f2x2_3x3_input__avx2_fma(const float* d, float* v, int64_t v_stride) { f2_input(d, v, long(v_stride)); }
void winograd_f32_f2x2_3x3_output__avx2_fma(const float* m, int64_t m_stride, float* y) { f2_output(m, long(m_stride), y); }

}  // namespace cairn::kernels
#endif
