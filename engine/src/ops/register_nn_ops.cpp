#include <memory>

#include "ops/kernel.hpp"

namespace cairn {

// Factories, defined next to their kernels.
std::unique_ptr<Kernel> make_conv();            // conv.cpp
std::unique_ptr<Kernel> make_conv_transpose();  // conv_transpose.cpp
std::unique_ptr<Kernel> make_max_pool();        // pool.cpp
std::unique_ptr<Kernel> make_average_pool();
std::unique_ptr<Kernel> make_global_average_pool();
std::unique_ptr<Kernel> make_global_max_pool();
std::unique_ptr<Kernel> make_batch_norm();  // batch_norm.cpp
std::unique_ptr<Kernel> make_gemm();        // gemm.cpp
std::unique_ptr<Kernel> make_matmul();

void register_nn_ops(KernelRegistry& registry) {
  registry.add("Conv", &make_conv);
  registry.add("ConvTranspose", &make_conv_transpose);
  registry.add("MaxPool", &make_max_pool);
  registry.add("AveragePool", &make_average_pool);
  registry.add("GlobalAveragePool", &make_global_average_pool);
  registry.add("GlobalMaxPool", &make_global_max_pool);
  registry.add("BatchNormalization", &make_batch_norm);
  registry.add("Gemm", &make_gemm);
  registry.add("MatMul", &make_matmul);
}

}  // namespace cairn
