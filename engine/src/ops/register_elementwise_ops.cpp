#include "ops/kernel.hpp"

namespace cairn {

void register_activation_ops(KernelRegistry& registry);  // activation.cpp: Relu, LeakyRelu, Sigmoid, Tanh, Clip
void register_binary_ops(KernelRegistry& registry);      // binary.cpp: Add, Sub, Mul, Div
void register_softmax_ops(KernelRegistry& registry);     // softmax.cpp: Softmax

void register_elementwise_ops(KernelRegistry& registry) {
  register_activation_ops(registry);
  register_binary_ops(registry);
  register_softmax_ops(registry);
}

}  // namespace cairn
