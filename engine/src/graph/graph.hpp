// The graph IR: values (tensors) and nodes (operators) in topological order, as loaded from ONNX and then
// rewritten by the load-time passes.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "graph/tensor.hpp"

namespace cairn {

struct Attribute {
  enum class Kind { kFloat, kInt, kString, kTensor, kFloats, kInts, kStrings, kGraph, kOther };
  Kind kind = Kind::kOther;
  float f = 0;
  int64_t i = 0;
  std::string s;
  std::vector<float> floats;
  std::vector<int64_t> ints;
  std::vector<std::string> strings;
  ConstTensorPtr tensor;
};

// An activation folded into the operator that produces its input (Conv, ConvTranspose, Gemm, MatMul...).
struct FusedActivation {
  enum class Kind { kNone, kRelu, kLeakyRelu, kClip, kSigmoid, kTanh };
  Kind kind = Kind::kNone;
  float alpha = 0;  // LeakyRelu slope; Clip minimum
  float beta = 0;   // Clip maximum
  float apply(float x) const;
  const char* name() const;
};

struct Node {
  std::string name;
  std::string op_type;
  std::string domain;        // "" for the default ONNX domain
  std::vector<int> inputs;   // value ids; -1 for an omitted optional input
  std::vector<int> outputs;  // value ids; -1 for an omitted optional output
  std::map<std::string, Attribute> attributes;
  FusedActivation activation;

  // "node 'conv1' (Conv)"; used to prefix error messages.
  std::string describe() const;

  bool has_attr(const std::string& key) const { return attributes.count(key) != 0; }
  const Attribute* find_attr(const std::string& key) const;
  int64_t attr_int(const std::string& key, int64_t fallback) const;
  float attr_float(const std::string& key, float fallback) const;
  std::string attr_string(const std::string& key, const std::string& fallback) const;
  std::vector<int64_t> attr_ints(const std::string& key) const;  // empty when absent
  std::vector<float> attr_floats(const std::string& key) const;  // empty when absent
};

struct Value {
  std::string name;
  DataType type = DataType::kUndefined;  // kUndefined when the model does not say
  // Shape as declared by the model (graph inputs, outputs, value_info); -1 for unknown dimensions.
  bool has_declared_shape = false;
  std::vector<int64_t> declared_dims;
  std::vector<std::string> dim_names;
  ConstTensorPtr constant;  // set for initializers, Constant outputs and folded values
  bool initializer = false; // a weight stored in the file (counted as a parameter)
  int producer = -1;        // index of the node producing it; -1 for graph inputs and constants
};

struct Graph {
  std::vector<Value> values;
  std::vector<Node> nodes;  // topological order
  std::vector<int> inputs;  // graph inputs that are not initializers
  std::vector<int> outputs;

  int64_t ir_version = 0;
  int64_t opset = 0;  // of the default domain
  std::string producer_name;
  std::string producer_version;
  std::vector<std::pair<std::string, std::string>> metadata;

  int find_value(const std::string& name) const;  // -1 when absent
  int add_value(Value value);
};

}  // namespace cairn
