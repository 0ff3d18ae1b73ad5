// The choice of micro-kernels, made once per process from the CPU (__builtin_cpu_supports) and the environment:
// CAIRN_KERNELS=reference forces the plain C++ paths everywhere (the scalar GEMM micro-kernel, no Winograd, no
// direct convolutions), CAIRN_KERNELS=avx2 caps the ISA at AVX2+FMA; unset or "auto" takes the best the CPU has.
// AArch64 (NEON) and WebAssembly (SIMD128, or relaxed SIMD in that build) take their build target's kernels.
// Operators read the choice when they are prepared and keep it, so packed weights always match their kernel.
#pragma once

#include <vector>

#include "kernels/direct_conv.hpp"
#include "kernels/gemm_microkernel.hpp"
#include "kernels/winograd_transforms.hpp"

namespace cairn::kernels {

struct KernelSet {
  const GemmMicrokernel* gemm = nullptr;
  bool fast_paths = true;  // Winograd and the direct convolutions; false in reference mode
  const char* isa = "scalar";
  // Winograd transforms for this ISA (null: the scalar ones).
  const WinogradTransform* winograd_f4 = nullptr;
  const WinogradTransform* winograd_f2 = nullptr;
  // Direct convolutions (kernels/direct_conv.hpp); null in reference mode, where im2col + GEMM does everything.
  const DirectConvMicrokernel* direct_conv = nullptr;
  DepthwiseConvFn depthwise = nullptr;
  // The row-buffer convolution's channel-vectorized tiles (null: none); it takes the one that wastes the least on
  // padding when that is less than its row tile wastes (ops/conv_direct.hpp).
  const ChannelConvMicrokernel* channel_conv[4] = {nullptr, nullptr, nullptr, nullptr};
};

// A depthwise kernel with its name, for tests and benchmarks.
struct DepthwiseKernel {
  const char* name;
  DepthwiseConvFn fn;
};

// The set operators use: chosen at the first call (thread-safe), unless overridden for a test.
const KernelSet& active_kernels();
// The plain scalar set (CAIRN_KERNELS=reference).
const KernelSet& reference_kernels();
// Every GEMM micro-kernel this CPU can run, the scalar one first (for tests and benchmarks).
std::vector<const GemmMicrokernel*> supported_gemm_microkernels();
// Every direct convolution micro-kernel and depthwise kernel this CPU can run, the scalar one first.
std::vector<const DirectConvMicrokernel*> supported_direct_conv_microkernels();
std::vector<DepthwiseKernel> supported_depthwise_kernels();
std::vector<const ChannelConvMicrokernel*> supported_channel_conv_microkernels();
// Every Winograd transform this CPU can run for outputs tiles of `tile` (4 or 2), the scalar one first.
std::vector<const WinogradTransform*> supported_winograd_transforms(int64_t tile);
// The transform of `set` for `tile`, or the scalar one.
const WinogradTransform& winograd_transform(const KernelSet& set, int64_t tile);
// Tests: make active_kernels() return `set` (null: back to the automatic choice). Not for concurrent use with
// preparing models.
void override_active_kernels(const KernelSet* set);

}  // namespace cairn::kernels
