// Runs one kernel outside a graph: build a Node, give inputs (runtime float tensors or prepare-time constants),
// get outputs. Shared by the operator tests.
#pragma once

#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "graph/graph.hpp"
#include "ops/kernel.hpp"

namespace cairn::testing {

struct OpInput {
  bool present = true;
  Shape shape;
  std::vector<float> data;            // runtime float data (also used when constant is float)
  std::shared_ptr<ConstTensor> constant;  // when set, the input is known at prepare time

  static OpInput runtime(Shape s, std::vector<float> d) { return {true, std::move(s), std::move(d), nullptr}; }
  static OpInput absent() { return {false, {}, {}, nullptr}; }
  static OpInput const_floats(Shape s, std::vector<float> d) {
    auto c = std::make_shared<ConstTensor>(ConstTensor::from_floats(s, d));
    return {true, std::move(s), std::move(d), c};
  }
  static OpInput const_ints(Shape s, std::vector<int64_t> v) {
    auto c = std::make_shared<ConstTensor>(ConstTensor::from_ints(s, std::move(v)));
    return {true, std::move(s), {}, c};
  }
};

inline Attribute attr_int(int64_t v) { Attribute a; a.kind = Attribute::Kind::kInt; a.i = v; return a; }
inline Attribute attr_float(float v) { Attribute a; a.kind = Attribute::Kind::kFloat; a.f = v; return a; }
inline Attribute attr_string(std::string v) { Attribute a; a.kind = Attribute::Kind::kString; a.s = std::move(v); return a; }
inline Attribute attr_ints(std::vector<int64_t> v) { Attribute a; a.kind = Attribute::Kind::kInts; a.ints = std::move(v); return a; }
inline Attribute attr_floats(std::vector<float> v) { Attribute a; a.kind = Attribute::Kind::kFloats; a.floats = std::move(v); return a; }

struct OpOutput {
  Shape shape;
  std::vector<float> data;
};

struct OpRun {
  Status status;                // prepare's status
  std::vector<OpOutput> outputs;
  double flops = 0;
};

inline Node make_node(const std::string& op, std::map<std::string, Attribute> attrs = {}) {
  Node node;
  node.op_type = op;
  node.attributes = std::move(attrs);
  return node;
}

// start, start + 1, ... (n values)
inline std::vector<float> iota_floats(size_t n, float start = 0.0f) {
  std::vector<float> v(n);
  for (size_t i = 0; i < n; ++i) v[i] = start + float(i);
  return v;
}

inline void expect_all_near(const std::vector<float>& got, const std::vector<float>& want, float tol) {
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < got.size(); ++i) EXPECT_NEAR(got[i], want[i], tol) << "at " << i;
}

// Creates the kernel for node.op_type from the global registry, prepares and runs it (on `pool` when given).
inline OpRun run_op(Node node, const std::vector<OpInput>& inputs, int64_t opset = 17, size_t num_outputs = 1,
                    ThreadPool* pool = nullptr) {
  OpRun result;
  node.inputs.clear();
  for (size_t i = 0; i < inputs.size(); ++i) node.inputs.push_back(inputs[i].present ? int(i) : -1);
  node.outputs.clear();
  for (size_t i = 0; i < num_outputs; ++i) node.outputs.push_back(int(inputs.size() + i));
  if (node.name.empty()) node.name = "test";
  KernelFactory factory = KernelRegistry::global().find(node.op_type);
  if (factory == nullptr) {
    result.status = unsupported("no kernel for " + node.op_type);
    return result;
  }
  std::unique_ptr<Kernel> kernel = factory();
  PrepareContext ctx{node, opset, {}};
  for (const auto& in : inputs) {
    InputInfo info;
    info.present = in.present;
    info.shape = in.shape;
    info.constant = in.constant.get();
    info.type = in.constant ? in.constant->type : DataType::kFloat;
    ctx.inputs.push_back(info);
  }
  std::vector<Shape> out_shapes(num_outputs);
  result.status = kernel->prepare(ctx, out_shapes);
  if (!result.status.is_ok()) return result;
  result.flops = kernel->flops();
  std::vector<TensorRef> in_refs;
  for (const auto& in : inputs) {
    TensorRef r;
    r.shape = &in.shape;
    r.data = in.present && (!in.constant || in.constant->is_float()) ? in.data.data() : nullptr;
    in_refs.push_back(r);
  }
  result.outputs.resize(num_outputs);
  std::vector<MutableTensorRef> out_refs;
  for (size_t i = 0; i < num_outputs; ++i) {
    result.outputs[i].shape = out_shapes[i];
    result.outputs[i].data.assign(size_t(shape_size(out_shapes[i])), std::nanf(""));
    out_refs.push_back({result.outputs[i].data.data(), &result.outputs[i].shape});
  }
  std::vector<float> scratch(kernel->scratch_floats() + 16);
  RunContext run;
  run.inputs = in_refs;
  run.outputs = out_refs;
  run.scratch = scratch.data();
  run.pool = pool;
  kernel->run(run);
  return result;
}

inline std::vector<float> random_floats(size_t n, uint32_t seed, float lo = -1.0f, float hi = 1.0f) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> dist(lo, hi);
  std::vector<float> v(n);
  for (auto& x : v) x = dist(rng);
  return v;
}

}  // namespace cairn::testing
