// The fast convolution paths against the plain ones: Winograd F(4x4, 3x3) and F(2x2, 3x3) against the naive
// convolution with a tolerance from its error analysis, each ISA's Winograd transforms against the transforms in
// double, bitwise equality of results across thread counts, and the paper's U-Net with
// the fast kernels against CAIRN_KERNELS=reference's paths.
//
// Winograd's error (after Higham's componentwise analysis of bilinear algorithms, as in Barabasz et al. 2020,
// "Error analysis and improving the accuracy of Winograd convolution"): with U = G g G^T rounded once from
// double, V = B^T d B (each 1-D pass rounds at most 4 times: rows of B^T have up to 4 non-zeros, the factors
// 4, 2 are exact and 5 rounds once), the Cin-term dot products of the 36 GEMMs (Cin roundings) and Y = A^T M A
// (rows of A^T have up to 6 non-zeros and exact power-of-two factors: at most 5 roundings per pass), every output
// satisfies, to first order in u = 2^-24,
//   |y_computed - y| <= (Cin + 1 + 8 + 10 + 1) u S,   S = sum_ci |A^T| ( |G||g||G^T| . |B^T||d||B| ) |A|,
// S being the same computation on absolute values. The test allows 2 (Cin + 20) u S (a factor 2 for the
// second-order terms), plus 2 u |y| for the bias, the activation and the oracle's final rounding. F(2x2, 3x3)
// rounds less (rows of B^T have 2 non-zeros, of A^T 3, G's factors 1/2 are exact): the same bound holds, with S
// computed from its matrices.
#include <gtest/gtest.h>

#include <algorithm>
#include <cfloat>
#include <cmath>
#include <cstdlib>
#include <cstring>
#if !defined(__wasi__)
#include <filesystem>
#endif
#include <map>
#include <random>
#include <string>
#include <vector>

#include "cairn/engine.hpp"
#if !defined(__wasi__)
#include "io/npy.hpp"
#endif
#include "kernels/dispatch.hpp"
#include "kernels/ref/gemm_ref.hpp"
#include "op_test_util.hpp"
#include "ops/conv.hpp"
#include "ops/conv_geometry.hpp"
#include "ops/conv_winograd.hpp"
#include "runtime/thread_pool.hpp"

namespace cairn {
namespace {

using namespace cairn::testing;

// Runs one node with `threads` threads (a pool when > 1) and the given kernel set (null: the automatic one).
struct Ran {
  Status status;
  std::vector<float> y;
  Shape shape;
  size_t packed_bytes = 0;
};

Ran run_node(Node node, const std::vector<OpInput>& inputs, int threads,
             const kernels::KernelSet* set = nullptr) {
  Ran result;
  node.inputs.clear();
  for (size_t i = 0; i < inputs.size(); ++i) node.inputs.push_back(int(i));
  node.outputs = {int(inputs.size())};
  node.name = "test";
  std::unique_ptr<Kernel> kernel = KernelRegistry::global().find(node.op_type)();
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
  std::vector<float> scratch(kernel->scratch_floats() + 16);
  ThreadPool pool(threads);
  RunContext run;
  run.inputs = in_refs;
  run.outputs = out_refs;
  run.scratch = scratch.data();
  run.pool = threads > 1 ? &pool : nullptr;
  kernel->run(run);
  return result;
}

Node conv_node(const std::string& op, std::vector<int64_t> pads, FusedActivation activation = {}) {
  Node node;
  node.op_type = op;
  node.attributes["pads"] = attr_ints(std::move(pads));
  node.activation = activation;
  return node;
}

// The matrices of F(m x m, 3x3), alpha = m + 2 (unused entries zero).
struct WinogradMatrices {
  int64_t tile, alpha;
  double bt[6][6], g[6][3], at[4][6];
};
const WinogradMatrices& winograd_matrices(int64_t tile) {
  static const WinogradMatrices f4{4,
                                   6,
                                   {{4, 0, -5, 0, 1, 0},
                                    {0, -4, -4, 1, 1, 0},
                                    {0, 4, -4, -1, 1, 0},
                                    {0, -2, -1, 2, 1, 0},
                                    {0, 2, -1, -2, 1, 0},
                                    {0, 4, 0, -5, 0, 1}},
                                   {{1.0 / 4, 0, 0},
                                    {-1.0 / 6, -1.0 / 6, -1.0 / 6},
                                    {-1.0 / 6, 1.0 / 6, -1.0 / 6},
                                    {1.0 / 24, 1.0 / 12, 1.0 / 6},
                                    {1.0 / 24, -1.0 / 12, 1.0 / 6},
                                    {0, 0, 1}},
                                   {{1, 1, 1, 1, 1, 0}, {0, 1, -1, 2, -2, 0}, {0, 1, 1, 4, 4, 0}, {0, 1, -1, 8, -8, 1}}};
  static const WinogradMatrices f2{2,
                                   4,
                                   {{1, 0, -1, 0}, {0, 1, 1, 0}, {0, -1, 1, 0}, {0, 1, 0, -1}},
                                   {{1, 0, 0}, {0.5, 0.5, 0.5}, {0.5, -0.5, 0.5}, {0, 0, 1}},
                                   {{1, 1, 1, 0}, {0, 1, -1, -1}}};
  return tile == 2 ? f2 : f4;
}

// S of the header for every output (co, oy, ox): the Winograd computation on absolute values, in double. The
// transformed weights |G||g||G^T| are formed once per (co, ci) and the transformed inputs |B^T||d||B| once per
// (ci, tile); their products, summed over ci, are shared by the tile's m x m outputs. Laid out as the output.
std::vector<double> winograd_abs_sums(const WinogradMatrices& wm, const SpatialGeometry& g, int64_t cin, int64_t cout,
                                      const float* x, const float* w) {
  const int64_t m = wm.tile, a = wm.alpha, points = a * a;
  const int64_t oh = g.out[1], ow = g.out[2], tiles_y = (oh + m - 1) / m, tiles_x = (ow + m - 1) / m;
  std::vector<double> u(size_t(cout * cin * points)), v(size_t(cin * tiles_y * tiles_x * points));
  for (int64_t k = 0; k < cout * cin; ++k) {
    const float* kernel = w + k * 9;
    for (int64_t i = 0; i < a; ++i) {
      for (int64_t j = 0; j < a; ++j) {
        double sum = 0;
        for (int p = 0; p < 3; ++p) {
          for (int q = 0; q < 3; ++q) {
            sum += std::fabs(wm.g[i][p]) * std::fabs(kernel[p * 3 + q]) * std::fabs(wm.g[j][q]);
          }
        }
        u[size_t(k * points + i * a + j)] = sum;
      }
    }
  }
  for (int64_t ci = 0; ci < cin; ++ci) {
    for (int64_t t = 0; t < tiles_y * tiles_x; ++t) {
      double d[6][6];
      for (int64_t i = 0; i < a; ++i) {
        for (int64_t j = 0; j < a; ++j) {
          const int64_t iy = (t / tiles_x) * m - g.pad_begin[1] + i, ix = (t % tiles_x) * m - g.pad_begin[2] + j;
          const bool inside = iy >= 0 && iy < g.in[1] && ix >= 0 && ix < g.in[2];
          d[i][j] = inside ? std::fabs(x[(ci * g.in[1] + iy) * g.in[2] + ix]) : 0.0;
        }
      }
      for (int64_t i = 0; i < a; ++i) {
        for (int64_t j = 0; j < a; ++j) {
          double sum = 0;
          for (int64_t p = 0; p < a; ++p) {
            for (int64_t q = 0; q < a; ++q) sum += std::fabs(wm.bt[i][p]) * d[p][q] * std::fabs(wm.bt[j][q]);
          }
          v[size_t((ci * tiles_y * tiles_x + t) * points + i * a + j)] = sum;
        }
      }
    }
  }
  std::vector<double> s(size_t(cout * oh * ow));
  std::vector<double> products(static_cast<size_t>(points));
  for (int64_t co = 0; co < cout; ++co) {
    for (int64_t t = 0; t < tiles_y * tiles_x; ++t) {
      std::fill(products.begin(), products.end(), 0.0);
      for (int64_t ci = 0; ci < cin; ++ci) {
        const double* uc = &u[size_t((co * cin + ci) * points)];
        const double* vc = &v[size_t((ci * tiles_y * tiles_x + t) * points)];
        for (int64_t k = 0; k < points; ++k) products[size_t(k)] += uc[k] * vc[k];
      }
      for (int64_t r = 0; r < m; ++r) {
        for (int64_t c = 0; c < m; ++c) {
          const int64_t oy = (t / tiles_x) * m + r, ox = (t % tiles_x) * m + c;
          if (oy >= oh || ox >= ow) continue;
          double total = 0;
          for (int64_t i = 0; i < a; ++i) {
            for (int64_t j = 0; j < a; ++j) {
              total += std::fabs(wm.at[r][i]) * std::fabs(wm.at[c][j]) * products[size_t(i * a + j)];
            }
          }
          s[size_t((co * oh + oy) * ow + ox)] = total;
        }
      }
    }
  }
  return s;
}

// Even trials have many channels for few pixels (F(2x2): its transformed weights per output pixel are large, see
// WinogradConv::choose_tile), odd ones few channels for more pixels (F(4x4)). The last four (F(4x4)) are wide and
// flat, so that tile rows hold 16 tiles or more: transforms with row variants read those from the rows, or from a
// padded copy of them at the edges (RowTransformsEqualGatherAndScatterToTheBit covers F(2x2)'s).
TEST(Winograd, MatchesNaiveWithinItsErrorBoundOnRandomShapes) {
  if (!kernels::active_kernels().fast_paths) GTEST_SKIP() << "CAIRN_KERNELS=reference";
  std::mt19937 rng(99);
  auto pick = [&](int64_t lo, int64_t hi) { return std::uniform_int_distribution<int64_t>(lo, hi)(rng); };
  int tiles_seen[5] = {};
  for (int trial = 0; trial < 16; ++trial) {
    const bool wide = trial >= 12, many_channels = trial % 2 == 0 && !wide;
    const int64_t cin = many_channels ? pick(40, 70) : pick(8, wide ? 12 : 24);
    const int64_t cout = many_channels ? pick(40, 70) : pick(8, wide ? 12 : 24);
    // At least 18x18 outputs (or as many in wide planes): smaller planes go to the direct convolution
    // (WinogradConv::choose_tile: below 16x16, or 300 outputs with the direct convolution's channel tiles).
    int64_t h = many_channels ? pick(20, 22) : pick(20, 31), w = many_channels ? pick(20, 22) : pick(20, 33);
    if (wide) {
      h = pick(10, 12);
      w = pick(66, 100);
    }
    const int64_t pt = pick(0, 2), pl = pick(0, 2), pb = pick(0, 2), pr = pick(0, 2);
    FusedActivation act;
    if (trial % 3 == 1) act.kind = FusedActivation::Kind::kRelu;
    const Shape xs{1, cin, h, w}, ws{cout, cin, 3, 3};
    const auto x = random_floats(size_t(shape_size(xs)), uint32_t(trial * 3 + 1));
    const auto wt = random_floats(size_t(shape_size(ws)), uint32_t(trial * 3 + 2));
    const auto b = random_floats(size_t(cout), uint32_t(trial * 3 + 3));
    Ran ran = run_node(conv_node("Conv", {pt, pl, pb, pr}, act),
                       {OpInput::runtime(xs, x), OpInput::const_floats(ws, wt), OpInput::const_floats({cout}, b)}, 1);
    ASSERT_TRUE(ran.status.is_ok()) << ran.status.message();
    SpatialGeometry g;
    g.rank = 2;
    g.in = {1, h, w};
    g.kernel = {1, 3, 3};
    g.pad_begin = {0, pt, pl};
    g.pad_end = {0, pb, pr};
    g.out = {1, h + pt + pb - 2, w + pl + pr - 2};
    const kernels::KernelSet& set = kernels::active_kernels();
    const int64_t tile =
        WinogradConv::choose_tile(g, cin, cout, set.direct_conv != nullptr && set.channel_conv[0] != nullptr);
    ASSERT_TRUE(tile == 2 || tile == 4) << "trial " << trial;
    ++tiles_seen[tile];
    // The kernel keeps alpha^2 transformed values per filter: Winograd with that tile was chosen.
    const int64_t mr = kernels::active_kernels().gemm->mr;
    ASSERT_EQ(ran.packed_bytes, size_t((tile + 2) * (tile + 2) * kernels::gemm_round_up(cout, mr) * cin) * sizeof(float));
    const WinogradMatrices& wm = winograd_matrices(tile);
    ASSERT_EQ(ran.shape, (Shape{1, cout, g.out[1], g.out[2]}));
    std::vector<float> expected(ran.y.size());
    conv_direct_naive(g, 1, cin, cout, 1, x.data(), wt.data(), b.data(), act, expected.data(), nullptr);
    const std::vector<double> sums = winograd_abs_sums(wm, g, cin, cout, x.data(), wt.data());
    for (int64_t co = 0; co < cout; ++co) {
      for (int64_t oy = 0; oy < g.out[1]; ++oy) {
        for (int64_t ox = 0; ox < g.out[2]; ++ox) {
          const size_t i = size_t((co * g.out[1] + oy) * g.out[2] + ox);
          const double tol =
              2.0 * double(cin + 20) * std::ldexp(1.0, -24) * sums[i] + 2.0 * FLT_EPSILON * std::fabs(expected[i]);
          ASSERT_NEAR(ran.y[i], expected[i], tol) << "trial " << trial << " F(" << tile << "x" << tile << ") co " << co
                                                  << " at " << oy << "," << ox << " of " << shape_to_string(ran.shape)
                                                  << " pads " << pt << pl << pb << pr;
        }
      }
    }
  }
  EXPECT_GT(tiles_seen[2], 0);
  EXPECT_GT(tiles_seen[4], 0);
}

// Each ISA's transforms of 16 tiles against B^T d B and A^T m A in double. Each 1-D pass of the input transform
// rounds at most 4 times per value (rows of B^T have up to 4 non-zeros; the factors 2 and 4 are exact, 5 rounds
// once) and of the output transform 5 times, so |error| <= 2 * 5 u * (the same on absolute values), with a factor 2
// for the second pass's error on the first's and second-order terms. FMA contraction only removes roundings.
TEST(Winograd, TransformsOfEveryIsaMatchTheTransformInDouble) {
  constexpr int64_t L = kernels::kWinogradLanes;
  const double u = std::ldexp(1.0, -24);
  for (int64_t tile : {4, 2}) {
    const WinogradMatrices& wm = winograd_matrices(tile);
    const int64_t a = wm.alpha, points = a * a;
    for (const kernels::WinogradTransform* t : kernels::supported_winograd_transforms(tile)) {
      ASSERT_EQ(t->tile, tile) << t->name;
      for (uint32_t seed = 1; seed <= 4; ++seed) {
        const auto d = random_floats(size_t(points * L), seed * 7);
        const int64_t v_stride = L * 3 + int64_t(seed);  // any stride
        std::vector<float> v(size_t(points * v_stride), std::nanf(""));
        t->input(d.data(), v.data(), v_stride);
        for (int64_t i = 0; i < a; ++i) {
          for (int64_t j = 0; j < a; ++j) {
            for (int64_t l = 0; l < L; ++l) {
              double exact = 0, magnitude = 0;
              for (int64_t p = 0; p < a; ++p) {
                for (int64_t q = 0; q < a; ++q) {
                  const double term = wm.bt[i][p] * double(d[size_t((p * a + q) * L + l)]) * wm.bt[j][q];
                  exact += term;
                  magnitude += std::fabs(term);
                }
              }
              ASSERT_NEAR(v[size_t((i * a + j) * v_stride + l)], exact, 2 * 5 * u * magnitude)
                  << t->name << " input point " << i << "," << j << " lane " << l;
            }
          }
        }
        const int64_t m_stride = L * 2 + int64_t(seed);
        std::vector<float> m(size_t(points * m_stride), std::nanf(""));
        const auto values = random_floats(size_t(points * L), seed * 7 + 1);
        for (int64_t xi = 0; xi < points; ++xi) {
          for (int64_t l = 0; l < L; ++l) m[size_t(xi * m_stride + l)] = values[size_t(xi * L + l)];
        }
        std::vector<float> y(size_t(tile * tile * L), std::nanf(""));
        t->output(m.data(), m_stride, y.data());
        for (int64_t r = 0; r < tile; ++r) {
          for (int64_t c = 0; c < tile; ++c) {
            for (int64_t l = 0; l < L; ++l) {
              double exact = 0, magnitude = 0;
              for (int64_t i = 0; i < a; ++i) {
                for (int64_t j = 0; j < a; ++j) {
                  const double term = wm.at[r][i] * double(m[size_t((i * a + j) * m_stride + l)]) * wm.at[c][j];
                  exact += term;
                  magnitude += std::fabs(term);
                }
              }
              ASSERT_NEAR(y[size_t((r * tile + c) * L + l)], exact, 2 * 5 * u * magnitude)
                  << t->name << " output " << r << "," << c << " lane " << l;
            }
          }
        }
      }
    }
  }
}

// `rows` (tile rows of row_stride floats, all `sentinel` before the transform wrote them) against scattering what
// output wrote to y (output (r, c) of lane l at y[(r * tile + c) * 16 + l]) to rows[r * row_stride + tile * l + c]:
// equal to the bit, and nothing written past the 16 tiles of each row.
void expect_scattered(const std::vector<float>& y, const std::vector<float>& rows, int64_t tile, int64_t row_stride,
                      float sentinel, const char* name) {
  constexpr int64_t L = kernels::kWinogradLanes;
  for (int64_t r = 0; r < tile; ++r) {
    for (int64_t col = 0; col < row_stride; ++col) {
      const float got = rows[size_t(r * row_stride + col)];
      if (col < tile * L) {
        const float want = y[size_t((r * tile + col % tile) * L + col / tile)];
        ASSERT_EQ(std::memcmp(&got, &want, sizeof(float)), 0) << name << " output row " << r << " col " << col;
      } else {
        ASSERT_EQ(got, sentinel) << name << " wrote past its tiles in row " << r;
      }
    }
  }
}

// The row variants (kernels/winograd_transforms.hpp) against gathering into the transform's layout and input, and
// output and scattering: equal to the bit (a tile must not change with the tiles it shares a call with), and
// output_rows writes its tile * 16 floats of each of its rows and nothing else. The patches end at the last float
// of their rows, as at the right edge of an image.
TEST(Winograd, RowTransformsEqualGatherAndScatterToTheBit) {
  constexpr int64_t L = kernels::kWinogradLanes;
  int with_rows = 0;
  for (int64_t tile : {4, 2}) {
    const int64_t a = tile + 2, points = a * a, width = tile * L + 2;  // 16 patches side by side
    for (const kernels::WinogradTransform* t : kernels::supported_winograd_transforms(tile)) {
      ASSERT_EQ(t->input_rows == nullptr, t->output_rows == nullptr) << t->name;
      if (t->input_rows == nullptr) continue;
      ++with_rows;
      for (uint32_t seed = 1; seed <= 3; ++seed) {
        const int64_t row_stride = width + int64_t(seed) - 1;
        const auto image = random_floats(size_t((a - 1) * row_stride + width), seed * 11);
        const int64_t v_stride = L * 2 + int64_t(seed);
        std::vector<float> from_rows(size_t(points * v_stride), 0.0f), gathered(from_rows.size(), 0.0f);
        t->input_rows(image.data(), row_stride, from_rows.data(), v_stride);
        std::vector<float> d(size_t(points * L));
        for (int64_t i = 0; i < a; ++i) {
          for (int64_t j = 0; j < a; ++j) {
            for (int64_t l = 0; l < L; ++l) {
              d[size_t((i * a + j) * L + l)] = image[size_t(i * row_stride + tile * l + j)];
            }
          }
        }
        t->input(d.data(), gathered.data(), v_stride);
        ASSERT_EQ(std::memcmp(from_rows.data(), gathered.data(), from_rows.size() * sizeof(float)), 0) << t->name;

        const int64_t m_stride = L * 3 + int64_t(seed);
        const auto m = random_floats(size_t(points * m_stride), seed * 11 + 1);
        std::vector<float> y(size_t(tile * tile * L));
        t->output(m.data(), m_stride, y.data());
        const float sentinel = -1234.5f;
        std::vector<float> rows(size_t(tile * row_stride), sentinel);
        t->output_rows(m.data(), m_stride, rows.data(), row_stride);
        ASSERT_NO_FATAL_FAILURE(expect_scattered(y, rows, tile, row_stride, sentinel, t->name));
      }
    }
  }
#if defined(__wasm_simd128__)
  EXPECT_EQ(with_rows, 2) << "the WebAssembly transforms have row variants";
#endif
}

// input_rows_padded against gathering with zero padding and input, for strips that cross each edge of the image
// (rows or columns cut at the beginning or the end, both, none, or everything outside), and scatter_rows against
// scattering what output wrote: equal to the bit, and scatter_rows writes its tile * 16 floats of each row and
// nothing else. The image is a buffer with the strip inside it, so reads outside the bounds would see non-zeros
// (and ASan sees reads outside the buffer).
TEST(Winograd, PaddedRowTransformsEqualGatherAndScatterToTheBit) {
  constexpr int64_t L = kernels::kWinogradLanes;
  int with_padded = 0;
  std::mt19937 rng(77);
  for (int64_t tile : {4, 2}) {
    const int64_t a = tile + 2, points = a * a, width = tile * (L - 1) + a;  // 16 patches side by side
    for (const kernels::WinogradTransform* t : kernels::supported_winograd_transforms(tile)) {
      ASSERT_EQ(t->input_rows_padded == nullptr, t->scatter_rows == nullptr) << t->name;
      if (t->input_rows_padded == nullptr) continue;
      ++with_padded;
      for (int trial = 0; trial < 60; ++trial) {
        // Bounds of the strip inside the image: the first cases are the edges one at a time, then random ones.
        int64_t row_begin = 0, row_end = a, col_begin = 0, col_end = width;
        switch (trial) {
          case 0: break;
          case 1: row_begin = 1; break;
          case 2: row_end = a - 1; break;
          case 3: col_begin = 1; break;
          case 4: col_end = width - 1; break;
          case 5: row_begin = 1; col_begin = 1; col_end = width - 3; break;
          case 6: row_begin = row_end = 2; break;  // no row inside
          case 7: col_begin = col_end = 5; break;  // no column inside
          default:
            row_begin = int64_t(rng() % uint32_t(a + 1));
            row_end = row_begin + int64_t(rng() % uint32_t(a + 1 - row_begin));
            col_begin = int64_t(rng() % uint32_t(width / 2));
            col_end = col_begin + int64_t(rng() % uint32_t(width + 1 - col_begin));
        }
        // The image holds exactly the rows and columns inside the bounds, at stride row_stride; x is where the
        // strip would start (it may lie before the image's first float, as at the image's top-left corner).
        const int64_t row_stride = width + int64_t(trial % 3);
        const int64_t inside_rows = row_end - row_begin, inside_cols = col_end - col_begin;
        const size_t image_floats = inside_rows > 0 && inside_cols > 0
                                        ? size_t((inside_rows - 1) * row_stride + inside_cols) : size_t(1);
        const auto image = random_floats(image_floats, uint32_t(100 + trial));
        const float* x = image.data() - (row_begin * row_stride + col_begin);
        const int64_t v_stride = L * 2 + int64_t(trial % 5);
        std::vector<float> from_rows(size_t(points * v_stride), 0.0f), gathered(from_rows.size(), 0.0f);
        t->input_rows_padded(x, row_stride, row_begin, row_end, col_begin, col_end, from_rows.data(), v_stride);
        std::vector<float> d(size_t(points * L), 0.0f);
        for (int64_t i = row_begin; i < row_end; ++i) {
          for (int64_t j = 0; j < a; ++j) {
            for (int64_t l = 0; l < L; ++l) {
              const int64_t col = tile * l + j;
              if (col >= col_begin && col < col_end) {
                d[size_t((i * a + j) * L + l)] = image[size_t((i - row_begin) * row_stride + col - col_begin)];
              }
            }
          }
        }
        t->input(d.data(), gathered.data(), v_stride);
        ASSERT_EQ(std::memcmp(from_rows.data(), gathered.data(), from_rows.size() * sizeof(float)), 0)
            << t->name << " rows [" << row_begin << ", " << row_end << ") columns [" << col_begin << ", "
            << col_end << ")";
      }
      for (uint32_t seed = 1; seed <= 3; ++seed) {
        const int64_t row_stride = tile * L + int64_t(seed) - 1;
        const auto y = random_floats(size_t(tile * tile * L), seed * 13);
        const float sentinel = -1234.5f;
        std::vector<float> rows(size_t(tile * row_stride), sentinel);
        t->scatter_rows(y.data(), rows.data(), row_stride);
        ASSERT_NO_FATAL_FAILURE(expect_scattered(y, rows, tile, row_stride, sentinel, t->name));
      }
    }
  }
#if defined(__x86_64__)
  // The AVX2 transforms (and the AVX-512 ones where the CPU has them) read padded rows.
  const int expected_padded = (__builtin_cpu_supports("avx2") ? 2 : 0) + (__builtin_cpu_supports("avx512f") ? 2 : 0);
  EXPECT_EQ(with_padded, expected_padded);
#else
  EXPECT_EQ(with_padded, 0) << "only the x86 transforms read padded rows";
#endif
}

// WebAssembly's transforms by hand repeat the scalar ones' operations in the same order (SIMD128 has no fused
// multiply-add): equal to the bit.
#if defined(__wasm_simd128__)
TEST(Winograd, WasmTransformsEqualTheScalarOnesToTheBit) {
  constexpr int64_t L = kernels::kWinogradLanes;
  for (int64_t tile : {4, 2}) {
    const auto list = kernels::supported_winograd_transforms(tile);
    ASSERT_EQ(list.size(), 2u);
    const int64_t points = (tile + 2) * (tile + 2);
    const auto d = random_floats(size_t(points * L), 77, -100.0f, 100.0f);
    std::vector<float> v0(size_t(points * L)), v1(v0.size()), y0(size_t(tile * tile * L)), y1(y0.size());
    list[0]->input(d.data(), v0.data(), L);
    list[1]->input(d.data(), v1.data(), L);
    EXPECT_EQ(std::memcmp(v0.data(), v1.data(), v0.size() * sizeof(float)), 0) << list[1]->name;
    list[0]->output(d.data(), L, y0.data());
    list[1]->output(d.data(), L, y1.data());
    EXPECT_EQ(std::memcmp(y0.data(), y1.data(), y0.size() * sizeof(float)), 0) << list[1]->name;
  }
}
#endif

TEST(Threads, ConvAndConvTransposeAreBitwiseIdenticalFor1To3Threads) {
  struct Case {
    std::string op;
    Shape x, w;
    std::vector<int64_t> pads;
    std::map<std::string, Attribute> extra;
  };
  const std::vector<Case> cases = {
      {"Conv", {2, 19, 37, 29}, {21, 19, 3, 3}, {1, 1, 1, 1}, {}},             // Winograd
      {"Conv", {1, 9, 12, 75}, {12, 9, 3, 3}, {1, 1, 1, 1}, {}},               // Winograd, 19 tiles a row
      {"Conv", {1, 5, 41, 23}, {13, 5, 3, 3}, {1, 0, 2, 1}, {}},               // row buffer
      {"Conv", {1, 24, 17, 19}, {11, 24, 1, 1}, {0, 0, 0, 0}, {}},             // 1x1
      {"Conv", {1, 6, 20, 20}, {6, 2, 3, 3}, {1, 1, 1, 1}, {{"group", attr_int(3)}}},
      {"ConvTranspose", {1, 16, 13, 11}, {16, 9, 2, 2}, {0, 0, 0, 0}, {{"strides", attr_ints({2, 2})}}},
      {"ConvTranspose", {1, 7, 9, 8}, {7, 13, 3, 3}, {1, 1, 1, 1}, {{"strides", attr_ints({2, 2})}}},
  };
  uint32_t seed = 5;
  for (const Case& c : cases) {
    Node node = conv_node(c.op, c.pads, FusedActivation{FusedActivation::Kind::kRelu});
    for (const auto& [k, v] : c.extra) node.attributes[k] = v;
    const int64_t bias_size = c.op == "Conv" ? c.w[0] : c.w[1] * (c.extra.count("group") ? c.extra.at("group").i : 1);
    std::vector<OpInput> inputs{OpInput::runtime(c.x, random_floats(size_t(shape_size(c.x)), seed++)),
                                OpInput::const_floats(c.w, random_floats(size_t(shape_size(c.w)), seed++)),
                                OpInput::const_floats({bias_size}, random_floats(size_t(bias_size), seed++))};
    Ran one = run_node(node, inputs, 1);
    ASSERT_TRUE(one.status.is_ok()) << one.status.message();
    for (int threads : {2, 3}) {
      Ran many = run_node(node, inputs, threads);
      ASSERT_TRUE(many.status.is_ok());
      ASSERT_EQ(one.y.size(), many.y.size());
      for (size_t i = 0; i < one.y.size(); ++i) {
        ASSERT_EQ(std::memcmp(&one.y[i], &many.y[i], sizeof(float)), 0)
            << c.op << " " << shape_to_string(c.x) << " with " << threads << " threads differs at " << i;
      }
    }
  }
}

// The paper's U-Net at 512x512 with the fast kernels and with the reference ones: the thresholded masks agree on
// at least 99.9 % of the pixels. Needs the zoo (tests/models/run.sh exports it to build/zoo): ctest runs it as
// fast_kernels_paper_unet_mask after whole_models; without the files it fails.
// Not in the WebAssembly kernel tests (no files there: web/test/zoo.test.ts runs the zoo on those builds).
#if !defined(__wasi__)
TEST(FastKernels, PaperUnetMaskAgreesWithReference) {
  const char* env = std::getenv("CAIRN_ZOO_DIR");
  const std::filesystem::path zoo = env != nullptr ? std::filesystem::path(env)
                                                   : std::filesystem::path(__FILE__).parent_path().parent_path()
                                                             .parent_path() / "build" / "zoo";
  const auto model_path = zoo / "unet_paper.onnx";
  const auto input_path = zoo / "unet_paper_512.input.npy";
  if (!std::filesystem::exists(model_path) || !std::filesystem::exists(input_path)) {
    FAIL() << "no " << model_path << " or its 512x512 input (run tests/models/run.sh)";
  }
  auto input = npy::read_file(input_path.string(), int64_t{1} << 24);
  ASSERT_TRUE(input.is_ok()) << input.status().message();
  std::vector<std::vector<float>> outputs;
  for (const kernels::KernelSet* set : {&kernels::reference_kernels(), (const kernels::KernelSet*)nullptr}) {
    EngineOptions options;
    options.threads = 2;
    auto model = Model::load_file(model_path.string(), options);
    ASSERT_TRUE(model.is_ok()) << model.status().message();
    kernels::override_active_kernels(set);
    auto summary = (*model)->prepare({{"input", input->shape}});
    kernels::override_active_kernels(nullptr);
    ASSERT_TRUE(summary.is_ok()) << summary.status().message();
    std::vector<InputView> views{{"input", input->shape, input->data.data()}};
    auto out = (*model)->run(views);
    ASSERT_TRUE(out.is_ok()) << out.status().message();
    outputs.push_back((*out)[0].data);
  }
  ASSERT_EQ(outputs[0].size(), outputs[1].size());
  size_t agree = 0;
  double max_diff = 0;
  for (size_t i = 0; i < outputs[0].size(); ++i) {
    agree += (outputs[0][i] > 0.5f) == (outputs[1][i] > 0.5f) ? 1 : 0;
    max_diff = std::max(max_diff, double(std::fabs(outputs[0][i] - outputs[1][i])));
  }
  const double fraction = double(agree) / double(outputs[0].size());
  std::printf("[ mask ] fast vs reference: %.5f%% of pixels agree, max |diff| of the sigmoid %.3g\n",
              100.0 * fraction, max_diff);
  EXPECT_GE(fraction, 0.999);
}
#endif  // !defined(__wasi__)

}  // namespace
}  // namespace cairn
