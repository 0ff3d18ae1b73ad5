// Every GEMM micro-kernel this CPU can run (kernels/dispatch), through the packed loop nest and the strided one,
// against a double-precision product on random sizes: tails of MR and NR, one and several KC slabs, k = 1.
//
// Tolerance (XNNPACK's habit, from the arithmetic): a float dot product of K terms in any order satisfies
// |fl(sum) - sum| <= gamma_K * sum |a_i b_i|, gamma_K = K u / (1 - K u), u = 2^-24 (FMA only removes roundings).
// Accumulating into C adds one term and one rounding. We allow 2 K FLT_EPSILON * sum |a b| + 2 FLT_EPSILON |c|,
// a factor 4 over gamma_K (K u << 1).
#include <gtest/gtest.h>

#include <cfloat>
#include <cmath>
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
    EXPECT_EQ(uk->nr % kGemmPanelWidth, 0) << uk->name;
    EXPECT_LE(uk->nr, 2 * kGemmPanelWidth) << uk->name;
  }
  EXPECT_NE(active_kernels().gemm, nullptr);
  EXPECT_FALSE(reference_kernels().fast_paths);
}

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

// Every element is one sequential FMA chain over k whatever its place in the tile, so the ISA kernels agree
// with each other to the bit where FMA is used throughout (AVX2 and AVX-512 here).
TEST(GemmMicrokernels, IsaKernelsAgreeBitwiseWithEachOther) {
  const auto list = supported_gemm_microkernels();
  if (list.size() < 3) GTEST_SKIP() << "needs two FMA kernels";
  std::mt19937 rng(13);
  const int64_t m = 37, n = 75, k = 300;
  auto a = random_floats(size_t(m * k), rng);
  auto b = random_floats(size_t(k * n), rng);
  std::vector<float> workspace(gemm_workspace_floats(m, n, k));
  std::vector<float> c1(size_t(m * n)), c2(size_t(m * n));
  gemm(*list[1], m, n, k, MatrixView{a.data(), k, 1}, MatrixView{b.data(), n, 1}, c1.data(), n, false,
       workspace.data());
  gemm(*list[2], m, n, k, MatrixView{a.data(), k, 1}, MatrixView{b.data(), n, 1}, c2.data(), n, false,
       workspace.data());
  EXPECT_EQ(c1, c2);
}

}  // namespace
}  // namespace cairn::kernels
