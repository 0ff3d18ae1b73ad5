// Lane masks and permute tables shared by the hand-written AVX-512 kernels. Included only by translation units
// compiled with -mavx512f (kernels/x86/*__avx512f.cpp); the tables are built at compile time, so a kernel loads them
// instead of filling them on every call.
#pragma once

#include <immintrin.h>

#include <cstdint>

namespace cairn::kernels::avx512 {

// Lanes [lo, hi) of 16, both clamped to [0, 16].
inline __mmask16 lane_range(int64_t lo, int64_t hi) {
  lo = lo < 0 ? 0 : (lo > 16 ? 16 : lo);
  hi = hi < lo ? lo : (hi > 16 ? 16 : hi);
  return __mmask16(((1u << hi) - 1u) & ~((1u << lo) - 1u));
}

// 16 permute indices (for _mm512_permutex2var_ps: 0-15 the first vector, 16-31 the second), 64-byte aligned.
struct alignas(64) LaneTable {
  int32_t lane[16];
};

inline __m512i load(const LaneTable& t) { return _mm512_load_si512(t.lane); }

// Lane l takes element (step * l + offset) mod 32 of a pair of vectors: every step-th float from `offset`.
constexpr LaneTable strided_lanes(int step, int offset) {
  LaneTable t{};
  for (int l = 0; l < 16; ++l) t.lane[l] = (step * l + offset) & 31;
  return t;
}

}  // namespace cairn::kernels::avx512
