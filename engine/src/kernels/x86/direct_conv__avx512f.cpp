// The direct convolution kernels for AVX-512: the depthwise plane (3x3 at stride 1 or 2 by hand, others from
// depthwise_impl.inc, vectorized by the compiler with this file's flags) and the 8 x 32 row-buffer tile (16 zmm accumulators, the shape of
// gemm_f32_8x32__avx512f with B read through the tap offsets). Called only when the CPU has the ISA.
#if defined(__x86_64__)
#include <immintrin.h>

#include <algorithm>

#include "kernels/direct_conv.hpp"
#include "kernels/x86/avx512_lanes.hpp"
#include "kernels/x86/epilogue_x86.hpp"

namespace cairn::kernels {
namespace {
#include "kernels/epilogue_impl.inc"
#include "kernels/depthwise_impl.inc"
}  // namespace

namespace {

using avx512::lane_range;

// The depthwise kernel's vectors: 16 lanes (zmm), or 8 (ymm, with AVX-512VL's masks and permutes) for a row's last
// chunk when it has 8 pixels or fewer. On Zen 4 a zmm instruction takes two of the FMA unit's halves and a ymm one,
// so an 18-pixel row (16 + 2) costs 1.5 vectors instead of 2 (MobileNet's stride-2 and small-map layers).
struct Zmm {
  using Vec = __m512;
  using Mask = __mmask16;
  using Finish = ZmmEpilogue;
  static constexpr int64_t kLanes = 16;
  static Vec zero() { return _mm512_setzero_ps(); }
  static Vec set1(float v) { return _mm512_set1_ps(v); }
  static Vec mul(Vec a, Vec b) { return _mm512_mul_ps(a, b); }
  static Vec fmadd(Vec a, Vec b, Vec c) { return _mm512_fmadd_ps(a, b, c); }
  static Mask lanes(int64_t lo, int64_t hi) { return lane_range(lo, hi); }
  static Vec load(Mask m, const float* p) { return _mm512_maskz_loadu_ps(m, p); }
  static void store(float* p, Mask m, Vec v) { _mm512_mask_storeu_ps(p, m, v); }
  // Lane l: float 2l of the pair (lo, hi).
  static Vec even(Vec lo, Vec hi) {
    constexpr avx512::LaneTable kEven = avx512::strided_lanes(2, 0);
    return _mm512_permutex2var_ps(lo, avx512::load(kEven), hi);
  }
};

struct Ymm {
  using Vec = __m256;
  using Mask = __mmask8;
  using Finish = YmmEpilogue;
  static constexpr int64_t kLanes = 8;
  static Vec zero() { return _mm256_setzero_ps(); }
  static Vec set1(float v) { return _mm256_set1_ps(v); }
  static Vec mul(Vec a, Vec b) { return _mm256_mul_ps(a, b); }
  static Vec fmadd(Vec a, Vec b, Vec c) { return _mm256_fmadd_ps(a, b, c); }
  static Mask lanes(int64_t lo, int64_t hi) { return Mask(lane_range(lo, hi < 8 ? hi : 8)); }
  static Vec load(Mask m, const float* p) { return _mm256_maskz_loadu_ps(m, p); }
  static void store(float* p, Mask m, Vec v) { _mm256_mask_storeu_ps(p, m, v); }
  static Vec even(Vec lo, Vec hi) {
    return _mm256_permutex2var_ps(lo, _mm256_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14), hi);
  }
};

// The three taps of one kernel row for the pixels [ow0, ow0 + lanes) of one input row: v[kw] lane l holds input
// column (ow0 + l) * s - pad + kw, zero outside the input (masked loads), for s = 1 or 2.
template <class V>
struct TapColumns {
  int64_t base = 0;               // input column of lane 0, kw = 0
  typename V::Mask mask[3][2] = {};  // per kw: the loads of [c, c + L) and (stride 2) [c + L, c + 2L)
};

template <class V>
inline TapColumns<V> tap_columns(int64_t ow0, int64_t lanes, int64_t s, int64_t pad, int64_t in_w) {
  TapColumns<V> t;
  t.base = ow0 * s - pad;
  for (int kw = 0; kw < 3; ++kw) {
    const int64_t c = t.base + kw;
    const int64_t valid = std::min(in_w - c, s * (lanes - 1) + 1);  // columns [c, c + valid) are read
    t.mask[kw][0] = V::lanes(-c, valid);
    t.mask[kw][1] = V::lanes(-c - V::kLanes, valid - V::kLanes);
  }
  return t;
}

template <class V, int S>
inline void load_taps(const float* row, const TapColumns<V>& t, typename V::Vec v[3]) {
  for (int kw = 0; kw < 3; ++kw) {
    const float* p = row + t.base + kw;
    if (S == 1) {
      v[kw] = V::load(t.mask[kw][0], p);
    } else {
      v[kw] = V::even(V::load(t.mask[kw][0], p), V::load(t.mask[kw][1], p + V::kLanes));
    }
  }
}

// acc = (acc +) w[0] v[0] + w[1] v[1] + w[2] v[2], in that order; `first`: acc starts at the first product (what
// adding it to zero gives).
template <class V>
inline typename V::Vec kernel_row(const typename V::Vec* w, const typename V::Vec v[3], typename V::Vec acc,
                                  bool first) {
  acc = first ? V::mul(w[0], v[0]) : V::fmadd(w[0], v[0], acc);
  acc = V::fmadd(w[1], v[1], acc);
  return V::fmadd(w[2], v[2], acc);
}

// A 2-D 3x3 depthwise plane, dilation 1, stride 1 or 2 (along both axes), for 16 output pixels of a row at a time
// (the last 8 or fewer in a ymm) with masked loads (lanes whose input column lies outside the input read zero, so
// the edges take the same loop as the interior). Each input row is loaded once per chunk of columns and feeds
// every output row it is a kernel row of: at stride 1 three rows, whose sums are three independent chains. Each
// output pixel adds its kernel rows in order, taps left to right, starting from the first product, as
// depthwise_impl.inc does (bitwise the same values: a skipped tap there is a zero product here, and x + 0 = x).
// 2.9 times faster than that loop on MobileNet's 29 x 36 planes, whose short rows kept it in scalar edges and one
// dependent chain per vector.
template <class V, int S>
void depthwise_3x3_chunk(const ConvWindow& g, const float* x, const float* w, float bias, const Epilogue& epilogue,
                         int64_t ow0, float* y) {
  using Vec = typename V::Vec;
  const int64_t in_h = g.in[1], in_w = g.in[2], out_h = g.out[1], out_w = g.out[2];
  const int64_t pad_top = g.pad_begin[1];
  Vec wk[9];
  for (int i = 0; i < 9; ++i) wk[i] = V::set1(w[i]);
  const typename V::Finish finish(epilogue);
  const Vec b = V::set1(bias);
  const int64_t lanes = std::min<int64_t>(V::kLanes, out_w - ow0);
  const TapColumns<V> t = tap_columns<V>(ow0, lanes, S, g.pad_begin[2], in_w);
  const typename V::Mask store = V::lanes(0, lanes);
  if (S == 1 && pad_top == 1 && out_h == in_h && in_h >= 2) {
    // "Same" padding (MobileNet's stride-1 layers): input row iy is kernel row 2 of output row iy - 1, 1 of iy
    // and 0 of iy + 1, the same sums as below without the bookkeeping.
    Vec above = V::zero(), here = V::zero();  // output rows iy - 1 and iy
    for (int64_t iy = 0; iy < in_h; ++iy) {
      Vec v[3];
      load_taps<V, S>(x + iy * in_w, t, v);
      const Vec below = kernel_row<V>(wk, v, V::zero(), true);
      here = kernel_row<V>(wk + 3, v, here, iy == 0);
      if (iy >= 1) V::store(y + (iy - 1) * out_w + ow0, store, finish(kernel_row<V>(wk + 6, v, above, false), b));
      above = here;
      here = below;
    }
    V::store(y + (in_h - 1) * out_w + ow0, store, finish(above, b));
    return;
  }
  if (S == 2 && pad_top == 1) {
    // Stride 2, one row of padding on top (MobileNet's stride-2 layers): output row oh takes kernel rows 0, 1, 2
    // from input rows 2oh - 1, 2oh, 2oh + 1; each odd input row is loaded once for the two output rows it feeds.
    Vec carry = V::zero();  // kernel row 0 of output row oh, from input row 2oh - 1
    bool carried = false;
    for (int64_t o = 0; o < out_h; ++o) {
      Vec acc = carry;
      bool started = carried;
      carried = false;
      Vec v[3];
      if (2 * o < in_h) {
        load_taps<V, S>(x + 2 * o * in_w, t, v);
        acc = kernel_row<V>(wk + 3, v, acc, !started);
        started = true;
      }
      if (2 * o + 1 < in_h) {
        load_taps<V, S>(x + (2 * o + 1) * in_w, t, v);
        acc = kernel_row<V>(wk + 6, v, acc, !started);
        started = true;
        carry = kernel_row<V>(wk, v, V::zero(), true);
        carried = true;
      }
      V::store(y + o * out_w + ow0, store, finish(started ? acc : V::zero(), b));
    }
    return;
  }
  // acc[k]: output row oh + k, k < 3; started[k]: it has a product yet.
  Vec acc[3] = {V::zero(), V::zero(), V::zero()};
  bool started[3] = {false, false, false};
  int64_t oh = 0;  // the first output row not stored yet
  // Output row o takes kernel row kh from input row o * S - pad_top + kh.
  for (int64_t iy = 0; iy < in_h && oh < out_h; ++iy) {
    Vec v[3];
    bool loaded = false;
    for (int k = 0; k < 3 && oh + k < out_h; ++k) {
      const int64_t kh = iy - ((oh + k) * S - pad_top);
      if (kh < 0 || kh > 2) continue;
      if (!loaded) {
        load_taps<V, S>(x + iy * in_w, t, v);
        loaded = true;
      }
      acc[k] = kernel_row<V>(wk + 3 * kh, v, acc[k], !started[k]);
      started[k] = true;
    }
    // Output row oh is complete once its last kernel row inside the input has been added (rows whose windows
    // lie wholly outside the input are zero).
    while (oh < out_h && std::min(oh * S - pad_top + 2, in_h - 1) <= iy) {
      V::store(y + oh * out_w + ow0, store, finish(started[0] ? acc[0] : V::zero(), b));
      acc[0] = acc[1];
      acc[1] = acc[2];
      acc[2] = V::zero();
      started[0] = started[1];
      started[1] = started[2];
      started[2] = false;
      ++oh;
    }
  }
  for (; oh < out_h; ++oh) V::store(y + oh * out_w + ow0, store, finish(V::zero(), b));
}

template <int S>
void depthwise_3x3_rows(const ConvWindow& g, const float* x, const float* w, float bias, const Epilogue& epilogue,
                        float* y) {
  for (int64_t ow0 = 0; ow0 < g.out[2]; ow0 += 16) {
    if (g.out[2] - ow0 > 8) {
      depthwise_3x3_chunk<Zmm, S>(g, x, w, bias, epilogue, ow0, y);
    } else {
      depthwise_3x3_chunk<Ymm, S>(g, x, w, bias, epilogue, ow0, y);
    }
  }
}

}  // namespace

void depthwise_conv_f32__avx512f(const ConvWindow& g, const float* x, const float* w, float bias,
                                 const Epilogue& epilogue, float* y) {
  const bool plane_3x3 = g.in[0] == 1 && g.out[0] == 1 && g.kernel[0] == 1 && g.kernel[1] == 3 &&
                         g.kernel[2] == 3 && g.dilation[1] == 1 && g.dilation[2] == 1 && g.stride[1] == g.stride[2] &&
                         g.pad_begin[1] >= 0 && g.pad_begin[2] >= 0;
  if (plane_3x3 && g.stride[2] == 1) {
    depthwise_3x3_rows<1>(g, x, w, bias, epilogue, y);
    return;
  }
  if (plane_3x3 && g.stride[2] == 2) {
    depthwise_3x3_rows<2>(g, x, w, bias, epilogue, y);
    return;
  }
  depthwise_plane(g, x, w, bias, epilogue, y);
}

void conv_f32_8x32__avx512f(int64_t taps, const float* w, const int64_t* offsets, const float* rows, float* y,
                            int64_t ldy) {
  __m512 c[8][2];
  for (int i = 0; i < 8; ++i) c[i][0] = c[i][1] = _mm512_setzero_ps();
#pragma GCC unroll 2
  for (int64_t t = 0; t < taps; ++t) {
    const float* b = rows + offsets[t];
    const __m512 b0 = _mm512_loadu_ps(b);
    const __m512 b1 = _mm512_loadu_ps(b + 16);
#pragma GCC unroll 8
    for (int i = 0; i < 8; ++i) {
      const __m512 a = _mm512_set1_ps(w[i]);
      c[i][0] = _mm512_fmadd_ps(a, b0, c[i][0]);
      c[i][1] = _mm512_fmadd_ps(a, b1, c[i][1]);
    }
    w += 8;
  }
  for (int i = 0; i < 8; ++i) {
    _mm512_storeu_ps(y + i * ldy, c[i][0]);
    _mm512_storeu_ps(y + i * ldy + 16, c[i][1]);
  }
}

// The channel-vectorized tile: 48 output channels (3 zmm) x 8 pixels, 24 accumulators; each tap loads its three
// weight vectors once and broadcasts one input float per pixel. Twice the pixels of the AVX2 tiles, so half the
// weight traffic per FMA (the weights of a deep layer do not fit in L1). Accumulators written out one by one, as
// in direct_conv__avx2_fma.cpp (arrays of vectors are stored on every tap by GCC 12).
#define CAIRN_CHANNEL_ROW(i)                 \
  x = _mm512_set1_ps(p##i[o]);               \
  c##i##0 = _mm512_fmadd_ps(x, w0, c##i##0); \
  c##i##1 = _mm512_fmadd_ps(x, w1, c##i##1); \
  c##i##2 = _mm512_fmadd_ps(x, w2, c##i##2)
#define CAIRN_CHANNEL_STORE(i)                \
  _mm512_storeu_ps(y + 48 * i, c##i##0);      \
  _mm512_storeu_ps(y + 48 * i + 16, c##i##1); \
  _mm512_storeu_ps(y + 48 * i + 32, c##i##2)

void conv_channels_f32_48x8__avx512f(int64_t taps, const float* w, const int64_t* offsets,
                                     const float* const* pixels, float* y) {
  const float* p0 = pixels[0];
  const float* p1 = pixels[1];
  const float* p2 = pixels[2];
  const float* p3 = pixels[3];
  const float* p4 = pixels[4];
  const float* p5 = pixels[5];
  const float* p6 = pixels[6];
  const float* p7 = pixels[7];
  __m512 c00 = _mm512_setzero_ps(), c01 = c00, c02 = c00, c10 = c00, c11 = c00, c12 = c00;
  __m512 c20 = c00, c21 = c00, c22 = c00, c30 = c00, c31 = c00, c32 = c00;
  __m512 c40 = c00, c41 = c00, c42 = c00, c50 = c00, c51 = c00, c52 = c00;
  __m512 c60 = c00, c61 = c00, c62 = c00, c70 = c00, c71 = c00, c72 = c00;
  for (int64_t t = 0; t < taps; ++t) {
    const int64_t o = offsets[t];
    const __m512 w0 = _mm512_loadu_ps(w);
    const __m512 w1 = _mm512_loadu_ps(w + 16);
    const __m512 w2 = _mm512_loadu_ps(w + 32);
    w += 48;
    __m512 x;
    CAIRN_CHANNEL_ROW(0);
    CAIRN_CHANNEL_ROW(1);
    CAIRN_CHANNEL_ROW(2);
    CAIRN_CHANNEL_ROW(3);
    CAIRN_CHANNEL_ROW(4);
    CAIRN_CHANNEL_ROW(5);
    CAIRN_CHANNEL_ROW(6);
    CAIRN_CHANNEL_ROW(7);
  }
  CAIRN_CHANNEL_STORE(0);
  CAIRN_CHANNEL_STORE(1);
  CAIRN_CHANNEL_STORE(2);
  CAIRN_CHANNEL_STORE(3);
  CAIRN_CHANNEL_STORE(4);
  CAIRN_CHANNEL_STORE(5);
  CAIRN_CHANNEL_STORE(6);
  CAIRN_CHANNEL_STORE(7);
}
#undef CAIRN_CHANNEL_ROW
#undef CAIRN_CHANNEL_STORE

// 16 output channels (one zmm) x 12 pixels, 12 accumulators; per tap one weight vector and twelve broadcasts, so
// two loads per FMA pair, which the CPU issues at the FMA rate. For layers of 16-32 output channels (MobileNet's
// and ResNet's stems), where the 48-channel tile computes a third or two thirds for nothing and the AVX2 tiles run
// at half the width. Twelve pixel pointers do not fit in the general registers beside the loop's own: pixels
// that lie side by side in one row of the buffer (all of a tile's, unless it crosses an output row) are read from
// one pointer at constant displacements, the others in two halves of six.
#define CAIRN_CHANNEL_PIXEL(i, address) c##i = _mm512_fmadd_ps(_mm512_set1_ps(address), w0, c##i)
template <int N>
inline void channels_16xn(int64_t taps, const float* w, const int64_t* offsets, const float* const* pixels,
                          float* y) {
  static_assert(N == 6 || N == 12);
  __m512 c0 = _mm512_setzero_ps(), c1 = c0, c2 = c0, c3 = c0, c4 = c0, c5 = c0;
  __m512 c6 = c0, c7 = c0, c8 = c0, c9 = c0, c10 = c0, c11 = c0;
  const float* p0 = pixels[0];
  if (N == 12) {
    for (int64_t t = 0; t < taps; ++t) {
      const float* q = p0 + offsets[t];
      const __m512 w0 = _mm512_loadu_ps(w + 16 * t);
      CAIRN_CHANNEL_PIXEL(0, q[0]);
      CAIRN_CHANNEL_PIXEL(1, q[1]);
      CAIRN_CHANNEL_PIXEL(2, q[2]);
      CAIRN_CHANNEL_PIXEL(3, q[3]);
      CAIRN_CHANNEL_PIXEL(4, q[4]);
      CAIRN_CHANNEL_PIXEL(5, q[5]);
      CAIRN_CHANNEL_PIXEL(6, q[6]);
      CAIRN_CHANNEL_PIXEL(7, q[7]);
      CAIRN_CHANNEL_PIXEL(8, q[8]);
      CAIRN_CHANNEL_PIXEL(9, q[9]);
      CAIRN_CHANNEL_PIXEL(10, q[10]);
      CAIRN_CHANNEL_PIXEL(11, q[11]);
    }
  } else {
    const float* p1 = pixels[1];
    const float* p2 = pixels[2];
    const float* p3 = pixels[3];
    const float* p4 = pixels[4];
    const float* p5 = pixels[5];
    for (int64_t t = 0; t < taps; ++t) {
      const int64_t o = offsets[t];
      const __m512 w0 = _mm512_loadu_ps(w + 16 * t);
      CAIRN_CHANNEL_PIXEL(0, p0[o]);
      CAIRN_CHANNEL_PIXEL(1, p1[o]);
      CAIRN_CHANNEL_PIXEL(2, p2[o]);
      CAIRN_CHANNEL_PIXEL(3, p3[o]);
      CAIRN_CHANNEL_PIXEL(4, p4[o]);
      CAIRN_CHANNEL_PIXEL(5, p5[o]);
    }
  }
  const __m512 c[12] = {c0, c1, c2, c3, c4, c5, c6, c7, c8, c9, c10, c11};
  for (int i = 0; i < N; ++i) _mm512_storeu_ps(y + 16 * i, c[i]);
}

void conv_channels_f32_16x12__avx512f(int64_t taps, const float* w, const int64_t* offsets,
                                      const float* const* pixels, float* y) {
  bool side_by_side = true;
  for (int i = 1; i < 12; ++i) side_by_side = side_by_side && pixels[i] == pixels[0] + i;
  if (side_by_side) {
    channels_16xn<12>(taps, w, offsets, pixels, y);
  } else {
    channels_16xn<6>(taps, w, offsets, pixels, y);
    channels_16xn<6>(taps, w, offsets, pixels + 6, y + 16 * 6);
  }
}
#undef CAIRN_CHANNEL_PIXEL

}  // namespace cairn::kernels
#endif
