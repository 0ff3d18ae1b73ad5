// Depthwise and row-buffer direct convolutions (conv_direct.hpp).
#include "ops/conv_direct.hpp"

#include <algorithm>
#include <cstring>

#include "kernels/ref/gemm_ref.hpp"
#include "ops/conv.hpp"
#include "ops/kernel.hpp"

namespace cairn {

kernels::ConvWindow conv_window(const SpatialGeometry& g) {
  kernels::ConvWindow w{};
  for (size_t a = 0; a < 3; ++a) {
    w.in[a] = g.in[a];
    w.out[a] = g.out[a];
    w.kernel[a] = g.kernel[a];
    w.stride[a] = g.stride[a];
    w.dilation[a] = g.dilation[a];
    w.pad_begin[a] = g.pad_begin[a];
  }
  return w;
}

DepthwiseConv::DepthwiseConv(const SpatialGeometry& g, int64_t batch, int64_t channels, int64_t out_channels,
                             kernels::DepthwiseConvFn kernel, int threads)
    : g_(g), window_(conv_window(g)), batch_(batch), channels_(channels), out_channels_(out_channels),
      threads_(threads), kernel_(kernel) {}

void DepthwiseConv::run(const RunContext& ctx, const float* x, const float* w, float* y, const float* bias,
                        const FusedActivation& activation) const {
  const int64_t in_size = g_.in_size();
  const int64_t out_size = g_.out_size();
  const int64_t kernel_size = g_.kernel_size();
  const int64_t multiplier = out_channels_ / channels_;
  const int64_t units = batch_ * out_channels_;  // one output plane each
  const double flops_per_unit = 2.0 * double(out_size) * double(kernel_size);
  const kernels::Epilogue epilogue = kernel_epilogue(activation);
  const bool leaves = leaves_activation(activation);
  parallel_units(ctx, threads_, units, flops_per_unit, [&](int, int64_t begin, int64_t end) {
    for (int64_t u = begin; u < end; ++u) {
      const int64_t n = u / out_channels_;
      const int64_t m = u % out_channels_;
      float* yp = y + u * out_size;
      kernel_(window_, x + (n * channels_ + m / multiplier) * in_size, w + m * kernel_size,
              bias != nullptr ? bias[m] : 0.0f, epilogue, yp);
      if (leaves) apply_bias_activation(yp, out_size, 0.0f, activation);
    }
  });
}

namespace {

// y[c * plane_stride + p] = activation(tile[p * block + c] + bias[c]): a channel tile into the output planes with
// the epilogue on the way (kernels/direct_conv.hpp), by 8 x 8 register transposes where the CPU has AVX2.
void tile_to_planes(const float* tile, int64_t block, int64_t channels, int64_t pixels, const float* bias,
                    const kernels::Epilogue& e, float* y, int64_t plane_stride) {
#if defined(__x86_64__) && defined(__GNUC__)
  static const bool avx2 = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
  if (avx2) {
    kernels::channel_tile_to_planes__avx2_fma(tile, block, channels, pixels, bias, e, y, plane_stride);
    return;
  }
#endif
  kernels::channel_tile_to_planes__scalar(tile, block, channels, pixels, bias, e, y, plane_stride, 0, 0);
}

// Columns the micro-kernel may read past a phase's last output column: the widest tap shift, rounded so that
// every phase starts 64-byte aligned.
int64_t phase_floats_for(int64_t columns, int64_t span) { return kernels::gemm_round_up(columns + span, 16); }

// Output columns per unit aimed for: several micro-tiles, so that each tap's weights are loaded for more than one.
constexpr int64_t kTargetColumns = 256;

// R, the output rows of one unit: about kTargetColumns columns, fewer when the buffer would pass its limit.
int64_t rows_per_unit_for(const SpatialGeometry& g, int64_t tap_rows, int64_t row_width, int64_t span, int64_t nr) {
  const int64_t s = g.stride[2];
  int64_t r = std::clamp<int64_t>((kTargetColumns + row_width - 1) / row_width, 1, g.out[1]);
  while (r > 1 && tap_rows * s * phase_floats_for(kernels::gemm_round_up(r * row_width, nr), span) >
                      RowBufferConv::kMaxRowBufferFloats) {
    --r;
  }
  return r;
}

}  // namespace

bool RowBufferConv::supports(const SpatialGeometry& g, int64_t in_channels, int64_t group,
                             const kernels::DirectConvMicrokernel& uk) {
  const int64_t cin_g = in_channels / group;
  if (cin_g == 1 && group > 1) return false;  // depthwise
  const int64_t s = g.stride[2];
  const int64_t span = (g.kernel[2] - 1) * g.dilation[2] / s;
  const int64_t width = g.out[2] + span;
  const int64_t rows = cin_g * g.kernel[0] * g.kernel[1] * s;
  // One output row's buffer, computed without overflow for any accepted attribute: each factor is below 2^24.
  const double floats = double(rows) * double(phase_floats_for(kernels::gemm_round_up(width, uk.nr), span));
  return floats <= double(kMaxRowBufferFloats);
}

const kernels::ChannelConvMicrokernel* RowBufferConv::choose_channel_tile(
    const SpatialGeometry& g, int64_t in_channels, int64_t out_channels, int64_t group,
    const kernels::DirectConvMicrokernel& uk, const kernels::ChannelConvMicrokernel* const* candidates, int count) {
  const int64_t s = g.stride[2];
  const int64_t span = (g.kernel[2] - 1) * g.dilation[2] / s;
  const int64_t row_width = g.out[2] + span;
  const int64_t r = rows_per_unit_for(g, in_channels / group * g.kernel[0] * g.kernel[1], row_width, span, uk.nr);
  const int64_t pixels = r * g.out[2];
  const int64_t cout_g = out_channels / group;
  // The channel tiles' buffer for one output row (in double: dilations can be large) must fit as the row tile's.
  const double plane_floats = double(in_channels / group) * double(g.kernel[0]) *
                              double((g.kernel[1] - 1) * g.dilation[1] + 1) * double(s) * double(row_width);
  if (plane_floats > double(kMaxRowBufferFloats)) return nullptr;
  // The share of what each tile computes that is kept.
  const double row_use = double(pixels) / double(kernels::gemm_round_up(r * row_width, uk.nr)) *
                         double(cout_g) / double(kernels::gemm_round_up(cout_g, uk.mr));
  const kernels::ChannelConvMicrokernel* best = nullptr;
  double best_use = row_use;
  for (int i = 0; i < count; ++i) {
    const kernels::ChannelConvMicrokernel* c = candidates[i];
    if (c == nullptr || c->np > kMaxChannelTilePixels) continue;
    const double use = double(cout_g) / double(kernels::gemm_round_up(cout_g, c->mc)) * double(pixels) /
                       double(kernels::gemm_round_up(pixels, c->np));
    if (use > best_use) {
      best = c;
      best_use = use;
    }
  }
  return best;
}

RowBufferConv::RowBufferConv(const SpatialGeometry& g, int64_t batch, int64_t in_channels, int64_t out_channels,
                             int64_t group, const float* w, const kernels::DirectConvMicrokernel& uk, int threads,
                             const kernels::ChannelConvMicrokernel* channel_uk)
    : g_(g), batch_(batch), cin_(in_channels), cout_(out_channels), group_(group), threads_(threads), uk_(&uk),
      channel_uk_(channel_uk != nullptr && channel_uk->np <= kMaxChannelTilePixels ? channel_uk : nullptr) {
  cin_g_ = cin_ / group_;
  cout_g_ = cout_ / group_;
  const int64_t s = g_.stride[2];
  const int64_t span = (g_.kernel[2] - 1) * g_.dilation[2] / s;
  tap_rows_ = cin_g_ * g_.kernel[0] * g_.kernel[1];
  taps_ = tap_rows_ * g_.kernel[2];
  row_width_ = g_.out[2] + span;
  int64_t r = rows_per_unit_for(g_, tap_rows_, row_width_, span, uk.nr);
  // Channel tiles: the input rows of R output rows, each once (r < input_rows), in planes (c, kd).
  auto input_rows_for = [&](int64_t rows) {
    return (rows - 1) * g_.stride[1] + (g_.kernel[1] - 1) * g_.dilation[1] + 1;
  };
  if (channel_uk_ != nullptr) {
    while (r > 1 && cin_g_ * g_.kernel[0] * input_rows_for(r) * s * row_width_ > kMaxRowBufferFloats) --r;
  }
  // Units of equal height (29 rows in units of 7 left one of 1 row, computed over a whole tile on the row path),
  // and, for a layer that will run on threads, a multiple of them per image when the images alone do not divide.
  int64_t units = (g_.out[1] + r - 1) / r;
  const double flops = 2.0 * double(batch_ * cout_) * double(taps_) * double(g_.out_size());
  if (threads_ > 1 && flops >= kMinParallelFlops && (batch_ * group_ * g_.out[0]) % threads_ != 0) {
    units = std::min<int64_t>(g_.out[1], (units + threads_ - 1) / threads_ * threads_);
  }
  r = (g_.out[1] + units - 1) / units;
  rows_per_unit_ = r;
  columns_ = kernels::gemm_round_up(r * row_width_, uk.nr);
  phase_floats_ = phase_floats_for(columns_, span);
  units_per_plane_ = (g_.out[1] + r - 1) / r;
  const int64_t block = channel_uk_ != nullptr ? channel_uk_->mc : uk.mr;
  blocks_ = (cout_g_ + block - 1) / block;
  rows_floats_ = size_t(tap_rows_ * s * phase_floats_);
  int64_t tile_floats = blocks_ * uk.mr * columns_;
  if (channel_uk_ != nullptr) {
    input_rows_ = input_rows_for(r);
    rows_floats_ = size_t(kernels::gemm_round_up(cin_g_ * g_.kernel[0] * input_rows_ * s * row_width_, 16));
    tile_pixels_ = kernels::gemm_round_up(r * g_.out[2], channel_uk_->np);
    tile_floats = blocks_ * block * tile_pixels_;
  }
  slot_floats_ = size_t(kernels::gemm_round_up(int64_t(rows_floats_) + tile_floats, 16));

  offsets_.resize(size_t(taps_));
  for (int64_t row = 0; row < tap_rows_; ++row) {
    for (int64_t kw = 0; kw < g_.kernel[2]; ++kw) {
      const int64_t shift = kw * g_.dilation[2];
      int64_t offset = row * s * phase_floats_ + (shift % s) * phase_floats_ + shift / s;
      if (channel_uk_ != nullptr) {
        // Tap row (c, kd, kh) reads input row kh * dilation of plane (c, kd), relative to the pixel's first row.
        const int64_t plane = row / g_.kernel[1];
        const int64_t kh = row % g_.kernel[1];
        offset = ((plane * input_rows_ + kh * g_.dilation[1]) * s + shift % s) * row_width_ + shift / s;
      }
      offsets_[size_t(row * g_.kernel[2] + kw)] = offset;
    }
  }
  if (channel_uk_ != nullptr) {
    const int64_t pad = g_.pad_begin[2];
    for (int64_t p = 0; p < s; ++p) {
      const int64_t t0 = std::min(row_width_, std::max<int64_t>(0, (pad - p + s - 1) / s));
      phase_columns_.push_back(t0);
      phase_columns_.push_back(std::clamp<int64_t>((g_.in[2] + pad - p + s - 1) / s, t0, row_width_));
    }
    plane_row_read_.assign(size_t(input_rows_ * s), 0);
    for (int64_t rho = 0; rho < r; ++rho) {
      for (int64_t kh = 0; kh < g_.kernel[1]; ++kh) {
        for (int64_t kw = 0; kw < g_.kernel[2]; ++kw) {
          plane_row_read_[size_t((rho * g_.stride[1] + kh * g_.dilation[1]) * s + kw * g_.dilation[2] % s)] = 1;
        }
      }
    }
  }
  packed_.assign(size_t(group_ * blocks_ * taps_ * block), 0.0f);
  for (int64_t gr = 0; gr < group_; ++gr) {
    for (int64_t co = 0; co < cout_g_; ++co) {
      float* packed_block = packed_.data() + ((gr * blocks_ + co / block) * taps_) * block + co % block;
      const float* wc = w + (gr * cout_g_ + co) * taps_;
      for (int64_t t = 0; t < taps_; ++t) packed_block[t * block] = wc[t];
    }
  }
}

void RowBufferConv::fill_rows(const float* xg, int64_t od, int64_t oh0, float* rows) const {
  const int64_t s = g_.stride[2];
  const int64_t in_w = g_.in[2];
  const int64_t pad = g_.pad_begin[2];
  int64_t row = 0;
  for (int64_t c = 0; c < cin_g_; ++c) {
    const float* xc = xg + c * g_.in_size();
    for (int64_t kd = 0; kd < g_.kernel[0]; ++kd) {
      const int64_t iz = od * g_.stride[0] - g_.pad_begin[0] + kd * g_.dilation[0];
      for (int64_t kh = 0; kh < g_.kernel[1]; ++kh, ++row) {
        for (int64_t p = 0; p < s; ++p) {
          float* phase = rows + (row * s + p) * phase_floats_;
          // Column t of the phase is padded input column t * s + p, input column t * s + p - pad: it exists for
          // t in [t0, t1).
          const int64_t t0 = std::min(row_width_, std::max<int64_t>(0, (pad - p + s - 1) / s));
          const int64_t t1 = std::clamp<int64_t>((in_w + pad - p + s - 1) / s, t0, row_width_);
          for (int64_t rho = 0; rho < rows_per_unit_; ++rho) {
            float* dst = phase + rho * row_width_;
            const int64_t oh = oh0 + rho;
            const int64_t iy = oh * g_.stride[1] - g_.pad_begin[1] + kh * g_.dilation[1];
            if (oh >= g_.out[1] || iz < 0 || iz >= g_.in[0] || iy < 0 || iy >= g_.in[1]) {
              std::memset(dst, 0, size_t(row_width_) * sizeof(float));
              continue;
            }
            const float* src = xc + (iz * g_.in[1] + iy) * in_w + p - pad;
            for (int64_t t = 0; t < t0; ++t) dst[t] = 0.0f;
            if (s == 1) {
              std::memcpy(dst + t0, src + t0, size_t(t1 - t0) * sizeof(float));
            } else {
              for (int64_t t = t0; t < t1; ++t) dst[t] = src[t * s];
            }
            for (int64_t t = t1; t < row_width_; ++t) dst[t] = 0.0f;
          }
          const int64_t used = rows_per_unit_ * row_width_;
          std::memset(phase + used, 0, size_t(phase_floats_ - used) * sizeof(float));
        }
      }
    }
  }
}

// The rows are short (ResNet's and MobileNet's maps are 16-36 pixels wide): GCC would turn the copy and zero loops
// into memcpy and memset calls, which cost more than the copies themselves; keep them as inline loops.
#if defined(__GNUC__) && !defined(__clang__)
__attribute__((optimize("no-tree-loop-distribute-patterns")))
#endif
void RowBufferConv::fill_planes(const float* xg, int64_t od, int64_t oh0, float* rows) const {
  const int64_t s = g_.stride[2];
  const int64_t in_w = g_.in[2];
  const int64_t pad = g_.pad_begin[2];
  const int64_t width = row_width_;
  float* dst = rows;
  for (int64_t c = 0; c < cin_g_; ++c) {
    const float* xc = xg + c * g_.in_size();
    for (int64_t kd = 0; kd < g_.kernel[0]; ++kd) {
      const int64_t iz = od * g_.stride[0] - g_.pad_begin[0] + kd * g_.dilation[0];
      for (int64_t r = 0; r < input_rows_; ++r) {
        const int64_t iy = oh0 * g_.stride[1] - g_.pad_begin[1] + r;
        const bool exists = iz >= 0 && iz < g_.in[0] && iy >= 0 && iy < g_.in[1];
        const float* x_row = xc + (iz * g_.in[1] + iy) * in_w - pad;
        for (int64_t p = 0; p < s; ++p, dst += width) {
          if (!plane_row_read_[size_t(r * s + p)]) continue;  // no tap reads it (strides above the kernel)
          if (!exists) {
            for (int64_t t = 0; t < width; ++t) dst[t] = 0.0f;
            continue;
          }
          // Column t of phase p is input column t * s + p - pad: it exists for t in [t0, t1).
          const int64_t t0 = phase_columns_[size_t(2 * p)];
          const int64_t t1 = phase_columns_[size_t(2 * p + 1)];
          const float* src = x_row + p;
          for (int64_t t = 0; t < t0; ++t) dst[t] = 0.0f;
          if (s == 1) {
            for (int64_t t = t0; t < t1; ++t) dst[t] = src[t];
          } else if (s == 2) {
            for (int64_t t = t0; t < t1; ++t) dst[t] = src[2 * t];
          } else {
            for (int64_t t = t0; t < t1; ++t) dst[t] = src[t * s];
          }
          for (int64_t t = t1; t < width; ++t) dst[t] = 0.0f;
        }
      }
    }
  }
}

void RowBufferConv::compute_rows(const float* rows, const float* w, float* tile) const {
  const int64_t mr = uk_->mr;
  for (int64_t q0 = 0; q0 < columns_; q0 += uk_->nr) {
    for (int64_t b = 0; b < blocks_; ++b) {
      uk_->tile(taps_, w + b * taps_ * mr, offsets_.data(), rows + q0, tile + b * mr * columns_ + q0, columns_);
    }
  }
}

void RowBufferConv::compute_channels(const float* rows, const float* w, int64_t pixels, float* tile) const {
  const int64_t mc = channel_uk_->mc;
  const int64_t np = channel_uk_->np;
  const int64_t out_w = g_.out[2];
  const int64_t row_step = g_.stride[1] * g_.stride[2] * row_width_;
  const float* pointers[kMaxChannelTilePixels];
  for (int64_t p0 = 0; p0 < pixels; p0 += np) {
    // Pixel p (output row p / out_w of the unit) starts its taps at input row (p / out_w) * stride of each
    // plane, column p % out_w; a tail tile repeats the last pixel.
    for (int64_t k = 0; k < np; ++k) {
      const int64_t p = std::min(p0 + k, pixels - 1);
      pointers[k] = rows + (p / out_w) * row_step + p % out_w;
    }
    for (int64_t b = 0; b < blocks_; ++b) {
      channel_uk_->tile(taps_, w + b * taps_ * mc, offsets_.data(), pointers, tile + (b * tile_pixels_ + p0) * mc);
    }
  }
}

void RowBufferConv::run(const RunContext& ctx, const float* x, float* y, const float* bias,
                        const FusedActivation& activation) const {
  const int64_t in_size = g_.in_size();
  const int64_t out_size = g_.out_size();
  const int64_t out_w = g_.out[2];
  const int64_t block = channel_uk_ != nullptr ? channel_uk_->mc : uk_->mr;
  const kernels::Epilogue epilogue = kernel_epilogue(activation);
  const bool leaves = leaves_activation(activation);
  const int64_t units = batch_ * group_ * g_.out[0] * units_per_plane_;
  const double flops_per_unit =
      2.0 * double(cout_g_) * double(taps_) * double(rows_per_unit_) * double(out_w);
  parallel_units(ctx, threads_, units, flops_per_unit, [&](int slot, int64_t begin, int64_t end) {
    float* rows = ctx.scratch + size_t(slot) * slot_floats_;
    float* tile = rows + rows_floats_;
    for (int64_t u = begin; u < end; ++u) {
      if (ctx.cancelled()) return;
      const int64_t n = u / (group_ * g_.out[0] * units_per_plane_);
      const int64_t gr = (u / (g_.out[0] * units_per_plane_)) % group_;
      const int64_t od = (u / units_per_plane_) % g_.out[0];
      const int64_t oh0 = (u % units_per_plane_) * rows_per_unit_;
      const int64_t rows_here = std::min(rows_per_unit_, g_.out[1] - oh0);
      const float* xg = x + (n * cin_ + gr * cin_g_) * in_size;
      const float* w = packed_.data() + gr * blocks_ * taps_ * block;
      if (channel_uk_ != nullptr) {
        fill_planes(xg, od, oh0, rows);
        compute_channels(rows, w, rows_here * out_w, tile);
      } else {
        fill_rows(xg, od, oh0, rows);
        compute_rows(rows, w, tile);
      }
      if (channel_uk_ != nullptr) {
        // The unit's rows are whole output rows: its pixels are consecutive in the output planes.
        float* yu = y + (n * cout_ + gr * cout_g_) * out_size + (od * g_.out[1] + oh0) * out_w;
        for (int64_t c0 = 0; c0 < cout_g_; c0 += block) {
          tile_to_planes(tile + (c0 / block) * tile_pixels_ * block, block, std::min(block, cout_g_ - c0),
                         rows_here * out_w, bias != nullptr ? bias + gr * cout_g_ + c0 : nullptr, epilogue,
                         yu + c0 * out_size, out_size);
        }
        if (!leaves) continue;
      }
      for (int64_t co = 0; co < cout_g_; ++co) {
        const int64_t m = gr * cout_g_ + co;
        float* ym = y + (n * cout_ + m) * out_size + (od * g_.out[1] + oh0) * out_w;
        if (channel_uk_ != nullptr) {  // bias and the kernel's part of the activation applied already
          apply_bias_activation(ym, rows_here * out_w, 0.0f, activation);
          continue;
        }
        for (int64_t rho = 0; rho < rows_here; ++rho) {
          std::memcpy(ym + rho * out_w, tile + co * columns_ + rho * row_width_, size_t(out_w) * sizeof(float));
        }
        apply_bias_activation(ym, rows_here * out_w, bias != nullptr ? bias[m] : 0.0f, activation);
      }
    }
  });
}

}  // namespace cairn
