// Fuzz target: ONNX models as a hostile file or download gives them. The bytes go through the protobuf reader and the
// ONNX loader (Model::load_bytes: parsing, load-time passes), then, when the model loads, through preparation for its
// declared input shapes (shape inference, constant folding, kernel choice, memory plan) and, when that is small, one
// run on deterministic inputs. The same bytes are also read as a lone TensorProto (the ONNX test data format).
// Invariant: every input ends in a value or a Status; nothing crashes, reads out of bounds, hits undefined behaviour
// or allocates past the engine's memory limit.
#include <cmath>
#include <cstdint>
#include <map>
#include <span>
#include <vector>

#include "cairn/engine.hpp"
#include "onnx/onnx_loader.hpp"

namespace {

// Small enough that a hostile model is refused by the engine's own limit long before libFuzzer's malloc limit, and
// that what it may legitimately ask within the limit (constant folding of a ConstantOfShape or an Expand of 4 Mi
// elements, linear in their size: about 1 s with the sanitizers) stays well under the 25 s timeout of run_fuzzer.sh.
constexpr uint64_t kMemoryLimit = uint64_t{16} << 20;
// Unknown (symbolic) input dimensions are given this size.
constexpr int64_t kUnknownDimension = 2;
// Runs only models that are cheap under the sanitizers.
constexpr double kMaxRunFlops = 4e6;
constexpr uint64_t kMaxRunBytes = uint64_t{4} << 20;

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::span<const uint8_t> bytes(data, size);
  cairn::LoadLimits tensor_limits;
  tensor_limits.max_elements = int64_t(kMemoryLimit / sizeof(float));
  (void)cairn::parse_tensor_proto(bytes, tensor_limits);

  cairn::EngineOptions options;
  options.threads = 1;
  options.memory_limit_bytes = kMemoryLimit;
  auto model = cairn::Model::load_bytes(bytes, options);
  if (!model.is_ok()) return 0;

  std::map<std::string, cairn::Shape> shapes;
  for (const cairn::TensorInfo& input : (*model)->inputs()) {
    cairn::Shape shape;
    for (int64_t d : input.dims) shape.push_back(d > 0 ? d : kUnknownDimension);
    shapes[input.name] = shape;
  }
  auto summary = (*model)->prepare(shapes);
  if (!summary.is_ok()) return 0;
  if (summary->flops > kMaxRunFlops ||
      summary->activation_bytes + summary->scratch_bytes + summary->weight_bytes > kMaxRunBytes) {
    return 0;
  }

  std::vector<std::vector<float>> storage;
  std::vector<cairn::InputView> inputs;
  for (const auto& [name, shape] : summary->input_shapes) {
    int64_t count = 1;
    for (int64_t d : shape) count *= d;
    std::vector<float>& values = storage.emplace_back(size_t(count));
    for (size_t i = 0; i < values.size(); ++i) values[i] = float(std::sin(double(i) * 0.37)) * 4.0f;
    inputs.push_back({name, shape, values.data()});
  }
  (void)(*model)->run(inputs);
  return 0;
}
