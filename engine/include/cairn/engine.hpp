// The C++ API of the Cairn inference engine: load an ONNX model, prepare it for input shapes, run it.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "cairn/status.hpp"

namespace cairn {

using Shape = std::vector<int64_t>;

// "1x1x512x512"; "scalar" for rank 0.
std::string shape_to_string(const Shape& shape);
// Parses "1x1x512x512" (also "1,1,512,512"); every dimension must be a positive integer.
Result<Shape> parse_shape(const std::string& text);

// A graph input or output as the model declares it. Unknown dimensions are -1, with their symbolic name if any.
struct TensorInfo {
  std::string name;
  std::string type;  // "float32", "int64", ...
  bool has_shape = false;
  std::vector<int64_t> dims;
  std::vector<std::string> dim_names;
  std::string declared_shape() const;  // "1x1xHxW", "?" when absent
};

struct EngineOptions {
  // Worker threads for a run; 0 means the number of hardware threads.
  int threads = 1;
  // Upper bound on the bytes the engine may allocate for one model (weights, packed weights, activations, scratch).
  // Shapes whose planned memory exceeds it are refused before anything is allocated.
  uint64_t memory_limit_bytes = uint64_t{4} << 30;
};

struct RunOptions {
  // Called with the fraction of the model's FLOPs done, monotonic, ending at 1.
  std::function<void(double)> on_progress;
  // When it becomes true, the run stops at the next tile and returns kCancelled.
  const std::atomic<bool>* cancel = nullptr;
};

// What a model is and costs at given input shapes.
struct ModelSummary {
  std::map<std::string, Shape> input_shapes;
  std::vector<std::pair<std::string, Shape>> output_shapes;  // in graph output order
  std::map<std::string, int> operator_counts;                // operators of the model as stored in the file
  std::map<std::string, int> planned_kernel_counts;          // kernels after load-time passes
  int64_t parameter_count = 0;                               // elements of float initializers
  double flops = 0;                                          // multiply and add count as two
  uint64_t weight_bytes = 0;                                 // weights as kept by the engine (packed)
  uint64_t activation_bytes = 0;                             // the single arena for intermediate tensors
  uint64_t scratch_bytes = 0;                                // per-run workspace of the kernels
};

struct InputView {
  std::string name;
  Shape shape;
  const float* data = nullptr;  // C order, shape_size(shape) floats
};

struct Tensor {
  Shape shape;
  std::vector<float> data;
};

class ModelImpl;

class Model {
 public:
  static Result<std::unique_ptr<Model>> load_file(const std::string& path, const EngineOptions& options = {});
  static Result<std::unique_ptr<Model>> load_bytes(std::span<const uint8_t> bytes, const EngineOptions& options = {});
  ~Model();
  Model(const Model&) = delete;
  Model& operator=(const Model&) = delete;

  const std::vector<TensorInfo>& inputs() const;
  const std::vector<TensorInfo>& outputs() const;
  // ONNX metadata_props, in file order.
  const std::vector<std::pair<std::string, std::string>>& metadata() const;
  int64_t ir_version() const;
  int64_t opset() const;  // of the default ("ai.onnx") domain
  std::string producer() const;
  const EngineOptions& options() const;
  // Operators of the model as stored in the file, and the element count of its float initializers: known without
  // input shapes.
  const std::map<std::string, int>& operator_counts() const;
  int64_t parameter_count() const;

  // Infers shapes, creates kernels, packs weights and plans memory for these input shapes.
  // Inputs not named take the model's declared shape when it is fully known.
  Result<ModelSummary> prepare(const std::map<std::string, Shape>& input_shapes);

  // Runs on the given inputs (prepares first if their shapes differ from the last preparation).
  // Outputs come back in the graph's output order.
  Result<std::vector<Tensor>> run(std::span<const InputView> inputs, const RunOptions& options = {});

 private:
  explicit Model(std::unique_ptr<ModelImpl> impl);
  std::unique_ptr<ModelImpl> impl_;
};

}  // namespace cairn
