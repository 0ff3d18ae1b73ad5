#include "ops/kernel.hpp"

namespace cairn {

void register_elementwise_ops(KernelRegistry& registry) { (void)registry; }

}  // namespace cairn
