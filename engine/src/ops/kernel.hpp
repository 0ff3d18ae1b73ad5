// The operator interface. A Kernel is created per node when the model is prepared for input shapes:
// prepare() validates attributes and shapes, computes output shapes and packs constant weights once;
// run() computes from float32 tensors in C order (NCHW as ONNX). Every kernel is a plain reference
// implementation first; faster paths are tested against it.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "cairn/status.hpp"
#include "graph/graph.hpp"
#include "graph/tensor.hpp"

namespace cairn {

class ThreadPool;

struct InputInfo {
  bool present = false;                 // false for an omitted optional input
  DataType type = DataType::kFloat;
  Shape shape;
  const ConstTensor* constant = nullptr;  // non-null when the value is known at prepare time
};

struct PrepareContext {
  const Node& node;
  int64_t opset = 0;
  std::vector<InputInfo> inputs;  // one per node input; omitted optional inputs have present == false
  int64_t max_elements = int64_t{1} << 34;  // refuse any tensor larger than this (from the memory limit)
  int threads = 1;  // threads of the run's pool: kernels that split work size scratch_floats() for this many

  size_t num_inputs() const { return inputs.size(); }
  bool has_input(size_t i) const { return i < inputs.size() && inputs[i].present; }
  const InputInfo& input(size_t i) const { return inputs[i]; }
  // An error prefixed with the node ("node 'conv1' (Conv): weights must be 4-D, got 1x2").
  Status error(const std::string& message) const { return invalid_model(node.describe() + ": " + message); }
  Status unsupported_feature(const std::string& message) const {
    return unsupported(node.describe() + ": " + message);
  }
};

struct TensorRef {
  const float* data = nullptr;  // null for omitted inputs and for integer constants (consumed at prepare)
  const Shape* shape = nullptr;
};

struct MutableTensorRef {
  float* data = nullptr;
  const Shape* shape = nullptr;
};

class RunContext {
 public:
  std::span<const TensorRef> inputs;
  std::span<const MutableTensorRef> outputs;
  float* scratch = nullptr;      // scratch_floats() floats, 64-byte aligned, contents undefined
  ThreadPool* pool = nullptr;    // null: run on the calling thread

  // Long kernels report finished work (in FLOPs) between tiles and stop early when cancelled();
  // the executor then discards the outputs.
  std::function<void(double)> report;
  const std::atomic<bool>* cancel = nullptr;
  bool cancelled() const { return cancel != nullptr && cancel->load(std::memory_order_relaxed); }
  void progress(double flops_done) const {
    if (report) report(flops_done);
  }
};

class Kernel {
 public:
  virtual ~Kernel() = default;
  // Checks attributes and inputs, fills one shape per node output (only for outputs that are present).
  virtual Status prepare(const PrepareContext& ctx, std::vector<Shape>& output_shapes) = 0;
  // Floating-point operations of one run at the prepared shapes (a multiply-add counts as two).
  virtual double flops() const { return 0; }
  // Per-run workspace, in floats.
  virtual size_t scratch_floats() const { return 0; }
  // Bytes of weights the kernel keeps (packed copies).
  virtual size_t packed_bytes() const { return 0; }
  virtual void run(const RunContext& ctx) const = 0;
};

using KernelFactory = std::unique_ptr<Kernel> (*)();

// Name -> factory for operators of the default domain.
class KernelRegistry {
 public:
  void add(const std::string& op_type, KernelFactory factory);
  KernelFactory find(const std::string& op_type) const;
  std::vector<std::string> names() const;
  static const KernelRegistry& global();

 private:
  std::vector<std::pair<std::string, KernelFactory>> entries_;
};

// Each family of operators registers itself here (one function per file group).
void register_nn_ops(KernelRegistry& registry);           // Conv, ConvTranspose, pools, BatchNormalization, Gemm, MatMul
void register_elementwise_ops(KernelRegistry& registry);  // activations, binary arithmetic, Softmax
void register_tensor_ops(KernelRegistry& registry);       // Concat, Resize, Upsample, Pad, Reshape, Transpose...

}  // namespace cairn
