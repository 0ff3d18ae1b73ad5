// The direct convolutions (ops/conv_direct.hpp) against the naive convolution: the depthwise kernel and the
// row-buffer convolution of every ISA this CPU runs, on random shapes (1-D, 2-D and 3-D, odd sizes, column tails
// of the micro-tile, output-channel tails of its rows, strides, asymmetric pads, dilations, groups, channel
// multipliers, fused activations), and bitwise equality of results across thread counts.
//
// Error: each output is a float sum of its K products (K = input channels per group x kernel volume), taken in a
// fixed order, each product rounded or fused into its addition, then the bias added. Recursive summation of K
// terms, each carrying one rounding of its own, is within (K + 1) u S of the exact sum, S = sum |w x| (Higham,
// Accuracy and Stability of Numerical Algorithms, 3.1), and the bias adds one rounding of the result, u |y|. The
// activations here (none, Relu, LeakyRelu, Clip) are 1-Lipschitz and exact on float inputs, and the oracle rounds
// its double result once. The test allows 2 (K + 2) u S + 2 u |y| (a factor 2 for the second-order terms). One
// trial in ten takes Sigmoid instead, which the kernels leave to the operator after their epilogue: it is
// 1/4-Lipschitz, and its float evaluation (an exp, an add and a divide, on either side) adds a few roundings of
// values below 1, allowed as 8 u more.
#include <gtest/gtest.h>

#include <cfloat>
#include <cmath>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "kernels/dispatch.hpp"
#include "op_test_util.hpp"
#include "ops/conv.hpp"
#include "ops/conv_direct.hpp"
#include "ops/conv_geometry.hpp"
#include "runtime/thread_pool.hpp"

namespace cairn {
namespace {

using namespace cairn::testing;

struct Ran {
  Status status;
  std::vector<float> y;
  Shape shape;
  size_t packed_bytes = 0;
};

// Runs one Conv node on `threads` threads with kernel set `set` (null: the automatic one).
Ran run_conv(const Node& base, const std::vector<OpInput>& inputs, int threads, const kernels::KernelSet* set) {
  Ran result;
  Node node = base;
  node.op_type = "Conv";
  node.inputs.clear();
  for (size_t i = 0; i < inputs.size(); ++i) node.inputs.push_back(int(i));
  node.outputs = {int(inputs.size())};
  node.name = "test";
  std::unique_ptr<Kernel> kernel = KernelRegistry::global().find("Conv")();
  PrepareContext ctx{node, 17, {}};
  ctx.threads = threads;
  for (const auto& in : inputs) ctx.inputs.push_back({true, DataType::kFloat, in.shape, in.constant.get()});
  std::vector<Shape> shapes(1);
  kernels::override_active_kernels(set);
  result.status = kernel->prepare(ctx, shapes);
  kernels::override_active_kernels(nullptr);
  if (!result.status.is_ok()) return result;
  result.packed_bytes = kernel->packed_bytes();
  result.shape = shapes[0];
  result.y.assign(size_t(shape_size(shapes[0])), std::nanf(""));
  std::vector<TensorRef> in_refs;
  for (const auto& in : inputs) in_refs.push_back({in.data.data(), &in.shape});
  std::vector<MutableTensorRef> out_refs{{result.y.data(), &result.shape}};
  // NaN-filled scratch: a kernel that reads workspace it did not write shows up in the results.
  std::vector<float> scratch(kernel->scratch_floats() + 16, std::nanf(""));
  ThreadPool pool(threads);
  RunContext run;
  run.inputs = in_refs;
  run.outputs = out_refs;
  run.scratch = scratch.data();
  run.pool = threads > 1 ? &pool : nullptr;
  kernel->run(run);
  return result;
}

// One random convolution layer: shapes, attributes, data.
struct Layer {
  int rank = 2;
  int64_t batch = 1, cin = 1, cout = 1, group = 1;
  std::vector<int64_t> in, kernel, strides, dilations, pads;  // pads: begins then ends
  FusedActivation activation;
  Shape x_shape, w_shape;
  std::vector<float> x, w, b;
  SpatialGeometry g;

  Node node() const {
    Node n;
    n.attributes["pads"] = attr_ints(pads);
    n.attributes["strides"] = attr_ints(strides);
    n.attributes["dilations"] = attr_ints(dilations);
    n.attributes["group"] = attr_int(group);
    n.activation = activation;
    return n;
  }
  std::vector<OpInput> inputs() const {
    return {OpInput::runtime(x_shape, x), OpInput::const_floats(w_shape, w), OpInput::const_floats({cout}, b)};
  }
};

Layer random_layer(std::mt19937& rng, int rank, int64_t cin, int64_t cout, int64_t group, uint32_t seed) {
  auto pick = [&](int64_t lo, int64_t hi) { return std::uniform_int_distribution<int64_t>(lo, hi)(rng); };
  Layer l;
  l.rank = rank;
  l.batch = pick(1, 2);
  l.cin = cin;
  l.cout = cout;
  l.group = group;
  l.x_shape = {l.batch, cin};
  l.w_shape = {cout, cin / group};
  l.pads.assign(size_t(2 * rank), 0);
  for (int a = 0; a < rank; ++a) {
    // The width (last axis) gets the widest range: it is the axis the kernels vectorize over.
    const bool width = a == rank - 1;
    const int64_t k = width ? pick(1, 7) : pick(1, 3);
    const int64_t d = pick(1, 4) == 4 ? 2 : 1;
    const int64_t s = pick(1, 3) == 3 ? pick(2, 3) : 1;
    const int64_t pb = pick(0, std::min<int64_t>(3, k - 1)), pe = pick(0, std::min<int64_t>(3, k - 1));
    const int64_t reach = (k - 1) * d + 1;
    const int64_t n = std::max<int64_t>(reach - pb - pe, 1) + (width ? pick(0, 60) : pick(0, 9));
    l.in.push_back(n);
    l.kernel.push_back(k);
    l.strides.push_back(s);
    l.dilations.push_back(d);
    l.pads[size_t(a)] = pb;
    l.pads[size_t(rank + a)] = pe;
    l.x_shape.push_back(n);
    l.w_shape.push_back(k);
  }
  const int kinds = pick(0, 3);
  l.activation.kind = kinds == 0   ? FusedActivation::Kind::kNone
                      : kinds == 1 ? FusedActivation::Kind::kRelu
                      : kinds == 2 ? FusedActivation::Kind::kLeakyRelu
                                   : FusedActivation::Kind::kClip;
  l.activation.alpha = l.activation.kind == FusedActivation::Kind::kClip ? -0.5f : 0.1f;
  l.activation.beta = 0.5f;
  l.x = random_floats(size_t(shape_size(l.x_shape)), seed * 3 + 1);
  l.w = random_floats(size_t(shape_size(l.w_shape)), seed * 3 + 2);
  l.b = random_floats(size_t(cout), seed * 3 + 3);
  // The geometry in canonical 3-D form, as forward_geometry computes it.
  const int offset = 3 - rank;
  for (int a = 0; a < rank; ++a) {
    const size_t c = size_t(offset + a);
    l.g.in[c] = l.in[size_t(a)];
    l.g.kernel[c] = l.kernel[size_t(a)];
    l.g.stride[c] = l.strides[size_t(a)];
    l.g.dilation[c] = l.dilations[size_t(a)];
    l.g.pad_begin[c] = l.pads[size_t(a)];
    l.g.pad_end[c] = l.pads[size_t(rank + a)];
    l.g.out[c] = (l.g.in[c] + l.g.pad_begin[c] + l.g.pad_end[c] - ((l.g.kernel[c] - 1) * l.g.dilation[c] + 1)) /
                     l.g.stride[c] + 1;
  }
  l.g.rank = rank;
  return l;
}

// Checks `ran` against the naive convolution within the bound of the header.
void expect_matches_naive(const Layer& l, const Ran& ran, const std::string& what) {
  ASSERT_TRUE(ran.status.is_ok()) << what << ": " << ran.status.message();
  const size_t n = ran.y.size();
  std::vector<float> expected(n);
  std::vector<double> abs_sum(n);
  conv_direct_naive(l.g, l.batch, l.cin, l.cout, l.group, l.x.data(), l.w.data(), l.b.data(), l.activation,
                    expected.data(), abs_sum.data());
  const double k = double(l.cin / l.group * l.g.kernel_size());
  const double u = std::ldexp(1.0, -24);
  const double sigmoid = l.activation.kind == FusedActivation::Kind::kSigmoid ? 8.0 * u : 0.0;
  for (size_t i = 0; i < n; ++i) {
    const double tol = 2.0 * (k + 2.0) * u * abs_sum[i] + 2.0 * u * std::fabs(double(expected[i])) + sigmoid;
    ASSERT_NEAR(ran.y[i], expected[i], tol) << what << " at " << i << " of " << shape_to_string(ran.shape);
  }
}

std::string describe(const Layer& l) {
  std::string s = "x " + shape_to_string(l.x_shape) + " w " + shape_to_string(l.w_shape) + " group " +
                  std::to_string(l.group) + " strides";
  for (int64_t v : l.strides) s += " " + std::to_string(v);
  s += " dilations";
  for (int64_t v : l.dilations) s += " " + std::to_string(v);
  s += " pads";
  for (int64_t v : l.pads) s += " " + std::to_string(v);
  return s;
}

TEST(DepthwiseConv, EveryIsaMatchesNaiveOnRandomShapes) {
  if (!kernels::active_kernels().fast_paths) GTEST_SKIP() << "CAIRN_KERNELS=reference";
  for (const kernels::DepthwiseKernel& dw : kernels::supported_depthwise_kernels()) {
    kernels::KernelSet set = kernels::active_kernels();
    set.depthwise = dw.fn;
    std::mt19937 rng(7);
    for (int trial = 0; trial < 40; ++trial) {
      const int rank = trial % 8 == 7 ? 3 : (trial % 8 == 6 ? 1 : 2);
      const int64_t channels = std::uniform_int_distribution<int64_t>(2, 9)(rng);
      const int64_t multiplier = trial % 4 == 3 ? 2 : 1;
      Layer l = random_layer(rng, rank, channels, channels * multiplier, channels, uint32_t(trial));
      if (trial % 10 == 9) l.activation.kind = FusedActivation::Kind::kSigmoid;
      const Ran ran = run_conv(l.node(), l.inputs(), 1, &set);
      // The depthwise path keeps no packed weights (im2col + GEMM would).
      EXPECT_EQ(ran.packed_bytes, 0u) << describe(l);
      expect_matches_naive(l, ran, std::string(dw.name) + " trial " + std::to_string(trial) + ": " + describe(l));
    }
  }
}

// MobileNet's 3x3 depthwise layers, which the AVX-512 kernel takes by hand (kernels/x86/direct_conv__avx512f.cpp):
// stride 1 or 2 on both axes, pads 0-2 on each side (asymmetric, past the kernel's reach included, so that whole
// output rows or columns see no input), widths 1-70 (one vector, several, tails), heights 1-20, every ISA.
TEST(DepthwiseConv, ThreeByThreeMatchesNaiveOnRandomShapes) {
  if (!kernels::active_kernels().fast_paths) GTEST_SKIP() << "CAIRN_KERNELS=reference";
  for (const kernels::DepthwiseKernel& dw : kernels::supported_depthwise_kernels()) {
    kernels::KernelSet set = kernels::active_kernels();
    set.depthwise = dw.fn;
    std::mt19937 rng(19);
    auto pick = [&](int64_t lo, int64_t hi) { return std::uniform_int_distribution<int64_t>(lo, hi)(rng); };
    for (int trial = 0; trial < 60; ++trial) {
      // The first 8: stride 1 with one pixel of padding all round ("same", MobileNet's stride-1 layers); the next
      // 8: stride 2 with one row of padding on top (its stride-2 layers).
      const bool same = trial < 8, down = trial >= 8 && trial < 16;
      const int64_t channels = pick(2, 5), multiplier = trial % 5 == 4 ? 2 : 1, s = same ? 1 : (down ? 2 : pick(1, 2));
      Layer l = random_layer(rng, 2, channels, channels * multiplier, channels, uint32_t(500 + trial));
      l.kernel = {3, 3};
      l.w_shape = {l.cout, 1, 3, 3};
      l.w = random_floats(size_t(l.cout * 9), uint32_t(700 + trial));
      l.strides = {s, s};
      l.dilations = {1, 1};
      l.pads = same ? std::vector<int64_t>{1, 1, 1, 1} : std::vector<int64_t>{pick(0, 2), pick(0, 2), pick(0, 2), pick(0, 2)};
      if (down) l.pads[0] = 1;
      l.in = {pick(1, 20), pick(1, 70)};
      for (int a = 0; a < 2; ++a) l.in[size_t(a)] = std::max<int64_t>(l.in[size_t(a)], 3 - l.pads[size_t(a)] - l.pads[size_t(2 + a)]);
      l.x_shape = {l.batch, l.cin, l.in[0], l.in[1]};
      l.x = random_floats(size_t(shape_size(l.x_shape)), uint32_t(900 + trial));
      for (int a = 0; a < 2; ++a) {
        const size_t c = size_t(1 + a);
        l.g.in[c] = l.in[size_t(a)];
        l.g.kernel[c] = 3;
        l.g.stride[c] = s;
        l.g.dilation[c] = 1;
        l.g.pad_begin[c] = l.pads[size_t(a)];
        l.g.pad_end[c] = l.pads[size_t(2 + a)];
        l.g.out[c] = (l.g.in[c] + l.g.pad_begin[c] + l.g.pad_end[c] - 3) / s + 1;
      }
      const Ran ran = run_conv(l.node(), l.inputs(), 1, &set);
      EXPECT_EQ(ran.packed_bytes, 0u) << describe(l);
      expect_matches_naive(l, ran, std::string(dw.name) + " trial " + std::to_string(trial) + ": " + describe(l));
    }
  }
}

TEST(RowBufferConv, EveryIsaMatchesNaiveOnRandomShapes) {
  if (!kernels::active_kernels().fast_paths) GTEST_SKIP() << "CAIRN_KERNELS=reference";
  for (const kernels::DirectConvMicrokernel* uk : kernels::supported_direct_conv_microkernels()) {
    kernels::KernelSet set = kernels::active_kernels();
    set.direct_conv = uk;
    for (const kernels::ChannelConvMicrokernel*& c : set.channel_conv) c = nullptr;  // channel tiles: below
    std::mt19937 rng(11);
    for (int trial = 0; trial < 40; ++trial) {
      auto pick = [&](int64_t lo, int64_t hi) { return std::uniform_int_distribution<int64_t>(lo, hi)(rng); };
      const int rank = trial % 5 == 4 ? 3 : (trial % 5 == 3 ? 1 : 2);
      // First layers (1 and 3 channels), grouped layers and a few wider ones; output channels around the tile.
      const int64_t group = trial % 6 == 5 ? pick(2, 3) : 1;
      const int64_t cin_g = trial % 3 == 0 ? 1 : (trial % 3 == 1 ? 3 : pick(2, 12));
      const int64_t cout_g = pick(1, 2 * uk->mr + 3);
      Layer l = random_layer(rng, rank, cin_g * group, cout_g * group, group, uint32_t(100 + trial));
      if (trial % 10 == 9) l.activation.kind = FusedActivation::Kind::kSigmoid;
      if (l.g.kernel_size() == 1 && l.g.stride[2] == 1) {
        // 1x1 stride-1 layers skip im2col and stay on the GEMM: give this one a stride.
        l.strides.back() = 2;
        l.g.stride[2] = 2;
        l.g.out[2] = (l.g.in[2] + l.g.pad_begin[2] + l.g.pad_end[2] - 1) / 2 + 1;
      }
      const std::string what = std::string(uk->name) + " trial " + std::to_string(trial) + ": " + describe(l);
      const Ran ran = run_conv(l.node(), l.inputs(), 1, &set);
      // The row-buffer path packs group x ceil(cout_g / mr) x K x mr weights: it was the one chosen.
      const int64_t k = cin_g * l.g.kernel_size();
      EXPECT_EQ(ran.packed_bytes, size_t(group * ((cout_g + uk->mr - 1) / uk->mr) * k * uk->mr) * sizeof(float))
          << what;
      expect_matches_naive(l, ran, what);
    }
  }
}

// The row-buffer convolution with each channel-vectorized tile forced, on random shapes: output channels around
// the tile's mc (tails of it), pixel counts that are not multiples of np (the last tile repeats a pixel), strides,
// dilations, groups, 1-D to 3-D; and the choice between row and channel tiles on the layers of a small ResNet.
TEST(RowBufferConv, ChannelTilesMatchNaiveOnRandomShapes) {
  if (!kernels::active_kernels().fast_paths) GTEST_SKIP() << "CAIRN_KERNELS=reference";
  const kernels::KernelSet& active = kernels::active_kernels();
  ASSERT_NE(active.direct_conv, nullptr);
  for (const kernels::ChannelConvMicrokernel* ck : kernels::supported_channel_conv_microkernels()) {
    std::mt19937 rng(23);
    for (int trial = 0; trial < 40; ++trial) {
      auto pick = [&](int64_t lo, int64_t hi) { return std::uniform_int_distribution<int64_t>(lo, hi)(rng); };
      const int rank = trial % 5 == 4 ? 3 : (trial % 5 == 3 ? 1 : 2);
      const int64_t group = trial % 6 == 5 ? pick(2, 3) : 1;
      const int64_t cin_g = trial % 3 == 0 ? 1 : (trial % 3 == 1 ? 3 : pick(2, 12));
      const int64_t cout_g = pick(1, 2 * ck->mc + 3);
      Layer l = random_layer(rng, rank, cin_g * group, cout_g * group, group, uint32_t(300 + trial));
      if (trial % 10 == 9) l.activation.kind = FusedActivation::Kind::kSigmoid;
      const std::string what = std::string(ck->name) + " trial " + std::to_string(trial) + ": " + describe(l);
      if (!RowBufferConv::supports(l.g, l.cin, l.group, *active.direct_conv)) continue;
      const int threads = 1 + trial % 2;
      const RowBufferConv conv(l.g, l.batch, l.cin, l.cout, l.group, l.w.data(), *active.direct_conv, threads, ck);
      EXPECT_EQ(conv.packed_bytes(),
                size_t(group * ((cout_g + ck->mc - 1) / ck->mc) * cin_g * l.g.kernel_size() * ck->mc) * sizeof(float))
          << what;
      Ran ran;
      ran.shape = {l.batch, l.cout};
      for (int64_t d : l.g.out_dims()) ran.shape.push_back(d);
      ran.y.assign(size_t(shape_size(ran.shape)), std::nanf(""));
      std::vector<float> scratch(conv.scratch_floats() + 16, std::nanf(""));
      ThreadPool pool(threads);
      RunContext ctx;
      ctx.scratch = scratch.data();
      ctx.pool = threads > 1 ? &pool : nullptr;
      conv.run(ctx, l.x.data(), ran.y.data(), l.b.data(), l.activation);
      expect_matches_naive(l, ran, what);
    }
  }
  // The layers of tests/models' ResNet (2 x 3 x 67 x 61 input): a channel tile where rows are short or padded.
  const kernels::ChannelConvMicrokernel* tiles[2] = {kernels::supported_channel_conv_microkernels()[0], nullptr};
  SpatialGeometry small;  // 48 -> 48 channels, 3x3 on 9x8: 10-column rows, a 75% used row tile
  small.rank = 2;
  small.in = {1, 9, 8};
  small.out = {1, 9, 8};
  small.kernel = {1, 3, 3};
  small.pad_begin = small.pad_end = {0, 1, 1};
  EXPECT_EQ(RowBufferConv::choose_channel_tile(small, 48, 48, 1, *active.direct_conv, tiles, 2), tiles[0]);
  SpatialGeometry wide = small;  // 8 -> 8 channels on 4 x 200 outputs: the row tile wastes 2%, the channel tile nothing
  wide.in = wide.out = {1, 4, 200};
  const kernels::DirectConvMicrokernel row_tile{"row", 8, 8, nullptr};
  EXPECT_EQ(RowBufferConv::choose_channel_tile(wide, 8, 8, 1, row_tile, tiles, 2), tiles[0]);
  const kernels::ChannelConvMicrokernel* none[2] = {nullptr, nullptr};
  EXPECT_EQ(RowBufferConv::choose_channel_tile(small, 48, 48, 1, *active.direct_conv, none, 2), nullptr);
  // 4 output channels on 14-pixel rows: the 8-channel tile wastes half, a 4 x 16 row tile an eighth.
  SpatialGeometry exact = small;
  exact.in = exact.out = {1, 64, 14};
  exact.kernel = {1, 1, 3};
  exact.pad_begin = exact.pad_end = {0, 0, 1};
  const kernels::DirectConvMicrokernel row_4x16{"row", 4, 16, nullptr};
  EXPECT_EQ(RowBufferConv::choose_channel_tile(exact, 4, 4, 1, row_4x16, tiles, 2), nullptr);
}

TEST(DirectConv, BitwiseIdenticalFor1To3Threads) {
  if (!kernels::active_kernels().fast_paths) GTEST_SKIP() << "CAIRN_KERNELS=reference";
  struct Case {
    Shape x, w;
    std::vector<int64_t> strides, pads;
    int64_t group;
  };
  // Each above the size below which the calling thread works alone (parallel_units).
  const std::vector<Case> cases = {
      {{2, 48, 41, 37}, {48, 1, 3, 3}, {1, 1}, {1, 1, 1, 1}, 48},          // depthwise
      {{1, 32, 45, 39}, {64, 1, 3, 3}, {2, 2}, {1, 0, 1, 1}, 32},          // depthwise, multiplier 2, stride 2
      {{2, 3, 67, 61}, {24, 3, 7, 7}, {2, 2}, {3, 3, 3, 3}, 1},            // a 3-channel stem
      {{1, 1, 75, 93}, {16, 1, 3, 3}, {1, 1}, {1, 1, 1, 1}, 1},            // a 1-channel first layer
      {{1, 16, 12, 20, 28}, {8, 16, 3, 3, 3}, {1, 1, 1}, {1, 1, 1, 1, 1, 1}, 1},  // 3-D
      {{2, 48, 9, 8}, {48, 48, 3, 3}, {1, 1}, {1, 1, 1, 1}, 1},            // a small map (no Winograd)
  };
  uint32_t seed = 17;
  for (const Case& c : cases) {
    Node node;
    node.attributes["pads"] = attr_ints(c.pads);
    node.attributes["strides"] = attr_ints(c.strides);
    node.attributes["group"] = attr_int(c.group);
    node.activation.kind = FusedActivation::Kind::kRelu;
    const std::vector<OpInput> inputs{OpInput::runtime(c.x, random_floats(size_t(shape_size(c.x)), seed++)),
                                      OpInput::const_floats(c.w, random_floats(size_t(shape_size(c.w)), seed++)),
                                      OpInput::const_floats({c.w[0]}, random_floats(size_t(c.w[0]), seed++))};
    const Ran one = run_conv(node, inputs, 1, nullptr);
    ASSERT_TRUE(one.status.is_ok()) << one.status.message();
    for (int threads : {2, 3}) {
      const Ran many = run_conv(node, inputs, threads, nullptr);
      ASSERT_TRUE(many.status.is_ok());
      ASSERT_EQ(one.y.size(), many.y.size());
      ASSERT_EQ(std::memcmp(one.y.data(), many.y.data(), one.y.size() * sizeof(float)), 0)
          << shape_to_string(c.x) << " * " << shape_to_string(c.w) << " differs with " << threads << " threads";
    }
  }
}

}  // namespace
}  // namespace cairn
