// ConvTranspose as GEMM + col2im: for a tile of input pixels, columns[(M/group * kernel) x pixels] =
// W_g^T * X_g (one GEMM with the weights packed once at prepare), then every column value is scatter-added to
// the output pixel it lands on. The output starts as the bias and the fused activation runs once at the end.
// Where the kernel tiles the output (stride = kernel, no padding or dilation, output = input x stride: the U-Net's
// 2x2 stride-2 up-sampling), every output pixel receives exactly one column value, so the scatter stores
// value + bias directly (contiguous pairs for a width-2 kernel) and the output needs no fill pass.
// Threads split the output channels (blocks of GEMM rows starting at micro-kernel panel boundaries), so the
// scatter-adds of two threads never meet and every output is summed in the same order whatever the count.
#include <algorithm>
#include <memory>
#include <vector>

#include "kernels/dispatch.hpp"
#include "kernels/ref/gemm_ref.hpp"
#include "ops/conv.hpp"
#include "ops/conv_geometry.hpp"
#include "ops/kernel.hpp"

namespace cairn {

namespace {

using kernels::gemm_packed_a_floats;
using kernels::gemm_packed_b_floats;
using kernels::kGemmNR;

constexpr int64_t kColumnTargetFloats = 64 * 1024;  // columns tile ~256 KiB, as Conv's im2col tile
constexpr int64_t kMaxTilePixels = 16 * kGemmNR;

int64_t floor_div2(int64_t v) { return v >= 0 ? v / 2 : -((-v + 1) / 2); }

class ConvTransposeKernel final : public Kernel {
 public:
  Status prepare(const PrepareContext& ctx, std::vector<Shape>& output_shapes) override;
  double flops() const override { return flops_; }
  size_t scratch_floats() const override { return scratch_floats_; }
  size_t packed_bytes() const override { return packed_weights_.size() * sizeof(float); }
  void run(const RunContext& ctx) const override;

 private:
  void pack_weights(const float* w, float* packed) const;
  void scatter_columns(const float* columns, int64_t m_begin, int64_t m_end, int64_t p0, int64_t pixels,
                       float* y) const;
  void store_tiled_columns(const float* columns, int64_t m_begin, int64_t m_end, int64_t p0, int64_t pixels,
                           const float* bias_g, float* y) const;

  SpatialGeometry geometry_;  // in: X spatial, out: Y spatial; pads may be negative (from output_shape)
  int64_t batch_ = 0;
  int64_t in_channels_ = 0;
  int64_t out_channels_ = 0;
  int64_t group_ = 1;
  int64_t cin_g_ = 0;
  int64_t cout_g_ = 0;
  int64_t rows_ = 0;  // cout_g * kernel size: the GEMM's M
  int64_t tile_pixels_ = 0;
  int64_t packed_group_floats_ = 0;
  bool weights_constant_ = false;
  bool has_bias_ = false;
  bool tiles_output_ = false;  // each output pixel gets exactly one column value (stride = kernel, no pads)
  std::vector<float> packed_weights_;
  std::vector<float> bias_;
  FusedActivation activation_;
  double flops_ = 0;
  size_t columns_floats_ = 0;
  size_t tile_floats_ = 0;
  size_t slot_floats_ = 0;  // one thread's columns + input tile
  size_t scratch_floats_ = 0;
  int threads_ = 1;
  int64_t channel_block_ = 0;  // output channels per unit of work
  int64_t channel_blocks_ = 1;
  const kernels::GemmMicrokernel* gemm_ = nullptr;
};

Status ConvTransposeKernel::prepare(const PrepareContext& ctx, std::vector<Shape>& output_shapes) {
  CAIRN_RETURN_IF_ERROR(check_conv_inputs(ctx));
  const Shape& x_shape = ctx.input(0).shape;
  const Shape& w_shape = ctx.input(1).shape;
  group_ = ctx.node.attr_int("group", 1);
  if (group_ < 1) return ctx.error("group " + std::to_string(group_) + " must be positive");
  batch_ = x_shape[0];
  in_channels_ = x_shape[1];
  if (w_shape[0] != in_channels_ || in_channels_ % group_ != 0) {
    return ctx.error("input channels " + std::to_string(in_channels_) + " do not match weights " +
                     shape_to_string(w_shape) + " with group " + std::to_string(group_) +
                     " (ConvTranspose weights are C x M/group x kernel...)");
  }
  cin_g_ = in_channels_ / group_;
  cout_g_ = w_shape[1];
  if (!checked_mul_i64(cout_g_, group_, &out_channels_) || out_channels_ > ctx.max_elements) {
    return ctx.error("output channels of weights " + shape_to_string(w_shape) + " with group " +
                     std::to_string(group_) + " are too many");
  }

  const int rank = int(x_shape.size()) - 2;
  const size_t n = size_t(rank);
  const std::vector<int64_t> w_spatial(w_shape.begin() + 2, w_shape.end());
  CAIRN_ASSIGN_OR_RETURN(SpatialAttributes attrs, read_spatial_attributes(ctx, rank, w_spatial));
  auto window = checked_element_count(attrs.kernel, ctx.max_elements);
  if (!window) return window.status().with_context(ctx.node.describe() + ": kernel");

  std::vector<int64_t> output_padding(n, 0);
  if (ctx.node.has_attr("output_padding")) {
    output_padding = ctx.node.attr_ints("output_padding");
    if (output_padding.size() != n) {
      return ctx.error("output_padding has " + std::to_string(output_padding.size()) + " values, expected " +
                       std::to_string(n));
    }
    for (int64_t v : output_padding) {
      if (v < 0 || v > kMaxSpatialAttribute) {
        return ctx.error("output_padding " + shape_to_string(output_padding) + " must be between 0 and " +
                         std::to_string(kMaxSpatialAttribute));
      }
    }
  }
  std::vector<int64_t> output_shape;
  if (ctx.node.has_attr("output_shape")) {
    output_shape = ctx.node.attr_ints("output_shape");
    // Spatial dims only per the spec; some exporters write the whole N x C x spatial shape.
    if (output_shape.size() == n + 2) output_shape.erase(output_shape.begin(), output_shape.begin() + 2);
    if (output_shape.size() != n) {
      return ctx.error("output_shape " + shape_to_string(ctx.node.attr_ints("output_shape")) +
                       " must have one value per spatial axis (" + std::to_string(n) + ")");
    }
    for (int64_t v : output_shape) {
      if (v < 1 || v > ctx.max_elements) {
        return ctx.error("output_shape " + shape_to_string(output_shape) + " must be positive");
      }
    }
  }

  geometry_ = SpatialGeometry{};
  geometry_.rank = rank;
  const bool same = attrs.auto_pad == AutoPad::kSameUpper || attrs.auto_pad == AutoPad::kSameLower;
  for (size_t i = 0; i < n; ++i) {
    const size_t a = size_t(kMaxSpatialRank) - n + i;
    const int64_t in = x_shape[2 + i];
    const int64_t s = attrs.strides[i];
    const int64_t effective_kernel = (attrs.kernel[i] - 1) * attrs.dilations[i] + 1;
    // full = s * (in - 1) + output_padding + effective_kernel: the output size before padding is removed.
    int64_t full = 0;
    if (in < 1 || !checked_mul_i64(s, in - 1, &full) || !checked_add_i64(full, output_padding[i] + effective_kernel, &full)) {
      return ctx.error("input spatial dims " + shape_to_string(std::vector<int64_t>(x_shape.begin() + 2, x_shape.end())) +
                       " must be positive and not too large");
    }
    int64_t out = 0;
    int64_t pb = 0;
    int64_t pe = 0;
    if (!output_shape.empty() || same) {
      // Pads follow from the requested size (the spec's total_padding): SAME_UPPER puts the odd one at the end.
      if (!output_shape.empty()) {
        out = output_shape[i];
      } else if (!checked_mul_i64(in, s, &out)) {
        return ctx.error("output of input " + shape_to_string(x_shape) + " is too large");
      }
      const int64_t total = full - out;
      if (attrs.auto_pad == AutoPad::kSameUpper) {
        pb = floor_div2(total);
        pe = total - pb;
      } else {
        pe = floor_div2(total);
        pb = total - pe;
      }
    } else {
      if (attrs.auto_pad != AutoPad::kValid) {
        pb = attrs.pads[i];
        pe = attrs.pads[i + n];
      }
      out = full - pb - pe;
    }
    if (out < 1) {
      return ctx.error("output would be empty: input " + shape_to_string(x_shape) + ", weights " +
                       shape_to_string(w_shape) + ", strides " + shape_to_string(attrs.strides) + ", pads " +
                       shape_to_string(attrs.pads));
    }
    geometry_.in[a] = in;
    geometry_.out[a] = out;
    geometry_.kernel[a] = attrs.kernel[i];
    geometry_.stride[a] = s;
    geometry_.dilation[a] = attrs.dilations[i];
    geometry_.pad_begin[a] = pb;
    geometry_.pad_end[a] = pe;
  }

  has_bias_ = ctx.has_input(2);
  if (has_bias_) {
    const Shape& b_shape = ctx.input(2).shape;
    if (b_shape.size() != 1 || b_shape[0] != out_channels_) {
      return ctx.error("bias " + shape_to_string(b_shape) + " must have shape " + std::to_string(out_channels_) +
                       " (the output channels of weights " + shape_to_string(w_shape) + " with group " +
                       std::to_string(group_) + ")");
    }
  }
  Shape y_shape{batch_, out_channels_};
  for (int64_t d : geometry_.out_dims()) y_shape.push_back(d);
  tiles_output_ = true;
  for (int a = 0; a < 3; ++a) {
    const SpatialGeometry& g = geometry_;
    tiles_output_ = tiles_output_ && g.stride[a] == g.kernel[a] && g.dilation[a] == 1 && g.pad_begin[a] == 0 &&
                    g.out[a] == g.in[a] * g.stride[a];
  }
  auto y_count = checked_element_count(y_shape, ctx.max_elements);
  if (!y_count) return y_count.status().with_context(ctx.node.describe() + ": output");

  auto rows_count = checked_element_count({cout_g_, *window}, ctx.max_elements);
  if (!rows_count) return rows_count.status().with_context(ctx.node.describe() + ": weights per input channel");
  rows_ = *rows_count;
  const int64_t in_size = geometry_.in_size();
  int64_t pixels = std::clamp(kColumnTargetFloats / std::max<int64_t>(rows_, 1) / kGemmNR * kGemmNR, kGemmNR,
                              kMaxTilePixels);
  tile_pixels_ = std::min(pixels, kernels::gemm_round_up(in_size, kGemmNR));
  auto columns_count = checked_element_count({rows_, tile_pixels_}, ctx.max_elements);
  if (!columns_count) return columns_count.status().with_context(ctx.node.describe() + ": column tile");
  auto tile_count = checked_element_count({cin_g_, tile_pixels_}, ctx.max_elements);
  if (!tile_count) return tile_count.status().with_context(ctx.node.describe() + ": input tile");
  gemm_ = kernels::active_kernels().gemm;
  auto packed_count =
      checked_element_count({group_, kernels::gemm_round_up(rows_, gemm_->mr), cin_g_}, ctx.max_elements);
  if (!packed_count) return packed_count.status().with_context(ctx.node.describe() + ": packed weights");
  packed_group_floats_ = gemm_packed_a_floats(gemm_->mr, rows_, cin_g_);
  columns_floats_ = size_t(kernels::gemm_round_up(*columns_count, 16));
  tile_floats_ = size_t(kernels::gemm_round_up(gemm_packed_b_floats(cin_g_, tile_pixels_), 16));
  slot_floats_ = columns_floats_ + tile_floats_;
  threads_ = std::max(1, ctx.threads);
  // Channel blocks whose first GEMM row (channel * kernel size) is a multiple of the micro-kernel's MR.
  {
    const int64_t ks = *window;
    int64_t step = gemm_->mr;
    for (int64_t s = 1; s <= gemm_->mr; ++s) {
      if ((s * ks) % gemm_->mr == 0) {
        step = s;
        break;
      }
    }
    const int64_t wanted = threads_ > 1 ? int64_t(threads_) : 1;
    channel_block_ = kernels::gemm_round_up((cout_g_ + wanted - 1) / wanted, step);
    channel_blocks_ = (cout_g_ + channel_block_ - 1) / channel_block_;
  }
  scratch_floats_ = slot_floats_ * size_t(threads_);

  const ConstTensor* w_const = ctx.input(1).constant;
  weights_constant_ = w_const != nullptr && w_const->is_float() && int64_t(w_const->floats.size()) == shape_size(w_shape);
  packed_weights_.clear();
  if (weights_constant_) {
    packed_weights_.assign(size_t(*packed_count), 0.0f);
    pack_weights(w_const->floats.data(), packed_weights_.data());
  } else {
    scratch_floats_ += size_t(*packed_count);
  }
  bias_.clear();
  if (has_bias_) {
    const ConstTensor* b_const = ctx.input(2).constant;
    if (b_const != nullptr && b_const->is_float() && int64_t(b_const->floats.size()) == out_channels_) {
      bias_ = b_const->floats;
    }
  }
  activation_ = ctx.node.activation;
  flops_ = 2.0 * double(batch_) * double(in_channels_) * double(in_size) * double(rows_);
  output_shapes.assign(1, y_shape);
  return Status::ok();
}

void ConvTransposeKernel::pack_weights(const float* w, float* packed) const {
  // A_g[r][c] = W[g * cin_g + c][r] with r = (m, kernel position): W_g^T, read with swapped strides.
  for (int64_t g = 0; g < group_; ++g) {
    kernels::MatrixView view{w + g * cin_g_ * rows_, 1, rows_};
    kernels::gemm_pack_a(gemm_->mr, rows_, cin_g_, view, packed + g * packed_group_floats_);
  }
}

// y (one group's output channels [m_begin, m_end)) += the columns of input pixels [p0, p0 + pixels), whose
// first row is channel m_begin's.
void ConvTransposeKernel::scatter_columns(const float* columns, int64_t m_begin, int64_t m_end, int64_t p0,
                                          int64_t pixels, float* y) const {
  const SpatialGeometry& g = geometry_;
  const int64_t plane = g.in[1] * g.in[2];
  const int64_t out_size = g.out_size();
  int64_t r = 0;
  for (int64_t m = m_begin; m < m_end; ++m) {
    float* ym = y + m * out_size;
    for (int64_t kd = 0; kd < g.kernel[0]; ++kd) {
      for (int64_t kh = 0; kh < g.kernel[1]; ++kh) {
        for (int64_t kw = 0; kw < g.kernel[2]; ++kw, ++r) {
          const float* row = columns + r * pixels;
          int64_t iz = p0 / plane;
          int64_t iy = (p0 % plane) / g.in[2];
          int64_t ix = p0 % g.in[2];
          int64_t j = 0;
          while (j < pixels) {
            const int64_t segment = std::min(pixels - j, g.in[2] - ix);
            const int64_t oz = iz * g.stride[0] - g.pad_begin[0] + kd * g.dilation[0];
            const int64_t oy = iy * g.stride[1] - g.pad_begin[1] + kh * g.dilation[1];
            if (oz >= 0 && oz < g.out[0] && oy >= 0 && oy < g.out[1]) {
              const int64_t stride = g.stride[2];
              const int64_t base = ix * stride - g.pad_begin[2] + kw * g.dilation[2];
              // ox = base + t * stride is inside [0, out) for t in [t0, t1).
              int64_t t0 = base >= 0 ? 0 : (-base + stride - 1) / stride;
              int64_t t1 = base >= g.out[2] ? 0 : (g.out[2] - base + stride - 1) / stride;
              t0 = std::min(t0, segment);
              t1 = std::clamp(t1, t0, segment);
              const int64_t row_offset = (oz * g.out[1] + oy) * g.out[2] + base;
              for (int64_t t = t0; t < t1; ++t) ym[row_offset + t * stride] += row[j + t];
            }
            j += segment;
            ix = 0;
            if (++iy == g.in[1]) {
              iy = 0;
              ++iz;
            }
          }
        }
      }
    }
  }
}

// y = columns + bias for output channels [m_begin, m_end) of one group, input pixels [p0, p0 + pixels), when the
// kernel tiles the output (tiles_output_): column row (m, kd, kh, kw) of input pixel (iz, iy, ix) is output pixel
// (iz * kernel_d + kd, iy * kernel_h + kh, ix * kernel_w + kw), and no other value lands there.
void ConvTransposeKernel::store_tiled_columns(const float* columns, int64_t m_begin, int64_t m_end, int64_t p0,
                                              int64_t pixels, const float* bias_g, float* y) const {
  const SpatialGeometry& g = geometry_;
  const int64_t plane = g.in[1] * g.in[2];
  const int64_t out_size = g.out_size();
  const int64_t kw_count = g.kernel[2];
  int64_t r = 0;
  for (int64_t m = m_begin; m < m_end; ++m) {
    float* ym = y + m * out_size;
    const float b = bias_g != nullptr ? bias_g[m] : 0.0f;
    for (int64_t kd = 0; kd < g.kernel[0]; ++kd) {
      for (int64_t kh = 0; kh < g.kernel[1]; ++kh, r += kw_count) {
        const float* rows = columns + r * pixels;  // kw_count rows, one per kw
        int64_t iz = p0 / plane;
        int64_t iy = (p0 % plane) / g.in[2];
        int64_t ix = p0 % g.in[2];
        int64_t j = 0;
        while (j < pixels) {
          const int64_t segment = std::min(pixels - j, g.in[2] - ix);
          const int64_t oz = iz * g.kernel[0] + kd;
          const int64_t oy = iy * g.kernel[1] + kh;
          float* dst = ym + (oz * g.out[1] + oy) * g.out[2] + ix * kw_count;
          const float* src = rows + j;
          if (kw_count == 2) {
            const float* src1 = src + pixels;
            for (int64_t t = 0; t < segment; ++t) {
              dst[2 * t] = src[t] + b;
              dst[2 * t + 1] = src1[t] + b;
            }
          } else {
            for (int64_t kw = 0; kw < kw_count; ++kw) {
              const float* src_kw = src + kw * pixels;
              for (int64_t t = 0; t < segment; ++t) dst[t * kw_count + kw] = src_kw[t] + b;
            }
          }
          j += segment;
          ix = 0;
          if (++iy == g.in[1]) {
            iy = 0;
            ++iz;
          }
        }
      }
    }
  }
}

void ConvTransposeKernel::run(const RunContext& ctx) const {
  const float* x = ctx.inputs[0].data;
  float* y = ctx.outputs[0].data;
  const float* packed = packed_weights_.data();
  if (!weights_constant_) {
    float* runtime_packed = ctx.scratch + slot_floats_ * size_t(threads_);
    pack_weights(ctx.inputs[1].data, runtime_packed);
    packed = runtime_packed;
  }
  const float* bias = nullptr;
  if (has_bias_) bias = bias_.empty() ? ctx.inputs[2].data : bias_.data();

  const int64_t in_size = geometry_.in_size();
  const int64_t out_size = geometry_.out_size();
  const int64_t kernel_size = rows_ / std::max<int64_t>(cout_g_, 1);
  // A unit is one block of output channels of one group of one image, over all input pixels.
  const int64_t units = batch_ * group_ * channel_blocks_;
  const double flops_per_unit = flops_ / double(std::max<int64_t>(units, 1));
  parallel_units(ctx, threads_, units, flops_per_unit, [&](int slot, int64_t begin, int64_t end) {
    float* columns = ctx.scratch + size_t(slot) * slot_floats_;
    float* tile = columns + columns_floats_;
    for (int64_t u = begin; u < end; ++u) {
      const int64_t n = u / (group_ * channel_blocks_);
      const int64_t g = (u / channel_blocks_) % group_;
      const int64_t m_begin = (u % channel_blocks_) * channel_block_;
      const int64_t m_end = std::min(cout_g_, m_begin + channel_block_);
      const int64_t row_begin = m_begin * kernel_size;
      const int64_t rows = (m_end - m_begin) * kernel_size;
      const float* a = packed + g * packed_group_floats_ + row_begin * cin_g_;  // row_begin is a panel boundary
      const float* xg = x + (n * in_channels_ + g * cin_g_) * in_size;
      float* yg = y + (n * out_channels_ + g * cout_g_) * out_size;
      if (!tiles_output_) {
        for (int64_t m = m_begin; m < m_end; ++m) {
          std::fill(yg + m * out_size, yg + (m + 1) * out_size, bias != nullptr ? bias[g * cout_g_ + m] : 0.0f);
        }
      }
      for (int64_t p0 = 0; p0 < in_size; p0 += tile_pixels_) {
        if (ctx.cancelled()) return;
        const int64_t pixels = std::min(tile_pixels_, in_size - p0);
        kernels::gemm_pack_b(cin_g_, pixels, kernels::MatrixView{xg + p0, in_size, 1}, tile);
        kernels::gemm_packed(*gemm_, rows, pixels, cin_g_, a, tile, columns, pixels, /*accumulate=*/false);
        if (tiles_output_) {
          store_tiled_columns(columns, m_begin, m_end, p0, pixels, bias != nullptr ? bias + g * cout_g_ : nullptr,
                              yg);
        } else {
          scatter_columns(columns, m_begin, m_end, p0, pixels, yg);
        }
      }
      if (activation_.kind != FusedActivation::Kind::kNone) {
        for (int64_t m = m_begin; m < m_end; ++m) {
          apply_bias_activation(yg + m * out_size, out_size, 0.0f, activation_);
        }
      }
    }
  });
}

}  // namespace

std::unique_ptr<Kernel> make_conv_transpose() { return std::make_unique<ConvTransposeKernel>(); }

}  // namespace cairn
