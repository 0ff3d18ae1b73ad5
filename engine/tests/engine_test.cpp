// The Model API end to end on hand-built graphs: passes, constant folding, memory plan, limits, progress, cancel.
#include <gtest/gtest.h>

#include <cmath>

#include "cairn/engine.hpp"
#include "graph/passes.hpp"
#include "onnx/onnx_loader.hpp"
#include "onnx_builder.hpp"

namespace cairn {
namespace {

using namespace cairn::testing;

std::unique_ptr<Model> load(const GraphSpec& spec, EngineOptions options = {}) {
  auto m = Model::load_bytes(build_model(spec), options);
  EXPECT_TRUE(m.is_ok()) << m.status().message();
  return m.is_ok() ? std::move(m).value() : nullptr;
}

// y = Relu(BN(Conv(x))) with a 1x1 convolution, so the expected output is easy to write down.
GraphSpec conv_bn_relu_spec() {
  GraphSpec spec;
  spec.inputs.push_back(value_info("x", {1, 2, 3, 3}));
  spec.outputs.push_back(value_info("y", {1, 2, 3, 3}));
  spec.initializers.push_back(float_tensor("w", {2, 2, 1, 1}, {1.0f, 2.0f, -1.0f, 0.5f}));
  spec.initializers.push_back(float_tensor("b", {2}, {0.5f, -0.25f}));
  spec.initializers.push_back(float_tensor("scale", {2}, {2.0f, 0.5f}));
  spec.initializers.push_back(float_tensor("shift", {2}, {0.1f, -0.2f}));
  spec.initializers.push_back(float_tensor("mean", {2}, {0.3f, -0.4f}));
  spec.initializers.push_back(float_tensor("var", {2}, {4.0f, 0.25f}));
  spec.nodes.push_back(node("Conv", {"x", "w", "b"}, {"c"}));
  spec.nodes.push_back(node("BatchNormalization", {"c", "scale", "shift", "mean", "var"}, {"n"},
                            {float_attr("epsilon", 0.0f)}));
  spec.nodes.push_back(node("Identity", {"n"}, {"i"}));
  spec.nodes.push_back(node("Relu", {"i"}, {"y"}));
  return spec;
}

TEST(Engine, FoldsBatchNormFusesReluAndComputesTheSameResult) {
  auto model = load(conv_bn_relu_spec());
  ASSERT_TRUE(model);
  auto summary = model->prepare({});
  ASSERT_TRUE(summary.is_ok()) << summary.status().message();
  EXPECT_EQ(summary->planned_kernel_counts, (std::map<std::string, int>{{"Conv+Relu", 1}}));
  EXPECT_EQ(summary->operator_counts.at("BatchNormalization"), 1);
  EXPECT_EQ(summary->parameter_count, 4 + 2 + 2 * 4);
  EXPECT_DOUBLE_EQ(summary->flops, 2.0 * 2 * 2 * 9);

  std::vector<float> x(18);
  for (size_t i = 0; i < x.size(); ++i) x[i] = float(i) * 0.25f - 2.0f;
  InputView in{"x", {1, 2, 3, 3}, x.data()};
  auto out = model->run(std::span<const InputView>(&in, 1));
  ASSERT_TRUE(out.is_ok()) << out.status().message();
  ASSERT_EQ(out->size(), 1u);
  const float w[2][2] = {{1.0f, 2.0f}, {-1.0f, 0.5f}};
  const float b[2] = {0.5f, -0.25f}, scale[2] = {2.0f, 0.5f}, shift[2] = {0.1f, -0.2f}, mean[2] = {0.3f, -0.4f},
              var[2] = {4.0f, 0.25f};
  for (int c = 0; c < 2; ++c) {
    for (int p = 0; p < 9; ++p) {
      double conv = b[c] + w[c][0] * x[size_t(p)] + w[c][1] * x[size_t(9 + p)];
      double bn = (conv - mean[c]) / std::sqrt(double(var[c])) * scale[c] + shift[c];
      double expected = std::max(0.0, bn);
      EXPECT_NEAR((*out)[0].data[size_t(c * 9 + p)], expected, 1e-5) << "c=" << c << " p=" << p;
    }
  }
}

// x: [N, 3, 4] with a symbolic batch -> Reshape(x, Concat(Unsqueeze(Gather(Shape(x), 0)), [-1])) -> [N, 12].
GraphSpec shape_subgraph_spec() {
  GraphSpec spec;
  spec.opset = 13;
  spec.inputs.push_back(value_info("x", {-1, 3, 4}));
  spec.outputs.push_back(value_info("y", {-1, 12}));
  spec.initializers.push_back(int64_tensor("zero", {}, {0}));
  spec.initializers.push_back(int64_tensor("minus_one", {1}, {-1}));
  spec.initializers.push_back(int64_tensor("axes", {1}, {0}));
  spec.nodes.push_back(node("Shape", {"x"}, {"s"}));
  spec.nodes.push_back(node("Gather", {"s", "zero"}, {"n"}, {int_attr("axis", 0)}));
  spec.nodes.push_back(node("Unsqueeze", {"n", "axes"}, {"n1"}));
  spec.nodes.push_back(node("Concat", {"n1", "minus_one"}, {"target"}, {int_attr("axis", 0)}));
  spec.nodes.push_back(node("Reshape", {"x", "target"}, {"r"}));
  spec.nodes.push_back(node("Relu", {"r"}, {"y"}));
  return spec;
}

TEST(Engine, FoldsShapeSubgraphsForEachInputShape) {
  auto model = load(shape_subgraph_spec());
  ASSERT_TRUE(model);
  EXPECT_FALSE(model->prepare({}).is_ok());  // the batch is symbolic: a shape must be given
  for (int64_t batch : {1, 3}) {
    auto summary = model->prepare({{"x", {batch, 3, 4}}});
    ASSERT_TRUE(summary.is_ok()) << summary.status().message();
    ASSERT_EQ(summary->output_shapes.size(), 1u);
    EXPECT_EQ(summary->output_shapes[0].second, (Shape{batch, 12}));
    EXPECT_EQ(summary->planned_kernel_counts.count("Shape"), 0u);
    EXPECT_EQ(summary->planned_kernel_counts.count("Gather"), 0u);
    std::vector<float> x(size_t(batch * 12));
    for (size_t i = 0; i < x.size(); ++i) x[i] = float(i % 5) - 2.0f;
    InputView in{"x", {batch, 3, 4}, x.data()};
    auto out = model->run(std::span<const InputView>(&in, 1));
    ASSERT_TRUE(out.is_ok()) << out.status().message();
    for (size_t i = 0; i < x.size(); ++i) EXPECT_EQ((*out)[0].data[i], std::max(0.0f, x[i]));
  }
  // Naming no shape after a preparation must not reuse it: the batch is still unknown.
  EXPECT_FALSE(model->prepare({}).is_ok());
}

GraphSpec relu_chain_spec(int length, int64_t n) {
  GraphSpec spec;
  spec.inputs.push_back(value_info("x", {1, n}));
  spec.outputs.push_back(value_info("y" + std::to_string(length), {1, n}));
  std::string prev = "x";
  for (int i = 1; i <= length; ++i) {
    std::string out = "y" + std::to_string(i);
    spec.nodes.push_back(node(i % 2 ? "Relu" : "Sigmoid", {prev}, {out}));
    prev = out;
  }
  return spec;
}

TEST(Engine, MemoryPlanReusesBuffersAcrossAChain) {
  auto model = load(relu_chain_spec(10, 1000));
  ASSERT_TRUE(model);
  auto summary = model->prepare({});
  ASSERT_TRUE(summary.is_ok()) << summary.status().message();
  // Ten intermediate tensors of 1000 floats, but only two are alive at once.
  EXPECT_EQ(summary->activation_bytes, 2u * 1008u * 4u);
}

// Concat without copies (runtime/plan.hpp): a = Relu(x), b = Sigmoid(x), y = Concat(a, b) along the channels.
TEST(Engine, ConcatComputesItsInputsInPlace) {
  GraphSpec spec;
  spec.inputs.push_back(value_info("x", {1, 1000}));
  spec.outputs.push_back(value_info("y", {1, 2000}));
  spec.nodes.push_back(node("Relu", {"x"}, {"a"}));
  spec.nodes.push_back(node("Sigmoid", {"x"}, {"b"}));
  spec.nodes.push_back(node("Concat", {"a", "b"}, {"y"}, {int_attr("axis", 1)}));
  auto model = load(spec);
  ASSERT_TRUE(model);
  auto summary = model->prepare({});
  ASSERT_TRUE(summary.is_ok()) << summary.status().message();
  // a and b live inside y: one buffer of 2000 floats instead of 1008 + 1008 + 2000.
  EXPECT_EQ(summary->activation_bytes, 2000u * 4u);
  std::vector<float> x(1000);
  for (size_t i = 0; i < x.size(); ++i) x[i] = float(i % 7) - 3.0f;
  InputView in{"x", {1, 1000}, x.data()};
  auto out = model->run(std::span<const InputView>(&in, 1));
  ASSERT_TRUE(out.is_ok()) << out.status().message();
  for (size_t i = 0; i < 1000; ++i) {
    ASSERT_EQ((*out)[0].data[i], std::max(0.0f, x[i])) << i;
    ASSERT_FLOAT_EQ((*out)[0].data[1000 + i], 1.0f / (1.0f + std::exp(-x[i]))) << i;
  }
}

// The cases Concat must still copy, mixed with in-place ones: a graph input, an input read by two Concats, the
// same input twice, Concats nested in place, an input read again after the Concat, and a Concat whose inputs are not
// contiguous blocks of its output (axis 1 of a 2 x n tensor).
TEST(Engine, ConcatCopiesWhatCannotBeInPlace) {
  GraphSpec spec;
  spec.inputs.push_back(value_info("x", {1, 2, 3}));
  spec.inputs.push_back(value_info("z", {2, 3}));
  spec.outputs.push_back(value_info("y", {1, 18, 3}));
  spec.outputs.push_back(value_info("e", {1, 2, 3}));
  spec.outputs.push_back(value_info("w", {2, 6}));
  spec.nodes.push_back(node("Relu", {"x"}, {"a"}));
  spec.nodes.push_back(node("Sigmoid", {"x"}, {"b"}));
  spec.nodes.push_back(node("Tanh", {"x"}, {"t"}));
  spec.nodes.push_back(node("Sigmoid", {"t"}, {"u"}));
  spec.nodes.push_back(node("Concat", {"a", "x", "t", "u"}, {"c1"}, {int_attr("axis", 1)}));  // 8 channels
  spec.nodes.push_back(node("Concat", {"b", "b", "t"}, {"c2"}, {int_attr("axis", -2)}));   // 6 channels
  spec.nodes.push_back(node("Concat", {"c1", "c2", "a", "b"}, {"c3"}, {int_attr("axis", 1)}));  // 18
  spec.nodes.push_back(node("Relu", {"c3"}, {"y"}));
  spec.nodes.push_back(node("Sigmoid", {"a"}, {"e"}));
  spec.nodes.push_back(node("Relu", {"z"}, {"rz"}));
  spec.nodes.push_back(node("Sigmoid", {"z"}, {"sz"}));
  spec.nodes.push_back(node("Concat", {"rz", "sz"}, {"w"}, {int_attr("axis", 1)}));
  auto model = load(spec);
  ASSERT_TRUE(model);
  std::vector<float> x(6), z(6);
  for (size_t i = 0; i < 6; ++i) {
    x[i] = float(i) - 2.5f;
    z[i] = 1.5f - float(i) * 0.75f;
  }
  const InputView in[2] = {{"x", {1, 2, 3}, x.data()}, {"z", {2, 3}, z.data()}};
  auto out = model->run(std::span<const InputView>(in, 2));
  ASSERT_TRUE(out.is_ok()) << out.status().message();
  auto relu = [](float v) { return std::max(0.0f, v); };
  auto sigmoid = [](float v) { return 1.0f / (1.0f + std::exp(-v)); };
  std::vector<float> y;
  for (float v : x) y.push_back(v);  // a (Relu below)
  for (float v : x) y.push_back(v);
  for (float v : x) y.push_back(std::tanh(v));
  for (float v : x) y.push_back(sigmoid(std::tanh(v)));
  for (float v : x) y.push_back(sigmoid(v));
  for (float v : x) y.push_back(sigmoid(v));
  for (float v : x) y.push_back(std::tanh(v));
  for (float v : x) y.push_back(v);
  for (float v : x) y.push_back(sigmoid(v));
  ASSERT_EQ((*out)[0].data.size(), y.size());
  for (size_t i = 0; i < y.size(); ++i) EXPECT_FLOAT_EQ((*out)[0].data[i], relu(y[i])) << i;
  for (size_t i = 0; i < 6; ++i) EXPECT_FLOAT_EQ((*out)[1].data[i], sigmoid(relu(x[i]))) << i;
  for (size_t r = 0; r < 2; ++r) {
    for (size_t j = 0; j < 3; ++j) {
      EXPECT_FLOAT_EQ((*out)[2].data[r * 6 + j], relu(z[r * 3 + j]));
      EXPECT_FLOAT_EQ((*out)[2].data[r * 6 + 3 + j], sigmoid(z[r * 3 + j]));
    }
  }
}

TEST(Engine, RefusesShapesAboveTheMemoryLimitBeforeAllocating) {
  GraphSpec spec = relu_chain_spec(2, 100000);
  spec.inputs[0] = value_info("x", {100000, 100000});
  spec.outputs[0] = value_info("y2", {100000, 100000});
  auto model = load(spec);
  ASSERT_TRUE(model);
  auto summary = model->prepare({});
  ASSERT_FALSE(summary.is_ok());
  EXPECT_EQ(summary.status().code(), StatusCode::kResourceLimit) << summary.status().message();

  EngineOptions small;
  small.memory_limit_bytes = 1 << 20;  // 1 MiB: a 1x1000000 chain needs more
  auto limited = load(relu_chain_spec(3, 1000000), small);
  ASSERT_TRUE(limited);
  auto s2 = limited->prepare({});
  ASSERT_FALSE(s2.is_ok());
  EXPECT_NE(s2.status().message().find("limit"), std::string::npos) << s2.status().message();
}

TEST(Engine, RefusesUnknownOperatorsAndWrongInputs) {
  GraphSpec spec;
  spec.inputs.push_back(value_info("x", {1, 4}));
  spec.outputs.push_back(value_info("y", {1, 4}));
  spec.nodes.push_back(node("FancyAttention", {"x"}, {"y"}));
  auto model = load(spec);
  ASSERT_TRUE(model);
  auto s = model->prepare({});
  ASSERT_FALSE(s.is_ok());
  EXPECT_EQ(s.status().code(), StatusCode::kUnsupported);
  EXPECT_NE(s.status().message().find("FancyAttention"), std::string::npos) << s.status().message();

  auto chain = load(relu_chain_spec(2, 8));
  ASSERT_TRUE(chain);
  std::vector<float> x(8, 1.0f);
  InputView wrong_name{"nope", {1, 8}, x.data()};
  EXPECT_FALSE(chain->run(std::span<const InputView>(&wrong_name, 1)).is_ok());
  InputView wrong_shape{"x", {1, 7}, x.data()};
  auto r = chain->run(std::span<const InputView>(&wrong_shape, 1));
  ASSERT_FALSE(r.is_ok());
  EXPECT_NE(r.status().message().find("1x8"), std::string::npos) << r.status().message();
}

TEST(Engine, ReportsMonotonicProgressAndHonoursCancel) {
  auto model = load(relu_chain_spec(6, 64));
  ASSERT_TRUE(model);
  std::vector<float> x(64, 0.5f);
  InputView in{"x", {1, 64}, x.data()};
  std::vector<double> seen;
  RunOptions options;
  options.on_progress = [&](double f) { seen.push_back(f); };
  ASSERT_TRUE(model->run(std::span<const InputView>(&in, 1), options).is_ok());
  ASSERT_FALSE(seen.empty());
  for (size_t i = 1; i < seen.size(); ++i) EXPECT_GT(seen[i], seen[i - 1]);
  EXPECT_DOUBLE_EQ(seen.back(), 1.0);

  std::atomic<bool> cancel{true};
  RunOptions cancelled;
  cancelled.cancel = &cancel;
  auto r = model->run(std::span<const InputView>(&in, 1), cancelled);
  ASSERT_FALSE(r.is_ok());
  EXPECT_EQ(r.status().code(), StatusCode::kCancelled);
}

TEST(Passes, DropIdentityKeepsGraphOutputs) {
  GraphSpec spec;
  spec.inputs.push_back(value_info("x", {2}));
  spec.outputs.push_back(value_info("y", {2}));
  spec.nodes.push_back(node("Identity", {"x"}, {"a"}));
  spec.nodes.push_back(node("Dropout", {"a"}, {"b"}));
  spec.nodes.push_back(node("Identity", {"b"}, {"y"}));
  auto g = load_onnx_graph(build_model(spec));
  ASSERT_TRUE(g.is_ok());
  EXPECT_EQ(drop_identity_nodes(*g), 2);
  ASSERT_EQ(g->nodes.size(), 1u);
  EXPECT_EQ(g->values[size_t(g->nodes[0].inputs[0])].name, "x");
}

}  // namespace
}  // namespace cairn
