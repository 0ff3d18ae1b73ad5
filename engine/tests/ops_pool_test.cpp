// MaxPool, AveragePool, GlobalAveragePool, GlobalMaxPool: the ONNX operator examples, hand-computed ceil_mode
// and count_include_pad cases, and random shapes against a tap-by-tap oracle.
#include <gtest/gtest.h>

#include <algorithm>
#include <cfloat>
#include <cmath>
#include <limits>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "kernels/dispatch.hpp"
#include "op_test_util.hpp"

namespace cairn {
namespace {

using namespace cairn::testing;

void expect_near_all(const OpRun& run, const Shape& shape, const std::vector<float>& expected, float tol = 1e-5f) {
  ASSERT_TRUE(run.status.is_ok()) << run.status.message();
  ASSERT_EQ(run.outputs[0].shape, shape);
  ASSERT_EQ(run.outputs[0].data.size(), expected.size());
  for (size_t i = 0; i < expected.size(); ++i) EXPECT_NEAR(run.outputs[0].data[i], expected[i], tol) << "at " << i;
}

TEST(MaxPool, OnnxExamples) {
  const auto x16 = OpInput::runtime({1, 1, 4, 4}, iota_floats(16, 1.0f));
  const auto x25 = OpInput::runtime({1, 1, 5, 5}, iota_floats(25, 1.0f));
  expect_near_all(run_op(make_node("MaxPool", {{"kernel_shape", attr_ints({3, 3})}, {"strides", attr_ints({2, 2})},
                                               {"ceil_mode", attr_int(1)}}),
                         {x16}),
                  {1, 1, 2, 2}, {11, 12, 15, 16});
  expect_near_all(run_op(make_node("MaxPool", {{"kernel_shape", attr_ints({2, 2})}, {"dilations", attr_ints({2, 2})}}),
                         {x16}),
                  {1, 1, 2, 2}, {11, 12, 15, 16});
  expect_near_all(run_op(make_node("MaxPool", {{"kernel_shape", attr_ints({3, 3})}, {"strides", attr_ints({2, 2})},
                                               {"auto_pad", attr_string("SAME_UPPER")}}),
                         {x25}),
                  {1, 1, 3, 3}, {7, 9, 10, 17, 19, 20, 22, 24, 25});
  // Odd total padding (kernel 2, stride 1): at the end for SAME_UPPER, at the beginning for SAME_LOWER.
  const auto x5 = OpInput::runtime({1, 1, 5}, iota_floats(5, 1.0f));
  expect_near_all(run_op(make_node("MaxPool", {{"kernel_shape", attr_ints({2})}, {"auto_pad", attr_string("SAME_UPPER")}}),
                         {x5}),
                  {1, 1, 5}, {2, 3, 4, 5, 5});
  expect_near_all(run_op(make_node("MaxPool", {{"kernel_shape", attr_ints({2})}, {"auto_pad", attr_string("SAME_LOWER")}}),
                         {x5}),
                  {1, 1, 5}, {1, 2, 3, 4, 5});
  expect_near_all(run_op(make_node("MaxPool", {{"kernel_shape", attr_ints({5, 5})}, {"pads", attr_ints({2, 2, 2, 2})}}),
                         {x25}),
                  {1, 1, 5, 5}, {13, 14, 15, 15, 15, 18, 19, 20, 20, 20, 23, 24, 25, 25, 25, 23, 24, 25, 25, 25,
                                 23, 24, 25, 25, 25});
}

TEST(AveragePool, OnnxExamples) {
  const auto x16 = OpInput::runtime({1, 1, 4, 4}, iota_floats(16, 1.0f));
  const auto x25 = OpInput::runtime({1, 1, 5, 5}, iota_floats(25, 1.0f));
  expect_near_all(run_op(make_node("AveragePool", {{"kernel_shape", attr_ints({3, 3})}, {"strides", attr_ints({2, 2})},
                                                   {"ceil_mode", attr_int(1)}}),
                         {x16}),
                  {1, 1, 2, 2}, {6, 7.5f, 12, 13.5f});
  expect_near_all(run_op(make_node("AveragePool", {{"kernel_shape", attr_ints({5, 5})}, {"pads", attr_ints({2, 2, 2, 2})}}),
                         {x25}),
                  {1, 1, 5, 5}, {7, 7.5f, 8, 8.5f, 9, 9.5f, 10, 10.5f, 11, 11.5f, 12, 12.5f, 13, 13.5f, 14, 14.5f,
                                 15, 15.5f, 16, 16.5f, 17, 17.5f, 18, 18.5f, 19});
  expect_near_all(run_op(make_node("AveragePool", {{"kernel_shape", attr_ints({5, 5})}, {"pads", attr_ints({2, 2, 2, 2})},
                                                   {"count_include_pad", attr_int(1)}}),
                         {x25}),
                  {1, 1, 5, 5}, {2.52f, 3.6f, 4.8f, 4.08f, 3.24f, 4.56f, 6.4f, 8.4f, 7.04f, 5.52f, 7.2f, 10, 13,
                                 10.8f, 8.4f, 6.96f, 9.6f, 12.4f, 10.24f, 7.92f, 6.12f, 8.4f, 10.8f, 8.88f, 6.84f});
  expect_near_all(run_op(make_node("AveragePool", {{"kernel_shape", attr_ints({3, 3})}, {"strides", attr_ints({2, 2})},
                                                   {"auto_pad", attr_string("SAME_UPPER")}}),
                         {x25}),
                  {1, 1, 3, 3}, {4, 5.5f, 7, 11.5f, 13, 14.5f, 19, 20.5f, 22});
}

TEST(AveragePool, CeilModeWindowPastTheEndPaddingIsNotCounted) {
  // x = 1..6, kernel 3, stride 2, pads 1/1, ceil_mode: windows start at -1, 1, 3, 5 (4 outputs: the last
  // starts inside the input). The last window covers 6, the end pad and one position past it: with
  // count_include_pad it divides by 2 (the overhang does not count), without by 1.
  const auto x = OpInput::runtime({1, 1, 6}, iota_floats(6, 1.0f));
  std::map<std::string, Attribute> attrs{{"kernel_shape", attr_ints({3})},
                                         {"strides", attr_ints({2})},
                                         {"pads", attr_ints({1, 1})},
                                         {"ceil_mode", attr_int(1)}};
  attrs["count_include_pad"] = attr_int(1);
  expect_near_all(run_op(make_node("AveragePool", attrs), {x}), {1, 1, 4}, {1, 3, 5, 3});
  attrs["count_include_pad"] = attr_int(0);
  expect_near_all(run_op(make_node("AveragePool", attrs), {x}), {1, 1, 4}, {1.5f, 3, 5, 6});
  // A ceil window that would start in the end padding is dropped: in 4, kernel 2, stride 2, pads 0/1 gives
  // windows at 0 and 2, not 4.
  expect_near_all(run_op(make_node("MaxPool", {{"kernel_shape", attr_ints({2})}, {"strides", attr_ints({2})},
                                               {"pads", attr_ints({0, 1})}, {"ceil_mode", attr_int(1)}}),
                         {OpInput::runtime({1, 1, 4}, iota_floats(4, 1.0f))}),
                  {1, 1, 2}, {2, 4});
}

TEST(GlobalPool, AverageAndMaxOverAllSpatialAxes) {
  const auto x = OpInput::runtime({1, 2, 2, 3}, {1, 2, 3, 4, 5, 6, -1, -2, -3, -4, -5, -6});
  expect_near_all(run_op(make_node("GlobalAveragePool"), {x}), {1, 2, 1, 1}, {3.5f, -3.5f});
  expect_near_all(run_op(make_node("GlobalMaxPool"), {x}), {1, 2, 1, 1}, {6, -1});
  const auto x3 = OpInput::runtime({1, 1, 2, 1, 2}, {1, 2, 3, 10});
  expect_near_all(run_op(make_node("GlobalAveragePool"), {x3}), {1, 1, 1, 1, 1}, {4});
  expect_near_all(run_op(make_node("GlobalMaxPool"), {x3}), {1, 1, 1, 1, 1}, {10});
}

// Planes of 1-100 values (the kernel takes them 8 at a time in interleaved partial results, then the tail):
// the maximum exactly, the mean within float rounding of the mean in double.
TEST(GlobalPool, RandomPlaneSizesMatchASimpleLoop) {
  std::mt19937 rng(41);
  for (int trial = 0; trial < 40; ++trial) {
    const int64_t planes = 3, h = std::uniform_int_distribution<int64_t>(1, 10)(rng),
                  w = std::uniform_int_distribution<int64_t>(1, 10)(rng);
    const auto x = random_floats(size_t(planes * h * w), uint32_t(60 + trial));
    std::vector<float> mean(static_cast<size_t>(planes)), best(static_cast<size_t>(planes));
    for (int64_t p = 0; p < planes; ++p) {
      double sum = 0;
      float m = -FLT_MAX;
      for (int64_t i = 0; i < h * w; ++i) {
        sum += x[size_t(p * h * w + i)];
        m = std::max(m, x[size_t(p * h * w + i)]);
      }
      mean[size_t(p)] = float(sum / double(h * w));
      best[size_t(p)] = m;
    }
    const auto in = OpInput::runtime({1, planes, h, w}, x);
    const auto avg = run_op(make_node("GlobalAveragePool"), {in});
    const auto max = run_op(make_node("GlobalMaxPool"), {in});
    ASSERT_TRUE(avg.status.is_ok() && max.status.is_ok());
    for (int64_t p = 0; p < planes; ++p) {
      EXPECT_NEAR(avg.outputs[0].data[size_t(p)], mean[size_t(p)], 2 * FLT_EPSILON) << h << "x" << w;
      EXPECT_EQ(max.outputs[0].data[size_t(p)], best[size_t(p)]) << h << "x" << w;
    }
  }
}

// Tap-by-tap oracle: output size per the spec (ceil_mode drops a last window starting in the end padding).
struct PoolCase {
  std::vector<int64_t> in, kernel, strides, dilations, pads;
  std::string auto_pad = "NOTSET";
  bool ceil = false;
  bool include_pad = false;
  bool max = true;
};

bool naive_pool(const PoolCase& c, const std::vector<float>& x, int64_t planes, Shape& y_shape,
                std::vector<float>& y) {
  const size_t r = c.in.size();
  std::vector<int64_t> out(r), pb(r), pe(r);
  for (size_t i = 0; i < r; ++i) {
    const int64_t ek = (c.kernel[i] - 1) * c.dilations[i] + 1;
    if (c.auto_pad == "SAME_UPPER" || c.auto_pad == "SAME_LOWER") {
      out[i] = (c.in[i] + c.strides[i] - 1) / c.strides[i];
      const int64_t total = std::max<int64_t>(0, (out[i] - 1) * c.strides[i] + ek - c.in[i]);
      pb[i] = c.auto_pad == "SAME_UPPER" ? total / 2 : total - total / 2;
      pe[i] = total - pb[i];
    } else {
      pb[i] = c.auto_pad == "VALID" ? 0 : c.pads[i];
      pe[i] = c.auto_pad == "VALID" ? 0 : c.pads[i + r];
      const double span = double(c.in[i] + pb[i] + pe[i] - ek) / double(c.strides[i]);
      if (span < 0) return false;
      out[i] = int64_t(c.ceil ? std::ceil(span) : std::floor(span)) + 1;
      if (c.ceil && (out[i] - 1) * c.strides[i] >= c.in[i] + pb[i]) --out[i];
    }
    if (out[i] < 1) return false;
  }
  y_shape = {1, planes};
  int64_t in_size = 1, out_size = 1, taps = 1;
  for (size_t i = 0; i < r; ++i) {
    y_shape.push_back(out[i]);
    in_size *= c.in[i];
    out_size *= out[i];
    taps *= c.kernel[i];
  }
  y.assign(size_t(planes * out_size), 0.0f);
  for (int64_t p = 0; p < planes; ++p) {
    for (int64_t o = 0; o < out_size; ++o) {
      double best = -std::numeric_limits<double>::infinity(), sum = 0;
      int64_t valid = 0, padded = 0;
      for (int64_t t = 0; t < taps; ++t) {
        int64_t orem = o, trem = t, index = 0, scale = 1;
        bool inside = true, in_padded = true;
        for (size_t a = r; a-- > 0;) {
          const int64_t oa = orem % out[a], ta = trem % c.kernel[a];
          orem /= out[a];
          trem /= c.kernel[a];
          const int64_t pos = oa * c.strides[a] - pb[a] + ta * c.dilations[a];
          inside = inside && pos >= 0 && pos < c.in[a];
          in_padded = in_padded && pos < c.in[a] + pe[a];
          index += pos * scale;
          scale *= c.in[a];
        }
        padded += in_padded ? 1 : 0;
        if (!inside) continue;
        const double v = x[size_t(p * in_size + index)];
        best = std::max(best, v);
        sum += v;
        ++valid;
      }
      const int64_t divisor = c.include_pad ? padded : valid;
      y[size_t(p * out_size + o)] = c.max ? float(valid > 0 ? best : -FLT_MAX) : float(divisor > 0 ? sum / double(divisor) : 0.0);
    }
  }
  return true;
}

TEST(Pool, MatchesNaiveOnRandomShapes) {
  std::mt19937 rng(31);
  auto pick = [&](int64_t lo, int64_t hi) { return std::uniform_int_distribution<int64_t>(lo, hi)(rng); };
  int checked = 0;
  for (int attempt = 0; checked < 200 && attempt < 2000; ++attempt) {
    PoolCase c;
    const int rank = int(pick(1, 3));
    for (int i = 0; i < rank; ++i) {
      c.in.push_back(pick(1, rank == 3 ? 6 : 13));
      c.kernel.push_back(pick(1, 4));
      c.strides.push_back(pick(1, 3));
      c.dilations.push_back(pick(0, 3) == 0 ? 2 : 1);
    }
    // Pads smaller than the kernel (ONNX Runtime requires it), asymmetric.
    for (int i = 0; i < 2 * rank; ++i) c.pads.push_back(pick(0, c.kernel[size_t(i % rank)] - 1));
    static const char* const kAutoPads[] = {"NOTSET", "NOTSET", "NOTSET", "SAME_UPPER", "SAME_LOWER", "VALID"};
    c.auto_pad = kAutoPads[pick(0, 5)];
    c.ceil = pick(0, 1) == 1;
    c.include_pad = pick(0, 1) == 1;
    c.max = pick(0, 1) == 1;
    const int64_t planes = pick(1, 3);
    int64_t in_size = 1;
    for (int64_t d : c.in) in_size *= d;
    const auto x = random_floats(size_t(planes * in_size), uint32_t(attempt));
    Shape y_shape;
    std::vector<float> expected;
    if (!naive_pool(c, x, planes, y_shape, expected)) continue;
    Shape x_shape{1, planes};
    for (int64_t d : c.in) x_shape.push_back(d);
    std::map<std::string, Attribute> attrs{{"kernel_shape", attr_ints(c.kernel)},
                                           {"strides", attr_ints(c.strides)},
                                           {"dilations", attr_ints(c.dilations)},
                                           {"auto_pad", attr_string(c.auto_pad)},
                                           {"ceil_mode", attr_int(c.ceil)}};
    if (c.auto_pad == "NOTSET") attrs["pads"] = attr_ints(c.pads);
    if (!c.max) attrs["count_include_pad"] = attr_int(c.include_pad);
    auto run = run_op(make_node(c.max ? "MaxPool" : "AveragePool", attrs), {OpInput::runtime(x_shape, x)});
    SCOPED_TRACE("case " + std::to_string(checked) + " x " + shape_to_string(x_shape) + " kernel " +
                 shape_to_string(c.kernel) + " strides " + shape_to_string(c.strides) + " dilations " +
                 shape_to_string(c.dilations) + " pads " + shape_to_string(c.pads) + " " + c.auto_pad +
                 (c.ceil ? " ceil" : "") + (c.max ? " max" : (c.include_pad ? " avg incl" : " avg")));
    ASSERT_TRUE(run.status.is_ok()) << run.status.message();
    ASSERT_EQ(run.outputs[0].shape, y_shape);
    for (size_t i = 0; i < expected.size(); ++i) {
      // Max is exact; an average of n values in [-1, 1] summed in float is within n * eps of the double one.
      ASSERT_NEAR(run.outputs[0].data[i], expected[i], c.max ? 0.0 : 64 * FLT_EPSILON) << "at " << i;
    }
    ++checked;
  }
  EXPECT_EQ(checked, 200);
}

// 2-D max pools with a 3x3 window (ResNet's stem), which take a one-pass path per output row with the edges tap
// by tap (ops/pool.cpp max_pool_windows): strides 1-3 per axis, pads 0-2 on each side, ceil mode, sizes 1-40 so
// that rows have no interior, a short one, or a long one.
// Each case with the kernel set chosen at load and with the portable one (on AVX-512 machines the first takes the
// hand-written rows of pool.cpp, the second the compiled loops).
TEST(Pool, MaxPool3x3MatchesNaiveOnRandomShapes) {
  kernels::KernelSet portable = kernels::active_kernels();
  portable.isa = "scalar";
  const kernels::KernelSet* sets[2] = {nullptr, &portable};
  std::mt19937 rng(37);
  auto pick = [&](int64_t lo, int64_t hi) { return std::uniform_int_distribution<int64_t>(lo, hi)(rng); };
  int checked = 0;
  for (int attempt = 0; checked < 120 && attempt < 1000; ++attempt) {
    PoolCase c;
    c.in = {pick(1, 40), pick(1, 40)};
    c.kernel = {3, 3};
    c.strides = {pick(1, 3), pick(1, 2)};
    c.dilations = {1, 1};
    c.pads = {pick(0, 2), pick(0, 2), pick(0, 2), pick(0, 2)};
    c.auto_pad = "NOTSET";
    c.ceil = pick(0, 1) == 1;
    c.max = true;
    const int64_t planes = pick(1, 3);
    const auto x = random_floats(size_t(planes * c.in[0] * c.in[1]), uint32_t(1000 + attempt));
    Shape y_shape;
    std::vector<float> expected;
    if (!naive_pool(c, x, planes, y_shape, expected)) continue;
    const Shape x_shape{1, planes, c.in[0], c.in[1]};
    std::map<std::string, Attribute> attrs{{"kernel_shape", attr_ints(c.kernel)},
                                           {"strides", attr_ints(c.strides)},
                                           {"pads", attr_ints(c.pads)},
                                           {"ceil_mode", attr_int(c.ceil)}};
    SCOPED_TRACE("x " + shape_to_string(x_shape) + " strides " + shape_to_string(c.strides) + " pads " +
                 shape_to_string(c.pads) + (c.ceil ? " ceil" : ""));
    for (const kernels::KernelSet* set : sets) {
      kernels::override_active_kernels(set);
      auto run = run_op(make_node("MaxPool", attrs), {OpInput::runtime(x_shape, x)});
      kernels::override_active_kernels(nullptr);
      SCOPED_TRACE(set == nullptr ? "kernels chosen at load" : "portable kernels");
      ASSERT_TRUE(run.status.is_ok()) << run.status.message();
      ASSERT_EQ(run.outputs[0].shape, y_shape);
      for (size_t i = 0; i < expected.size(); ++i) ASSERT_EQ(run.outputs[0].data[i], expected[i]) << "at " << i;
    }
    ++checked;
  }
  EXPECT_EQ(checked, 120);
}

TEST(Pool, RejectsInvalidAndUnsupported) {
  const auto x = OpInput::runtime({1, 1, 4, 4}, iota_floats(16, 1.0f));
  auto indices = run_op(make_node("MaxPool", {{"kernel_shape", attr_ints({2, 2})}}), {x}, 17, 2);
  EXPECT_EQ(indices.status.code(), StatusCode::kUnsupported);
  EXPECT_NE(indices.status.message().find("Indices"), std::string::npos);
  auto no_kernel = run_op(make_node("AveragePool"), {x});
  EXPECT_NE(no_kernel.status.message().find("kernel_shape is required"), std::string::npos)
      << no_kernel.status.message();
  auto zero_stride = run_op(make_node("MaxPool", {{"kernel_shape", attr_ints({2, 2})}, {"strides", attr_ints({0, 1})}}), {x});
  EXPECT_EQ(zero_stride.status.code(), StatusCode::kInvalidModel);
  auto too_big = run_op(make_node("MaxPool", {{"kernel_shape", attr_ints({5, 5})}}), {x});
  EXPECT_NE(too_big.status.message().find("output would be empty"), std::string::npos) << too_big.status.message();
  auto wrong_rank = run_op(make_node("MaxPool", {{"kernel_shape", attr_ints({2})}}), {x});
  EXPECT_NE(wrong_rank.status.message().find("kernel_shape has 1 values, expected 2"), std::string::npos)
      << wrong_rank.status.message();
  auto rank2 = run_op(make_node("GlobalAveragePool"), {OpInput::runtime({2, 3}, std::vector<float>(6))});
  EXPECT_EQ(rank2.status.code(), StatusCode::kInvalidModel);
  auto huge = run_op(make_node("GlobalMaxPool"), {OpInput::runtime({1 << 20, 1 << 20, 1 << 20}, {})});
  EXPECT_EQ(huge.status.code(), StatusCode::kResourceLimit);
}

}  // namespace
}  // namespace cairn
