#include "kernels/dispatch.hpp"

#include "kernels/ref/gemm_ref.hpp"

#include <atomic>
#include <cstdlib>
#include <cstring>

namespace cairn::kernels {

namespace {

const WinogradTransform kF4Scalar{"winograd_f32_f4x4_3x3__scalar", 4, winograd_f32_f4x4_3x3_input__scalar,
                                  winograd_f32_f4x4_3x3_output__scalar, nullptr, nullptr};
const WinogradTransform kF2Scalar{"winograd_f32_f2x2_3x3__scalar", 2, winograd_f32_f2x2_3x3_input__scalar,
                                  winograd_f32_f2x2_3x3_output__scalar, nullptr, nullptr};

const DirectConvMicrokernel kConvScalar{"conv_f32_4x16__scalar", 4, 16, conv_f32_4x16__scalar};
const ChannelConvMicrokernel kChannelConvScalar{"conv_channels_f32_8x4__scalar", 8, 4, conv_channels_f32_8x4__scalar};

#if defined(__x86_64__)
const DirectConvMicrokernel kConvAvx2{"conv_f32_6x16__avx2_fma", 6, 16, conv_f32_6x16__avx2_fma};
const DirectConvMicrokernel kConvAvx512{"conv_f32_8x32__avx512f", 8, 32, conv_f32_8x32__avx512f};
const ChannelConvMicrokernel kChannelConvAvx2_24x4{"conv_channels_f32_24x4__avx2_fma", 24, 4,
                                                  conv_channels_f32_24x4__avx2_fma};
const ChannelConvMicrokernel kChannelConvAvx2_16x6{"conv_channels_f32_16x6__avx2_fma", 16, 6,
                                                  conv_channels_f32_16x6__avx2_fma};
const ChannelConvMicrokernel kChannelConvAvx512_48x8{"conv_channels_f32_48x8__avx512f", 48, 8,
                                                    conv_channels_f32_48x8__avx512f};
const ChannelConvMicrokernel kChannelConvAvx512_16x12{"conv_channels_f32_16x12__avx512f", 16, 12,
                                                     conv_channels_f32_16x12__avx512f};
const GemmMicrokernel kAvx2_6x16{"gemm_f32_6x16__avx2_fma", 6, 16, gemm_f32_6x16__avx2_fma,
                                 gemm_f32_6x16__avx2_fma_epilogue, gemm_f32_6x16__avx2_fma_unpacked_b};
const GemmMicrokernel kAvx512_8x32{"gemm_f32_8x32__avx512f", 8, 32, gemm_f32_8x32__avx512f,
                                   gemm_f32_8x32__avx512f_epilogue, gemm_f32_8x32__avx512f_unpacked_b};
const WinogradTransform kF4Avx2{"winograd_f32_f4x4_3x3__avx2_fma", 4, winograd_f32_f4x4_3x3_input__avx2_fma,
                                winograd_f32_f4x4_3x3_output__avx2_fma, nullptr, nullptr,
                                winograd_f32_f4x4_3x3_input_rows_padded__avx2_fma,
                                winograd_f32_f4x4_3x3_scatter_rows__avx2_fma};
const WinogradTransform kF2Avx2{"winograd_f32_f2x2_3x3__avx2_fma", 2, winograd_f32_f2x2_3x3_input__avx2_fma,
                                winograd_f32_f2x2_3x3_output__avx2_fma, nullptr, nullptr,
                                winograd_f32_f2x2_3x3_input_rows_padded__avx2_fma,
                                winograd_f32_f2x2_3x3_scatter_rows__avx2_fma};
const WinogradTransform kF4Avx512{"winograd_f32_f4x4_3x3__avx512f", 4, winograd_f32_f4x4_3x3_input__avx512f,
                                  winograd_f32_f4x4_3x3_output__avx512f, nullptr, nullptr,
                                  winograd_f32_f4x4_3x3_input_rows_padded__avx512f,
                                  winograd_f32_f4x4_3x3_scatter_rows__avx512f};
const WinogradTransform kF2Avx512{"winograd_f32_f2x2_3x3__avx512f", 2, winograd_f32_f2x2_3x3_input__avx512f,
                                  winograd_f32_f2x2_3x3_output__avx512f, nullptr, nullptr,
                                  winograd_f32_f2x2_3x3_input_rows_padded__avx512f,
                                  winograd_f32_f2x2_3x3_scatter_rows__avx512f};

bool cpu_has_avx2_fma() { return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"); }
// The AVX-512 kernels are compiled with AVX-512VL too (the depthwise kernel's 8-lane chunks): every AVX-512 CPU
// since Skylake-SP has it (only the Xeon Phi lacked it, and takes the AVX2 set).
bool cpu_has_avx512f() {
  return cpu_has_avx2_fma() && __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512vl");
}
#endif

// NEON (with FMA) is part of every AArch64 CPU; WebAssembly has no run-time feature detection (the JavaScript side
// picks the module, web/engine/features.ts), so these are chosen by the build's target.
#if defined(__aarch64__)
const GemmMicrokernel kNeon6x16{"gemm_f32_6x16__aarch64_neonfma", 6, 16, gemm_f32_6x16__aarch64_neonfma};
#endif
#if defined(__wasm_simd128__)
const GemmMicrokernel kWasmSimd5x8{"gemm_f32_5x8__wasmsimd", 5, 8, gemm_f32_5x8__wasmsimd};
const WinogradTransform kF4WasmSimd{"winograd_f32_f4x4_3x3__wasmsimd", 4, winograd_f32_f4x4_3x3_input__wasmsimd,
                                    winograd_f32_f4x4_3x3_output__wasmsimd,
                                    winograd_f32_f4x4_3x3_input_rows__wasmsimd,
                                    winograd_f32_f4x4_3x3_output_rows__wasmsimd};
const WinogradTransform kF2WasmSimd{"winograd_f32_f2x2_3x3__wasmsimd", 2, winograd_f32_f2x2_3x3_input__wasmsimd,
                                    winograd_f32_f2x2_3x3_output__wasmsimd,
                                    winograd_f32_f2x2_3x3_input_rows__wasmsimd,
                                    winograd_f32_f2x2_3x3_output_rows__wasmsimd};
#endif
#if defined(__wasm_relaxed_simd__)
const GemmMicrokernel kWasmRelaxed6x8{"gemm_f32_6x8__wasmrelaxedsimd", 6, 8, gemm_f32_6x8__wasmrelaxedsimd};
#endif

KernelSet choose_kernels() {
  const char* env = std::getenv("CAIRN_KERNELS");
  const bool reference = env != nullptr && (std::strcmp(env, "reference") == 0 || std::strcmp(env, "ref") == 0);
  if (reference) return reference_kernels();
  KernelSet set{&gemm_scalar_microkernel(), true, "scalar", &kF4Scalar, &kF2Scalar, &kConvScalar,
                depthwise_conv_f32__scalar};
#if defined(__x86_64__)
  const bool cap_avx2 = env != nullptr && std::strcmp(env, "avx2") == 0;
  if (cpu_has_avx512f() && !cap_avx2) {
    set.gemm = &kAvx512_8x32;
    set.isa = "avx512f";
    set.winograd_f4 = &kF4Avx512;
    set.winograd_f2 = &kF2Avx512;
    set.direct_conv = &kConvAvx512;
    set.depthwise = depthwise_conv_f32__avx512f;
    // The widest first: it wins ties.
    set.channel_conv[0] = &kChannelConvAvx512_48x8;
    set.channel_conv[1] = &kChannelConvAvx512_16x12;
    set.channel_conv[2] = &kChannelConvAvx2_24x4;
    set.channel_conv[3] = &kChannelConvAvx2_16x6;
  } else if (cpu_has_avx2_fma()) {
    set.gemm = &kAvx2_6x16;
    set.isa = "avx2+fma";
    set.winograd_f4 = &kF4Avx2;
    set.winograd_f2 = &kF2Avx2;
    set.direct_conv = &kConvAvx2;
    set.depthwise = depthwise_conv_f32__avx2_fma;
    set.channel_conv[0] = &kChannelConvAvx2_24x4;
    set.channel_conv[1] = &kChannelConvAvx2_16x6;
  }
#elif defined(__aarch64__)
  set.gemm = &kNeon6x16;
  set.isa = "neon+fma";
#elif defined(__wasm_simd128__)
  set.winograd_f4 = &kF4WasmSimd;
  set.winograd_f2 = &kF2WasmSimd;
#if defined(__wasm_relaxed_simd__)
  set.gemm = &kWasmRelaxed6x8;
  set.isa = "wasm-relaxed-simd";
#else
  set.gemm = &kWasmSimd5x8;
  set.isa = "wasm-simd128";
#endif
#endif
  return set;
}

std::atomic<const KernelSet*> g_override{nullptr};

}  // namespace

const KernelSet& active_kernels() {
  if (const KernelSet* set = g_override.load(std::memory_order_acquire)) return *set;
  static const KernelSet chosen = choose_kernels();
  return chosen;
}

const KernelSet& reference_kernels() {
  static const KernelSet set{&gemm_scalar_microkernel(), false, "scalar"};
  return set;
}

std::vector<const GemmMicrokernel*> supported_gemm_microkernels() {
  std::vector<const GemmMicrokernel*> list{&gemm_scalar_microkernel()};
#if defined(__x86_64__)
  if (cpu_has_avx2_fma()) list.push_back(&kAvx2_6x16);
  if (cpu_has_avx512f()) list.push_back(&kAvx512_8x32);
#endif
#if defined(__aarch64__)
  list.push_back(&kNeon6x16);
#endif
#if defined(__wasm_simd128__)
  list.push_back(&kWasmSimd5x8);
#endif
#if defined(__wasm_relaxed_simd__)
  list.push_back(&kWasmRelaxed6x8);
#endif
  return list;
}

std::vector<const DirectConvMicrokernel*> supported_direct_conv_microkernels() {
  std::vector<const DirectConvMicrokernel*> list{&kConvScalar};
#if defined(__x86_64__)
  if (cpu_has_avx2_fma()) list.push_back(&kConvAvx2);
  if (cpu_has_avx512f()) list.push_back(&kConvAvx512);
#endif
  return list;
}

std::vector<const ChannelConvMicrokernel*> supported_channel_conv_microkernels() {
  std::vector<const ChannelConvMicrokernel*> list{&kChannelConvScalar};
#if defined(__x86_64__)
  if (cpu_has_avx2_fma()) {
    list.push_back(&kChannelConvAvx2_24x4);
    list.push_back(&kChannelConvAvx2_16x6);
  }
  if (cpu_has_avx512f()) {
    list.push_back(&kChannelConvAvx512_48x8);
    list.push_back(&kChannelConvAvx512_16x12);
  }
#endif
  return list;
}

std::vector<DepthwiseKernel> supported_depthwise_kernels() {
  std::vector<DepthwiseKernel> list{{"depthwise_conv_f32__scalar", depthwise_conv_f32__scalar}};
#if defined(__x86_64__)
  if (cpu_has_avx2_fma()) list.push_back({"depthwise_conv_f32__avx2_fma", depthwise_conv_f32__avx2_fma});
  if (cpu_has_avx512f()) list.push_back({"depthwise_conv_f32__avx512f", depthwise_conv_f32__avx512f});
#endif
  return list;
}

std::vector<const WinogradTransform*> supported_winograd_transforms(int64_t tile) {
  std::vector<const WinogradTransform*> list{tile == 2 ? &kF2Scalar : &kF4Scalar};
#if defined(__x86_64__)
  if (cpu_has_avx2_fma()) list.push_back(tile == 2 ? &kF2Avx2 : &kF4Avx2);
  if (cpu_has_avx512f()) list.push_back(tile == 2 ? &kF2Avx512 : &kF4Avx512);
#endif
#if defined(__wasm_simd128__)
  list.push_back(tile == 2 ? &kF2WasmSimd : &kF4WasmSimd);
#endif
  return list;
}

const WinogradTransform& winograd_transform(const KernelSet& set, int64_t tile) {
  const WinogradTransform* chosen = tile == 2 ? set.winograd_f2 : set.winograd_f4;
  if (chosen != nullptr) return *chosen;
  return tile == 2 ? kF2Scalar : kF4Scalar;
}

void override_active_kernels(const KernelSet* set) { g_override.store(set, std::memory_order_release); }

}  // namespace cairn::kernels
