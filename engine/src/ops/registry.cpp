#include "ops/kernel.hpp"

namespace cairn {

void KernelRegistry::add(const std::string& op_type, KernelFactory factory) {
  entries_.emplace_back(op_type, factory);
}

KernelFactory KernelRegistry::find(const std::string& op_type) const {
  for (const auto& [name, factory] : entries_) {
    if (name == op_type) return factory;
  }
  return nullptr;
}

std::vector<std::string> KernelRegistry::names() const {
  std::vector<std::string> out;
  for (const auto& entry : entries_) out.push_back(entry.first);
  return out;
}

const KernelRegistry& KernelRegistry::global() {
  static const KernelRegistry registry = [] {
    KernelRegistry r;
    register_nn_ops(r);
    register_elementwise_ops(r);
    register_tensor_ops(r);
    return r;
  }();
  return registry;
}

}  // namespace cairn
