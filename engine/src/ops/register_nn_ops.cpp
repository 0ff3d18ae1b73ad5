#include "ops/kernel.hpp"

namespace cairn {

void register_nn_ops(KernelRegistry& registry) { (void)registry; }

}  // namespace cairn
