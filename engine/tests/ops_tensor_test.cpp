// Concat, Reshape, Flatten, Transpose, Squeeze, Unsqueeze, Identity, Dropout, Pad, Resize and Upsample against
// hand-computed values (mostly the ONNX operator documentation's examples) and naive references.
#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "op_test_util.hpp"
#include "runtime/thread_pool.hpp"

namespace cairn {
namespace {

using testing::attr_float;
using testing::attr_floats;
using testing::attr_int;
using testing::attr_ints;
using testing::attr_string;
using testing::expect_all_near;
using testing::iota_floats;
using testing::make_node;
using testing::OpInput;
using testing::random_floats;
using testing::run_op;

bool contains(const Status& s, const std::string& text) { return s.message().find(text) != std::string::npos; }

// ---------------------------------------------------------------------------------------------------------------
// Concat

TEST(TensorConcat, AlongEachAxis) {
  const OpInput a = OpInput::runtime({2, 2}, {1, 2, 3, 4});
  const OpInput b = OpInput::runtime({2, 2}, {5, 6, 7, 8});
  auto r = run_op(make_node("Concat", {{"axis", attr_int(0)}}), {a, b});
  ASSERT_TRUE(r.status.is_ok()) << r.status.message();
  EXPECT_EQ(r.outputs[0].shape, (Shape{4, 2}));
  expect_all_near(r.outputs[0].data, {1, 2, 3, 4, 5, 6, 7, 8}, 0);
  r = run_op(make_node("Concat", {{"axis", attr_int(1)}}), {a, b});
  ASSERT_TRUE(r.status.is_ok());
  EXPECT_EQ(r.outputs[0].shape, (Shape{2, 4}));
  expect_all_near(r.outputs[0].data, {1, 2, 5, 6, 3, 4, 7, 8}, 0);
  r = run_op(make_node("Concat", {{"axis", attr_int(-1)}}), {a, b});
  ASSERT_TRUE(r.status.is_ok());
  expect_all_near(r.outputs[0].data, {1, 2, 5, 6, 3, 4, 7, 8}, 0);
  EXPECT_EQ(r.flops, 0);
}

TEST(TensorConcat, ChannelsOfDifferentSizesAndConstants) {
  // 1x1x2x2 ++ 1x2x2x2 (a constant) ++ 1x0x2x2 along channels.
  auto r = run_op(make_node("Concat", {{"axis", attr_int(1)}}),
                  {OpInput::runtime({1, 1, 2, 2}, iota_floats(4)), OpInput::const_floats({1, 2, 2, 2}, iota_floats(8, 100)),
                   OpInput::runtime({1, 0, 2, 2}, {})});
  ASSERT_TRUE(r.status.is_ok()) << r.status.message();
  EXPECT_EQ(r.outputs[0].shape, (Shape{1, 3, 2, 2}));
  expect_all_near(r.outputs[0].data, {0, 1, 2, 3, 100, 101, 102, 103, 104, 105, 106, 107}, 0);
}

TEST(TensorConcat, Errors) {
  auto r = run_op(make_node("Concat", {{"axis", attr_int(1)}}),
                  {OpInput::runtime({2, 2}, iota_floats(4)), OpInput::runtime({3, 2}, iota_floats(6))});
  EXPECT_EQ(r.status.code(), StatusCode::kInvalidModel);
  EXPECT_TRUE(contains(r.status, "cannot concatenate 2x2 with 3x2 along axis 1")) << r.status.message();
  r = run_op(make_node("Concat", {{"axis", attr_int(2)}}), {OpInput::runtime({2, 2}, iota_floats(4))});
  EXPECT_EQ(r.status.code(), StatusCode::kInvalidModel);
  r = run_op(make_node("Concat", {{"axis", attr_int(-3)}}), {OpInput::runtime({2, 2}, iota_floats(4))});
  EXPECT_EQ(r.status.code(), StatusCode::kInvalidModel);
  r = run_op(make_node("Concat"), {OpInput::runtime({2, 2}, iota_floats(4))});  // axis is required
  EXPECT_EQ(r.status.code(), StatusCode::kInvalidModel);
  r = run_op(make_node("Concat", {{"axis", attr_int(0)}}),
             {OpInput::runtime({2}, iota_floats(2)), OpInput::runtime({2, 1}, iota_floats(2))});
  EXPECT_EQ(r.status.code(), StatusCode::kInvalidModel);
  r = run_op(make_node("Concat", {{"axis", attr_int(0)}}),
             {OpInput::runtime({2}, iota_floats(2)), OpInput::const_ints({2}, {1, 2})});
  EXPECT_EQ(r.status.code(), StatusCode::kUnsupported);
}

// ---------------------------------------------------------------------------------------------------------------
// Reshape, Flatten, Squeeze, Unsqueeze, Identity, Dropout

TEST(TensorReshape, ZeroCopiesAndMinusOneInfers) {
  const auto x = iota_floats(24);
  auto r = run_op(make_node("Reshape"), {OpInput::runtime({2, 3, 4}, x), OpInput::const_ints({3}, {0, -1, 2})});
  ASSERT_TRUE(r.status.is_ok()) << r.status.message();
  EXPECT_EQ(r.outputs[0].shape, (Shape{2, 6, 2}));
  EXPECT_EQ(r.outputs[0].data, x);
  EXPECT_EQ(r.flops, 0);
  r = run_op(make_node("Reshape"), {OpInput::runtime({2, 3, 4}, x), OpInput::const_ints({1}, {-1})});
  ASSERT_TRUE(r.status.is_ok());
  EXPECT_EQ(r.outputs[0].shape, (Shape{24}));
  r = run_op(make_node("Reshape"), {OpInput::runtime({2, 3, 4}, x), OpInput::const_ints({4}, {2, 0, 2, 2})});
  ASSERT_TRUE(r.status.is_ok());
  EXPECT_EQ(r.outputs[0].shape, (Shape{2, 3, 2, 2}));
  r = run_op(make_node("Reshape"), {OpInput::runtime({1}, {5}), OpInput::const_ints({0}, {})});
  ASSERT_TRUE(r.status.is_ok());
  EXPECT_EQ(r.outputs[0].shape, Shape{});
}

TEST(TensorReshape, AllowZero) {
  // allowzero=1 (opset 14): 0 is a real zero-size dimension.
  auto r = run_op(make_node("Reshape", {{"allowzero", attr_int(1)}}),
                  {OpInput::runtime({0, 3, 4}, {}), OpInput::const_ints({3}, {3, 4, 0})}, 14);
  ASSERT_TRUE(r.status.is_ok()) << r.status.message();
  EXPECT_EQ(r.outputs[0].shape, (Shape{3, 4, 0}));
  // Without it, 0 copies the input dimension: [3, 4, 4] from 0x3x4 would be 48 elements.
  r = run_op(make_node("Reshape"), {OpInput::runtime({0, 3, 4}, {}), OpInput::const_ints({3}, {3, 4, 0})}, 14);
  EXPECT_EQ(r.status.code(), StatusCode::kInvalidModel);
  // -1 next to a 0 with allowzero=1 is ambiguous.
  r = run_op(make_node("Reshape", {{"allowzero", attr_int(1)}}),
             {OpInput::runtime({0, 3}, {}), OpInput::const_ints({2}, {0, -1})}, 14);
  EXPECT_EQ(r.status.code(), StatusCode::kInvalidModel);
  // Before opset 14 the attribute does not exist: 0 copies.
  r = run_op(make_node("Reshape", {{"allowzero", attr_int(1)}}),
             {OpInput::runtime({2, 3}, iota_floats(6)), OpInput::const_ints({2}, {0, 3})}, 13);
  ASSERT_TRUE(r.status.is_ok());
  EXPECT_EQ(r.outputs[0].shape, (Shape{2, 3}));
}

TEST(TensorReshape, Errors) {
  auto r = run_op(make_node("Reshape"), {OpInput::runtime({2, 3}, iota_floats(6)), OpInput::const_ints({2}, {4, 2})});
  EXPECT_EQ(r.status.code(), StatusCode::kInvalidModel);
  EXPECT_TRUE(contains(r.status, "Reshape of 2x3 to 4x2: 6 elements vs 8")) << r.status.message();
  r = run_op(make_node("Reshape"), {OpInput::runtime({2, 3}, iota_floats(6)), OpInput::const_ints({2}, {-1, -1})});
  EXPECT_EQ(r.status.code(), StatusCode::kInvalidModel);
  r = run_op(make_node("Reshape"), {OpInput::runtime({2, 3}, iota_floats(6)), OpInput::const_ints({2}, {4, -1})});
  EXPECT_EQ(r.status.code(), StatusCode::kInvalidModel);
  r = run_op(make_node("Reshape"), {OpInput::runtime({2, 3}, iota_floats(6)), OpInput::const_ints({2}, {-2, 3})});
  EXPECT_EQ(r.status.code(), StatusCode::kInvalidModel);
  r = run_op(make_node("Reshape"), {OpInput::runtime({6}, iota_floats(6)), OpInput::const_ints({2}, {2, 0})});  // 0 past rank
  EXPECT_EQ(r.status.code(), StatusCode::kInvalidModel);
  r = run_op(make_node("Reshape"), {OpInput::runtime({2, 3}, iota_floats(6)), OpInput::runtime({2}, {3, 2})});
  EXPECT_EQ(r.status.code(), StatusCode::kUnsupported);
  EXPECT_TRUE(contains(r.status, "'shape' input must be a constant known at load time")) << r.status.message();
  r = run_op(make_node("Reshape"), {OpInput::runtime({2, 3}, iota_floats(6))});
  EXPECT_EQ(r.status.code(), StatusCode::kInvalidModel);
  // Huge target dims are refused without overflow.
  r = run_op(make_node("Reshape"),
             {OpInput::runtime({2, 3}, iota_floats(6)), OpInput::const_ints({3}, {int64_t{1} << 40, int64_t{1} << 40, 0})});
  EXPECT_FALSE(r.status.is_ok());
}

TEST(TensorFlatten, Axes) {
  const auto x = iota_floats(24);
  auto r = run_op(make_node("Flatten"), {OpInput::runtime({2, 3, 4}, x)});
  ASSERT_TRUE(r.status.is_ok());
  EXPECT_EQ(r.outputs[0].shape, (Shape{2, 12}));
  EXPECT_EQ(r.outputs[0].data, x);
  r = run_op(make_node("Flatten", {{"axis", attr_int(0)}}), {OpInput::runtime({2, 3, 4}, x)});
  EXPECT_EQ(r.outputs[0].shape, (Shape{1, 24}));
  r = run_op(make_node("Flatten", {{"axis", attr_int(3)}}), {OpInput::runtime({2, 3, 4}, x)});
  EXPECT_EQ(r.outputs[0].shape, (Shape{24, 1}));
  r = run_op(make_node("Flatten", {{"axis", attr_int(-1)}}), {OpInput::runtime({2, 3, 4}, x)});
  EXPECT_EQ(r.outputs[0].shape, (Shape{6, 4}));
  r = run_op(make_node("Flatten", {{"axis", attr_int(4)}}), {OpInput::runtime({2, 3, 4}, x)});
  EXPECT_EQ(r.status.code(), StatusCode::kInvalidModel);
  r = run_op(make_node("Flatten", {{"axis", attr_int(-4)}}), {OpInput::runtime({2, 3, 4}, x)});
  EXPECT_EQ(r.status.code(), StatusCode::kInvalidModel);
}

TEST(TensorSqueeze, AttributeBeforeOpset13InputAfter) {
  const auto x = iota_floats(6);
  auto r = run_op(make_node("Squeeze", {{"axes", attr_ints({0, 3})}}), {OpInput::runtime({1, 2, 3, 1}, x)}, 11);
  ASSERT_TRUE(r.status.is_ok()) << r.status.message();
  EXPECT_EQ(r.outputs[0].shape, (Shape{2, 3}));
  EXPECT_EQ(r.outputs[0].data, x);
  r = run_op(make_node("Squeeze"), {OpInput::runtime({1, 2, 3, 1}, x), OpInput::const_ints({1}, {-1})}, 13);
  ASSERT_TRUE(r.status.is_ok());
  EXPECT_EQ(r.outputs[0].shape, (Shape{1, 2, 3}));
  r = run_op(make_node("Squeeze"), {OpInput::runtime({1, 2, 1, 3, 1}, x)}, 13);  // no axes: every 1
  ASSERT_TRUE(r.status.is_ok());
  EXPECT_EQ(r.outputs[0].shape, (Shape{2, 3}));
}

TEST(TensorSqueeze, Errors) {
  const auto x = iota_floats(6);
  auto r = run_op(make_node("Squeeze"), {OpInput::runtime({1, 2, 3}, x), OpInput::const_ints({1}, {1})}, 13);
  EXPECT_EQ(r.status.code(), StatusCode::kInvalidModel);
  EXPECT_TRUE(contains(r.status, "cannot squeeze axis 1 of size 2 in 1x2x3")) << r.status.message();
  r = run_op(make_node("Squeeze"), {OpInput::runtime({1, 2, 3}, x), OpInput::const_ints({1}, {3})}, 13);
  EXPECT_EQ(r.status.code(), StatusCode::kInvalidModel);
  r = run_op(make_node("Squeeze"), {OpInput::runtime({1, 2, 3}, x), OpInput::const_ints({2}, {0, -3})}, 13);
  EXPECT_EQ(r.status.code(), StatusCode::kInvalidModel);  // the same axis twice
  r = run_op(make_node("Squeeze"), {OpInput::runtime({1, 2, 3}, x), OpInput::runtime({1}, {0})}, 13);
  EXPECT_EQ(r.status.code(), StatusCode::kUnsupported);
}

TEST(TensorUnsqueeze, AttributeBeforeOpset13InputAfter) {
  const auto x = iota_floats(6);
  auto r = run_op(make_node("Unsqueeze", {{"axes", attr_ints({0, 3})}}), {OpInput::runtime({2, 3}, x)}, 11);
  ASSERT_TRUE(r.status.is_ok()) << r.status.message();
  EXPECT_EQ(r.outputs[0].shape, (Shape{1, 2, 3, 1}));
  EXPECT_EQ(r.outputs[0].data, x);
  r = run_op(make_node("Unsqueeze"), {OpInput::runtime({2, 3}, x), OpInput::const_ints({2}, {-1, 1})}, 13);
  ASSERT_TRUE(r.status.is_ok());
  EXPECT_EQ(r.outputs[0].shape, (Shape{2, 1, 3, 1}));
  r = run_op(make_node("Unsqueeze"), {OpInput::runtime({}, {7}), OpInput::const_ints({1}, {0})}, 13);
  ASSERT_TRUE(r.status.is_ok());
  EXPECT_EQ(r.outputs[0].shape, (Shape{1}));
}

TEST(TensorUnsqueeze, Errors) {
  const auto x = iota_floats(6);
  auto r = run_op(make_node("Unsqueeze"), {OpInput::runtime({2, 3}, x), OpInput::const_ints({2}, {1, 1})}, 13);
  EXPECT_EQ(r.status.code(), StatusCode::kInvalidModel);
  r = run_op(make_node("Unsqueeze"), {OpInput::runtime({2, 3}, x), OpInput::const_ints({1}, {3})}, 13);
  EXPECT_EQ(r.status.code(), StatusCode::kInvalidModel);
  r = run_op(make_node("Unsqueeze"), {OpInput::runtime({2, 3}, x)}, 13);
  EXPECT_EQ(r.status.code(), StatusCode::kInvalidModel);
  r = run_op(make_node("Unsqueeze"), {OpInput::runtime({2, 3}, x), OpInput::runtime({1}, {0})}, 13);
  EXPECT_EQ(r.status.code(), StatusCode::kUnsupported);
}

TEST(TensorIdentity, IdentityAndDropoutCopy) {
  const auto x = random_floats(10, 3);
  auto r = run_op(make_node("Identity"), {OpInput::runtime({2, 5}, x)});
  ASSERT_TRUE(r.status.is_ok());
  EXPECT_EQ(r.outputs[0].data, x);
  r = run_op(make_node("Dropout", {{"ratio", attr_float(0.5f)}}), {OpInput::runtime({2, 5}, x)}, 10);
  ASSERT_TRUE(r.status.is_ok());
  EXPECT_EQ(r.outputs[0].shape, (Shape{2, 5}));
  EXPECT_EQ(r.outputs[0].data, x);
  r = run_op(make_node("Dropout"),
             {OpInput::runtime({2, 5}, x), OpInput::const_floats({}, {0.3f}), OpInput::const_ints({}, {0})}, 13);
  ASSERT_TRUE(r.status.is_ok()) << r.status.message();
  EXPECT_EQ(r.outputs[0].data, x);
}

TEST(TensorIdentity, DropoutRefusesMaskAndTrainingMode) {
  const auto x = random_floats(10, 3);
  auto r = run_op(make_node("Dropout"), {OpInput::runtime({2, 5}, x)}, 13, 2);
  EXPECT_EQ(r.status.code(), StatusCode::kUnsupported);
  EXPECT_TRUE(contains(r.status, "mask")) << r.status.message();
  r = run_op(make_node("Dropout"),
             {OpInput::runtime({2, 5}, x), OpInput::const_floats({}, {0.3f}), OpInput::const_ints({}, {1})}, 13);
  EXPECT_EQ(r.status.code(), StatusCode::kUnsupported);
}

// ---------------------------------------------------------------------------------------------------------------
// Transpose

std::vector<float> naive_transpose(const Shape& in, const std::vector<float>& x, const std::vector<int64_t>& perm) {
  const size_t rank = in.size();
  Shape out(rank);
  for (size_t k = 0; k < rank; ++k) out[k] = in[size_t(perm[k])];
  std::vector<int64_t> in_strides(rank, 1);
  for (size_t k = rank; k-- > 1;) in_strides[k - 1] = in_strides[k] * in[k];
  std::vector<float> y(x.size());
  for (int64_t flat = 0; flat < int64_t(y.size()); ++flat) {
    int64_t rem = flat, src = 0;
    for (size_t k = rank; k-- > 0;) {
      src += (rem % out[k]) * in_strides[size_t(perm[k])];
      rem /= out[k];
    }
    y[size_t(flat)] = x[size_t(src)];
  }
  return y;
}

TEST(TensorTranspose, DefaultReversesAxes) {
  auto r = run_op(make_node("Transpose"), {OpInput::runtime({2, 3}, {1, 2, 3, 4, 5, 6})});
  ASSERT_TRUE(r.status.is_ok());
  EXPECT_EQ(r.outputs[0].shape, (Shape{3, 2}));
  expect_all_near(r.outputs[0].data, {1, 4, 2, 5, 3, 6}, 0);
  r = run_op(make_node("Transpose"), {OpInput::runtime({2, 3, 4}, iota_floats(24))});
  ASSERT_TRUE(r.status.is_ok());
  EXPECT_EQ(r.outputs[0].shape, (Shape{4, 3, 2}));
  EXPECT_EQ(r.outputs[0].data, naive_transpose({2, 3, 4}, iota_floats(24), {2, 1, 0}));
}

TEST(TensorTranspose, RandomPermutationsMatchNaive) {
  std::mt19937 rng(9);
  for (int trial = 0; trial < 120; ++trial) {
    const size_t rank = 1 + rng() % 5;
    Shape in(rank);
    for (auto& d : in) d = 1 + int64_t(rng() % 6);
    std::vector<int64_t> perm(rank);
    for (size_t i = 0; i < rank; ++i) perm[i] = int64_t(i);
    std::shuffle(perm.begin(), perm.end(), rng);
    const auto x = random_floats(size_t(shape_size(in)), uint32_t(trial));
    auto r = run_op(make_node("Transpose", {{"perm", attr_ints(perm)}}), {OpInput::runtime(in, x)});
    ASSERT_TRUE(r.status.is_ok()) << r.status.message();
    ASSERT_EQ(r.outputs[0].data, naive_transpose(in, x, perm)) << shape_to_string(in);
  }
  // Large planes go through the tiled path: NCHW -> NHWC and a 2-D transpose with ragged tiles.
  const Shape nchw = {1, 19, 37, 41};
  const auto x = random_floats(size_t(shape_size(nchw)), 77);
  auto r = run_op(make_node("Transpose", {{"perm", attr_ints({0, 2, 3, 1})}}), {OpInput::runtime(nchw, x)});
  ASSERT_TRUE(r.status.is_ok());
  EXPECT_EQ(r.outputs[0].shape, (Shape{1, 37, 41, 19}));
  EXPECT_EQ(r.outputs[0].data, naive_transpose(nchw, x, {0, 2, 3, 1}));
  const auto m = random_floats(70 * 45, 78);
  r = run_op(make_node("Transpose"), {OpInput::runtime({70, 45}, m)});
  ASSERT_TRUE(r.status.is_ok());
  EXPECT_EQ(r.outputs[0].data, naive_transpose({70, 45}, m, {1, 0}));
}

TEST(TensorTranspose, RejectsBadPerm) {
  const auto x = iota_floats(24);
  for (const std::vector<int64_t>& perm : std::vector<std::vector<int64_t>>{{0, 0, 1}, {0, 1}, {0, 1, 3}, {-1, 0, 1}}) {
    auto r = run_op(make_node("Transpose", {{"perm", attr_ints(perm)}}), {OpInput::runtime({2, 3, 4}, x)});
    EXPECT_EQ(r.status.code(), StatusCode::kInvalidModel);
    EXPECT_TRUE(contains(r.status, "is not a permutation of the axes of 2x3x4")) << r.status.message();
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Pad

TEST(PadOp, ConstantWithValueInput) {
  // ONNX example (constant_pad): 3x2 padded by [0, 2, 0, 0] with 1.2.
  const std::vector<float> x = {1.0f, 1.2f, 2.3f, 3.4f, 4.5f, 5.7f};
  auto r = run_op(
      make_node("Pad", {{"mode", attr_string("constant")}}),
      {OpInput::runtime({3, 2}, x), OpInput::const_ints({4}, {0, 2, 0, 0}), OpInput::const_floats({}, {1.2f})}, 13);
  ASSERT_TRUE(r.status.is_ok()) << r.status.message();
  EXPECT_EQ(r.outputs[0].shape, (Shape{3, 4}));
  expect_all_near(r.outputs[0].data, {1.2f, 1.2f, 1.0f, 1.2f, 1.2f, 1.2f, 2.3f, 3.4f, 1.2f, 1.2f, 4.5f, 5.7f}, 0);
  // constant_value omitted: 0; pads on every side of both axes.
  r = run_op(make_node("Pad"), {OpInput::runtime({1, 2}, {5, 6}), OpInput::const_ints({4}, {1, 1, 0, 2})}, 11);
  ASSERT_TRUE(r.status.is_ok());
  EXPECT_EQ(r.outputs[0].shape, (Shape{2, 5}));
  expect_all_near(r.outputs[0].data, {0, 0, 0, 0, 0, 0, 5, 6, 0, 0}, 0);
}

TEST(PadOp, RuntimeConstantValue) {
  // constant_value computed by the graph (not known at load time) is read when running.
  auto r = run_op(make_node("Pad"),
                  {OpInput::runtime({2}, {5, 6}), OpInput::const_ints({2}, {1, 2}), OpInput::runtime({}, {-3})}, 13);
  ASSERT_TRUE(r.status.is_ok()) << r.status.message();
  expect_all_near(r.outputs[0].data, {-3, 5, 6, -3, -3}, 0);
  r = run_op(make_node("Pad"),
             {OpInput::runtime({2}, {5, 6}), OpInput::const_ints({2}, {1, 2}), OpInput::runtime({2}, {-3, 4})}, 13);
  EXPECT_EQ(r.status.code(), StatusCode::kInvalidModel);
}

TEST(PadOp, AttributesBeforeOpset11) {
  auto r = run_op(make_node("Pad", {{"pads", attr_ints({0, 1, 0, 1})}, {"value", attr_float(-1)}}),
                  {OpInput::runtime({2, 2}, {1, 2, 3, 4})}, 2);
  ASSERT_TRUE(r.status.is_ok()) << r.status.message();
  EXPECT_EQ(r.outputs[0].shape, (Shape{2, 4}));
  expect_all_near(r.outputs[0].data, {-1, 1, 2, -1, -1, 3, 4, -1}, 0);
  r = run_op(make_node("Pad"), {OpInput::runtime({2, 2}, {1, 2, 3, 4})}, 2);
  EXPECT_EQ(r.status.code(), StatusCode::kInvalidModel);
}

TEST(PadOp, ReflectAndEdge) {
  // ONNX examples (reflect_pad, edge_pad) with pads [0, 2, 0, 0].
  const std::vector<float> x = {1.0f, 1.2f, 2.3f, 3.4f, 4.5f, 5.7f};
  auto r = run_op(make_node("Pad", {{"mode", attr_string("reflect")}}),
                  {OpInput::runtime({3, 2}, x), OpInput::const_ints({4}, {0, 2, 0, 0})}, 13);
  ASSERT_TRUE(r.status.is_ok()) << r.status.message();
  expect_all_near(r.outputs[0].data, {1.0f, 1.2f, 1.0f, 1.2f, 2.3f, 3.4f, 2.3f, 3.4f, 4.5f, 5.7f, 4.5f, 5.7f}, 0);
  r = run_op(make_node("Pad", {{"mode", attr_string("edge")}}),
             {OpInput::runtime({3, 2}, x), OpInput::const_ints({4}, {0, 2, 0, 0})}, 13);
  ASSERT_TRUE(r.status.is_ok());
  expect_all_near(r.outputs[0].data, {1.0f, 1.0f, 1.0f, 1.2f, 2.3f, 2.3f, 2.3f, 3.4f, 4.5f, 4.5f, 4.5f, 5.7f}, 0);
  // Reflect on both axes, and pads longer than the axis (NumPy's repeated reflection): [1,2,3] by (4, 5).
  r = run_op(make_node("Pad", {{"mode", attr_string("reflect")}}),
             {OpInput::runtime({3}, {1, 2, 3}), OpInput::const_ints({2}, {4, 5})}, 13);
  ASSERT_TRUE(r.status.is_ok());
  expect_all_near(r.outputs[0].data, {1, 2, 3, 2, 1, 2, 3, 2, 1, 2, 3, 2}, 0);
  r = run_op(make_node("Pad", {{"mode", attr_string("reflect")}}),
             {OpInput::runtime({2, 3}, iota_floats(6)), OpInput::const_ints({4}, {1, 1, 1, 1})}, 13);
  ASSERT_TRUE(r.status.is_ok());
  EXPECT_EQ(r.outputs[0].shape, (Shape{4, 5}));
  expect_all_near(r.outputs[0].data, {4, 3, 4, 5, 4, 1, 0, 1, 2, 1, 4, 3, 4, 5, 4, 1, 0, 1, 2, 1}, 0);
  r = run_op(make_node("Pad", {{"mode", attr_string("wrap")}}),
             {OpInput::runtime({3}, {1, 2, 3}), OpInput::const_ints({2}, {2, 4})}, 19);
  ASSERT_TRUE(r.status.is_ok());
  expect_all_near(r.outputs[0].data, {2, 3, 1, 2, 3, 1, 2, 3, 1}, 0);
}

TEST(PadOp, NegativePadsCrop) {
  // 3x4, crop one column at the start, pad one at the end, crop the last row.
  auto r = run_op(make_node("Pad"), {OpInput::runtime({3, 4}, iota_floats(12)), OpInput::const_ints({4}, {0, -1, -1, 1})}, 13);
  ASSERT_TRUE(r.status.is_ok()) << r.status.message();
  EXPECT_EQ(r.outputs[0].shape, (Shape{2, 4}));
  expect_all_near(r.outputs[0].data, {1, 2, 3, 0, 5, 6, 7, 0}, 0);
  // Edge padding after a crop repeats the new edge.
  r = run_op(make_node("Pad", {{"mode", attr_string("edge")}}),
             {OpInput::runtime({4}, {1, 2, 3, 4}), OpInput::const_ints({2}, {-2, 2})}, 13);
  ASSERT_TRUE(r.status.is_ok());
  expect_all_near(r.outputs[0].data, {3, 4, 4, 4}, 0);
  r = run_op(make_node("Pad"), {OpInput::runtime({4}, {1, 2, 3, 4}), OpInput::const_ints({2}, {-3, -2})}, 13);
  EXPECT_EQ(r.status.code(), StatusCode::kInvalidModel);
}

TEST(PadOp, Opset18Axes) {
  // Pad only the last axis (given as -1): [1, 2] on both sides of the 2x2.
  auto r = run_op(make_node("Pad"),
                  {OpInput::runtime({2, 2}, {1, 2, 3, 4}), OpInput::const_ints({2}, {1, 2}),
                   OpInput::const_floats({}, {9}), OpInput::const_ints({1}, {-1})},
                  18);
  ASSERT_TRUE(r.status.is_ok()) << r.status.message();
  EXPECT_EQ(r.outputs[0].shape, (Shape{2, 5}));
  expect_all_near(r.outputs[0].data, {9, 1, 2, 9, 9, 9, 3, 4, 9, 9}, 0);
  r = run_op(make_node("Pad"),
             {OpInput::runtime({2, 2}, {1, 2, 3, 4}), OpInput::const_ints({4}, {1, 2, 0, 0}), OpInput::absent(),
              OpInput::const_ints({1}, {0})},
             18);
  EXPECT_EQ(r.status.code(), StatusCode::kInvalidModel);  // 4 pads for 1 axis
}

TEST(PadOp, Errors) {
  const auto x = iota_floats(6);
  auto r = run_op(make_node("Pad"), {OpInput::runtime({2, 3}, x), OpInput::const_ints({2}, {1, 1})}, 13);
  EXPECT_EQ(r.status.code(), StatusCode::kInvalidModel);
  EXPECT_TRUE(contains(r.status, "'pads' has 2 values; expected 4")) << r.status.message();
  r = run_op(make_node("Pad"), {OpInput::runtime({2, 3}, x), OpInput::runtime({4}, {0, 0, 0, 0})}, 13);
  EXPECT_EQ(r.status.code(), StatusCode::kUnsupported);
  r = run_op(make_node("Pad", {{"mode", attr_string("mirror")}}),
             {OpInput::runtime({2, 3}, x), OpInput::const_ints({4}, {0, 0, 0, 0})}, 13);
  EXPECT_EQ(r.status.code(), StatusCode::kInvalidModel);
  r = run_op(make_node("Pad", {{"mode", attr_string("reflect")}}),
             {OpInput::runtime({2, 0}, {}), OpInput::const_ints({4}, {0, 1, 0, 1})}, 13);
  EXPECT_EQ(r.status.code(), StatusCode::kInvalidModel);
}

TEST(PadOp, RefusesHugeOutput) {
  auto r = run_op(make_node("Pad"),
                  {OpInput::runtime({2, 3}, iota_floats(6)), OpInput::const_ints({4}, {0, 0, int64_t{1} << 40, 0})}, 13);
  EXPECT_EQ(r.status.code(), StatusCode::kResourceLimit);
  EXPECT_TRUE(contains(r.status, "exceed the limit")) << r.status.message();
  r = run_op(make_node("Pad"),
             {OpInput::runtime({2, 3}, iota_floats(6)), OpInput::const_ints({4}, {1 << 20, 0, 1 << 20, 1 << 20})}, 13);
  EXPECT_EQ(r.status.code(), StatusCode::kResourceLimit);
  EXPECT_TRUE(contains(r.status, "elements")) << r.status.message();
  r = run_op(make_node("Pad"), {OpInput::runtime({2, 3}, iota_floats(6)), OpInput::const_ints({4}, {INT64_MIN, 0, 0, 0})}, 13);
  EXPECT_EQ(r.status.code(), StatusCode::kInvalidModel);
}

// ---------------------------------------------------------------------------------------------------------------
// Resize: the ONNX operator documentation's examples, mode by mode

OpInput data_2x2() { return OpInput::runtime({1, 1, 2, 2}, {1, 2, 3, 4}); }
OpInput data_2x4() { return OpInput::runtime({1, 1, 2, 4}, {1, 2, 3, 4, 5, 6, 7, 8}); }
OpInput data_4x4() { return OpInput::runtime({1, 1, 4, 4}, iota_floats(16, 1)); }
OpInput scales(const std::vector<float>& s) { return OpInput::const_floats({int64_t(s.size())}, s); }
OpInput sizes(const std::vector<int64_t>& s) { return OpInput::const_ints({int64_t(s.size())}, s); }

testing::OpRun resize(std::map<std::string, Attribute> attrs, std::vector<OpInput> inputs, int64_t opset = 13) {
  return run_op(make_node("Resize", std::move(attrs)), inputs, opset);
}

TEST(ResizeOp, UpsampleScalesNearest) {
  auto r = resize({{"mode", attr_string("nearest")}}, {data_2x2(), OpInput::absent(), scales({1, 1, 2, 3})});
  ASSERT_TRUE(r.status.is_ok()) << r.status.message();
  EXPECT_EQ(r.outputs[0].shape, (Shape{1, 1, 4, 6}));
  expect_all_near(r.outputs[0].data, {1, 1, 1, 2, 2, 2, 1, 1, 1, 2, 2, 2, 3, 3, 3, 4, 4, 4, 3, 3, 3, 4, 4, 4}, 0);
  EXPECT_EQ(r.flops, 0);
}

TEST(ResizeOp, DownsampleScalesNearest) {
  auto r = resize({{"mode", attr_string("nearest")}}, {data_2x4(), OpInput::absent(), scales({1, 1, 0.6f, 0.6f})});
  ASSERT_TRUE(r.status.is_ok());
  EXPECT_EQ(r.outputs[0].shape, (Shape{1, 1, 1, 2}));
  expect_all_near(r.outputs[0].data, {1, 3}, 0);
}

TEST(ResizeOp, UpsampleSizesNearest) {
  auto r = resize({{"mode", attr_string("nearest")}},
                  {data_2x2(), OpInput::absent(), OpInput::absent(), sizes({1, 1, 7, 8})});
  ASSERT_TRUE(r.status.is_ok()) << r.status.message();
  EXPECT_EQ(r.outputs[0].shape, (Shape{1, 1, 7, 8}));
  std::vector<float> want;
  for (int row = 0; row < 7; ++row) {
    const float base = row < 4 ? 1 : 3;
    for (int col = 0; col < 8; ++col) want.push_back(base + (col < 4 ? 0 : 1));
  }
  expect_all_near(r.outputs[0].data, want, 0);
}

TEST(ResizeOp, DownsampleSizesNearest) {
  // Opset 11 form: scales is an empty tensor when sizes is given.
  auto r =
      resize({{"mode", attr_string("nearest")}},
             {data_2x4(), OpInput::const_floats({0}, {}), OpInput::const_floats({0}, {}), sizes({1, 1, 1, 3})}, 11);
  ASSERT_TRUE(r.status.is_ok()) << r.status.message();
  EXPECT_EQ(r.outputs[0].shape, (Shape{1, 1, 1, 3}));
  expect_all_near(r.outputs[0].data, {1, 2, 4}, 0);
}

TEST(ResizeOp, NearestModesAndCoordinateModes) {
  // sizes 8x8 from the 4x4 ramp 1..16.
  auto r = resize({{"mode", attr_string("nearest")},
                   {"coordinate_transformation_mode", attr_string("align_corners")},
                   {"nearest_mode", attr_string("floor")}},
                  {data_4x4(), OpInput::absent(), OpInput::absent(), sizes({1, 1, 8, 8})});
  ASSERT_TRUE(r.status.is_ok());
  const int floor_idx[8] = {0, 0, 0, 1, 1, 2, 2, 3};
  std::vector<float> want;
  for (int i = 0; i < 8; ++i) {
    for (int j = 0; j < 8; ++j) want.push_back(float(1 + floor_idx[i] * 4 + floor_idx[j]));
  }
  expect_all_near(r.outputs[0].data, want, 0);

  // round_prefer_ceil + asymmetric, and ceil + half_pixel: both give [0 1 1 2 2 3 3 3].
  const int ceil_idx[8] = {0, 1, 1, 2, 2, 3, 3, 3};
  want.clear();
  for (int i = 0; i < 8; ++i) {
    for (int j = 0; j < 8; ++j) want.push_back(float(1 + ceil_idx[i] * 4 + ceil_idx[j]));
  }
  r = resize({{"mode", attr_string("nearest")},
              {"coordinate_transformation_mode", attr_string("asymmetric")},
              {"nearest_mode", attr_string("round_prefer_ceil")}},
             {data_4x4(), OpInput::absent(), OpInput::absent(), sizes({1, 1, 8, 8})});
  ASSERT_TRUE(r.status.is_ok());
  expect_all_near(r.outputs[0].data, want, 0);
  r = resize({{"mode", attr_string("nearest")},
              {"coordinate_transformation_mode", attr_string("half_pixel")},
              {"nearest_mode", attr_string("ceil")}},
             {data_4x4(), OpInput::absent(), OpInput::absent(), sizes({1, 1, 8, 8})});
  ASSERT_TRUE(r.status.is_ok());
  expect_all_near(r.outputs[0].data, want, 0);

  // tf_half_pixel_for_nn: x_original = (x + 0.5) / 2 -> 0.25, 0.75, 1.25, 1.75 -> 0, 1, 1, 1 (clamped).
  r = resize(
      {{"mode", attr_string("nearest")}, {"coordinate_transformation_mode", attr_string("tf_half_pixel_for_nn")}},
      {data_2x2(), OpInput::absent(), scales({1, 1, 2, 2})});
  ASSERT_TRUE(r.status.is_ok());
  expect_all_near(r.outputs[0].data, {1, 2, 2, 2, 3, 4, 4, 4, 3, 4, 4, 4, 3, 4, 4, 4}, 0);

  // round_prefer_floor on an exact tie: 2 -> 7 (scale 3.5), half_pixel x=3 maps to 0.5 -> 0.
  r = resize({{"mode", attr_string("nearest")}},
             {OpInput::runtime({2}, {10, 20}), OpInput::absent(), OpInput::absent(), sizes({7})});
  ASSERT_TRUE(r.status.is_ok());
  expect_all_near(r.outputs[0].data, {10, 10, 10, 10, 20, 20, 20}, 0);
  r = resize({{"mode", attr_string("nearest")}, {"nearest_mode", attr_string("round_prefer_ceil")}},
             {OpInput::runtime({2}, {10, 20}), OpInput::absent(), OpInput::absent(), sizes({7})});
  ASSERT_TRUE(r.status.is_ok());
  expect_all_near(r.outputs[0].data, {10, 10, 10, 20, 20, 20, 20}, 0);
}

TEST(ResizeOp, UpsampleScalesLinear) {
  auto r = resize({{"mode", attr_string("linear")}}, {data_2x2(), OpInput::absent(), scales({1, 1, 2, 2})});
  ASSERT_TRUE(r.status.is_ok());
  expect_all_near(r.outputs[0].data,
                  {1, 1.25f, 1.75f, 2, 1.5f, 1.75f, 2.25f, 2.5f, 2.5f, 2.75f, 3.25f, 3.5f, 3, 3.25f, 3.75f, 4}, 1e-6f);
  EXPECT_GT(r.flops, 0);
}

TEST(ResizeOp, UpsampleScalesLinearAlignCorners) {
  auto r = resize({{"mode", attr_string("linear")}, {"coordinate_transformation_mode", attr_string("align_corners")}},
                  {data_2x2(), OpInput::absent(), scales({1, 1, 2, 2})});
  ASSERT_TRUE(r.status.is_ok());
  const float t = 1.0f / 3.0f;
  expect_all_near(
      r.outputs[0].data,
      {1, 1 + t, 1 + 2 * t, 2, 1 + 2 * t, 2, 2 + t, 2 + 2 * t, 2 + t, 2 + 2 * t, 3, 3 + t, 3, 3 + t, 3 + 2 * t, 4},
      1e-6f);
}

TEST(ResizeOp, DownsampleScalesLinear) {
  auto r = resize({{"mode", attr_string("linear")}}, {data_2x4(), OpInput::absent(), scales({1, 1, 0.6f, 0.6f})});
  ASSERT_TRUE(r.status.is_ok());
  expect_all_near(r.outputs[0].data, {2.6666665f, 4.3333331f}, 1e-6f);
}

TEST(ResizeOp, DownsampleScalesLinearAlignCornersUsesScaledLength) {
  // The resized length is 0.6 * 4 = 2.4, not 2: x_original = 1 * 3 / 1.4.
  auto r = resize({{"mode", attr_string("linear")}, {"coordinate_transformation_mode", attr_string("align_corners")}},
                  {data_2x4(), OpInput::absent(), scales({1, 1, 0.6f, 0.6f})});
  ASSERT_TRUE(r.status.is_ok());
  expect_all_near(r.outputs[0].data, {1, 3.142857f}, 1e-6f);
}

TEST(ResizeOp, DownsampleSizesLinearPytorchHalfPixel) {
  auto r =
      resize({{"mode", attr_string("linear")}, {"coordinate_transformation_mode", attr_string("pytorch_half_pixel")}},
             {data_4x4(), OpInput::absent(), OpInput::absent(), sizes({1, 1, 3, 1})});
  ASSERT_TRUE(r.status.is_ok());
  EXPECT_EQ(r.outputs[0].shape, (Shape{1, 1, 3, 1}));
  expect_all_near(r.outputs[0].data, {1.6666666f, 7, 12.333333f}, 1e-5f);
}

TEST(ResizeOp, Opset18AxesAndKeepAspectRatio) {
  // not_larger: scale min(7/2, 8/2) = 3.5 -> 7x7; not_smaller: 4 -> 8x8.
  auto r = resize({{"mode", attr_string("nearest")},
                   {"axes", attr_ints({2, 3})},
                   {"keep_aspect_ratio_policy", attr_string("not_larger")}},
                  {data_2x2(), OpInput::absent(), OpInput::absent(), sizes({7, 8})}, 18);
  ASSERT_TRUE(r.status.is_ok()) << r.status.message();
  EXPECT_EQ(r.outputs[0].shape, (Shape{1, 1, 7, 7}));
  std::vector<float> want;
  for (int i = 0; i < 7; ++i) {
    for (int j = 0; j < 7; ++j) want.push_back(float(1 + (i < 4 ? 0 : 2) + (j < 4 ? 0 : 1)));
  }
  expect_all_near(r.outputs[0].data, want, 0);
  r = resize({{"mode", attr_string("nearest")},
              {"axes", attr_ints({-1, -2})},
              {"keep_aspect_ratio_policy", attr_string("not_smaller")}},
             {data_2x2(), OpInput::absent(), OpInput::absent(), sizes({8, 7})}, 18);
  ASSERT_TRUE(r.status.is_ok()) << r.status.message();
  EXPECT_EQ(r.outputs[0].shape, (Shape{1, 1, 8, 8}));
  // Scales with axes.
  r = resize({{"mode", attr_string("nearest")}, {"axes", attr_ints({3})}}, {data_2x2(), OpInput::absent(), scales({2})},
             18);
  ASSERT_TRUE(r.status.is_ok()) << r.status.message();
  EXPECT_EQ(r.outputs[0].shape, (Shape{1, 1, 2, 4}));
  expect_all_near(r.outputs[0].data, {1, 1, 2, 2, 3, 3, 4, 4}, 0);
}

TEST(ResizeOp, Opset10AndUpsample) {
  // Resize-10: X, scales; asymmetric; nearest floors when upsampling and takes ceil when downsampling.
  auto r = resize({{"mode", attr_string("nearest")}}, {data_2x4(), scales({1, 1, 0.6f, 0.6f})}, 10);
  ASSERT_TRUE(r.status.is_ok()) << r.status.message();
  expect_all_near(r.outputs[0].data, {1, 3}, 0);
  r = resize({{"mode", attr_string("nearest")}}, {data_2x2(), scales({1, 1, 2, 3})}, 10);
  ASSERT_TRUE(r.status.is_ok());
  expect_all_near(r.outputs[0].data, {1, 1, 1, 2, 2, 2, 1, 1, 1, 2, 2, 2, 3, 3, 3, 4, 4, 4, 3, 3, 3, 4, 4, 4}, 0);
  // Upsample-9: scales input (ONNX example test_upsample_nearest).
  r = run_op(make_node("Upsample", {{"mode", attr_string("nearest")}}), {data_2x2(), scales({1, 1, 2, 3})}, 9);
  ASSERT_TRUE(r.status.is_ok()) << r.status.message();
  EXPECT_EQ(r.outputs[0].shape, (Shape{1, 1, 4, 6}));
  expect_all_near(r.outputs[0].data, {1, 1, 1, 2, 2, 2, 1, 1, 1, 2, 2, 2, 3, 3, 3, 4, 4, 4, 3, 3, 3, 4, 4, 4}, 0);
  // Upsample-7: scales attribute; linear is asymmetric with the edge repeated.
  r = run_op(make_node("Upsample", {{"mode", attr_string("linear")}, {"scales", attr_floats({1, 1, 2, 2})}}),
             {data_2x2()}, 7);
  ASSERT_TRUE(r.status.is_ok()) << r.status.message();
  expect_all_near(r.outputs[0].data, {1, 1.5f, 2, 2, 2, 2.5f, 3, 3, 3, 3.5f, 4, 4, 3, 3.5f, 4, 4}, 1e-6f);
  r = run_op(make_node("Upsample", {{"scales", attr_floats({1, 1, 0.5f, 0.5f})}}), {data_2x2()}, 7);
  EXPECT_EQ(r.status.code(), StatusCode::kInvalidModel);
}

// N-linear reference: every output element sums 2^rank corners, one axis at a time, with half_pixel or align_corners.
std::vector<float> naive_linear(const Shape& in, const std::vector<float>& x, const Shape& out, bool align_corners) {
  const size_t rank = in.size();
  std::vector<float> y(size_t(shape_size(out)));
  for (int64_t flat = 0; flat < int64_t(y.size()); ++flat) {
    std::vector<int64_t> c(rank);
    int64_t rem = flat;
    for (size_t k = rank; k-- > 0;) {
      c[k] = rem % out[k];
      rem /= out[k];
    }
    std::vector<int64_t> lo(rank), hi(rank);
    std::vector<double> w(rank);
    for (size_t k = 0; k < rank; ++k) {
      double pos;
      if (align_corners) {
        pos = out[k] == 1 ? 0.0 : double(c[k]) * double(in[k] - 1) / double(out[k] - 1);
      } else {
        pos = (double(c[k]) + 0.5) * double(in[k]) / double(out[k]) - 0.5;
      }
      pos = std::min(std::max(pos, 0.0), double(in[k] - 1));
      lo[k] = int64_t(std::floor(pos));
      hi[k] = std::min(lo[k] + 1, in[k] - 1);
      w[k] = pos - double(lo[k]);
    }
    double sum = 0;
    for (int64_t corner = 0; corner < (int64_t{1} << rank); ++corner) {
      double weight = 1;
      int64_t offset = 0;
      for (size_t k = 0; k < rank; ++k) {
        const bool upper = (corner >> (rank - 1 - k)) & 1;
        weight *= upper ? w[k] : 1.0 - w[k];
        offset = offset * in[k] + (upper ? hi[k] : lo[k]);
      }
      sum += weight * double(x[size_t(offset)]);
    }
    y[size_t(flat)] = float(sum);
  }
  return y;
}

TEST(ResizeOp, TrilinearAndMixedAxesMatchNaive) {
  const Shape in = {1, 2, 3, 4, 5};
  const auto x = random_floats(size_t(shape_size(in)), 21);
  for (bool align : {false, true}) {
    for (const Shape& out : std::vector<Shape>{{1, 2, 6, 8, 10}, {1, 2, 5, 3, 7}, {2, 3, 2, 9, 5}}) {
      std::map<std::string, Attribute> attrs = {{"mode", attr_string("linear")}};
      if (align) attrs["coordinate_transformation_mode"] = attr_string("align_corners");
      auto r = resize(attrs, {OpInput::runtime(in, x), OpInput::absent(), OpInput::absent(), sizes(out)});
      ASSERT_TRUE(r.status.is_ok()) << r.status.message();
      ASSERT_EQ(r.outputs[0].shape, out);
      expect_all_near(r.outputs[0].data, naive_linear(in, x, out, align), 2e-6f);
    }
  }
}

TEST(ResizeOp, PoolGivesSameResult) {
  ThreadPool pool(3);
  const Shape in = {1, 3, 33, 47};
  const std::vector<OpInput> inputs = {OpInput::runtime(in, random_floats(size_t(shape_size(in)), 4)),
                                       OpInput::absent(), scales({1, 1, 2, 2})};
  Node node = make_node("Resize", {{"mode", attr_string("linear")}});
  auto single = run_op(node, inputs);
  ASSERT_TRUE(single.status.is_ok());
  node.name = "pooled";
  node.inputs = {0, -1, 2};
  node.outputs = {3};
  std::unique_ptr<Kernel> kernel = KernelRegistry::global().find("Resize")();
  PrepareContext ctx{node, 13, {}};
  for (const auto& input : inputs)
    ctx.inputs.push_back({input.present, DataType::kFloat, input.shape, input.constant.get()});
  std::vector<Shape> shapes(1);
  ASSERT_TRUE(kernel->prepare(ctx, shapes).is_ok());
  std::vector<TensorRef> in_refs = {{inputs[0].data.data(), &inputs[0].shape}, {}, {nullptr, &inputs[2].shape}};
  std::vector<float> out(size_t(shape_size(shapes[0])));
  std::vector<MutableTensorRef> out_refs = {{out.data(), &shapes[0]}};
  RunContext run;
  run.inputs = in_refs;
  run.outputs = out_refs;
  run.pool = &pool;
  kernel->run(run);
  EXPECT_EQ(out, single.outputs[0].data);
}

TEST(ResizeOp, RefusesUnsupportedModes) {
  auto r = resize({{"mode", attr_string("cubic")}}, {data_2x2(), OpInput::absent(), scales({1, 1, 2, 2})});
  EXPECT_EQ(r.status.code(), StatusCode::kUnsupported);
  EXPECT_TRUE(contains(r.status, "cubic")) << r.status.message();
  r = resize(
      {{"mode", attr_string("linear")}, {"coordinate_transformation_mode", attr_string("tf_crop_and_resize")}},
      {data_2x2(), OpInput::const_floats({8}, {0, 0, 0, 0, 1, 1, 1, 1}), OpInput::absent(), sizes({1, 1, 3, 3})});
  EXPECT_EQ(r.status.code(), StatusCode::kUnsupported);
  EXPECT_TRUE(contains(r.status, "tf_crop_and_resize")) << r.status.message();
  r = resize({{"mode", attr_string("linear")}, {"antialias", attr_int(1)}},
             {data_2x2(), OpInput::absent(), scales({1, 1, 0.5f, 0.5f})}, 18);
  EXPECT_EQ(r.status.code(), StatusCode::kUnsupported);
  EXPECT_TRUE(contains(r.status, "antialias")) << r.status.message();
  r = resize({{"mode", attr_string("bicubic")}}, {data_2x2(), OpInput::absent(), scales({1, 1, 2, 2})});
  EXPECT_EQ(r.status.code(), StatusCode::kInvalidModel);
}

TEST(ResizeOp, Errors) {
  // Non-constant scales.
  auto r = resize({}, {data_2x2(), OpInput::absent(), OpInput::runtime({4}, {1, 1, 2, 2})});
  EXPECT_EQ(r.status.code(), StatusCode::kUnsupported);
  EXPECT_TRUE(contains(r.status, "'scales' input must be a constant")) << r.status.message();
  // Both or neither of scales and sizes.
  r = resize({}, {data_2x2(), OpInput::absent(), scales({1, 1, 2, 2}), sizes({1, 1, 4, 4})});
  EXPECT_EQ(r.status.code(), StatusCode::kInvalidModel);
  r = resize({}, {data_2x2()});
  EXPECT_EQ(r.status.code(), StatusCode::kInvalidModel);
  // Wrong count, non-positive and non-finite scales.
  r = resize({}, {data_2x2(), OpInput::absent(), scales({2, 2})});
  EXPECT_EQ(r.status.code(), StatusCode::kInvalidModel);
  r = resize({}, {data_2x2(), OpInput::absent(), scales({1, 1, 0, 2})});
  EXPECT_EQ(r.status.code(), StatusCode::kInvalidModel);
  r = resize({}, {data_2x2(), OpInput::absent(), scales({1, 1, NAN, 2})});
  EXPECT_EQ(r.status.code(), StatusCode::kInvalidModel);
  r = resize({}, {data_2x2(), OpInput::absent(), OpInput::absent(), sizes({1, 1, -1, 2})});
  EXPECT_EQ(r.status.code(), StatusCode::kInvalidModel);
  // Unknown coordinate and nearest modes.
  r = resize({{"coordinate_transformation_mode", attr_string("corners")}},
             {data_2x2(), OpInput::absent(), scales({1, 1, 2, 2})});
  EXPECT_EQ(r.status.code(), StatusCode::kInvalidModel);
  r = resize({{"nearest_mode", attr_string("round")}}, {data_2x2(), OpInput::absent(), scales({1, 1, 2, 2})});
  EXPECT_EQ(r.status.code(), StatusCode::kInvalidModel);
}

TEST(ResizeOp, RefusesHugeOutput) {
  auto r = resize({}, {OpInput::runtime({1, 1, 100, 100}, iota_floats(10000)), OpInput::absent(), scales({1, 1, 1e6f, 1e6f})});
  EXPECT_EQ(r.status.code(), StatusCode::kResourceLimit);
  EXPECT_TRUE(contains(r.status, "elements")) << r.status.message();
  r = resize({}, {data_2x2(), OpInput::absent(), scales({1, 1, 1e30f, 1})});
  EXPECT_EQ(r.status.code(), StatusCode::kResourceLimit);
  r = resize({}, {data_2x2(), OpInput::absent(), OpInput::absent(), sizes({1, 1, int64_t{1} << 30, int64_t{1} << 30})});
  EXPECT_EQ(r.status.code(), StatusCode::kResourceLimit);
}

}  // namespace
}  // namespace cairn
