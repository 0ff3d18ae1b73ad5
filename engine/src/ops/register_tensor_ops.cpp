#include "ops/kernel.hpp"

namespace cairn {

void register_tensor_ops(KernelRegistry& registry) { (void)registry; }

}  // namespace cairn
