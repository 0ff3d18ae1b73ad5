// Conv, ConvTranspose, BatchNormalization, Gemm, MatMul and the shared blocked GEMM: hand-computed cases from
// the ONNX operator examples, and every fast path against an obviously-correct oracle on random shapes.
//
// Tolerance (the XNNPACK habit, derived rather than tuned): a float dot product of K terms, accumulated in any
// order and blocking, satisfies |fl(sum) - sum| <= gamma_K * sum |w_i x_i| with gamma_K = K u / (1 - K u) and
// u = 2^-24 (each product and each addition rounds once, relative error <= u; Higham, Accuracy and Stability
// of Numerical Algorithms, 3.1). The oracle sums in double, so its own error is negligible except the final
// rounding to float (half an ulp of the result), and bias addition and the activations (Lipschitz <= 1) add at
// most one more rounding. Hence per output:
//   tol = 2 * K * FLT_EPSILON * sum |w x| + 2 * FLT_EPSILON * |expected|
// where 2 * K * FLT_EPSILON = 4 K u leaves a factor 4 of margin over gamma_K for K u << 1.
#include <gtest/gtest.h>

#include <algorithm>
#include <cfloat>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "kernels/ref/gemm_ref.hpp"
#include "op_test_util.hpp"
#include "ops/conv.hpp"
#include "ops/conv_geometry.hpp"

namespace cairn {
namespace {

using namespace cairn::testing;

double dot_tolerance(int64_t k, double abs_sum, double expected) {
  return 2.0 * double(k) * double(FLT_EPSILON) * abs_sum + 2.0 * double(FLT_EPSILON) * std::fabs(expected);
}

void expect_exact(const OpRun& run, const Shape& shape, const std::vector<float>& expected) {
  ASSERT_TRUE(run.status.is_ok()) << run.status.message();
  ASSERT_EQ(run.outputs[0].shape, shape);
  ASSERT_EQ(run.outputs[0].data.size(), expected.size());
  for (size_t i = 0; i < expected.size(); ++i) EXPECT_FLOAT_EQ(run.outputs[0].data[i], expected[i]) << "at " << i;
}

// ---------------------------------------------------------------------------------------------------------
// The blocked GEMM itself.

TEST(GemmRef, MatchesDoubleProductAcrossBlockTailsAndStrides) {
  std::mt19937 rng(7);
  const int64_t sizes[][3] = {{1, 1, 1},    {3, 5, 7},     {4, 16, 256}, {5, 17, 257},  {129, 33, 300},
                              {7, 513, 20}, {130, 530, 9}, {1, 40, 600}, {64, 1, 64},   {2, 3, 0}};
  for (const auto& s : sizes) {
    const int64_t m = s[0], n = s[1], k = s[2];
    for (int variant = 0; variant < 4; ++variant) {
      const bool ta = (variant & 1) != 0;
      const bool tb = (variant & 2) != 0;
      auto a = random_floats(size_t(m * k), uint32_t(rng()));
      auto b = random_floats(size_t(k * n), uint32_t(rng()));
      std::vector<float> c(size_t(m * n), 0.5f);
      std::vector<float> workspace(kernels::gemm_ref_workspace_floats(m, n, k));
      kernels::MatrixView av = ta ? kernels::MatrixView{a.data(), 1, m} : kernels::MatrixView{a.data(), k, 1};
      kernels::MatrixView bv = tb ? kernels::MatrixView{b.data(), 1, k} : kernels::MatrixView{b.data(), n, 1};
      const bool accumulate = variant == 3;
      kernels::gemm_ref(m, n, k, av, bv, c.data(), n, accumulate, workspace.data());
      for (int64_t i = 0; i < m; ++i) {
        for (int64_t j = 0; j < n; ++j) {
          double sum = accumulate ? 0.5 : 0.0;
          double mag = 0.0;
          for (int64_t p = 0; p < k; ++p) {
            const double prod = double(av.at(i, p)) * double(bv.at(p, j));
            sum += prod;
            mag += std::fabs(prod);
          }
          ASSERT_NEAR(c[size_t(i * n + j)], sum, dot_tolerance(k + 1, mag + 0.5, sum))
              << m << "x" << n << "x" << k << " variant " << variant << " at " << i << "," << j;
        }
      }
    }
  }
}

// ---------------------------------------------------------------------------------------------------------
// Conv: the naive oracle against the ONNX operator examples, then the fast path against the oracle.

TEST(ConvNaive, MatchesOnnxExamples) {
  // test_basic_conv_with_padding / without_padding: x = 0..24 (5x5), W = ones 3x3.
  const auto x = iota_floats(25);
  const std::vector<float> w(9, 1.0f);
  SpatialGeometry g;
  g.rank = 2;
  g.in = {1, 5, 5};
  g.kernel = {1, 3, 3};
  g.out = {1, 5, 5};
  g.pad_begin = {0, 1, 1};
  g.pad_end = {0, 1, 1};
  std::vector<float> y(25);
  conv_direct_naive(g, 1, 1, 1, 1, x.data(), w.data(), nullptr, FusedActivation{}, y.data(), nullptr);
  const std::vector<float> padded = {12, 21, 27, 33, 24, 33, 54, 63, 72, 51, 63, 99, 108, 117, 81,
                                     93, 144, 153, 162, 111, 72, 111, 117, 123, 84};
  EXPECT_EQ(y, padded);
  g.out = {1, 3, 3};
  g.pad_begin = g.pad_end = {0, 0, 0};
  y.assign(9, 0.0f);
  conv_direct_naive(g, 1, 1, 1, 1, x.data(), w.data(), nullptr, FusedActivation{}, y.data(), nullptr);
  EXPECT_EQ(y, (std::vector<float>{54, 63, 72, 99, 108, 117, 144, 153, 162}));
}

TEST(Conv, OnnxExamplesWithPaddingStridesAndAutoPad) {
  const std::vector<float> ones(9, 1.0f);
  const auto x5 = iota_floats(25);
  const auto x75 = iota_floats(35);
  auto w = OpInput::const_floats({1, 1, 3, 3}, ones);
  {
    auto run = run_op(make_node("Conv", {{"kernel_shape", attr_ints({3, 3})}, {"pads", attr_ints({1, 1, 1, 1})}}),
                      {OpInput::runtime({1, 1, 5, 5}, x5), w});
    expect_exact(run, {1, 1, 5, 5},
                 {12, 21, 27, 33, 24, 33, 54, 63, 72, 51, 63, 99, 108, 117, 81, 93, 144, 153, 162, 111, 72, 111,
                  117, 123, 84});
  }
  {
    auto run = run_op(make_node("Conv", {{"strides", attr_ints({2, 2})}, {"pads", attr_ints({1, 1, 1, 1})}}),
                      {OpInput::runtime({1, 1, 7, 5}, x75), w});
    expect_exact(run, {1, 1, 4, 3}, {12, 27, 24, 63, 108, 81, 123, 198, 141, 112, 177, 124});
  }
  {
    auto run = run_op(make_node("Conv", {{"strides", attr_ints({2, 2})}}), {OpInput::runtime({1, 1, 7, 5}, x75), w});
    expect_exact(run, {1, 1, 3, 2}, {54, 72, 144, 162, 234, 252});
  }
  {  // test_conv_with_strides_and_asymmetric_padding
    auto run = run_op(make_node("Conv", {{"strides", attr_ints({2, 2})}, {"pads", attr_ints({1, 0, 1, 0})}}),
                      {OpInput::runtime({1, 1, 7, 5}, x75), w});
    expect_exact(run, {1, 1, 4, 2}, {21, 33, 99, 117, 189, 207, 171, 183});
  }
  {  // test_conv_with_autopad_same (SAME_LOWER, strides 2)
    auto run = run_op(make_node("Conv", {{"auto_pad", attr_string("SAME_LOWER")}, {"strides", attr_ints({2, 2})}}),
                      {OpInput::runtime({1, 1, 5, 5}, x5), w});
    expect_exact(run, {1, 1, 3, 3}, {12, 27, 24, 63, 108, 81, 72, 117, 84});
  }
}

TEST(Conv, SameUpperPadsTheEndAndSameLowerTheBeginning) {
  // 1-D, kernel 2, stride 1: total padding 1 goes after the input for SAME_UPPER, before it for SAME_LOWER.
  const auto x = OpInput::runtime({1, 1, 4}, {1, 2, 3, 4});
  const auto w = OpInput::const_floats({1, 1, 2}, {1, 10});
  expect_exact(run_op(make_node("Conv", {{"auto_pad", attr_string("SAME_UPPER")}}), {x, w}), {1, 1, 4},
               {21, 32, 43, 4});
  expect_exact(run_op(make_node("Conv", {{"auto_pad", attr_string("SAME_LOWER")}}), {x, w}), {1, 1, 4},
               {10, 21, 32, 43});
  expect_exact(run_op(make_node("Conv", {{"auto_pad", attr_string("VALID")}, {"pads", attr_ints({5, 5})}}), {x, w}),
               {1, 1, 3}, {21, 32, 43});
}

TEST(Conv, BiasGroupsAndFusedActivationByHand) {
  // Two groups of one channel each, 1x1 kernels: y0 = 2 x0 + 1, y1 = -x1 - 1, then Relu.
  Node node = make_node("Conv", {{"group", attr_int(2)}});
  node.activation.kind = FusedActivation::Kind::kRelu;
  auto run = run_op(node, {OpInput::runtime({1, 2, 1, 2}, {1, -3, 2, -5}), OpInput::const_floats({2, 1, 1, 1}, {2, -1}),
                           OpInput::const_floats({2}, {1, -1})});
  expect_exact(run, {1, 2, 1, 2}, {3, 0, 0, 4});
}

// The spec's output size and pads, written independently of ops/conv_geometry for the random tests.
struct ConvCase {
  int rank = 2;
  int64_t batch = 1, in_channels = 1, out_channels = 1, group = 1;
  std::vector<int64_t> in, kernel, strides, dilations, pads;
  std::string auto_pad = "NOTSET";
  bool bias = false;
  bool constant_weights = true;
  bool kernel_shape_attr = true;
  FusedActivation activation;
};

bool spec_geometry(const ConvCase& c, SpatialGeometry& g) {
  g = SpatialGeometry{};
  g.rank = c.rank;
  for (int i = 0; i < c.rank; ++i) {
    const size_t a = size_t(3 - c.rank + i);
    const size_t ii = size_t(i);
    const int64_t ek = (c.kernel[ii] - 1) * c.dilations[ii] + 1;
    int64_t pb = c.pads[ii], pe = c.pads[ii + size_t(c.rank)], out = 0;
    if (c.auto_pad == "VALID") {
      pb = pe = 0;
      out = (c.in[ii] - ek + c.strides[ii]) / c.strides[ii];  // ceil((in - ek + 1) / s)
      if (c.in[ii] < ek) return false;
    } else if (c.auto_pad == "NOTSET") {
      if (c.in[ii] + pb + pe < ek) return false;
      out = (c.in[ii] + pb + pe - ek) / c.strides[ii] + 1;
    } else {
      out = (c.in[ii] + c.strides[ii] - 1) / c.strides[ii];
      const int64_t total = std::max<int64_t>(0, (out - 1) * c.strides[ii] + ek - c.in[ii]);
      pb = c.auto_pad == "SAME_UPPER" ? total / 2 : (total + 1) / 2;
      pe = total - pb;
    }
    g.in[a] = c.in[ii];
    g.out[a] = out;
    g.kernel[a] = c.kernel[ii];
    g.stride[a] = c.strides[ii];
    g.dilation[a] = c.dilations[ii];
    g.pad_begin[a] = pb;
    g.pad_end[a] = pe;
  }
  return true;
}

// Runs one case through the registered kernel and checks it against conv_direct_naive with the derived
// tolerance (see the top of the file).
void check_conv_case(const ConvCase& c, uint32_t seed) {
  SpatialGeometry g;
  ASSERT_TRUE(spec_geometry(c, g));
  const int64_t cin_g = c.in_channels / c.group;
  Shape x_shape{c.batch, c.in_channels};
  Shape w_shape{c.out_channels, cin_g};
  for (int i = 0; i < c.rank; ++i) {
    x_shape.push_back(c.in[size_t(i)]);
    w_shape.push_back(c.kernel[size_t(i)]);
  }
  const auto x = random_floats(size_t(shape_size(x_shape)), seed);
  const auto w = random_floats(size_t(shape_size(w_shape)), seed + 1);
  const auto b = random_floats(size_t(c.out_channels), seed + 2);
  std::map<std::string, Attribute> attrs{{"group", attr_int(c.group)},
                                         {"strides", attr_ints(c.strides)},
                                         {"dilations", attr_ints(c.dilations)},
                                         {"auto_pad", attr_string(c.auto_pad)}};
  if (c.auto_pad == "NOTSET") attrs["pads"] = attr_ints(c.pads);
  if (c.kernel_shape_attr) attrs["kernel_shape"] = attr_ints(c.kernel);
  Node node = make_node("Conv", attrs);
  node.activation = c.activation;
  std::vector<OpInput> inputs{OpInput::runtime(x_shape, x),
                              c.constant_weights ? OpInput::const_floats(w_shape, w) : OpInput::runtime(w_shape, w)};
  if (c.bias) inputs.push_back(c.constant_weights ? OpInput::const_floats({c.out_channels}, b)
                                                  : OpInput::runtime({c.out_channels}, b));
  auto run = run_op(node, inputs);
  ASSERT_TRUE(run.status.is_ok()) << run.status.message();
  Shape y_shape{c.batch, c.out_channels};
  for (int64_t d : g.out_dims()) y_shape.push_back(d);
  ASSERT_EQ(run.outputs[0].shape, y_shape);
  const size_t count = size_t(shape_size(y_shape));
  std::vector<float> expected(count);
  std::vector<double> magnitude(count);
  conv_direct_naive(g, c.batch, c.in_channels, c.out_channels, c.group, x.data(), w.data(),
                    c.bias ? b.data() : nullptr, c.activation, expected.data(), magnitude.data());
  const int64_t k = cin_g * g.kernel_size();
  EXPECT_DOUBLE_EQ(run.flops, 2.0 * double(count) * double(k));
  for (size_t i = 0; i < count; ++i) {
    ASSERT_NEAR(run.outputs[0].data[i], expected[i], dot_tolerance(k, magnitude[i], expected[i]))
        << "output " << i << " of " << shape_to_string(y_shape) << ", x " << shape_to_string(x_shape) << ", w "
        << shape_to_string(w_shape) << ", group " << c.group << ", auto_pad " << c.auto_pad;
  }
}

ConvCase random_conv_case(std::mt19937& rng) {
  auto pick = [&](int64_t lo, int64_t hi) { return std::uniform_int_distribution<int64_t>(lo, hi)(rng); };
  for (;;) {
    ConvCase c;
    const int64_t r = pick(0, 9);
    c.rank = r < 2 ? 1 : (r < 8 ? 2 : 3);
    c.batch = pick(1, 2);
    const int64_t kind = pick(0, 5);
    if (kind == 0) {  // depthwise, with a channel multiplier sometimes
      c.group = pick(1, 6);
      c.in_channels = c.group;
      c.out_channels = c.group * pick(1, 2);
    } else if (kind == 1) {
      c.group = pick(2, 3);
      c.in_channels = c.group * pick(1, 4);
      c.out_channels = c.group * pick(1, 5);
    } else {
      c.in_channels = kind == 2 ? 1 : pick(1, 9);
      c.out_channels = pick(1, 13);
    }
    const int64_t max_in = c.rank == 1 ? 40 : (c.rank == 2 ? 21 : 7);
    const int64_t max_k = c.rank == 3 ? 3 : 5;
    for (int i = 0; i < c.rank; ++i) {
      c.in.push_back(pick(1, max_in));
      c.kernel.push_back(pick(1, max_k));
      c.strides.push_back(pick(0, 3) == 0 ? pick(2, 3) : 1);
      c.dilations.push_back(pick(0, 4) == 0 ? 2 : 1);
    }
    for (int i = 0; i < 2 * c.rank; ++i) c.pads.push_back(pick(0, 2) == 0 ? pick(1, 2) : 0);
    static const char* const kAutoPads[] = {"NOTSET", "NOTSET", "NOTSET", "SAME_UPPER", "SAME_LOWER", "VALID"};
    c.auto_pad = kAutoPads[pick(0, 5)];
    c.bias = pick(0, 1) == 1;
    c.constant_weights = pick(0, 3) != 0;
    c.kernel_shape_attr = pick(0, 1) == 1;
    const int64_t act = pick(0, 4);
    if (act == 1) c.activation.kind = FusedActivation::Kind::kRelu;
    if (act == 2) {
      c.activation.kind = FusedActivation::Kind::kLeakyRelu;
      c.activation.alpha = 0.1f;
    }
    if (act == 3) {
      c.activation.kind = FusedActivation::Kind::kClip;
      c.activation.alpha = -0.5f;
      c.activation.beta = 0.75f;
    }
    SpatialGeometry g;
    if (spec_geometry(c, g)) return c;
  }
}

TEST(Conv, FastPathMatchesNaiveOnRandomShapes) {
  std::mt19937 rng(2024);
  for (int i = 0; i < 300; ++i) {
    SCOPED_TRACE("case " + std::to_string(i));
    check_conv_case(random_conv_case(rng), uint32_t(1000 + 3 * i));
    if (::testing::Test::HasFatalFailure()) return;
  }
}

TEST(Conv, TilesAndBlocksTailsMatchNaive) {
  // Output pixels beyond one tile, K beyond one KC block (40 * 9 = 360 > 256), M beyond one MC block (130 > 128),
  // and a 1x1 convolution (the pointwise path) with tails of the NR panels and of the tiles.
  ConvCase big;
  big.in_channels = 40;
  big.out_channels = 130;
  big.in = {13, 11};
  big.kernel = {3, 3};
  big.strides = {1, 1};
  big.dilations = {1, 1};
  big.pads = {1, 1, 1, 1};
  big.bias = true;
  check_conv_case(big, 11);
  ConvCase pointwise;
  pointwise.batch = 2;
  pointwise.in_channels = 300;
  pointwise.out_channels = 7;
  pointwise.in = {17, 19};
  pointwise.kernel = {1, 1};
  pointwise.strides = {1, 1};
  pointwise.dilations = {1, 1};
  pointwise.pads = {0, 0, 0, 0};
  pointwise.activation.kind = FusedActivation::Kind::kRelu;
  check_conv_case(pointwise, 12);
  pointwise.constant_weights = false;
  pointwise.in_channels = 5;
  pointwise.in = {1, 301};
  check_conv_case(pointwise, 13);
  ConvCase first_layer;  // one input channel, many output pixels
  first_layer.in_channels = 1;
  first_layer.out_channels = 16;
  first_layer.in = {37, 41};
  first_layer.kernel = {3, 3};
  first_layer.strides = {1, 1};
  first_layer.dilations = {1, 1};
  first_layer.pads = {1, 1, 1, 1};
  check_conv_case(first_layer, 14);
}

TEST(Conv, RejectsInvalidModelsWithClearMessages) {
  const auto x = OpInput::runtime({1, 3, 5, 5}, std::vector<float>(75, 1.0f));
  const auto w = OpInput::const_floats({1, 4, 3, 3}, std::vector<float>(36, 1.0f));
  auto mismatch = run_op(make_node("Conv"), {x, w});
  EXPECT_EQ(mismatch.status.code(), StatusCode::kInvalidModel);
  EXPECT_NE(mismatch.status.message().find("input channels 3 do not match weights 1x4x3x3 with group 1"),
            std::string::npos)
      << mismatch.status.message();
  const auto w3 = OpInput::const_floats({2, 3, 3, 3}, std::vector<float>(54, 1.0f));
  auto expect_invalid = [&](std::map<std::string, Attribute> attrs, const std::string& fragment,
                            std::vector<OpInput> inputs = {}) {
    if (inputs.empty()) inputs = {x, w3};
    auto run = run_op(make_node("Conv", std::move(attrs)), inputs);
    EXPECT_FALSE(run.status.is_ok()) << fragment;
    EXPECT_NE(run.status.message().find(fragment), std::string::npos) << run.status.message();
  };
  expect_invalid({{"group", attr_int(0)}}, "group 0 must be positive");
  expect_invalid({{"group", attr_int(2)}}, "do not match weights 2x3x3x3 with group 2");
  expect_invalid({{"group", attr_int(3)}},
                 "input channels 3 do not match weights 2x3x3x3 with group 3");  // W[1] must be C / group
  expect_invalid({{"group", attr_int(3)}}, "output channels 2 (weights 2x1x3x3) are not divisible by group 3",
                 {x, OpInput::const_floats({2, 1, 3, 3}, std::vector<float>(18, 1.0f))});
  expect_invalid({{"group", attr_int(int64_t{1} << 62)}}, "with group 4611686018427387904");
  expect_invalid({{"strides", attr_ints({0, 1})}}, "strides 0x1 must be between 1 and");
  expect_invalid({{"dilations", attr_ints({1, -2})}}, "dilations");
  expect_invalid({{"pads", attr_ints({0, -1, 0, 0})}}, "pads");
  expect_invalid({{"pads", attr_ints({0, 0})}}, "pads has 2 values, expected 4");
  expect_invalid({{"kernel_shape", attr_ints({2, 2})}}, "kernel_shape 2x2 does not match");
  expect_invalid({{"auto_pad", attr_string("SAME")}}, "auto_pad 'SAME'");
  expect_invalid({{"dilations", attr_ints({3, 3})}}, "output would be empty");
  expect_invalid({}, "bias 3 must have shape 2",
                 {x, w3, OpInput::const_floats({3}, {1, 2, 3})});
  expect_invalid({}, "must have the rank of the input",
                 {x, OpInput::const_floats({2, 3, 3}, std::vector<float>(18, 1.0f))});
  expect_invalid({}, "rank >= 3", {OpInput::runtime({3, 5}, std::vector<float>(15)), w3});
  auto four_d = run_op(make_node("Conv"), {OpInput::runtime({1, 1, 1, 1, 1, 1}, {1}),
                                           OpInput::const_floats({1, 1, 1, 1, 1, 1}, {1})});
  EXPECT_EQ(four_d.status.code(), StatusCode::kUnsupported);
}

TEST(Conv, RefusesHugeShapesBeforeAllocating) {
  // The output (1 x 100000 x 1000 x 1000 = 1e11 elements) is over the limit; nothing is allocated or run.
  const auto x = OpInput::runtime({1, 1, 1000, 1000}, {});
  const auto w = OpInput::runtime({100000, 1, 1, 1}, {});
  auto run = run_op(make_node("Conv"), {x, w});
  EXPECT_EQ(run.status.code(), StatusCode::kResourceLimit);
  EXPECT_NE(run.status.message().find("1x100000x1000x1000"), std::string::npos) << run.status.message();
  // A kernel whose product overflows int64 is refused, not wrapped.
  auto kernel = run_op(make_node("Conv", {{"kernel_shape", attr_ints({1 << 24, 1 << 24, 1 << 24})}}),
                       {OpInput::runtime({1, 1, 1, 1, 1}, {}), OpInput::runtime({1, 1, 1 << 24, 1 << 24, 1 << 24}, {})});
  EXPECT_FALSE(kernel.status.is_ok());
  // Attribute values far beyond any model are refused.
  auto stride = run_op(make_node("Conv", {{"strides", attr_ints({int64_t{1} << 40, 1})}}),
                       {OpInput::runtime({1, 1, 3, 3}, std::vector<float>(9)),
                        OpInput::const_floats({1, 1, 1, 1}, {1})});
  EXPECT_EQ(stride.status.code(), StatusCode::kInvalidModel);
}

// Prepares and runs a kernel with progress reporting and an optional pre-set cancel flag.
struct ProgressRun {
  std::vector<double> reports;
  std::vector<float> output;
  double flops = 0;
};

ProgressRun run_with_progress(const Node& node_in, const std::vector<OpInput>& inputs, bool cancel) {
  ProgressRun result;
  Node node = node_in;
  node.name = "progress";
  for (size_t i = 0; i < inputs.size(); ++i) node.inputs.push_back(int(i));
  node.outputs = {int(inputs.size())};
  auto kernel = KernelRegistry::global().find(node.op_type)();
  PrepareContext ctx{node, 17, {}};
  for (const auto& in : inputs) {
    InputInfo info;
    info.present = true;
    info.shape = in.shape;
    info.constant = in.constant.get();
    ctx.inputs.push_back(info);
  }
  std::vector<Shape> shapes(1);
  Status status = kernel->prepare(ctx, shapes);
  EXPECT_TRUE(status.is_ok()) << status.message();
  if (!status.is_ok()) return result;
  result.flops = kernel->flops();
  std::vector<TensorRef> in_refs;
  for (const auto& in : inputs) in_refs.push_back({in.data.data(), &in.shape});
  result.output.assign(size_t(shape_size(shapes[0])), std::nanf(""));
  std::vector<MutableTensorRef> out_refs{{result.output.data(), &shapes[0]}};
  std::vector<float> scratch(kernel->scratch_floats() + 16);
  std::atomic<bool> cancelled{cancel};
  RunContext run;
  run.inputs = in_refs;
  run.outputs = out_refs;
  run.scratch = scratch.data();
  run.cancel = &cancelled;
  run.report = [&](double done) { result.reports.push_back(done); };
  kernel->run(run);
  return result;
}

TEST(Conv, ReportsProgressBetweenTilesAndStopsWhenCancelled) {
  const Shape x_shape{1, 8, 40, 40};
  const Shape w_shape{16, 8, 3, 3};
  std::vector<OpInput> inputs{OpInput::runtime(x_shape, random_floats(size_t(shape_size(x_shape)), 1)),
                              OpInput::const_floats(w_shape, random_floats(size_t(shape_size(w_shape)), 2))};
  Node node = make_node("Conv", {{"pads", attr_ints({1, 1, 1, 1})}});
  auto full = run_with_progress(node, inputs, false);
  ASSERT_GE(full.reports.size(), 2u);
  EXPECT_TRUE(std::is_sorted(full.reports.begin(), full.reports.end()));
  EXPECT_DOUBLE_EQ(full.reports.back(), full.flops);
  auto stopped = run_with_progress(node, inputs, true);
  EXPECT_TRUE(stopped.reports.empty());
  EXPECT_TRUE(std::isnan(stopped.output[0]));  // no tile was computed
}

TEST(ConvTiming, Prints3x3Conv64To64At128x128) {
  // Prints the throughput of the conv path; never asserts on time.
  const Shape x_shape{1, 64, 128, 128};
  const Shape w_shape{64, 64, 3, 3};
  std::vector<OpInput> inputs{OpInput::runtime(x_shape, random_floats(size_t(shape_size(x_shape)), 3)),
                              OpInput::const_floats(w_shape, random_floats(size_t(shape_size(w_shape)), 4))};
  Node node = make_node("Conv", {{"pads", attr_ints({1, 1, 1, 1})}});
  run_op(node, inputs);  // warm up
  // Wall time, and the process's CPU time, which stays meaningful when other jobs share the cores.
  const auto start = std::chrono::steady_clock::now();
  const std::clock_t cpu_start = std::clock();
  auto run = run_op(node, inputs);
  const double cpu = double(std::clock() - cpu_start) / CLOCKS_PER_SEC;
  const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  ASSERT_TRUE(run.status.is_ok());
  std::printf("[ timing ] Conv 3x3 64->64 at 128x128 (%.2f GFLOP, one thread, includes prepare): "
              "%.1f ms wall = %.2f GFLOP/s, %.1f ms CPU = %.2f GFLOP/s\n",
              run.flops * 1e-9, wall * 1e3, run.flops / wall * 1e-9, cpu * 1e3, run.flops / cpu * 1e-9);
}

// ---------------------------------------------------------------------------------------------------------
// ConvTranspose against a naive scatter.

struct ConvTransposeCase {
  int rank = 2;
  int64_t batch = 1, in_channels = 1, out_channels = 1, group = 1;
  std::vector<int64_t> in, kernel, strides, dilations, pads, output_padding, output_shape;
  std::string auto_pad = "NOTSET";
  bool bias = false;
  bool constant_weights = true;
  FusedActivation activation;
};

// Every input pixel times every weight of its group, added to the output pixel it lands on; pads and output
// size per the spec (output_shape or SAME_*: total padding split with the odd one at the end for SAME_UPPER).
bool naive_conv_transpose(const ConvTransposeCase& c, const std::vector<float>& x, const std::vector<float>& w,
                          const std::vector<float>& b, Shape& y_shape, std::vector<float>& y) {
  const size_t r = size_t(c.rank);
  std::vector<int64_t> out(r), pb(r);
  for (size_t i = 0; i < r; ++i) {
    const int64_t op = c.output_padding.empty() ? 0 : c.output_padding[i];
    const int64_t full = c.strides[i] * (c.in[i] - 1) + op + (c.kernel[i] - 1) * c.dilations[i] + 1;
    if (!c.output_shape.empty() || c.auto_pad == "SAME_UPPER" || c.auto_pad == "SAME_LOWER") {
      out[i] = c.output_shape.empty() ? c.in[i] * c.strides[i] : c.output_shape[i];
      const int64_t total = full - out[i];
      const int64_t small = int64_t(std::floor(double(total) / 2.0));
      pb[i] = c.auto_pad == "SAME_UPPER" ? small : total - small;
    } else {
      pb[i] = c.pads[i];
      out[i] = full - c.pads[i] - c.pads[i + r];
    }
    if (out[i] < 1) return false;
  }
  y_shape = {c.batch, c.out_channels};
  for (int64_t d : out) y_shape.push_back(d);
  const int64_t cin_g = c.in_channels / c.group, cout_g = c.out_channels / c.group;
  int64_t in_size = 1, out_size = 1, ksize = 1;
  for (size_t i = 0; i < r; ++i) {
    in_size *= c.in[i];
    out_size *= out[i];
    ksize *= c.kernel[i];
  }
  std::vector<double> acc(size_t(c.batch * c.out_channels * out_size), 0.0);
  for (int64_t n = 0; n < c.batch; ++n) {
    for (int64_t ci = 0; ci < c.in_channels; ++ci) {
      const int64_t g = ci / cin_g;
      for (int64_t p = 0; p < in_size; ++p) {
        for (int64_t m = 0; m < cout_g; ++m) {
          for (int64_t kk = 0; kk < ksize; ++kk) {
            // Decompose p and kk over the spatial axes (last fastest) and find the output position.
            int64_t pr = p, kr = kk, o = 0, scale = 1;
            bool inside = true;
            for (size_t a = r; a-- > 0;) {
              const int64_t ip = pr % c.in[a], kp = kr % c.kernel[a];
              pr /= c.in[a];
              kr /= c.kernel[a];
              const int64_t op = ip * c.strides[a] + kp * c.dilations[a] - pb[a];
              inside = inside && op >= 0 && op < out[a];
              o += op * scale;
              scale *= out[a];
            }
            if (!inside) continue;
            const double xv = x[size_t((n * c.in_channels + ci) * in_size + p)];
            const double wv = w[size_t((ci * cout_g + m) * ksize + kk)];
            acc[size_t((n * c.out_channels + g * cout_g + m) * out_size + o)] += xv * wv;
          }
        }
      }
    }
  }
  y.resize(acc.size());
  for (size_t i = 0; i < acc.size(); ++i) {
    const int64_t channel = int64_t(i) / out_size % c.out_channels;
    y[i] = c.activation.apply(float(acc[i] + (c.bias ? double(b[size_t(channel)]) : 0.0)));
  }
  return true;
}

void check_conv_transpose_case(const ConvTransposeCase& c, uint32_t seed) {
  Shape x_shape{c.batch, c.in_channels};
  Shape w_shape{c.in_channels, c.out_channels / c.group};
  for (int i = 0; i < c.rank; ++i) {
    x_shape.push_back(c.in[size_t(i)]);
    w_shape.push_back(c.kernel[size_t(i)]);
  }
  const auto x = random_floats(size_t(shape_size(x_shape)), seed);
  const auto w = random_floats(size_t(shape_size(w_shape)), seed + 1);
  const auto b = random_floats(size_t(c.out_channels), seed + 2);
  Shape y_shape;
  std::vector<float> expected;
  ASSERT_TRUE(naive_conv_transpose(c, x, w, b, y_shape, expected));
  std::map<std::string, Attribute> attrs{{"group", attr_int(c.group)},
                                         {"strides", attr_ints(c.strides)},
                                         {"dilations", attr_ints(c.dilations)},
                                         {"auto_pad", attr_string(c.auto_pad)}};
  if (!c.pads.empty()) attrs["pads"] = attr_ints(c.pads);
  if (!c.output_padding.empty()) attrs["output_padding"] = attr_ints(c.output_padding);
  if (!c.output_shape.empty()) attrs["output_shape"] = attr_ints(c.output_shape);
  Node node = make_node("ConvTranspose", attrs);
  node.activation = c.activation;
  std::vector<OpInput> inputs{OpInput::runtime(x_shape, x),
                              c.constant_weights ? OpInput::const_floats(w_shape, w) : OpInput::runtime(w_shape, w)};
  if (c.bias) inputs.push_back(OpInput::const_floats({c.out_channels}, b));
  auto run = run_op(node, inputs);
  ASSERT_TRUE(run.status.is_ok()) << run.status.message();
  ASSERT_EQ(run.outputs[0].shape, y_shape);
  // Each output sums at most C/group * kernel terms of |x|, |w| <= 1 (see the tolerance at the top).
  int64_t ksize = 1;
  for (int64_t k : c.kernel) ksize *= k;
  const int64_t terms = c.in_channels / c.group * ksize;
  for (size_t i = 0; i < expected.size(); ++i) {
    ASSERT_NEAR(run.outputs[0].data[i], expected[i], dot_tolerance(terms, double(terms), expected[i]))
        << "output " << i << " of " << shape_to_string(y_shape) << ", x " << shape_to_string(x_shape);
  }
}

TEST(ConvTranspose, OnnxExamples) {
  const auto x = OpInput::runtime({1, 1, 3, 3}, iota_floats(9));
  const auto w = OpInput::const_floats({1, 2, 3, 3}, std::vector<float>(18, 1.0f));
  {  // test_convtranspose
    const std::vector<float> plane = {0, 1, 3, 3, 2, 3, 8, 15, 12, 7, 9, 21, 36, 27, 15, 9, 20, 33, 24, 13,
                                      6, 13, 21, 15, 8};
    std::vector<float> both = plane;
    both.insert(both.end(), plane.begin(), plane.end());
    expect_exact(run_op(make_node("ConvTranspose"), {x, w}), {1, 2, 5, 5}, both);
  }
  {  // test_convtranspose_1d
    expect_exact(run_op(make_node("ConvTranspose"),
                        {OpInput::runtime({1, 1, 3}, {0, 1, 2}), OpInput::const_floats({1, 2, 3}, std::vector<float>(6, 1))}),
                 {1, 2, 5}, {0, 1, 3, 3, 2, 0, 1, 3, 3, 2});
  }
  {  // test_convtranspose_pads: strides 3x2, pads 1,2,1,2 -> 7x3
    const std::vector<float> plane = {1, 1, 3, 1, 1, 3, 7, 4, 9, 7, 4, 9, 7, 4, 9, 13, 7, 15, 13, 7, 15};
    std::vector<float> both = plane;
    both.insert(both.end(), plane.begin(), plane.end());
    expect_exact(run_op(make_node("ConvTranspose", {{"strides", attr_ints({3, 2})}, {"pads", attr_ints({1, 2, 1, 2})}}),
                        {x, w}),
                 {1, 2, 7, 3}, both);
  }
  {  // test_convtranspose_autopad_same: SAME_UPPER, strides 2 -> 6x6, the odd padding at the end
    const std::vector<float> plane = {0, 0, 1, 1, 3,  2,  0, 0, 1,  1, 3,  2,  3, 3, 8,  5,  12, 7,
                                      3, 3, 7, 4, 9,  5,  9, 9, 20, 11, 24, 13, 6, 6, 13, 7,  15, 8};
    std::vector<float> both = plane;
    both.insert(both.end(), plane.begin(), plane.end());
    expect_exact(run_op(make_node("ConvTranspose", {{"auto_pad", attr_string("SAME_UPPER")},
                                                    {"strides", attr_ints({2, 2})}}),
                        {x, w}),
                 {1, 2, 6, 6}, both);
  }
  {  // output_shape 10x8 with strides 3x2 gives the same as output_padding 1x1 (test_convtranspose_output_shape)
    auto by_shape = run_op(make_node("ConvTranspose", {{"strides", attr_ints({3, 2})},
                                                       {"output_shape", attr_ints({10, 8})}}),
                           {x, w});
    auto by_padding = run_op(make_node("ConvTranspose", {{"strides", attr_ints({3, 2})},
                                                         {"output_padding", attr_ints({1, 1})}}),
                             {x, w});
    ASSERT_TRUE(by_shape.status.is_ok()) << by_shape.status.message();
    ASSERT_TRUE(by_padding.status.is_ok()) << by_padding.status.message();
    EXPECT_EQ(by_shape.outputs[0].shape, (Shape{1, 2, 10, 8}));
    EXPECT_EQ(by_shape.outputs[0].data, by_padding.outputs[0].data);
    // First row of the spec's expected output.
    const std::vector<float> row0 = {0, 0, 1, 1, 3, 2, 2, 0};
    EXPECT_EQ(std::vector<float>(by_shape.outputs[0].data.begin(), by_shape.outputs[0].data.begin() + 8), row0);
  }
}

TEST(ConvTranspose, MatchesNaiveScatterOnRandomShapes) {
  std::mt19937 rng(99);
  auto pick = [&](int64_t lo, int64_t hi) { return std::uniform_int_distribution<int64_t>(lo, hi)(rng); };
  int checked = 0;
  for (int attempt = 0; checked < 120 && attempt < 1000; ++attempt) {
    ConvTransposeCase c;
    const int64_t r = pick(0, 9);
    c.rank = r < 2 ? 1 : (r < 8 ? 2 : 3);
    c.batch = pick(1, 2);
    c.group = pick(0, 3) == 0 ? pick(2, 3) : 1;
    c.in_channels = c.group * pick(1, 4);
    c.out_channels = c.group * pick(1, 5);
    for (int i = 0; i < c.rank; ++i) {
      c.in.push_back(pick(1, c.rank == 3 ? 5 : 9));
      c.kernel.push_back(pick(1, c.rank == 3 ? 3 : 4));
      c.strides.push_back(pick(1, 3));
      c.dilations.push_back(pick(0, 4) == 0 ? 2 : 1);
      c.output_padding.push_back(pick(0, 3) == 0 ? pick(0, c.strides.back() - 1) : 0);
    }
    const int64_t mode = pick(0, 5);
    if (mode <= 2) {
      for (int i = 0; i < 2 * c.rank; ++i) c.pads.push_back(pick(0, 2) == 0 ? pick(1, 2) : 0);
    } else if (mode == 3) {
      c.auto_pad = pick(0, 1) == 0 ? "SAME_UPPER" : "SAME_LOWER";
    } else {
      for (int i = 0; i < c.rank; ++i) c.output_shape.push_back(c.in[size_t(i)] * c.strides[size_t(i)] + pick(-1, 1));
      if (mode == 5) c.auto_pad = "SAME_UPPER";
    }
    c.bias = pick(0, 1) == 1;
    c.constant_weights = pick(0, 3) != 0;
    if (pick(0, 2) == 0) c.activation.kind = FusedActivation::Kind::kRelu;
    Shape y_shape;
    std::vector<float> y;
    if (!naive_conv_transpose(c, std::vector<float>(size_t(c.batch * c.in_channels * 1000), 0.0f),
                              std::vector<float>(size_t(c.in_channels * c.out_channels * 100), 0.0f),
                              std::vector<float>(size_t(c.out_channels), 0.0f), y_shape, y)) {
      continue;
    }
    SCOPED_TRACE("case " + std::to_string(checked));
    check_conv_transpose_case(c, uint32_t(500 + attempt));
    if (::testing::Test::HasFatalFailure()) return;
    ++checked;
  }
  EXPECT_EQ(checked, 120);
}

TEST(ConvTranspose, TwoByTwoStrideTwoUpsamplingWithManyChannels) {
  // The U-Net decoder's upsampling: every input pixel lands on its own 2x2 block (no overlap).
  ConvTransposeCase c;
  c.in_channels = 70;
  c.out_channels = 33;
  c.in = {9, 11};
  c.kernel = {2, 2};
  c.strides = {2, 2};
  c.dilations = {1, 1};
  c.pads = {0, 0, 0, 0};
  c.bias = true;
  c.activation.kind = FusedActivation::Kind::kLeakyRelu;
  c.activation.alpha = 0.01f;
  check_conv_transpose_case(c, 77);
}

TEST(ConvTranspose, KernelTilingTheOutputMatchesNaiveScatterOnRandomShapes) {
  // stride = kernel, no pads or dilation: each output pixel gets one value and the kernel stores instead of adding
  // (store_tiled_columns). Large maps split the GEMM's pixel tiles in the middle of input rows.
  std::mt19937 rng(2024);
  auto pick = [&](int64_t lo, int64_t hi) { return std::uniform_int_distribution<int64_t>(lo, hi)(rng); };
  for (int k = 0; k < 40; ++k) {
    ConvTransposeCase c;
    const int64_t r = pick(0, 9);
    c.rank = r < 2 ? 1 : (r < 8 ? 2 : 3);
    c.batch = pick(1, 2);
    c.group = pick(0, 3) == 0 ? 2 : 1;
    c.in_channels = c.group * pick(1, 9);
    c.out_channels = c.group * pick(1, 40);
    const bool large = pick(0, 2) == 0;
    for (int i = 0; i < c.rank; ++i) {
      c.in.push_back(c.rank == 3 ? pick(1, 6) : (large ? pick(20, 45) : pick(1, 9)));
      c.kernel.push_back(pick(1, 3));
      c.strides.push_back(c.kernel.back());
      c.dilations.push_back(1);
    }
    c.pads.assign(size_t(2 * c.rank), 0);
    c.bias = pick(0, 1) == 1;
    c.constant_weights = pick(0, 3) != 0;
    if (pick(0, 2) == 0) c.activation.kind = FusedActivation::Kind::kRelu;
    SCOPED_TRACE("tiling case " + std::to_string(k));
    check_conv_transpose_case(c, uint32_t(900 + k));
    if (::testing::Test::HasFatalFailure()) return;
  }
}

TEST(ConvTranspose, RejectsInvalidModels) {
  const auto x = OpInput::runtime({1, 3, 4, 4}, std::vector<float>(48, 1.0f));
  auto run = run_op(make_node("ConvTranspose"), {x, OpInput::const_floats({2, 1, 2, 2}, std::vector<float>(8))});
  EXPECT_EQ(run.status.code(), StatusCode::kInvalidModel);
  EXPECT_NE(run.status.message().find("input channels 3 do not match weights 2x1x2x2 with group 1"), std::string::npos)
      << run.status.message();
  auto bad_group = run_op(make_node("ConvTranspose", {{"group", attr_int(2)}}),
                          {x, OpInput::const_floats({3, 1, 2, 2}, std::vector<float>(12))});
  EXPECT_FALSE(bad_group.status.is_ok());
  auto zero_stride = run_op(make_node("ConvTranspose", {{"strides", attr_ints({1, 0})}}),
                            {x, OpInput::const_floats({3, 1, 2, 2}, std::vector<float>(12))});
  EXPECT_FALSE(zero_stride.status.is_ok());
  auto empty = run_op(make_node("ConvTranspose", {{"pads", attr_ints({3, 0, 3, 0})}}),
                      {x, OpInput::const_floats({3, 1, 2, 2}, std::vector<float>(12))});
  EXPECT_NE(empty.status.message().find("output would be empty"), std::string::npos) << empty.status.message();
  auto huge = run_op(make_node("ConvTranspose", {{"output_shape", attr_ints({1 << 20, 1 << 20})}}),
                     {x, OpInput::const_floats({3, 1, 2, 2}, std::vector<float>(12))});
  EXPECT_EQ(huge.status.code(), StatusCode::kResourceLimit) << huge.status.message();
}

// ---------------------------------------------------------------------------------------------------------
// BatchNormalization.

TEST(BatchNorm, OnnxExampleWithConstantAndRuntimeParameters) {
  const std::vector<float> x = {-1, 0, 1, 2, 3, 4};
  const std::vector<float> s = {1.0f, 1.5f}, bias = {0, 1}, mean = {0, 3}, var = {1, 1.5f};
  std::vector<float> expected(6);
  for (size_t i = 0; i < 6; ++i) {
    const size_t c = i / 3;
    expected[i] = float((double(x[i]) - mean[c]) / std::sqrt(double(var[c]) + 1e-5) * s[c] + bias[c]);
  }
  for (bool constant : {true, false}) {
    auto param = [&](const std::vector<float>& v) {
      return constant ? OpInput::const_floats({2}, v) : OpInput::runtime({2}, v);
    };
    auto run = run_op(make_node("BatchNormalization"),
                      {OpInput::runtime({1, 2, 1, 3}, x), param(s), param(bias), param(mean), param(var)});
    ASSERT_TRUE(run.status.is_ok()) << run.status.message();
    ASSERT_EQ(run.outputs[0].shape, (Shape{1, 2, 1, 3}));
    for (size_t i = 0; i < 6; ++i) EXPECT_NEAR(run.outputs[0].data[i], expected[i], 1e-6) << i;
  }
}

TEST(BatchNorm, PerActivationStatisticsOfOpset7) {
  // spatial = 0: every (channel, position) has its own statistics.
  const std::vector<float> x = {1, 2, 3, 4, 5, 6, 7, 8};
  const std::vector<float> ones(4, 1.0f), zeros(4, 0.0f), mean = {1, 2, 3, 4};
  auto run = run_op(make_node("BatchNormalization", {{"spatial", attr_int(0)}, {"epsilon", attr_float(0.0f)}}),
                    {OpInput::runtime({2, 2, 2}, x), OpInput::const_floats({2, 2}, ones),
                     OpInput::const_floats({2, 2}, zeros), OpInput::const_floats({2, 2}, mean),
                     OpInput::const_floats({2, 2}, ones)},
                    /*opset=*/7);
  expect_exact(run, {2, 2, 2}, {0, 0, 0, 0, 4, 4, 4, 4});
}

TEST(BatchNorm, RejectsTrainingAndBadParameters) {
  const auto x = OpInput::runtime({1, 2, 3}, std::vector<float>(6));
  const auto p = OpInput::const_floats({2}, {1, 1});
  auto training = run_op(make_node("BatchNormalization", {{"training_mode", attr_int(1)}}), {x, p, p, p, p});
  EXPECT_EQ(training.status.code(), StatusCode::kUnsupported);
  auto outputs = run_op(make_node("BatchNormalization"), {x, p, p, p, p}, 17, 3);
  EXPECT_EQ(outputs.status.code(), StatusCode::kUnsupported);
  auto bad = run_op(make_node("BatchNormalization"), {x, p, p, OpInput::const_floats({3}, {1, 1, 1}), p});
  EXPECT_EQ(bad.status.code(), StatusCode::kInvalidModel);
  EXPECT_NE(bad.status.message().find("mean 3 must have 2 elements"), std::string::npos) << bad.status.message();
}

// ---------------------------------------------------------------------------------------------------------
// Gemm and MatMul against a double reference.

std::vector<float> reference_gemm(int64_t m, int64_t n, int64_t k, const std::vector<float>& a, bool ta,
                                  const std::vector<float>& b, bool tb, float alpha, float beta,
                                  const std::vector<float>* c, int64_t c_rows, int64_t c_cols,
                                  std::vector<double>& magnitude) {
  std::vector<float> y(size_t(m * n));
  magnitude.assign(size_t(m * n), 0.0);
  for (int64_t i = 0; i < m; ++i) {
    for (int64_t j = 0; j < n; ++j) {
      double sum = 0, mag = 0;
      for (int64_t p = 0; p < k; ++p) {
        const double av = ta ? a[size_t(p * m + i)] : a[size_t(i * k + p)];
        const double bv = tb ? b[size_t(j * k + p)] : b[size_t(p * n + j)];
        sum += av * bv;
        mag += std::fabs(av * bv);
      }
      double value = double(alpha) * sum;
      if (c != nullptr) value += double(beta) * (*c)[size_t((c_rows == 1 ? 0 : i) * c_cols + (c_cols == 1 ? 0 : j))];
      y[size_t(i * n + j)] = float(value);
      magnitude[size_t(i * n + j)] = std::fabs(double(alpha)) * mag + std::fabs(value);
    }
  }
  return y;
}

TEST(Gemm, TransposesAlphaBetaAndBroadcastC) {
  const int64_t m = 5, n = 19, k = 7;
  const auto a = random_floats(size_t(m * k), 1);
  const auto b = random_floats(size_t(k * n), 2);
  struct CShape {
    Shape shape;
    int64_t rows, cols;
  };
  const std::vector<CShape> c_shapes = {{{}, 1, 1}, {{n}, 1, n}, {{1}, 1, 1}, {{m, 1}, m, 1}, {{1, n}, 1, n},
                                        {{m, n}, m, n}};
  for (int variant = 0; variant < 4; ++variant) {
    const bool ta = (variant & 1) != 0, tb = (variant & 2) != 0;
    for (const auto& cs : c_shapes) {
      const auto c = random_floats(size_t(cs.rows * cs.cols), 3);
      std::vector<double> magnitude;
      const auto expected = reference_gemm(m, n, k, a, ta, b, tb, 0.5f, -2.0f, &c, cs.rows, cs.cols, magnitude);
      auto run = run_op(make_node("Gemm", {{"transA", attr_int(ta)}, {"transB", attr_int(tb)},
                                           {"alpha", attr_float(0.5f)}, {"beta", attr_float(-2.0f)}}),
                        {OpInput::runtime(ta ? Shape{k, m} : Shape{m, k}, a),
                         OpInput::const_floats(tb ? Shape{n, k} : Shape{k, n}, b), OpInput::runtime(cs.shape, c)});
      ASSERT_TRUE(run.status.is_ok()) << run.status.message();
      ASSERT_EQ(run.outputs[0].shape, (Shape{m, n}));
      EXPECT_DOUBLE_EQ(run.flops, 2.0 * m * n * k);
      for (size_t i = 0; i < expected.size(); ++i) {
        ASSERT_NEAR(run.outputs[0].data[i], expected[i], dot_tolerance(k + 2, magnitude[i], expected[i]))
            << "variant " << variant << " C " << shape_to_string(cs.shape) << " at " << i;
      }
    }
  }
}

TEST(Gemm, WithoutCAndFusedRelu) {
  Node node = make_node("Gemm", {{"transB", attr_int(1)}});
  node.activation.kind = FusedActivation::Kind::kRelu;
  // A = [[1, 2]], B = [[1, 1], [-1, -1]] (N x K): y = relu([3, -3]).
  auto run = run_op(node, {OpInput::runtime({1, 2}, {1, 2}), OpInput::const_floats({2, 2}, {1, 1, -1, -1})});
  expect_exact(run, {1, 2}, {3, 0});
}

TEST(Gemm, RejectsMismatchedShapes) {
  auto k = run_op(make_node("Gemm"), {OpInput::runtime({2, 3}, std::vector<float>(6)),
                                      OpInput::runtime({4, 5}, std::vector<float>(20))});
  EXPECT_NE(k.status.message().find("inner dimensions do not match: A 2x3 and B 4x5"), std::string::npos)
      << k.status.message();
  auto c = run_op(make_node("Gemm"), {OpInput::runtime({2, 3}, std::vector<float>(6)),
                                      OpInput::runtime({3, 5}, std::vector<float>(15)),
                                      OpInput::runtime({3, 5}, std::vector<float>(15))});
  EXPECT_NE(c.status.message().find("C 3x5 cannot be broadcast to the output 2x5"), std::string::npos)
      << c.status.message();
  auto rank = run_op(make_node("Gemm"), {OpInput::runtime({2, 3, 1}, std::vector<float>(6)),
                                         OpInput::runtime({3, 5}, std::vector<float>(15))});
  EXPECT_EQ(rank.status.code(), StatusCode::kInvalidModel);
}

TEST(MatMul, PromotesVectorsAndBroadcastsBatches) {
  {  // 1-D x 1-D: a scalar
    auto run = run_op(make_node("MatMul"), {OpInput::runtime({3}, {1, 2, 3}), OpInput::runtime({3}, {4, 5, 6})});
    expect_exact(run, {}, {32});
  }
  {  // 1-D x 2-D and 2-D x 1-D
    auto left = run_op(make_node("MatMul"), {OpInput::runtime({2}, {1, 2}), OpInput::runtime({2, 3}, {1, 2, 3, 4, 5, 6})});
    expect_exact(left, {3}, {9, 12, 15});
    auto right = run_op(make_node("MatMul"), {OpInput::runtime({2, 3}, {1, 2, 3, 4, 5, 6}), OpInput::runtime({3}, {1, 0, -1})});
    expect_exact(right, {2}, {-2, -2});
  }
  {  // batch broadcast: (2, 1, 3, 4) x (5, 4, 2) -> (2, 5, 3, 2)
    const Shape as{2, 1, 3, 4}, bs{5, 4, 2};
    const auto a = random_floats(size_t(shape_size(as)), 5);
    const auto b = random_floats(size_t(shape_size(bs)), 6);
    auto run = run_op(make_node("MatMul"), {OpInput::runtime(as, a), OpInput::const_floats(bs, b)});
    ASSERT_TRUE(run.status.is_ok()) << run.status.message();
    ASSERT_EQ(run.outputs[0].shape, (Shape{2, 5, 3, 2}));
    for (int64_t i = 0; i < 2; ++i) {
      for (int64_t j = 0; j < 5; ++j) {
        for (int64_t r = 0; r < 3; ++r) {
          for (int64_t c = 0; c < 2; ++c) {
            double sum = 0, mag = 0;
            for (int64_t p = 0; p < 4; ++p) {
              const double prod = double(a[size_t((i * 3 + r) * 4 + p)]) * b[size_t((j * 4 + p) * 2 + c)];
              sum += prod;
              mag += std::fabs(prod);
            }
            const float got = run.outputs[0].data[size_t(((i * 5 + j) * 3 + r) * 2 + c)];
            EXPECT_NEAR(got, sum, dot_tolerance(4, mag, sum));
          }
        }
      }
    }
  }
  {  // a larger product crossing the GEMM's blocks, with a fused LeakyRelu
    const int64_t m = 70, k = 300, n = 33;
    const auto a = random_floats(size_t(m * k), 8);
    const auto b = random_floats(size_t(k * n), 9);
    Node node = make_node("MatMul");
    node.activation.kind = FusedActivation::Kind::kLeakyRelu;
    node.activation.alpha = 0.2f;
    auto run = run_op(node, {OpInput::runtime({1, m, k}, a), OpInput::runtime({k, n}, b)});
    ASSERT_TRUE(run.status.is_ok()) << run.status.message();
    std::vector<double> magnitude;
    const auto expected = reference_gemm(m, n, k, a, false, b, false, 1.0f, 0.0f, nullptr, 1, 1, magnitude);
    for (size_t i = 0; i < expected.size(); ++i) {
      const float e = expected[i] >= 0 ? expected[i] : 0.2f * expected[i];
      ASSERT_NEAR(run.outputs[0].data[i], e, dot_tolerance(k, magnitude[i], e)) << i;
    }
  }
}

TEST(MatMul, RejectsMismatchedShapes) {
  auto k = run_op(make_node("MatMul"), {OpInput::runtime({2, 3}, std::vector<float>(6)),
                                        OpInput::runtime({4, 5}, std::vector<float>(20))});
  EXPECT_NE(k.status.message().find("inner dimensions do not match: A 2x3 and B 4x5"), std::string::npos)
      << k.status.message();
  auto batch = run_op(make_node("MatMul"), {OpInput::runtime({2, 2, 3}, std::vector<float>(12)),
                                            OpInput::runtime({3, 3, 5}, std::vector<float>(45))});
  EXPECT_NE(batch.status.message().find("do not broadcast"), std::string::npos) << batch.status.message();
  auto ints = run_op(make_node("MatMul"), {OpInput::const_ints({2}, {1, 2}), OpInput::runtime({2}, {1, 2})});
  EXPECT_EQ(ints.status.code(), StatusCode::kUnsupported);
}

}  // namespace
}  // namespace cairn
