// The ONNX loader against hand-built models: structure, formats of initializers, and hostile bytes.
#include <gtest/gtest.h>

#include <random>

#include "onnx/onnx_loader.hpp"
#include "onnx/protobuf.hpp"
#include "onnx_builder.hpp"

namespace cairn {
namespace {

using namespace cairn::testing;

GraphSpec conv_relu_spec() {
  GraphSpec spec;
  spec.inputs.push_back(value_info("x", {1, 1, 4, 4}));
  spec.outputs.push_back(value_info("y", {1, 2, 4, 4}));
  spec.initializers.push_back(float_tensor("w", {2, 1, 3, 3}, std::vector<float>(18, 0.5f)));
  spec.initializers.push_back(float_tensor("b", {2}, {1.0f, -1.0f}));
  spec.nodes.push_back(node("Conv", {"x", "w", "b"}, {"c"}, {ints_attr("pads", {1, 1, 1, 1})}));
  spec.nodes.push_back(node("Relu", {"c"}, {"y"}));
  spec.metadata = {{"cairn.version", "1"}, {"labels", "lung"}};
  return spec;
}

TEST(ProtobufReader, ReadsVarintsAndRefusesOverlongOnes) {
  std::vector<uint8_t> ok = {0xac, 0x02};
  protobuf::Reader r(ok);
  uint64_t v = 0;
  ASSERT_TRUE(r.read_varint(v).is_ok());
  EXPECT_EQ(v, 300u);
  std::vector<uint8_t> bad(11, 0xff);
  protobuf::Reader r2(bad);
  EXPECT_FALSE(r2.read_varint(v).is_ok());
  std::vector<uint8_t> cut = {0x80};
  protobuf::Reader r3(cut);
  Status s = r3.read_varint(v);
  EXPECT_FALSE(s.is_ok());
  EXPECT_NE(s.message().find("truncated"), std::string::npos);
}

TEST(ProtobufReader, RefusesLengthBeyondTheBuffer) {
  std::vector<uint8_t> data = {0x0a, 0x7f, 0x01};  // field 1, length 127, one byte present
  protobuf::Reader r(data);
  uint32_t field = 0, wt = 0;
  ASSERT_TRUE(r.next_field(field, wt).is_ok());
  std::span<const uint8_t> bytes;
  Status s = r.read_bytes(bytes);
  ASSERT_FALSE(s.is_ok());
  EXPECT_NE(s.message().find("127"), std::string::npos);
}

TEST(OnnxLoader, LoadsGraphInputsOutputsAndMetadata) {
  auto g = load_onnx_graph(build_model(conv_relu_spec()));
  ASSERT_TRUE(g.is_ok()) << g.status().message();
  EXPECT_EQ(g->ir_version, 8);
  EXPECT_EQ(g->opset, 17);
  ASSERT_EQ(g->inputs.size(), 1u);
  EXPECT_EQ(g->values[size_t(g->inputs[0])].name, "x");
  EXPECT_EQ(g->values[size_t(g->inputs[0])].declared_dims, (std::vector<int64_t>{1, 1, 4, 4}));
  ASSERT_EQ(g->nodes.size(), 2u);
  EXPECT_EQ(g->nodes[0].op_type, "Conv");
  EXPECT_EQ(g->nodes[0].attr_ints("pads"), (std::vector<int64_t>{1, 1, 1, 1}));
  ASSERT_EQ(g->metadata.size(), 2u);
  EXPECT_EQ(g->metadata[1].second, "lung");
  const Value& w = g->values[size_t(g->find_value("w"))];
  ASSERT_TRUE(w.constant);
  EXPECT_TRUE(w.initializer);
  EXPECT_EQ(w.constant->floats.size(), 18u);
}

TEST(OnnxLoader, SortsNodesListedOutOfOrder) {
  GraphSpec spec = conv_relu_spec();
  std::swap(spec.nodes[0], spec.nodes[1]);
  auto g = load_onnx_graph(build_model(spec));
  ASSERT_TRUE(g.is_ok()) << g.status().message();
  EXPECT_EQ(g->nodes[0].op_type, "Conv");
  EXPECT_EQ(g->nodes[1].op_type, "Relu");
}

TEST(OnnxLoader, RefusesCycles) {
  GraphSpec spec;
  spec.inputs.push_back(value_info("x", {4}));
  spec.outputs.push_back(value_info("b", {4}));
  spec.nodes.push_back(node("Add", {"x", "b"}, {"a"}));
  spec.nodes.push_back(node("Relu", {"a"}, {"b"}));
  auto g = load_onnx_graph(build_model(spec));
  ASSERT_FALSE(g.is_ok());
  EXPECT_NE(g.status().message().find("cycle"), std::string::npos) << g.status().message();
}

TEST(OnnxLoader, RefusesUndefinedInputsAndDuplicateNames) {
  GraphSpec spec;
  spec.inputs.push_back(value_info("x", {4}));
  spec.outputs.push_back(value_info("y", {4}));
  spec.nodes.push_back(node("Add", {"x", "ghost"}, {"y"}));
  auto g = load_onnx_graph(build_model(spec));
  ASSERT_FALSE(g.is_ok());
  EXPECT_NE(g.status().message().find("'ghost'"), std::string::npos) << g.status().message();

  GraphSpec dup;
  dup.inputs.push_back(value_info("x", {4}));
  dup.outputs.push_back(value_info("y", {4}));
  dup.nodes.push_back(node("Relu", {"x"}, {"y"}));
  dup.nodes.push_back(node("Relu", {"x"}, {"y"}, {}, "second"));
  auto g2 = load_onnx_graph(build_model(dup));
  ASSERT_FALSE(g2.is_ok());
  EXPECT_NE(g2.status().message().find("more than once"), std::string::npos) << g2.status().message();
}

TEST(OnnxLoader, ConvertsFloat16AndFloatDataInitializers) {
  ProtoWriter half;  // float16 values 1.0, -2.0, 0.5, 65504 (max), subnormal 2^-24
  half.varint(1, 5).varint(2, 10).bytes(8, "h");
  for (uint16_t bits : {0x3c00, 0xc000, 0x3800, 0x7bff, 0x0001}) half.varint(5, bits);
  ProtoWriter floats;  // float_data, not packed
  floats.varint(1, 2).varint(2, 1).bytes(8, "f").fixed32(4, 1.5f).fixed32(4, -3.0f);
  auto h = parse_tensor_proto(half.data());
  ASSERT_TRUE(h.is_ok()) << h.status().message();
  EXPECT_EQ(h->floats, (std::vector<float>{1.0f, -2.0f, 0.5f, 65504.0f, 5.9604644775390625e-8f}));
  auto f = parse_tensor_proto(floats.data());
  ASSERT_TRUE(f.is_ok()) << f.status().message();
  EXPECT_EQ(f->floats, (std::vector<float>{1.5f, -3.0f}));
}

TEST(OnnxLoader, RefusesInconsistentOrExternalTensorData) {
  ProtoWriter short_raw;  // claims 4 floats, holds 2
  short_raw.varint(1, 4).varint(2, 1).bytes(8, "w").bytes(9, std::string(8, '\0'));
  auto a = parse_tensor_proto(short_raw.data());
  ASSERT_FALSE(a.is_ok());
  EXPECT_NE(a.status().message().find("'w'"), std::string::npos) << a.status().message();

  ProtoWriter huge;  // 2^20 x 2^20 x 2^20 floats and no data: refused before any allocation
  huge.varint(1, 1u << 20).varint(1, 1u << 20).varint(1, 1u << 20).varint(2, 1).bytes(8, "big");
  auto b = parse_tensor_proto(huge.data());
  ASSERT_FALSE(b.is_ok());
  EXPECT_EQ(b.status().code(), StatusCode::kResourceLimit) << b.status().message();

  ProtoWriter external;
  external.varint(1, 2).varint(2, 1).bytes(8, "ext").varint(14, 1);
  auto c = parse_tensor_proto(external.data());
  ASSERT_FALSE(c.is_ok());
  EXPECT_NE(c.status().message().find("external"), std::string::npos);
}

TEST(OnnxLoader, RefusesUnsupportedVersionsAndNonModels) {
  GraphSpec old = conv_relu_spec();
  old.opset = 6;
  auto a = load_onnx_graph(build_model(old));
  ASSERT_FALSE(a.is_ok());
  EXPECT_NE(a.status().message().find("opset 6"), std::string::npos);
  GraphSpec ir2 = conv_relu_spec();
  ir2.ir_version = 2;
  EXPECT_FALSE(load_onnx_graph(build_model(ir2)).is_ok());
  std::vector<uint8_t> text = {'h', 'e', 'l', 'l', 'o', '\n'};
  EXPECT_FALSE(load_onnx_graph(text).is_ok());
  EXPECT_FALSE(load_onnx_graph({}).is_ok());
}

// Every prefix of a valid model is either refused with a message or, rarely, a valid smaller model: never a crash.
TEST(OnnxLoader, SurvivesEveryTruncation) {
  std::vector<uint8_t> bytes = build_model(conv_relu_spec());
  int refused = 0;
  for (size_t n = 0; n < bytes.size(); ++n) {
    auto g = load_onnx_graph(std::span<const uint8_t>(bytes.data(), n));
    if (!g.is_ok()) {
      ++refused;
      EXPECT_FALSE(g.status().message().empty());
    }
  }
  EXPECT_GT(refused, int(bytes.size()) * 9 / 10);
}

TEST(OnnxLoader, SurvivesRandomByteCorruption) {
  std::vector<uint8_t> original = build_model(conv_relu_spec());
  std::mt19937 rng(1234);
  for (int trial = 0; trial < 3000; ++trial) {
    std::vector<uint8_t> bytes = original;
    int flips = 1 + int(rng() % 4);
    for (int k = 0; k < flips; ++k) bytes[rng() % bytes.size()] = uint8_t(rng());
    auto g = load_onnx_graph(bytes);
    if (!g.is_ok()) {
      EXPECT_FALSE(g.status().message().empty());
    }
  }
}

}  // namespace
}  // namespace cairn
