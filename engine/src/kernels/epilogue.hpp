// What a kernel does to each of its outputs before storing it: y = activation(sum + bias), for the activations
// that are a few vector instructions (the operators apply Sigmoid and Tanh after the kernel, which then has kind
// kNone). Data only, as gemm_microkernel.hpp: each ISA's translation unit applies it with its own instructions
// (kernels/epilogue_impl.inc for plain C++), with the semantics of FusedActivation::apply (graph/graph.hpp),
// NaN included: Relu maps NaN to 0, Clip and LeakyRelu pass it through.
#pragma once

#include <cstdint>

namespace cairn::kernels {

struct Epilogue {
  enum class Kind : int32_t { kNone, kRelu, kClamp, kLeakyRelu };
  Kind kind = Kind::kNone;
  float lo = 0.0f;     // kClamp: v < lo ? lo : (v > hi ? hi : v)
  float hi = 0.0f;
  float alpha = 0.0f;  // kLeakyRelu: max(v, 0) + alpha min(v, 0)
};

}  // namespace cairn::kernels
