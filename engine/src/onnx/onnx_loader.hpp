// ONNX ModelProto -> Graph. Reads the protobuf wire format directly (no libprotobuf).
#pragma once

#include <cstdint>
#include <span>

#include "cairn/status.hpp"
#include "graph/graph.hpp"
#include "graph/tensor.hpp"

namespace cairn {

struct LoadLimits {
  int64_t max_elements = int64_t{1} << 34;  // per tensor
};

// Parses a serialized onnx.ModelProto into a graph in topological order (initializers and Constant nodes become
// constant values). Does not run the load-time passes.
Result<Graph> load_onnx_graph(std::span<const uint8_t> bytes, const LoadLimits& limits = {});

// Parses a serialized onnx.TensorProto (as in the ONNX test data sets' input_N.pb / output_N.pb files).
Result<ConstTensor> parse_tensor_proto(std::span<const uint8_t> bytes, const LoadLimits& limits = {});

}  // namespace cairn
