// Activations, Clip, Softmax and the broadcasting binary operators against hand-computed values and naive
// references.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "op_test_util.hpp"
#include "ops/broadcast.hpp"
#include "runtime/thread_pool.hpp"

namespace cairn {
namespace {

using testing::attr_float;
using testing::attr_int;
using testing::expect_all_near;
using testing::make_node;
using testing::OpInput;
using testing::random_floats;
using testing::run_op;


// ---------------------------------------------------------------------------------------------------------------
// Activations

TEST(ElementwiseActivation, Relu) {
  auto r = run_op(make_node("Relu"), {OpInput::runtime({5}, {-2, -0.5f, 0, 0.5f, 2})});
  ASSERT_TRUE(r.status.is_ok()) << r.status.message();
  EXPECT_EQ(r.outputs[0].shape, (Shape{5}));
  expect_all_near(r.outputs[0].data, {0, 0, 0, 0.5f, 2}, 0);
  EXPECT_EQ(r.flops, 5);
}

TEST(ElementwiseActivation, LeakyReluDefaultAndGivenAlpha) {
  auto r = run_op(make_node("LeakyRelu"), {OpInput::runtime({4}, {-2, -1, 0, 3})});
  ASSERT_TRUE(r.status.is_ok());
  expect_all_near(r.outputs[0].data, {-0.02f, -0.01f, 0, 3}, 1e-7f);
  r = run_op(make_node("LeakyRelu", {{"alpha", attr_float(0.1f)}}), {OpInput::runtime({1, 4}, {-2, -1, 0, 3})});
  ASSERT_TRUE(r.status.is_ok());
  expect_all_near(r.outputs[0].data, {-0.2f, -0.1f, 0, 3}, 1e-7f);
}

TEST(ElementwiseActivation, SigmoidIsStableAtExtremes) {
  const std::vector<float> x = {-100, -10, -1, 0, 1, 10, 100};
  auto r = run_op(make_node("Sigmoid"), {OpInput::runtime({7}, x)});
  ASSERT_TRUE(r.status.is_ok());
  for (size_t i = 0; i < x.size(); ++i) {
    const double want = 1.0 / (1.0 + std::exp(-double(x[i])));
    EXPECT_NEAR(r.outputs[0].data[i], want, 1e-7 + 1e-6 * want) << x[i];
    EXPECT_FALSE(std::isnan(r.outputs[0].data[i]));
  }
  EXPECT_GT(r.flops, 7);
}

TEST(ElementwiseActivation, Tanh) {
  const std::vector<float> x = random_floats(37, 1, -5, 5);
  auto r = run_op(make_node("Tanh"), {OpInput::runtime({37}, x)});
  ASSERT_TRUE(r.status.is_ok());
  for (size_t i = 0; i < x.size(); ++i) EXPECT_NEAR(r.outputs[0].data[i], std::tanh(double(x[i])), 1e-6);
}

TEST(ElementwiseActivation, FloatConstantInputIsAccepted) {
  auto r = run_op(make_node("Relu"), {OpInput::const_floats({2}, {-1, 1})});
  ASSERT_TRUE(r.status.is_ok());
  expect_all_near(r.outputs[0].data, {0, 1}, 0);
}

TEST(ElementwiseActivation, IntegerConstantInputIsRefused) {
  auto r = run_op(make_node("Relu"), {OpInput::const_ints({2}, {-1, 1})});
  EXPECT_EQ(r.status.code(), StatusCode::kUnsupported);
}

TEST(ElementwiseActivation, EmptyTensor) {
  auto r = run_op(make_node("Sigmoid"), {OpInput::runtime({2, 0}, {})});
  ASSERT_TRUE(r.status.is_ok());
  EXPECT_EQ(r.outputs[0].shape, (Shape{2, 0}));
}

// ---------------------------------------------------------------------------------------------------------------
// Clip: attributes before opset 11, optional constant inputs from 11 on

TEST(ElementwiseClip, AttributesBeforeOpset11) {
  const std::vector<float> x = {-3, -1, 0, 0.5f, 2, 7};
  auto r = run_op(make_node("Clip", {{"min", attr_float(-1)}, {"max", attr_float(1)}}), {OpInput::runtime({6}, x)}, 6);
  ASSERT_TRUE(r.status.is_ok());
  expect_all_near(r.outputs[0].data, {-1, -1, 0, 0.5f, 1, 1}, 0);
  r = run_op(make_node("Clip", {{"min", attr_float(0)}}), {OpInput::runtime({6}, x)}, 6);  // no max
  ASSERT_TRUE(r.status.is_ok());
  expect_all_near(r.outputs[0].data, {0, 0, 0, 0.5f, 2, 7}, 0);
}

TEST(ElementwiseClip, InputsFromOpset11) {
  const std::vector<float> x = {-3, -1, 0, 0.5f, 2, 7};
  auto r = run_op(make_node("Clip"),
                  {OpInput::runtime({2, 3}, x), OpInput::const_floats({}, {-1}), OpInput::const_floats({}, {1})}, 13);
  ASSERT_TRUE(r.status.is_ok()) << r.status.message();
  expect_all_near(r.outputs[0].data, {-1, -1, 0, 0.5f, 1, 1}, 0);
  // Only max (min omitted with an empty name).
  r = run_op(make_node("Clip"), {OpInput::runtime({6}, x), OpInput::absent(), OpInput::const_floats({}, {0})}, 11);
  ASSERT_TRUE(r.status.is_ok());
  expect_all_near(r.outputs[0].data, {-3, -1, 0, 0, 0, 0}, 0);
  // Only min.
  r = run_op(make_node("Clip"), {OpInput::runtime({6}, x), OpInput::const_floats({1}, {0.5f})}, 12);
  ASSERT_TRUE(r.status.is_ok());
  expect_all_near(r.outputs[0].data, {0.5f, 0.5f, 0.5f, 0.5f, 2, 7}, 0);
  // No bounds: identity, infinities included.
  const float inf = std::numeric_limits<float>::infinity();
  r = run_op(make_node("Clip"), {OpInput::runtime({3}, {-inf, 1, inf})}, 13);
  ASSERT_TRUE(r.status.is_ok());
  EXPECT_EQ(r.outputs[0].data, (std::vector<float>{-inf, 1, inf}));
  // Attributes are ignored from opset 11 on.
  r = run_op(make_node("Clip", {{"min", attr_float(0)}}), {OpInput::runtime({6}, x)}, 13);
  ASSERT_TRUE(r.status.is_ok());
  expect_all_near(r.outputs[0].data, x, 0);
}

TEST(ElementwiseClip, MinAboveMaxGivesMax) {
  auto r =
      run_op(make_node("Clip"),
             {OpInput::runtime({3}, {-5, 0, 5}), OpInput::const_floats({}, {2}), OpInput::const_floats({}, {1})}, 13);
  ASSERT_TRUE(r.status.is_ok());
  expect_all_near(r.outputs[0].data, {1, 1, 1}, 0);
}

TEST(ElementwiseClip, RuntimeScalarBoundsAreReadWhenRunning) {
  auto r = run_op(make_node("Clip"),
                  {OpInput::runtime({3}, {-5, 0, 5}), OpInput::runtime({}, {-1}), OpInput::runtime({1}, {2})}, 13);
  ASSERT_TRUE(r.status.is_ok()) << r.status.message();
  expect_all_near(r.outputs[0].data, {-1, 0, 2}, 0);
}

TEST(ElementwiseClip, RefusesNonScalarOrIntegerBounds) {
  auto r = run_op(make_node("Clip"), {OpInput::runtime({3}, {-5, 0, 5}), OpInput::const_floats({2}, {0, 1})}, 13);
  EXPECT_EQ(r.status.code(), StatusCode::kInvalidModel);
  EXPECT_NE(r.status.message().find("'min' must be a scalar, got shape 2"), std::string::npos) << r.status.message();
  r = run_op(make_node("Clip"), {OpInput::runtime({3}, {-5, 0, 5}), OpInput::runtime({2}, {0, 1})}, 13);
  EXPECT_EQ(r.status.code(), StatusCode::kInvalidModel);
  r = run_op(make_node("Clip"), {OpInput::runtime({3}, {-5, 0, 5}), OpInput::const_ints({}, {0})}, 13);
  EXPECT_EQ(r.status.code(), StatusCode::kUnsupported);
}

// ---------------------------------------------------------------------------------------------------------------
// Softmax

std::vector<float> naive_softmax(const std::vector<float>& x, int64_t outer, int64_t n, int64_t inner) {
  std::vector<float> y(x.size());
  for (int64_t o = 0; o < outer; ++o) {
    for (int64_t j = 0; j < inner; ++j) {
      double max = -1e300;
      for (int64_t k = 0; k < n; ++k) max = std::max(max, double(x[size_t((o * n + k) * inner + j)]));
      double sum = 0;
      for (int64_t k = 0; k < n; ++k) sum += std::exp(double(x[size_t((o * n + k) * inner + j)]) - max);
      for (int64_t k = 0; k < n; ++k) {
        const size_t i = size_t((o * n + k) * inner + j);
        y[i] = float(std::exp(double(x[i]) - max) / sum);
      }
    }
  }
  return y;
}

TEST(SoftmaxOp, LastAxisHandComputed) {
  // ONNX example: softmax([-1, 0, 1]) = [0.09003057, 0.24472847, 0.66524096]
  auto r = run_op(make_node("Softmax"), {OpInput::runtime({1, 3}, {-1, 0, 1})}, 13);
  ASSERT_TRUE(r.status.is_ok());
  expect_all_near(r.outputs[0].data, {0.09003057f, 0.24472847f, 0.66524096f}, 1e-7f);
}

TEST(SoftmaxOp, LargeValuesAreStable) {
  auto r = run_op(make_node("Softmax"), {OpInput::runtime({4}, {1000, 1001, 1002, 1003})}, 13);
  ASSERT_TRUE(r.status.is_ok());
  expect_all_near(r.outputs[0].data, {0.0320586f, 0.08714432f, 0.23688282f, 0.64391426f}, 1e-6f);
}

TEST(SoftmaxOp, Opset11CoercesTo2DButOpset13UsesOneAxis) {
  const std::vector<float> x = random_floats(24, 7, -3, 3);
  auto r11 = run_op(make_node("Softmax", {{"axis", attr_int(1)}}), {OpInput::runtime({2, 3, 4}, x)}, 11);
  ASSERT_TRUE(r11.status.is_ok());
  expect_all_near(r11.outputs[0].data, naive_softmax(x, 2, 12, 1), 1e-6f);
  auto r13 = run_op(make_node("Softmax", {{"axis", attr_int(1)}}), {OpInput::runtime({2, 3, 4}, x)}, 13);
  ASSERT_TRUE(r13.status.is_ok());
  expect_all_near(r13.outputs[0].data, naive_softmax(x, 2, 3, 4), 1e-6f);
  // Defaults: axis 1 (coerced) before 13, -1 from 13.
  auto d11 = run_op(make_node("Softmax"), {OpInput::runtime({2, 3, 4}, x)}, 11);
  ASSERT_TRUE(d11.status.is_ok());
  expect_all_near(d11.outputs[0].data, naive_softmax(x, 2, 12, 1), 1e-6f);
  auto d13 = run_op(make_node("Softmax"), {OpInput::runtime({2, 3, 4}, x)}, 13);
  ASSERT_TRUE(d13.status.is_ok());
  expect_all_near(d13.outputs[0].data, naive_softmax(x, 6, 4, 1), 1e-6f);
  // Negative axis in the coerced form: -2 on rank 3 is axis 1.
  auto n11 = run_op(make_node("Softmax", {{"axis", attr_int(-2)}}), {OpInput::runtime({2, 3, 4}, x)}, 11);
  ASSERT_TRUE(n11.status.is_ok());
  expect_all_near(n11.outputs[0].data, naive_softmax(x, 2, 12, 1), 1e-6f);
}

TEST(SoftmaxOp, WideInnerAxisUsesColumnBlocks) {
  const std::vector<float> x = random_floats(2 * 5 * 150, 8, -4, 4);
  auto r = run_op(make_node("Softmax", {{"axis", attr_int(1)}}), {OpInput::runtime({2, 5, 150}, x)}, 13);
  ASSERT_TRUE(r.status.is_ok());
  expect_all_near(r.outputs[0].data, naive_softmax(x, 2, 5, 150), 1e-6f);
}

TEST(SoftmaxOp, RejectsBadAxis) {
  auto r =
      run_op(make_node("Softmax", {{"axis", attr_int(3)}}), {OpInput::runtime({2, 3, 4}, random_floats(24, 1))}, 13);
  EXPECT_EQ(r.status.code(), StatusCode::kInvalidModel);
  EXPECT_NE(r.status.message().find("axis 3"), std::string::npos) << r.status.message();
  r = run_op(make_node("Softmax", {{"axis", attr_int(-4)}}), {OpInput::runtime({2, 3, 4}, random_floats(24, 1))}, 11);
  EXPECT_EQ(r.status.code(), StatusCode::kInvalidModel);
  r = run_op(make_node("Softmax"), {OpInput::runtime({}, {1})}, 13);
  EXPECT_FALSE(r.status.is_ok());
}

// ---------------------------------------------------------------------------------------------------------------
// Binary operators and broadcasting

float apply_op(const std::string& op, float a, float b) {
  if (op == "Add") return a + b;
  if (op == "Sub") return a - b;
  if (op == "Mul") return a * b;
  return a / b;
}

// Per-element index arithmetic, independent of BroadcastPlan.
std::vector<float> naive_binary(const std::string& op, const Shape& sa, const std::vector<float>& a, const Shape& sb,
                                const std::vector<float>& b, Shape& out_shape) {
  const size_t rank = std::max(sa.size(), sb.size());
  out_shape.assign(rank, 1);
  auto dim = [&](const Shape& s, size_t i) { return i + s.size() >= rank ? s[i + s.size() - rank] : int64_t{1}; };
  for (size_t i = 0; i < rank; ++i) out_shape[i] = std::max(dim(sa, i), dim(sb, i));
  std::vector<float> out(size_t(shape_size(out_shape)));
  for (int64_t flat = 0; flat < int64_t(out.size()); ++flat) {
    int64_t rem = flat;
    int64_t ia = 0, ib = 0, stride_a = 1, stride_b = 1;
    for (size_t i = rank; i-- > 0;) {
      const int64_t c = rem % out_shape[i];
      rem /= out_shape[i];
      const int64_t da = dim(sa, i), db = dim(sb, i);
      ia += (da == 1 ? 0 : c) * stride_a;
      ib += (db == 1 ? 0 : c) * stride_b;
      stride_a *= da;
      stride_b *= db;
    }
    out[size_t(flat)] = apply_op(op, a[size_t(ia)], b[size_t(ib)]);
  }
  return out;
}

void check_binary(const std::string& op, const Shape& sa, const Shape& sb, uint32_t seed) {
  const auto a = random_floats(size_t(shape_size(sa)), seed, -2, 2);
  auto b = random_floats(size_t(shape_size(sb)), seed + 1000, 0.5f, 2);  // away from 0 for Div
  Shape want_shape;
  const auto want = naive_binary(op, sa, a, sb, b, want_shape);
  auto r = run_op(make_node(op), {OpInput::runtime(sa, a), OpInput::runtime(sb, b)});
  ASSERT_TRUE(r.status.is_ok()) << op << " " << shape_to_string(sa) << " " << shape_to_string(sb) << ": "
                                << r.status.message();
  EXPECT_EQ(r.outputs[0].shape, want_shape);
  ASSERT_EQ(r.outputs[0].data.size(), want.size());
  for (size_t i = 0; i < want.size(); ++i) {
    ASSERT_EQ(r.outputs[0].data[i], want[i])
        << op << " " << shape_to_string(sa) << " with " << shape_to_string(sb) << " at " << i;
  }
}

TEST(BinaryOps, SameShape) {
  auto r =
      run_op(make_node("Add"), {OpInput::runtime({2, 2}, {1, 2, 3, 4}), OpInput::runtime({2, 2}, {10, 20, 30, 40})});
  ASSERT_TRUE(r.status.is_ok());
  expect_all_near(r.outputs[0].data, {11, 22, 33, 44}, 0);
  EXPECT_EQ(r.flops, 4);
  r = run_op(make_node("Sub"), {OpInput::runtime({4}, {1, 2, 3, 4}), OpInput::runtime({4}, {4, 3, 2, 1})});
  expect_all_near(r.outputs[0].data, {-3, -1, 1, 3}, 0);
  r = run_op(make_node("Mul"), {OpInput::runtime({4}, {1, 2, 3, 4}), OpInput::runtime({4}, {4, 3, 2, 1})});
  expect_all_near(r.outputs[0].data, {4, 6, 6, 4}, 0);
  r = run_op(make_node("Div"), {OpInput::runtime({4}, {1, 2, 3, 4}), OpInput::runtime({4}, {4, 4, 2, 1})});
  expect_all_near(r.outputs[0].data, {0.25f, 0.5f, 1.5f, 4}, 0);
}

TEST(BinaryOps, ScalarOnEitherSide) {
  auto r = run_op(make_node("Sub"), {OpInput::runtime({3}, {1, 2, 3}), OpInput::runtime({}, {10})});
  ASSERT_TRUE(r.status.is_ok());
  EXPECT_EQ(r.outputs[0].shape, (Shape{3}));
  expect_all_near(r.outputs[0].data, {-9, -8, -7}, 0);
  r = run_op(make_node("Sub"), {OpInput::const_floats({}, {10}), OpInput::runtime({3}, {1, 2, 3})});
  ASSERT_TRUE(r.status.is_ok());
  expect_all_near(r.outputs[0].data, {9, 8, 7}, 0);
  r = run_op(make_node("Div"), {OpInput::runtime({1}, {1}), OpInput::runtime({2, 2}, {1, 2, 4, 8})});
  ASSERT_TRUE(r.status.is_ok());
  EXPECT_EQ(r.outputs[0].shape, (Shape{2, 2}));
  expect_all_near(r.outputs[0].data, {1, 0.5f, 0.25f, 0.125f}, 0);
  r = run_op(make_node("Mul"), {OpInput::runtime({}, {3}), OpInput::runtime({}, {4})});
  ASSERT_TRUE(r.status.is_ok());
  EXPECT_EQ(r.outputs[0].shape, Shape{});
  expect_all_near(r.outputs[0].data, {12}, 0);
}

TEST(BinaryOps, RankMismatchAndBothSidesBroadcast) {
  // [2,3] + [3]: a row vector added to each row.
  auto r =
      run_op(make_node("Add"), {OpInput::runtime({2, 3}, {1, 2, 3, 4, 5, 6}), OpInput::runtime({3}, {10, 20, 30})});
  ASSERT_TRUE(r.status.is_ok());
  expect_all_near(r.outputs[0].data, {11, 22, 33, 14, 25, 36}, 0);
  // [2,1] * [1,3]: outer product, both operands broadcast.
  r = run_op(make_node("Mul"), {OpInput::runtime({2, 1}, {1, 2}), OpInput::runtime({1, 3}, {1, 10, 100})});
  ASSERT_TRUE(r.status.is_ok());
  EXPECT_EQ(r.outputs[0].shape, (Shape{2, 3}));
  expect_all_near(r.outputs[0].data, {1, 10, 100, 2, 20, 200}, 0);
  // [3,1] - [2,1,1]... rank mismatch with broadcast on both: [2,3,1]
  r = run_op(make_node("Sub"), {OpInput::runtime({3, 1}, {1, 2, 3}), OpInput::runtime({2, 1, 1}, {10, 20})});
  ASSERT_TRUE(r.status.is_ok());
  EXPECT_EQ(r.outputs[0].shape, (Shape{2, 3, 1}));
  expect_all_near(r.outputs[0].data, {-9, -8, -7, -19, -18, -17}, 0);
}

TEST(BinaryOps, PerChannelBias) {
  // 1x3x2x2 + 1x3x1x1
  std::vector<float> x(12);
  for (size_t i = 0; i < 12; ++i) x[i] = float(i);
  auto r = run_op(make_node("Add"),
                  {OpInput::runtime({1, 3, 2, 2}, x), OpInput::const_floats({1, 3, 1, 1}, {100, 200, 300})});
  ASSERT_TRUE(r.status.is_ok());
  expect_all_near(r.outputs[0].data, {100, 101, 102, 103, 204, 205, 206, 207, 308, 309, 310, 311}, 0);
  // 3x1x1 broadcast against 1x3x2x2 (rank mismatch as in ONNX exports of a bias without batch dim)
  r = run_op(make_node("Mul"), {OpInput::const_floats({3, 1, 1}, {1, 2, 3}), OpInput::runtime({1, 3, 2, 2}, x)});
  ASSERT_TRUE(r.status.is_ok());
  expect_all_near(r.outputs[0].data, {0, 1, 2, 3, 8, 10, 12, 14, 24, 27, 30, 33}, 0);
}

TEST(BinaryOps, FastPathsMatchNaiveOnRandomShapes) {
  const char* ops[] = {"Add", "Sub", "Mul", "Div"};
  std::mt19937 rng(42);
  uint32_t seed = 1;
  for (int trial = 0; trial < 300; ++trial) {
    const size_t rank = rng() % 5;
    Shape out(rank);
    for (auto& d : out) d = 1 + int64_t(rng() % 5);
    Shape sa = out, sb = out;
    for (size_t i = 0; i < rank; ++i) {  // each dimension: kept, or 1 on one or both sides
      switch (rng() % 4) {
        case 0: sa[i] = 1; break;
        case 1: sb[i] = 1; break;
        case 2: sa[i] = sb[i] = 1; break;
        default: break;
      }
    }
    // Drop leading dims on one side (rank mismatch).
    if (rng() % 3 == 0) sa.erase(sa.begin(), sa.begin() + int64_t(rng() % (sa.size() + 1)));
    if (rng() % 3 == 0) sb.erase(sb.begin(), sb.begin() + int64_t(rng() % (sb.size() + 1)));
    check_binary(ops[trial % 4], sa, sb, seed++);
    if (::testing::Test::HasFatalFailure()) return;
  }
}

TEST(BinaryOps, EmptyAndZeroSizedBroadcast) {
  auto r = run_op(make_node("Add"), {OpInput::runtime({2, 0}, {}), OpInput::runtime({1, 1}, {1})});
  ASSERT_TRUE(r.status.is_ok());
  EXPECT_EQ(r.outputs[0].shape, (Shape{2, 0}));
  r = run_op(make_node("Add"), {OpInput::runtime({0}, {}), OpInput::runtime({3}, {1, 2, 3})});
  EXPECT_EQ(r.status.code(), StatusCode::kInvalidModel);
}

TEST(BinaryOps, RejectsIncompatibleShapes) {
  auto r = run_op(make_node("Add"), {OpInput::runtime({1, 3, 4}, random_floats(12, 1)),
                                     OpInput::runtime({1, 5, 4}, random_floats(20, 2))});
  EXPECT_EQ(r.status.code(), StatusCode::kInvalidModel);
  EXPECT_NE(r.status.message().find("cannot broadcast 1x3x4 with 1x5x4"), std::string::npos) << r.status.message();
  EXPECT_NE(r.status.message().find("(Add)"), std::string::npos) << r.status.message();
}

TEST(BinaryOps, RefusesHugeOutputBeforeAllocating) {
  // 2^20 x 1 times 1 x 2^20 would be 2^40 elements; the inputs themselves are small.
  const int64_t n = int64_t{1} << 20;
  OpInput a{true, {n, 1}, {}, nullptr};
  OpInput b{true, {1, n}, {}, nullptr};
  auto r = run_op(make_node("Mul"), {a, b});
  EXPECT_EQ(r.status.code(), StatusCode::kResourceLimit);
  EXPECT_NE(r.status.message().find("1048576x1048576"), std::string::npos) << r.status.message();
}

TEST(BinaryOps, RefusesIntegerConstantAndMissingInput) {
  auto r = run_op(make_node("Add"), {OpInput::runtime({2}, {1, 2}), OpInput::const_ints({2}, {1, 2})});
  EXPECT_EQ(r.status.code(), StatusCode::kUnsupported);
  r = run_op(make_node("Add"), {OpInput::runtime({2}, {1, 2})});
  EXPECT_EQ(r.status.code(), StatusCode::kInvalidModel);
}

TEST(BinaryOps, PoolGivesSameResultAsOneThread) {
  ThreadPool pool(3);
  const Shape sa = {2, 8, 67, 61};
  const Shape sb = {8, 1, 61};
  const auto a = random_floats(size_t(shape_size(sa)), 5);
  const auto b = random_floats(size_t(shape_size(sb)), 6);
  const std::vector<OpInput> inputs = {OpInput::runtime(sa, a), OpInput::runtime(sb, b)};
  Shape shape;
  const auto want = naive_binary("Sub", sa, a, sb, b, shape);
  EXPECT_EQ(run_op(make_node("Sub"), inputs, 17, 1, &pool).outputs[0].data, want);
  const std::vector<OpInput> same = {OpInput::runtime(sa, a), OpInput::runtime(sa, a)};
  const auto doubled = run_op(make_node("Add"), same, 17, 1, &pool).outputs[0].data;
  for (size_t i = 0; i < a.size(); ++i) ASSERT_EQ(doubled[i], a[i] + a[i]);
  const auto relu = run_op(make_node("Relu"), {OpInput::runtime(sa, a)}, 17, 1, &pool).outputs[0].data;
  for (size_t i = 0; i < a.size(); ++i) ASSERT_EQ(relu[i], a[i] < 0 ? 0.0f : a[i]);
}

TEST(BinaryOps, BroadcastShapesHelper) {
  auto s = broadcast_shapes({2, 1, 4}, {3, 1});
  ASSERT_TRUE(s.is_ok());
  EXPECT_EQ(*s, (Shape{2, 3, 4}));
  s = broadcast_shapes({}, {5});
  ASSERT_TRUE(s.is_ok());
  EXPECT_EQ(*s, (Shape{5}));
  s = broadcast_shapes({2, 3}, {3, 2});
  EXPECT_FALSE(s.is_ok());
  EXPECT_EQ(s.status().message(), "cannot broadcast 2x3 with 3x2");
  // Per-channel bias collapses to rows of H*W with the bias constant along each row.
  const BroadcastPlan plan = make_broadcast_plan({1, 3, 4, 5}, {1, 3, 1, 1}, {1, 3, 4, 5});
  EXPECT_EQ(plan.dims, (std::vector<int64_t>{3, 20}));
  EXPECT_TRUE(plan.a_row_contiguous());
  EXPECT_FALSE(plan.b_row_contiguous());
  // Same shapes collapse to one row.
  EXPECT_EQ(make_broadcast_plan({2, 3, 4}, {2, 3, 4}, {2, 3, 4}).dims, (std::vector<int64_t>{24}));
}

}  // namespace
}  // namespace cairn
