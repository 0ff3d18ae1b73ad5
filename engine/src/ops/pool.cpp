// MaxPool, AveragePool, GlobalAveragePool, GlobalMaxPool: plain loops over the canonical 3-D geometry.
// Pools are memory-bound and a small share of a CNN's time; the window bounds are clipped per axis once per
// output so the inner loop has no per-element test.
#include <algorithm>
#include <cstring>
#include <limits>
#if defined(__x86_64__)
#include <immintrin.h>
#endif
#include <memory>
#include <vector>

#include "kernels/dispatch.hpp"
#include "ops/conv_geometry.hpp"
#include "ops/kernel.hpp"

namespace cairn {

namespace {

// The taps of a window along one axis: positions o * stride - pad_begin + t * dilation for t in [0, kernel).
// first/last: the range of t that falls inside [0, in); counted: how many taps the divisor counts.
struct AxisWindow {
  int64_t start = 0;  // position of tap 0
  int64_t first = 0;
  int64_t last = 0;   // exclusive
};

AxisWindow axis_window(const SpatialGeometry& g, int a, int64_t o) {
  const size_t i = size_t(a);
  AxisWindow w;
  w.start = o * g.stride[i] - g.pad_begin[i];
  const int64_t d = g.dilation[i];
  w.first = w.start >= 0 ? 0 : (-w.start + d - 1) / d;
  w.last = w.start >= g.in[i] ? 0 : (g.in[i] - w.start + d - 1) / d;
  w.first = std::min(w.first, g.kernel[i]);
  w.last = std::clamp(w.last, w.first, g.kernel[i]);
  return w;
}

// Taps inside the padded extent [-pad_begin, in + pad_end): what count_include_pad=1 divides by (a window
// that ceil_mode lets run past the end padding does not count the overhang).
int64_t padded_taps(const SpatialGeometry& g, int a, int64_t start) {
  const size_t i = size_t(a);
  const int64_t limit = g.in[i] + g.pad_end[i];
  if (start >= limit) return 0;
  return std::min(g.kernel[i], (limit - start + g.dilation[i] - 1) / g.dilation[i]);
}

Status check_float_input(const PrepareContext& ctx) {
  if (!ctx.has_input(0)) return ctx.error("input X is required");
  if (is_integer_type(ctx.input(0).type)) {
    return ctx.unsupported_feature(std::string("input of type ") + data_type_name(ctx.input(0).type) +
                                   " (only float tensors)");
  }
  return Status::ok();
}

enum class PoolKind { kMax, kAverage };

class PoolKernel final : public Kernel {
 public:
  explicit PoolKernel(PoolKind kind) : kind_(kind) {}
  Status prepare(const PrepareContext& ctx, std::vector<Shape>& output_shapes) override;
  double flops() const override { return flops_; }
  void run(const RunContext& ctx) const override;

 private:
  PoolKind kind_;
  SpatialGeometry geometry_;
  int64_t planes_ = 0;  // N * C
  bool count_include_pad_ = false;
  bool avx512_ = false;  // the kernel set chosen at load is AVX-512's (kernels/dispatch)
  double flops_ = 0;
};

Status PoolKernel::prepare(const PrepareContext& ctx, std::vector<Shape>& output_shapes) {
  CAIRN_RETURN_IF_ERROR(check_float_input(ctx));
  if (ctx.num_inputs() != 1) return ctx.error("expects one input, got " + std::to_string(ctx.num_inputs()));
  const auto& outputs = ctx.node.outputs;
  if (outputs.empty() || outputs[0] < 0) return ctx.error("output Y is required");
  if (outputs.size() > 1 && outputs[1] >= 0) {
    if (kind_ == PoolKind::kMax) return ctx.unsupported_feature("the Indices output of MaxPool");
    return ctx.error("has one output, got " + std::to_string(outputs.size()));
  }
  const Shape& x_shape = ctx.input(0).shape;
  if (x_shape.size() < 3) {
    return ctx.error("input X must have rank >= 3 (N x C x spatial...), got " + shape_to_string(x_shape));
  }
  if (x_shape.size() > 5) {
    return ctx.unsupported_feature("input " + shape_to_string(x_shape) + " has more than 3 spatial dims");
  }
  auto x_count = checked_element_count(x_shape, ctx.max_elements);
  if (!x_count) return x_count.status().with_context(ctx.node.describe());
  const int64_t ceil_mode = ctx.node.attr_int("ceil_mode", 0);
  if (ceil_mode != 0 && ceil_mode != 1) return ctx.error("ceil_mode " + std::to_string(ceil_mode) + " must be 0 or 1");
  if (kind_ == PoolKind::kAverage) {
    const int64_t include = ctx.node.attr_int("count_include_pad", 0);
    if (include != 0 && include != 1) {
      return ctx.error("count_include_pad " + std::to_string(include) + " must be 0 or 1");
    }
    count_include_pad_ = include == 1;
  }
  const int rank = int(x_shape.size()) - 2;
  CAIRN_ASSIGN_OR_RETURN(SpatialAttributes attrs, read_spatial_attributes(ctx, rank, {}));
  const std::vector<int64_t> x_spatial(x_shape.begin() + 2, x_shape.end());
  CAIRN_ASSIGN_OR_RETURN(geometry_, forward_geometry(ctx, attrs, x_spatial, ceil_mode == 1));
  Shape y_shape{x_shape[0], x_shape[1]};
  for (int64_t d : geometry_.out_dims()) y_shape.push_back(d);
  auto y_count = checked_element_count(y_shape, ctx.max_elements);
  if (!y_count) return y_count.status().with_context(ctx.node.describe() + ": output");
  planes_ = x_shape[0] * x_shape[1];
  avx512_ = kernels::active_kernels().fast_paths && std::strcmp(kernels::active_kernels().isa, "avx512f") == 0;
  flops_ = double(*y_count) * double(geometry_.kernel_size());
  output_shapes.assign(outputs.size(), Shape{});
  output_shapes[0] = y_shape;
  return Status::ok();
}

// One output row of a 2-D max pool with a K-wide window at stride S, for the pixels ow in [a, b) whose window
// columns all lie inside the input: the R input rows of the window (rows[r], at column -pad) and their K columns
// in one pass per pixel, in the order the tap-by-tap loop below takes them (row by row, column by column), from
// lowest(). One vectorized loop per output row instead of one per tap: ResNet's 3x3/2 pool on 17x16 maps spent
// its time starting the 9 short loops of each row.
template <int R, int K, int S>
void max_row_window(float* __restrict row, const float* const* rows, int64_t a, int64_t b) {
  const float* __restrict x[R];
  for (int r = 0; r < R; ++r) x[r] = rows[r];
  for (int64_t ow = a; ow < b; ++ow) {
    float m = std::numeric_limits<float>::lowest();
    for (int r = 0; r < R; ++r) {
      for (int tw = 0; tw < K; ++tw) {
        const float v = x[r][ow * S + tw];
        m = v > m ? v : m;
      }
    }
    row[ow] = m;
  }
}

template <int K, int S>
bool max_row_window_rows(int rows_in_window, float* row, const float* const* rows, int64_t a, int64_t b) {
  switch (rows_in_window) {
    case 1: max_row_window<1, K, S>(row, rows, a, b); return true;
    case 2: max_row_window<2, K, S>(row, rows, a, b); return true;
    case 3: max_row_window<3, K, S>(row, rows, a, b); return true;
    default: return false;
  }
}

#if defined(__x86_64__) && defined(__GNUC__)
// One output row of a 3-wide max pool at stride 1 or 2 on AVX-512, 16 pixels at a time, edges included: each tap
// is a masked load (columns outside the input read lowest()), at stride 2 two loads and a permute of their even
// floats. The taps are taken in the order of the loops above (input row by row, column by column, from lowest()),
// and max_ps(v, m) is v > m ? v : m, so the result is theirs to the bit, NaNs skipped alike. ResNet's 3x3/2 pool of
// 34 x 31 maps, which the compiler left in 4-float vectors and scalar edges: 31 -> 18.5 us.
__attribute__((target("avx512f"))) void max_row_3_avx512(float* row, const float* const* rows, int n, int64_t out_w,
                                                          int64_t in_w, int64_t pad, int64_t s) {
  const auto lanes = [](int64_t lo, int64_t hi) {  // lanes [lo, hi) of 16, clamped
    lo = std::clamp<int64_t>(lo, 0, 16);
    hi = std::clamp<int64_t>(hi, lo, 16);
    return __mmask16(((1u << hi) - 1u) & ~((1u << lo) - 1u));
  };
  const __m512 lowest = _mm512_set1_ps(std::numeric_limits<float>::lowest());
  const __m512i even = _mm512_set_epi32(30, 28, 26, 24, 22, 20, 18, 16, 14, 12, 10, 8, 6, 4, 2, 0);
  for (int64_t ow0 = 0; ow0 < out_w; ow0 += 16) {
    __m512 m = lowest;
    for (int r = 0; r < n; ++r) {
      const float* x = rows[r] + pad;  // column 0
      for (int64_t tw = 0; tw < 3; ++tw) {
        const int64_t c = ow0 * s - pad + tw;  // input column of lane 0
        __m512 v = _mm512_mask_loadu_ps(lowest, lanes(-c, in_w - c), x + c);
        if (s == 2) {
          const __m512 hi = _mm512_mask_loadu_ps(lowest, lanes(-c - 16, in_w - c - 16), x + c + 16);
          v = _mm512_permutex2var_ps(v, even, hi);
        }
        m = _mm512_maskz_max_ps(__mmask16(0xFFFF), v, m);  // (_mm512_max_ps: a GCC 12 maybe-uninitialized warning)
      }
    }
    _mm512_mask_storeu_ps(row + ow0, lanes(0, out_w - ow0), m);
  }
}
#endif

// 2-D pools with a 3x3 window, stride 1 or 2, no dilation (ResNet's): the interior of each output row in one pass
// (max_row_window), the pixels at the edges tap by tap with bounds. False for other geometries, which
// max_pool_rows takes (a U-Net's 2x2/2 pool was faster there: 2.3 against 4.0 ms at 512 x 512 x 32).
bool max_pool_windows(const SpatialGeometry& g, const float* __restrict xp, float* __restrict yp, bool avx512) {
  const int64_t k = g.kernel[2], s = g.stride[2], pad = g.pad_begin[2];
  if (g.in[0] != 1 || g.out[0] != 1 || g.kernel[0] != 1 || g.kernel[1] != k || k != 3 ||
      (s != 1 && s != 2) || g.dilation[1] != 1 || g.dilation[2] != 1) {
    return false;
  }
  const int64_t in_w = g.in[2], out_w = g.out[2];
  // ow * s - pad >= 0 and ow * s - pad + k - 1 < in_w.
  const int64_t b = std::clamp<int64_t>(in_w + pad - k >= 0 ? (in_w + pad - k) / s + 1 : 0, 0, out_w);
  const int64_t a = std::min<int64_t>((pad + s - 1) / s, b);
  for (int64_t oh = 0; oh < g.out[1]; ++oh) {
    const AxisWindow wh = axis_window(g, 1, oh);
    const float* rows[3];
    int n = 0;
    for (int64_t th = wh.first; th < wh.last; ++th) rows[n++] = xp + (wh.start + th) * in_w - pad;
    float* __restrict row = yp + oh * out_w;
#if defined(__x86_64__) && defined(__GNUC__)
    if (avx512) {
      max_row_3_avx512(row, rows, n, out_w, in_w, pad, s);
      continue;
    }
#else
    (void)avx512;
#endif
    for (int64_t ow = 0; ow < out_w; ++ow) {
      if (ow == a) ow = b;
      if (ow >= out_w) break;
      float m = std::numeric_limits<float>::lowest();
      for (int r = 0; r < n; ++r) {
        for (int64_t tw = 0; tw < k; ++tw) {
          const int64_t ix = ow * s - pad + tw;
          if (ix < 0 || ix >= in_w) continue;
          const float v = rows[r][ix + pad];
          m = v > m ? v : m;
        }
      }
      row[ow] = m;
    }
    if (a >= b) continue;
    const bool done =
        s == 2 ? max_row_window_rows<3, 2>(n, row, rows, a, b) : max_row_window_rows<3, 1>(n, row, rows, a, b);
    if (!done) {
      for (int64_t ow = a; ow < b; ++ow) row[ow] = std::numeric_limits<float>::lowest();
    }
  }
  return true;
}

// MaxPool row by row: each output row starts at lowest(); every tap (td, th, tw) whose input row exists takes the
// maximum over the outputs whose input column exists, a loop the compiler vectorizes over the row. Same result as
// the window-by-window loop below: the maximum of the taps inside the input, NaNs skipped.
void max_pool_rows(const SpatialGeometry& g, const float* __restrict xp, float* __restrict yp) {
  const int64_t s = g.stride[2];
  for (int64_t od = 0; od < g.out[0]; ++od) {
    const AxisWindow wd = axis_window(g, 0, od);
    for (int64_t oh = 0; oh < g.out[1]; ++oh) {
      const AxisWindow wh = axis_window(g, 1, oh);
      float* __restrict row = yp + (od * g.out[1] + oh) * g.out[2];
      for (int64_t ow = 0; ow < g.out[2]; ++ow) row[ow] = std::numeric_limits<float>::lowest();
      for (int64_t td = wd.first; td < wd.last; ++td) {
        const int64_t iz = wd.start + td * g.dilation[0];
        for (int64_t th = wh.first; th < wh.last; ++th) {
          const float* __restrict xrow = xp + (iz * g.in[1] + wh.start + th * g.dilation[1]) * g.in[2];
          for (int64_t tw = 0; tw < g.kernel[2]; ++tw) {
            // Input column base + ow * s exists for ow in [ow0, ow1).
            const int64_t base = tw * g.dilation[2] - g.pad_begin[2];
            const int64_t ow0 = std::min(g.out[2], base >= 0 ? 0 : (-base + s - 1) / s);
            const int64_t ow1 = std::clamp<int64_t>(base >= g.in[2] ? 0 : (g.in[2] - base + s - 1) / s, ow0, g.out[2]);
            if (s == 1) {
              const float* __restrict xs = xrow + base;
              for (int64_t ow = ow0; ow < ow1; ++ow) row[ow] = xs[ow] > row[ow] ? xs[ow] : row[ow];
            } else if (s == 2) {
              const float* __restrict xs = xrow + base;
              for (int64_t ow = ow0; ow < ow1; ++ow) row[ow] = xs[2 * ow] > row[ow] ? xs[2 * ow] : row[ow];
            } else {
              for (int64_t ow = ow0; ow < ow1; ++ow) {
                const float v = xrow[base + ow * s];
                row[ow] = v > row[ow] ? v : row[ow];
              }
            }
          }
        }
      }
    }
  }
}

void PoolKernel::run(const RunContext& ctx) const {
  const SpatialGeometry& g = geometry_;
  const float* x = ctx.inputs[0].data;
  float* y = ctx.outputs[0].data;
  const int64_t in_size = g.in_size();
  const int64_t out_size = g.out_size();
  if (kind_ == PoolKind::kMax) {
    for (int64_t p = 0; p < planes_; ++p) {
      if (ctx.cancelled()) return;
      if (!max_pool_windows(g, x + p * in_size, y + p * out_size, avx512_)) {
        max_pool_rows(g, x + p * in_size, y + p * out_size);
      }
    }
    return;
  }
  for (int64_t p = 0; p < planes_; ++p) {
    if (ctx.cancelled()) return;
    const float* xp = x + p * in_size;
    float* yp = y + p * out_size;
    for (int64_t od = 0; od < g.out[0]; ++od) {
      const AxisWindow wd = axis_window(g, 0, od);
      for (int64_t oh = 0; oh < g.out[1]; ++oh) {
        const AxisWindow wh = axis_window(g, 1, oh);
        for (int64_t ow = 0; ow < g.out[2]; ++ow) {
          const AxisWindow ww = axis_window(g, 2, ow);
          float result = 0.0f;
          if (kind_ == PoolKind::kMax) {
            // An element compares greater than lowest() unless it is NaN: NaNs are skipped, as ONNX Runtime.
            float best = std::numeric_limits<float>::lowest();
            for (int64_t td = wd.first; td < wd.last; ++td) {
              const int64_t iz = wd.start + td * g.dilation[0];
              for (int64_t th = wh.first; th < wh.last; ++th) {
                const int64_t row = (iz * g.in[1] + wh.start + th * g.dilation[1]) * g.in[2] + ww.start;
                for (int64_t tw = ww.first; tw < ww.last; ++tw) {
                  const float v = xp[row + tw * g.dilation[2]];
                  best = v > best ? v : best;
                }
              }
            }
            result = best;
          } else {
            float sum = 0.0f;
            for (int64_t td = wd.first; td < wd.last; ++td) {
              const int64_t iz = wd.start + td * g.dilation[0];
              for (int64_t th = wh.first; th < wh.last; ++th) {
                const int64_t row = (iz * g.in[1] + wh.start + th * g.dilation[1]) * g.in[2] + ww.start;
                for (int64_t tw = ww.first; tw < ww.last; ++tw) sum += xp[row + tw * g.dilation[2]];
              }
            }
            const int64_t count =
                count_include_pad_
                    ? padded_taps(g, 0, wd.start) * padded_taps(g, 1, wh.start) * padded_taps(g, 2, ww.start)
                    : (wd.last - wd.first) * (wh.last - wh.first) * (ww.last - ww.first);
            // A window entirely in the padding has nothing to average: 0 rather than 0/0.
            result = count > 0 ? sum / float(count) : 0.0f;
          }
          yp[(od * g.out[1] + oh) * g.out[2] + ow] = result;
        }
      }
    }
  }
}

// GlobalAveragePool / GlobalMaxPool over every axis after N and C.
class GlobalPoolKernel final : public Kernel {
 public:
  explicit GlobalPoolKernel(PoolKind kind) : kind_(kind) {}
  Status prepare(const PrepareContext& ctx, std::vector<Shape>& output_shapes) override;
  double flops() const override { return flops_; }
  void run(const RunContext& ctx) const override;

 private:
  PoolKind kind_;
  int64_t planes_ = 0;
  int64_t plane_size_ = 0;
  double flops_ = 0;
};

Status GlobalPoolKernel::prepare(const PrepareContext& ctx, std::vector<Shape>& output_shapes) {
  CAIRN_RETURN_IF_ERROR(check_float_input(ctx));
  if (ctx.num_inputs() != 1) return ctx.error("expects one input, got " + std::to_string(ctx.num_inputs()));
  if (ctx.node.outputs.size() != 1) return ctx.error("expects exactly one output");
  const Shape& x_shape = ctx.input(0).shape;
  if (x_shape.size() < 3) {
    return ctx.error("input X must have rank >= 3 (N x C x spatial...), got " + shape_to_string(x_shape));
  }
  auto x_count = checked_element_count(x_shape, ctx.max_elements);
  if (!x_count) return x_count.status().with_context(ctx.node.describe());
  planes_ = x_shape[0] * x_shape[1];
  plane_size_ = 1;
  for (size_t i = 2; i < x_shape.size(); ++i) plane_size_ *= x_shape[i];
  if (plane_size_ == 0 && planes_ > 0) {
    return ctx.error("input " + shape_to_string(x_shape) + " has an empty spatial extent");
  }
  Shape y_shape(x_shape.size(), 1);
  y_shape[0] = x_shape[0];
  y_shape[1] = x_shape[1];
  flops_ = double(*x_count);
  output_shapes.assign(1, y_shape);
  return Status::ok();
}

void GlobalPoolKernel::run(const RunContext& ctx) const {
  const float* x = ctx.inputs[0].data;
  float* y = ctx.outputs[0].data;
  for (int64_t p = 0; p < planes_; ++p) {
    if (ctx.cancelled()) return;
    const float* xp = x + p * plane_size_;
    // Eight interleaved partial results, combined at the end: one chain of dependent additions (or maxima) per
    // plane left MobileNet's 64 planes of 72 pixels waiting 4 cycles per pixel.
    constexpr int64_t kParts = 8;
    const int64_t whole = plane_size_ / kParts * kParts;
    if (kind_ == PoolKind::kMax) {
      float part[kParts];
      for (float& v : part) v = std::numeric_limits<float>::lowest();
      for (int64_t i = 0; i < whole; i += kParts) {
        for (int64_t k = 0; k < kParts; ++k) part[k] = xp[i + k] > part[k] ? xp[i + k] : part[k];
      }
      float best = std::numeric_limits<float>::lowest();
      for (const float v : part) best = v > best ? v : best;
      for (int64_t i = whole; i < plane_size_; ++i) best = xp[i] > best ? xp[i] : best;
      y[p] = best;
    } else {
      // Double accumulation: a 512 x 512 plane summed in float would lose about 2^-6 relative.
      double part[kParts] = {};
      for (int64_t i = 0; i < whole; i += kParts) {
        for (int64_t k = 0; k < kParts; ++k) part[k] += double(xp[i + k]);
      }
      double sum = 0.0;
      for (const double v : part) sum += v;
      for (int64_t i = whole; i < plane_size_; ++i) sum += double(xp[i]);
      y[p] = float(sum / double(plane_size_));
    }
  }
}

}  // namespace

std::unique_ptr<Kernel> make_max_pool() { return std::make_unique<PoolKernel>(PoolKind::kMax); }
std::unique_ptr<Kernel> make_average_pool() { return std::make_unique<PoolKernel>(PoolKind::kAverage); }
std::unique_ptr<Kernel> make_global_average_pool() { return std::make_unique<GlobalPoolKernel>(PoolKind::kAverage); }
std::unique_ptr<Kernel> make_global_max_pool() { return std::make_unique<GlobalPoolKernel>(PoolKind::kMax); }

}  // namespace cairn
