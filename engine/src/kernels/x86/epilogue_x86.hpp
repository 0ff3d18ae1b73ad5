// The epilogue (kernels/epilogue.hpp) in AVX-512 and AVX2 registers, for the hand-written x86 kernels: included only
// by translation units compiled with those flags (each class needs its ISA's macro). Every copy has internal
// linkage, so that none is linked into a unit of another ISA. The operand orders keep epilogue_impl.inc's NaN
// behaviour: max_ps(a, b) is a > b ? a : b and min_ps(a, b) is a < b ? a : b, the second operand when one is NaN.
#pragma once

#include <immintrin.h>

#include "kernels/epilogue.hpp"

namespace cairn::kernels {
namespace {

#if defined(__AVX512F__)
// _mm512_max_ps and _mm512_min_ps pass _mm512_undefined_ps() through their mask, which GCC 12 reports as maybe
// uninitialized once inlined; the all-lanes zero-masking forms are the same instruction without it.
inline __m512 max_ps(__m512 a, __m512 b) { return _mm512_maskz_max_ps(__mmask16(0xFFFF), a, b); }
inline __m512 min_ps(__m512 a, __m512 b) { return _mm512_maskz_min_ps(__mmask16(0xFFFF), a, b); }

struct ZmmEpilogue {
  Epilogue::Kind kind;
  __m512 lo, hi, alpha;
  explicit ZmmEpilogue(const Epilogue& e)
      : kind(e.kind), lo(_mm512_set1_ps(e.lo)), hi(_mm512_set1_ps(e.hi)), alpha(_mm512_set1_ps(e.alpha)) {}
  // activation(v + bias)
  __m512 operator()(__m512 v, __m512 bias) const {
    v = _mm512_add_ps(v, bias);
    const __m512 zero = _mm512_setzero_ps();
    switch (kind) {
      case Epilogue::Kind::kNone:
        return v;
      case Epilogue::Kind::kRelu:
        return max_ps(v, zero);  // v > 0 ? v : 0
      case Epilogue::Kind::kClamp:
        return min_ps(hi, max_ps(lo, v));  // v < lo ? lo : (v > hi ? hi : v)
      case Epilogue::Kind::kLeakyRelu:
        return _mm512_fmadd_ps(alpha, min_ps(zero, v), max_ps(zero, v));
    }
    return v;
  }
};
#endif

#if defined(__AVX2__) && defined(__FMA__)
struct YmmEpilogue {
  Epilogue::Kind kind;
  __m256 lo, hi, alpha;
  explicit YmmEpilogue(const Epilogue& e)
      : kind(e.kind), lo(_mm256_set1_ps(e.lo)), hi(_mm256_set1_ps(e.hi)), alpha(_mm256_set1_ps(e.alpha)) {}
  __m256 operator()(__m256 v, __m256 bias) const {
    v = _mm256_add_ps(v, bias);
    const __m256 zero = _mm256_setzero_ps();
    switch (kind) {
      case Epilogue::Kind::kNone:
        return v;
      case Epilogue::Kind::kRelu:
        return _mm256_max_ps(v, zero);
      case Epilogue::Kind::kClamp:
        return _mm256_min_ps(hi, _mm256_max_ps(lo, v));
      case Epilogue::Kind::kLeakyRelu:
        return _mm256_fmadd_ps(alpha, _mm256_min_ps(zero, v), _mm256_max_ps(zero, v));
    }
    return v;
  }
};
#endif

}  // namespace
}  // namespace cairn::kernels
