#include "ops/kernel.hpp"

namespace cairn {

void register_concat_ops(KernelRegistry& registry);  // concat.cpp: Concat
void register_resize_ops(KernelRegistry& registry);  // resize.cpp: Resize, Upsample
void register_pad_ops(KernelRegistry& registry);     // pad.cpp: Pad
void register_shape_ops(KernelRegistry& registry);   // shape_ops.cpp: Reshape, Flatten, Transpose, Squeeze,
                                                     // Unsqueeze, Identity, Dropout

void register_tensor_ops(KernelRegistry& registry) {
  register_concat_ops(registry);
  register_resize_ops(registry);
  register_pad_ops(registry);
  register_shape_ops(registry);
}

}  // namespace cairn
