// Every GEMM micro-kernel this CPU can run (kernels/dispatch), through the packed loop nest and the strided one,
// against a double-precision product on random sizes: tails of MR and NR, one and several KC slabs, k = 1.
//
// Tolerance (XNNPACK's habit, from the arithmetic): a float dot product of K terms in any order satisfies
// |fl(sum) - sum| <= gamma_K * sum |a_i b_i|, gamma_K = K u / (1 - K u), u = 2^-24: with separate multiplies and
// adds, each term carries the rounding of its product and of its addition (K roundings along any term's path);
// with fused multiply-adds only the addition's. So the bound holds for both, and for WebAssembly's relaxed madd,
// which the engine may fuse or not. Accumulating into C adds one term and one rounding. We allow
// 2 K FLT_EPSILON * sum |a b| + 2 FLT_EPSILON |c|, a factor 4 over gamma_K (K u << 1).
//
// Beyond the bound, every kernel must compute each element as one sequential chain over k, either all fused or
// all separately rounded (OneRoundingChainPerElement): that is what makes results independent of tiling and of
// the thread count, and it pins down which rounding each ISA (and each WebAssembly engine) uses.
#include <gtest/gtest.h>

#include <algorithm>
#include <cfloat>
#include <cmath>
#include <cstdio>
#include <random>
#include <string>
#include <vector>

#include "kernels/dispatch.hpp"
#include "kernels/ref/gemm_ref.hpp"

namespace cairn::kernels {
namespace {

std::vector<float> random_floats(size_t n, std::mt19937& rng) {
  std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
  std::vector<float> v(n);
  for (float& x : v) x = dist(rng);
  return v;
}

void expect_product(int64_t m, int64_t n, int64_t k, const std::vector<float>& a, const std::vector<float>& b,
                    const std::vector<float>& c, int64_t ldc, float initial, const std::string& what) {
  for (int64_t i = 0; i < m; ++i) {
    for (int64_t j = 0; j < n; ++j) {
      double sum = initial, magnitude = std::fabs(initial);
      for (int64_t p = 0; p < k; ++p) {
        const double prod = double(a[size_t(i * k + p)]) * double(b[size_t(p * n + j)]);
        sum += prod;
        magnitude += std::fabs(prod);
      }
      const double tol = 2.0 * double(k + 1) * FLT_EPSILON * magnitude + 2.0 * FLT_EPSILON * std::fabs(sum);
      ASSERT_NEAR(c[size_t(i * ldc + j)], sum, tol) << what << " " << m << "x" << n << "x" << k << " at " << i
                                                   << "," << j;
    }
  }
}

TEST(GemmMicrokernels, ScalarAndTheCpusIsaKernelsAreListed) {
  const auto list = supported_gemm_microkernels();
  ASSERT_FALSE(list.empty());
  EXPECT_STREQ(list[0]->name, "gemm_f32_4x16__scalar");
  for (const GemmMicrokernel* uk : list) {
    EXPECT_LE(uk->mr, kGemmMaxMR) << uk->name;
    // Whole panels (at most two: gemm_tile's edge buffer), or a part of one panel that tiles it.
    EXPECT_TRUE(uk->nr % kGemmPanelWidth == 0 || kGemmPanelWidth % uk->nr == 0) << uk->name;
    EXPECT_LE(uk->nr, 2 * kGemmPanelWidth) << uk->name;
  }
  EXPECT_NE(active_kernels().gemm, nullptr);
  EXPECT_FALSE(reference_kernels().fast_paths);
}

// Targets without run-time detection list the kernels of their build and use the last (the best).
// Builds whose kernel set is fixed at compile time (WebAssembly by its target features, AArch64 by NEON) list exactly
// their kernels and pick the last; x86-64 chooses by CPU detection instead (ScalarAndTheCpusIsaKernelsAreListed).
#if defined(__wasm_simd128__) || defined(__aarch64__)
TEST(GemmMicrokernels, TheBuildTargetsKernelsAreListedAndActive) {
#if defined(__wasm_relaxed_simd__)
  const std::vector<std::string> expected{"gemm_f32_4x16__scalar", "gemm_f32_5x8__wasmsimd",
                                          "gemm_f32_6x8__wasmrelaxedsimd"};
#elif defined(__wasm_simd128__)
  const std::vector<std::string> expected{"gemm_f32_4x16__scalar", "gemm_f32_5x8__wasmsimd"};
#else
  const std::vector<std::string> expected{"gemm_f32_4x16__scalar", "gemm_f32_6x16__aarch64_neonfma"};
#endif
  std::vector<std::string> names;
  for (const GemmMicrokernel* uk : supported_gemm_microkernels()) names.push_back(uk->name);
  EXPECT_EQ(names, expected);
  EXPECT_EQ(active_kernels().gemm->name, expected.back());
}
#endif

TEST(GemmMicrokernels, PackedProductMatchesDoubleOnRandomSizes) {
  std::mt19937 rng(11);
  auto pick = [&](int64_t lo, int64_t hi) { return std::uniform_int_distribution<int64_t>(lo, hi)(rng); };
  for (const GemmMicrokernel* uk : supported_gemm_microkernels()) {
    for (int trial = 0; trial < 60; ++trial) {
      const int64_t m = trial < 4 ? uk->mr * (trial + 1) : pick(1, 3 * uk->mr + 5);
      const int64_t n = trial < 4 ? uk->nr * (trial + 1) : pick(1, 3 * uk->nr + 7);
      const int64_t k = trial % 7 == 0 ? pick(kGemmKC + 1, 2 * kGemmKC + 9) : pick(1, 40);
      const bool accumulate = trial % 3 == 0;
      auto a = random_floats(size_t(m * k), rng);
      auto b = random_floats(size_t(k * n), rng);
      std::vector<float> packed_a(size_t(gemm_packed_a_floats(uk->mr, m, k)));
      std::vector<float> packed_b(size_t(gemm_packed_b_floats(k, n)));
      gemm_pack_a(uk->mr, m, k, MatrixView{a.data(), k, 1}, packed_a.data());
      gemm_pack_b(k, n, MatrixView{b.data(), n, 1}, packed_b.data());
      const int64_t ldc = n + 3;  // C's rows are strided: the kernel must not write between them
      std::vector<float> c(size_t(m * ldc), 0.25f);
      gemm_packed(*uk, m, n, k, packed_a.data(), packed_b.data(), c.data(), ldc, accumulate);
      expect_product(m, n, k, a, b, c, ldc, accumulate ? 0.25f : 0.0f, uk->name);
      for (int64_t i = 0; i < m; ++i) {
        for (int64_t j = n; j < ldc; ++j) ASSERT_EQ(c[size_t(i * ldc + j)], 0.25f) << uk->name << " wrote past n";
      }
      if (::testing::Test::HasFatalFailure()) return;
    }
  }
}

// The epilogue (bias per row of C, then Relu, Clip or LeakyRelu: 1-Lipschitz, so the bound above plus one rounding
// for the bias holds), through gemm_packed (the micro-kernels' epilogue forms on whole tiles, the macro-kernel's
// pass on edge tiles, only on the last KC slab) and through gemm_unpacked_b (B read in place with a row stride,
// column tails through lane masks: nothing past n is written, and B is sized so that reading past its last
// column of the last row would show under ASan).
TEST(GemmMicrokernels, EpilogueAndUnpackedBMatchDoubleOnRandomSizes) {
  std::mt19937 rng(23);
  auto pick = [&](int64_t lo, int64_t hi) { return std::uniform_int_distribution<int64_t>(lo, hi)(rng); };
  for (const GemmMicrokernel* uk : supported_gemm_microkernels()) {
    for (int trial = 0; trial < 60; ++trial) {
      const int64_t m = trial < 4 ? uk->mr * (trial + 1) : pick(1, 3 * uk->mr + 5);
      const int64_t n = trial < 4 ? uk->nr * (trial + 1) : pick(1, 3 * uk->nr + 7);
      const int64_t k = trial % 7 == 0 ? pick(kGemmKC + 1, 2 * kGemmKC + 9) : pick(1, 40);
      const bool accumulate = trial % 3 == 0;
      Epilogue e;
      e.kind = Epilogue::Kind(trial % 4);
      e.lo = -0.3f;
      e.hi = 0.4f;
      e.alpha = 0.1f;
      auto a = random_floats(size_t(m * k), rng);
      const int64_t ldb = n + pick(0, 9);
      auto b = random_floats(size_t((k - 1) * ldb + n), rng);  // the last row ends at column n
      auto bias = random_floats(size_t(m), rng);
      std::vector<float> packed_a(size_t(gemm_packed_a_floats(uk->mr, m, k)));
      std::vector<float> packed_b(size_t(gemm_packed_b_floats(k, n)));
      gemm_pack_a(uk->mr, m, k, MatrixView{a.data(), k, 1}, packed_a.data());
      gemm_pack_b(k, n, MatrixView{b.data(), ldb, 1}, packed_b.data());
      const int64_t ldc = n + 3;
      std::vector<float> c(size_t(m * ldc), 0.25f);
      gemm_packed(*uk, m, n, k, packed_a.data(), packed_b.data(), c.data(), ldc, accumulate, bias.data(), &e);
      std::vector<float> unpacked(size_t(m * ldc), 0.25f);
      const int64_t done =
          gemm_unpacked_b(*uk, m, n, k, packed_a.data(), b.data(), ldb, unpacked.data(), ldc, bias.data(), e);
      EXPECT_EQ(done, uk->full_tile_unpacked_b != nullptr ? n : 0) << uk->name;
      for (int64_t i = 0; i < m; ++i) {
        for (int64_t j = 0; j < n; ++j) {
          const double initial = accumulate ? 0.25 : 0.0;
          double sum = 0.0, magnitude = 0.0;
          for (int64_t p = 0; p < k; ++p) {
            const double prod = double(a[size_t(i * k + p)]) * double(b[size_t(p * ldb + j)]);
            sum += prod;
            magnitude += std::fabs(prod);
          }
          const double bias_i = double(bias[size_t(i)]);
          auto finish = [&](double v) {
            switch (e.kind) {
              case Epilogue::Kind::kNone: return v;
              case Epilogue::Kind::kRelu: return std::max(v, 0.0);
              case Epilogue::Kind::kClamp: return std::clamp(v, double(e.lo), double(e.hi));
              case Epilogue::Kind::kLeakyRelu: return v >= 0.0 ? v : double(e.alpha) * v;
            }
            return v;
          };
          const double tol = 2.0 * double(k + 2) * FLT_EPSILON * (magnitude + std::fabs(bias_i) + initial) +
                             2.0 * FLT_EPSILON * std::fabs(sum + bias_i + initial);
          ASSERT_NEAR(c[size_t(i * ldc + j)], finish(sum + initial + bias_i), tol)
              << uk->name << " packed " << m << "x" << n << "x" << k << " at " << i << "," << j;
          if (j < done) {
            ASSERT_NEAR(unpacked[size_t(i * ldc + j)], finish(sum + bias_i), tol)
                << uk->name << " unpacked " << m << "x" << n << "x" << k << " at " << i << "," << j;
          } else {
            ASSERT_EQ(unpacked[size_t(i * ldc + j)], 0.25f) << uk->name << " unpacked wrote past its columns";
          }
        }
        for (int64_t j = n; j < ldc; ++j) {
          ASSERT_EQ(c[size_t(i * ldc + j)], 0.25f) << uk->name << " wrote past n";
          ASSERT_EQ(unpacked[size_t(i * ldc + j)], 0.25f) << uk->name << " unpacked wrote past n";
        }
      }
      if (::testing::Test::HasFatalFailure()) return;
    }
  }
}

TEST(GemmMicrokernels, StridedGemmMatchesDoubleAcrossBlocks) {
  std::mt19937 rng(12);
  const int64_t sizes[][3] = {{1, 1, 1}, {129, 33, 300}, {7, 513, 20}, {130, 530, 9}, {64, 1, 64}, {13, 47, 257}};
  for (const GemmMicrokernel* uk : supported_gemm_microkernels()) {
    for (const auto& s : sizes) {
      const int64_t m = s[0], n = s[1], k = s[2];
      auto a = random_floats(size_t(m * k), rng);
      auto b = random_floats(size_t(k * n), rng);
      std::vector<float> c(size_t(m * n), 0.0f);
      std::vector<float> workspace(gemm_workspace_floats(m, n, k));
      gemm(*uk, m, n, k, MatrixView{a.data(), k, 1}, MatrixView{b.data(), n, 1}, c.data(), n, false,
           workspace.data());
      expect_product(m, n, k, a, b, c, n, 0.0f, uk->name);
      if (::testing::Test::HasFatalFailure()) return;
    }
  }
}

// C as gemm_packed computes it when each element is one chain over k: per KC slab, a chain from zero of fused
// (fmaf) or separately rounded multiply-adds in the order of k, and the slabs (and C when accumulating) added in
// order. The product goes through a volatile so that the compiler cannot fuse the separate form by itself.
std::vector<float> chained_product(int64_t m, int64_t n, int64_t k, const std::vector<float>& a,
                                   const std::vector<float>& b, const std::vector<float>& c0, bool accumulate,
                                   bool fused) {
  std::vector<float> c(size_t(m * n));
  for (int64_t i = 0; i < m; ++i) {
    for (int64_t j = 0; j < n; ++j) {
      float total = c0[size_t(i * n + j)];
      for (int64_t k0 = 0; k0 < k; k0 += kGemmKC) {
        float chain = 0.0f;
        for (int64_t p = k0; p < std::min(k, k0 + kGemmKC); ++p) {
          const float x = a[size_t(i * k + p)], y = b[size_t(p * n + j)];
          if (fused) {
            chain = std::fma(x, y, chain);
          } else {
            volatile float product = x * y;
            chain = chain + product;
          }
        }
        total = k0 == 0 && !accumulate ? chain : chain + total;
      }
      c[size_t(i * n + j)] = total;
    }
  }
  return c;
}

TEST(GemmMicrokernels, OneRoundingChainPerElement) {
  std::mt19937 rng(13);
  auto pick = [&](int64_t lo, int64_t hi) { return std::uniform_int_distribution<int64_t>(lo, hi)(rng); };
  for (const GemmMicrokernel* uk : supported_gemm_microkernels()) {
    int fused_trials = 0, separate_trials = 0;
    for (int trial = 0; trial < 12; ++trial) {
      const int64_t m = pick(1, 3 * uk->mr + 2), n = pick(1, 3 * uk->nr + 5);
      const int64_t k = trial % 4 == 3 ? pick(kGemmKC + 1, 2 * kGemmKC + 3) : pick(1, 120);
      const bool accumulate = trial % 2 == 1;
      auto a = random_floats(size_t(m * k), rng);
      auto b = random_floats(size_t(k * n), rng);
      auto c = random_floats(size_t(m * n), rng);
      const auto fused = chained_product(m, n, k, a, b, c, accumulate, true);
      const auto separate = chained_product(m, n, k, a, b, c, accumulate, false);
      std::vector<float> packed_a(size_t(gemm_packed_a_floats(uk->mr, m, k)));
      std::vector<float> packed_b(size_t(gemm_packed_b_floats(k, n)));
      gemm_pack_a(uk->mr, m, k, MatrixView{a.data(), k, 1}, packed_a.data());
      gemm_pack_b(k, n, MatrixView{b.data(), n, 1}, packed_b.data());
      gemm_packed(*uk, m, n, k, packed_a.data(), packed_b.data(), c.data(), n, accumulate);
      if (fused == separate) {
        EXPECT_EQ(c, fused) << uk->name << " " << m << "x" << n << "x" << k;
      } else if (c == fused) {
        ++fused_trials;
      } else if (c == separate) {
        ++separate_trials;
      } else {
        ADD_FAILURE() << uk->name << " " << m << "x" << n << "x" << k << (accumulate ? " accumulating" : "")
                      << ": C is neither the fused nor the separately rounded chain over k";
      }
    }
    // One kernel keeps one rounding (the two models agree only on trials whose products are all exact).
    EXPECT_TRUE(fused_trials == 0 || separate_trials == 0) << uk->name << " mixes fused and separate roundings";
    std::printf("[ chain ] %s: %s\n", uk->name, fused_trials > 0 ? "fused multiply-adds" : "separate roundings");
  }
}

}  // namespace
}  // namespace cairn::kernels
