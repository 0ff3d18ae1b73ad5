#include "graph/graph.hpp"

#include <cmath>

namespace cairn {

float FusedActivation::apply(float x) const {
  switch (kind) {
    case Kind::kNone: return x;
    case Kind::kRelu: return x > 0.0f ? x : 0.0f;
    case Kind::kLeakyRelu: return x >= 0.0f ? x : alpha * x;
    case Kind::kClip: return x < alpha ? alpha : (x > beta ? beta : x);
    case Kind::kSigmoid: return 1.0f / (1.0f + std::exp(-x));
    case Kind::kTanh: return std::tanh(x);
  }
  return x;
}

const char* FusedActivation::name() const {
  switch (kind) {
    case Kind::kNone: return "none";
    case Kind::kRelu: return "Relu";
    case Kind::kLeakyRelu: return "LeakyRelu";
    case Kind::kClip: return "Clip";
    case Kind::kSigmoid: return "Sigmoid";
    case Kind::kTanh: return "Tanh";
  }
  return "?";
}

std::string Node::describe() const {
  std::string op = domain.empty() ? op_type : domain + "." + op_type;
  return "node '" + name + "' (" + op + ")";
}

const Attribute* Node::find_attr(const std::string& key) const {
  auto it = attributes.find(key);
  return it == attributes.end() ? nullptr : &it->second;
}

int64_t Node::attr_int(const std::string& key, int64_t fallback) const {
  const Attribute* a = find_attr(key);
  return a != nullptr && a->kind == Attribute::Kind::kInt ? a->i : fallback;
}

float Node::attr_float(const std::string& key, float fallback) const {
  const Attribute* a = find_attr(key);
  if (a == nullptr) return fallback;
  if (a->kind == Attribute::Kind::kFloat) return a->f;
  if (a->kind == Attribute::Kind::kInt) return float(a->i);
  return fallback;
}

std::string Node::attr_string(const std::string& key, const std::string& fallback) const {
  const Attribute* a = find_attr(key);
  return a != nullptr && a->kind == Attribute::Kind::kString ? a->s : fallback;
}

std::vector<int64_t> Node::attr_ints(const std::string& key) const {
  const Attribute* a = find_attr(key);
  if (a == nullptr) return {};
  if (a->kind == Attribute::Kind::kInts) return a->ints;
  if (a->kind == Attribute::Kind::kInt) return {a->i};
  return {};
}

std::vector<float> Node::attr_floats(const std::string& key) const {
  const Attribute* a = find_attr(key);
  if (a == nullptr) return {};
  if (a->kind == Attribute::Kind::kFloats) return a->floats;
  if (a->kind == Attribute::Kind::kFloat) return {a->f};
  return {};
}

int Graph::find_value(const std::string& name) const {
  for (size_t i = 0; i < values.size(); ++i) {
    if (values[i].name == name) return int(i);
  }
  return -1;
}

int Graph::add_value(Value value) {
  values.push_back(std::move(value));
  return int(values.size()) - 1;
}

}  // namespace cairn
