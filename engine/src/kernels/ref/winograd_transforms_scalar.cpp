// The Winograd transforms at the baseline ISA (SSE2 on x86-64, SIMD128 in WebAssembly): the reference for the
// ISA copies and the path of every CPU.
#include "kernels/winograd_transforms.hpp"

namespace cairn::kernels {
namespace {
#include "kernels/winograd_transforms_impl.inc"
}  // namespace

void winograd_f32_f4x4_3x3_input__scalar(const float* d, float* v, int64_t v_stride) { f4_input(d, v, long(v_stride)); }
void winograd_f32_f4x4_3x3_output__scalar(const float* m, int64_t m_stride, float* y) { f4_output(m, long(m_stride), y); }
void winograd_f32_f2x2_3x3_input__scalar(const float* d, float* v, int64_t v_stride) { f2_input(d, v, long(v_stride)); }
void winograd_f32_f2x2_3x3_output__scalar(const float* m, int64_t m_stride, float* y) { f2_output(m, long(m_stride), y); }

}  // namespace cairn::kernels
