// The choice of micro-kernels, made once per process from the CPU (__builtin_cpu_supports) and the environment:
// CAIRN_KERNELS=reference forces the plain C++ paths everywhere (the scalar GEMM micro-kernel, no Winograd, no
// direct convolutions), CAIRN_KERNELS=avx2 caps the ISA at AVX2+FMA; unset or "auto" takes the best the CPU has.
// Operators read the choice when they are prepared and keep it, so packed weights always match their kernel.
#pragma once

#include <vector>

#include "kernels/gemm_microkernel.hpp"

namespace cairn::kernels {

struct KernelSet {
  const GemmMicrokernel* gemm = nullptr;
  bool fast_paths = true;  // Winograd and the direct convolutions; false in reference mode
  const char* isa = "scalar";
};

// The set operators use: chosen at the first call (thread-safe), unless overridden for a test.
const KernelSet& active_kernels();
// The plain scalar set (CAIRN_KERNELS=reference).
const KernelSet& reference_kernels();
// Every GEMM micro-kernel this CPU can run, the scalar one first (for tests and benchmarks).
std::vector<const GemmMicrokernel*> supported_gemm_microkernels();
// Tests: make active_kernels() return `set` (null: back to the automatic choice). Not for concurrent use with
// preparing models.
void override_active_kernels(const KernelSet* set);

}  // namespace cairn::kernels
