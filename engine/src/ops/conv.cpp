// Conv: tiled im2col + the packed GEMM of kernels/ref. Weights are packed once at prepare (when constant) into
// the GEMM's A panels; the output pixels are processed in tiles whose im2col columns are written straight into
// packed-B form in scratch, so no full im2col buffer ever exists. 1x1 stride-1 unpadded convolutions skip the
// im2col address arithmetic and pack the input rows directly.
#include "ops/conv.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <iterator>
#include <memory>
#include <vector>

#include "kernels/dispatch.hpp"
#include "kernels/ref/gemm_ref.hpp"
#include "ops/conv_direct.hpp"
#include "ops/conv_winograd.hpp"
#include "ops/kernel.hpp"
#include "runtime/thread_pool.hpp"

namespace cairn {

using kernels::gemm_packed_a_floats;
using kernels::gemm_packed_b_floats;
using kernels::kGemmNR;

namespace {

using kernels::Epilogue;
#include "kernels/epilogue_impl.inc"

}  // namespace

// Compiled for AVX-512, AVX2 and the baseline, the copy chosen once at load (an ifunc): every convolution ends with
// this pass over its output, a sixth of MobileNet's time at SSE2's four lanes. GCC only (clang builds the fuzzers).
// The kernels' epilogue loops (epilogue_impl.inc) for the activations they take, inlined into each copy.
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
__attribute__((target_clones("avx512f", "avx2", "default")))
#endif
void apply_bias_activation(float* y, int64_t n, float bias, const FusedActivation& activation) {
  if (leaves_activation(activation)) {
    for (int64_t i = 0; i < n; ++i) y[i] = activation.apply(y[i] + bias);
    return;
  }
  apply_epilogue_row(kernel_epilogue(activation), bias, y, n);
}

kernels::Epilogue kernel_epilogue(const FusedActivation& activation) {
  using Kind = FusedActivation::Kind;
  kernels::Epilogue e;
  switch (activation.kind) {
    case Kind::kRelu:
      e.kind = kernels::Epilogue::Kind::kRelu;
      break;
    case Kind::kLeakyRelu:
      e.kind = kernels::Epilogue::Kind::kLeakyRelu;
      e.alpha = activation.alpha;
      break;
    case Kind::kClip:
      e.kind = kernels::Epilogue::Kind::kClamp;
      e.lo = activation.alpha;
      e.hi = activation.beta;
      break;
    case Kind::kNone:
    case Kind::kSigmoid:
    case Kind::kTanh:
      break;
  }
  return e;
}

void parallel_units(const RunContext& ctx, int threads, int64_t count, double flops_per_unit,
                    const std::function<void(int slot, int64_t begin, int64_t end)>& body) {
  const int pool_threads = ctx.pool != nullptr ? ctx.pool->size() : 1;
  // Up to 16 waves per operator: fine enough for progress and cancellation. A dispatch costs about a microsecond
  // (runtime/thread_pool.cpp), but a layer split between cores moves its input and output between their caches:
  // below kMinParallelFlops the calling thread does everything (MobileNet's 5-15 us layers took 0.058 ms at 2
  // threads this way, 0.10 ms split from 0.5 MFLOP), and with threads a wave is at least kMinWaveFlops (about
  // 0.3 ms of one core), so that a small layer is one dispatch and one barrier.
  constexpr double kMinWaveFlops = 32e6;
  const double total_flops = double(count) * flops_per_unit;
  const int64_t usable = total_flops < kMinParallelFlops ? 1 : std::min(threads, pool_threads);
  const int64_t t = std::max<int64_t>(1, std::min<int64_t>(usable, count));
  const int64_t waves = t == 1 ? 16 : std::clamp<int64_t>(int64_t(total_flops / kMinWaveFlops), 1, 16);
  const int64_t per_thread = std::max<int64_t>(1, (count + waves * t - 1) / (waves * t));
  const int64_t wave = per_thread * t;
  for (int64_t w0 = 0; w0 < count; w0 += wave) {
    if (ctx.cancelled()) return;
    const int64_t w1 = std::min(count, w0 + wave);
    if (t == 1) {
      body(0, w0, w1);
    } else {
      const int64_t chunk = (w1 - w0 + t - 1) / t;
      ctx.pool->parallel_for(size_t(t), [&](size_t i) {
        const int64_t b = w0 + int64_t(i) * chunk;
        const int64_t e = std::min(w1, b + chunk);
        if (b < e) body(int(i), b, e);
      });
    }
    ctx.progress(double(w1) * flops_per_unit);
  }
}

void conv_direct_naive(const SpatialGeometry& g, int64_t batch, int64_t in_channels, int64_t out_channels,
                       int64_t group, const float* x, const float* w, const float* bias,
                       const FusedActivation& activation, float* y, double* abs_sum) {
  const int64_t cin_g = in_channels / group;
  const int64_t cout_g = out_channels / group;
  const int64_t in_size = g.in_size();
  const int64_t out_size = g.out_size();
  const int64_t kernel_size = g.kernel_size();
  for (int64_t n = 0; n < batch; ++n) {
    for (int64_t m = 0; m < out_channels; ++m) {
      const int64_t first_channel = (m / cout_g) * cin_g;
      for (int64_t od = 0; od < g.out[0]; ++od) {
        for (int64_t oh = 0; oh < g.out[1]; ++oh) {
          for (int64_t ow = 0; ow < g.out[2]; ++ow) {
            double sum = 0.0;
            double magnitude = 0.0;
            for (int64_t c = 0; c < cin_g; ++c) {
              const float* xc = x + (n * in_channels + first_channel + c) * in_size;
              const float* wc = w + (m * cin_g + c) * kernel_size;
              for (int64_t kd = 0; kd < g.kernel[0]; ++kd) {
                const int64_t iz = od * g.stride[0] - g.pad_begin[0] + kd * g.dilation[0];
                if (iz < 0 || iz >= g.in[0]) continue;
                for (int64_t kh = 0; kh < g.kernel[1]; ++kh) {
                  const int64_t iy = oh * g.stride[1] - g.pad_begin[1] + kh * g.dilation[1];
                  if (iy < 0 || iy >= g.in[1]) continue;
                  for (int64_t kw = 0; kw < g.kernel[2]; ++kw) {
                    const int64_t ix = ow * g.stride[2] - g.pad_begin[2] + kw * g.dilation[2];
                    if (ix < 0 || ix >= g.in[2]) continue;
                    const double product = double(xc[(iz * g.in[1] + iy) * g.in[2] + ix]) *
                                           double(wc[(kd * g.kernel[1] + kh) * g.kernel[2] + kw]);
                    sum += product;
                    magnitude += std::fabs(product);
                  }
                }
              }
            }
            const int64_t index = (n * out_channels + m) * out_size + (od * g.out[1] + oh) * g.out[2] + ow;
            if (bias != nullptr) sum += double(bias[m]);
            y[index] = activation.apply(float(sum));
            if (abs_sum != nullptr) abs_sum[index] = magnitude;
          }
        }
      }
    }
  }
}

namespace {

// Columns of output pixels per tile: the im2col tile (K x columns) is kept near 1 MiB (its KC-row slabs stay in
// L2), with at least two micro-tiles of the GEMM kernel's width and at most 256 columns. With fewer columns the
// deep layers (K = 2304-4608) ran at 35-45 GFLOP/s, each weight panel loaded for one 16-column tile.
constexpr int64_t kTileTargetFloats = 256 * 1024;
constexpr int64_t kMaxTileColumns = 16 * kGemmNR;
constexpr int64_t kMinTileTiles = 2;

// Writes values for columns [column, column + count) of one packed-B row (row = the row's slot in panel 0):
// src[t * stride] when src is not null, zeros otherwise. Runs are split at panel boundaries so that each piece
// is a contiguous, vectorizable loop.
void write_packed_run(float* row, int64_t panel_stride, int64_t column, int64_t count, const float* src,
                      int64_t stride) {
  while (count > 0) {
    const int64_t lane = column % kGemmNR;
    const int64_t piece = std::min(count, kGemmNR - lane);
    float* dst = row + (column / kGemmNR) * panel_stride + lane;
    if (src == nullptr) {
      for (int64_t q = 0; q < piece; ++q) dst[q] = 0.0f;
    } else if (stride == 1) {
      for (int64_t q = 0; q < piece; ++q) dst[q] = src[q];
      src += piece;
    } else {
      for (int64_t q = 0; q < piece; ++q) dst[q] = src[q * stride];
      src += piece * stride;
    }
    column += piece;
    count -= piece;
  }
}

// Writes the im2col columns [n0, n0 + columns) of one group's input into packed-B form (panels of NR columns,
// row kk = (c, kd, kh, kw) as the weights are laid out), zero-filling padding and the last panel's tail.
void im2col_tile_packed(const SpatialGeometry& g, const float* x, int64_t channels, int64_t n0, int64_t columns,
                        float* packed) {
  const int64_t k_rows = channels * g.kernel_size();
  const int64_t plane = g.out[1] * g.out[2];
  const int64_t panel_stride = k_rows * kGemmNR;
  const int64_t padded_columns = kernels::gemm_round_up(columns, kGemmNR);
  const int64_t stride = g.stride[2];
  int64_t kk = 0;
  for (int64_t c = 0; c < channels; ++c) {
    const float* xc = x + c * g.in_size();
    for (int64_t kd = 0; kd < g.kernel[0]; ++kd) {
      for (int64_t kh = 0; kh < g.kernel[1]; ++kh) {
        for (int64_t kw = 0; kw < g.kernel[2]; ++kw, ++kk) {
          float* row = packed + kk * kGemmNR;
          int64_t od = n0 / plane;
          int64_t oh = (n0 % plane) / g.out[2];
          int64_t ow = n0 % g.out[2];
          int64_t j = 0;
          while (j < columns) {
            // One output row segment: ow .. ow + segment at fixed (od, oh).
            const int64_t segment = std::min(columns - j, g.out[2] - ow);
            const int64_t iz = od * g.stride[0] - g.pad_begin[0] + kd * g.dilation[0];
            const int64_t iy = oh * g.stride[1] - g.pad_begin[1] + kh * g.dilation[1];
            // ix = base + t * stride for t in [0, segment); the valid t form one range [t0, t1).
            const int64_t base = ow * stride - g.pad_begin[2] + kw * g.dilation[2];
            int64_t t0 = 0;
            int64_t t1 = 0;
            const float* src = nullptr;
            if (iz >= 0 && iz < g.in[0] && iy >= 0 && iy < g.in[1]) {
              t0 = base >= 0 ? 0 : (-base + stride - 1) / stride;
              t1 = base >= g.in[2] ? 0 : (g.in[2] - base + stride - 1) / stride;
              t0 = std::min(t0, segment);
              t1 = std::clamp(t1, t0, segment);
              if (t1 > t0) src = xc + (iz * g.in[1] + iy) * g.in[2] + base + t0 * stride;
            }
            write_packed_run(row, panel_stride, j, t0, nullptr, 0);
            write_packed_run(row, panel_stride, j + t0, t1 - t0, src, stride);
            write_packed_run(row, panel_stride, j + t1, segment - t1, nullptr, 0);
            j += segment;
            ow = 0;
            if (++oh == g.out[1]) {
              oh = 0;
              ++od;
            }
          }
          write_packed_run(row, panel_stride, columns, padded_columns - columns, nullptr, 0);
        }
      }
    }
  }
}

class ConvKernel final : public Kernel {
 public:
  Status prepare(const PrepareContext& ctx, std::vector<Shape>& output_shapes) override;
  double flops() const override { return flops_; }
  size_t scratch_floats() const override { return scratch_floats_; }
  size_t packed_bytes() const override {
    return packed_weights_.size() * sizeof(float) + (winograd_ ? winograd_->packed_bytes() : 0) +
           (row_buffer_ ? row_buffer_->packed_bytes() : 0);
  }
  void run(const RunContext& ctx) const override;

 private:
  void pack_weights(const float* w, float* packed) const;

  std::unique_ptr<WinogradConv> winograd_;  // 3x3 stride-1 layers where it pays (conv_winograd.hpp)
  std::unique_ptr<DepthwiseConv> depthwise_;  // one input channel per group (conv_direct.hpp)
  std::unique_ptr<RowBufferConv> row_buffer_;  // the other layers with constant weights except 1x1 (conv_direct.hpp)
  SpatialGeometry geometry_;
  int64_t batch_ = 0;
  int64_t in_channels_ = 0;
  int64_t out_channels_ = 0;
  int64_t group_ = 1;
  int64_t cin_g_ = 0;
  int64_t cout_g_ = 0;
  int64_t k_ = 0;               // cin_g * kernel size: the GEMM's depth
  int64_t tile_columns_ = 0;
  int64_t packed_group_floats_ = 0;  // packed weights of one group
  int64_t tiles_per_plane_ = 0;
  int threads_ = 1;
  size_t slot_floats_ = 0;      // one thread's im2col tile
  const kernels::GemmMicrokernel* gemm_ = nullptr;  // chosen at prepare; the weights are packed for it
  bool pointwise_ = false;      // 1x1, stride 1, no padding: the im2col tile is the input itself
  bool weights_constant_ = false;
  bool has_bias_ = false;
  std::vector<float> packed_weights_;
  std::vector<float> bias_;  // when constant
  FusedActivation activation_;
  double flops_ = 0;
  size_t scratch_floats_ = 0;
};

Status ConvKernel::prepare(const PrepareContext& ctx, std::vector<Shape>& output_shapes) {
  CAIRN_RETURN_IF_ERROR(check_conv_inputs(ctx));
  const Shape& x_shape = ctx.input(0).shape;
  const Shape& w_shape = ctx.input(1).shape;
  group_ = ctx.node.attr_int("group", 1);
  batch_ = x_shape[0];
  in_channels_ = x_shape[1];
  out_channels_ = w_shape[0];
  if (group_ < 1) return ctx.error("group " + std::to_string(group_) + " must be positive");
  if (in_channels_ % group_ != 0 || in_channels_ / group_ != w_shape[1]) {
    return ctx.error("input channels " + std::to_string(in_channels_) + " do not match weights " +
                     shape_to_string(w_shape) + " with group " + std::to_string(group_));
  }
  if (out_channels_ % group_ != 0) {
    return ctx.error("output channels " + std::to_string(out_channels_) + " (weights " + shape_to_string(w_shape) +
                     ") are not divisible by group " + std::to_string(group_));
  }
  cin_g_ = in_channels_ / group_;
  cout_g_ = out_channels_ / group_;

  const int rank = int(x_shape.size()) - 2;
  const std::vector<int64_t> w_spatial(w_shape.begin() + 2, w_shape.end());
  CAIRN_ASSIGN_OR_RETURN(SpatialAttributes attrs, read_spatial_attributes(ctx, rank, w_spatial));
  const std::vector<int64_t> x_spatial(x_shape.begin() + 2, x_shape.end());
  CAIRN_ASSIGN_OR_RETURN(geometry_, forward_geometry(ctx, attrs, x_spatial, /*ceil_mode=*/false));

  has_bias_ = ctx.has_input(2);
  if (has_bias_) {
    const Shape& b_shape = ctx.input(2).shape;
    if (b_shape.size() != 1 || b_shape[0] != out_channels_) {
      return ctx.error("bias " + shape_to_string(b_shape) + " must have shape " + std::to_string(out_channels_) +
                       " (the output channels of weights " + shape_to_string(w_shape) + ")");
    }
  }

  Shape y_shape{batch_, out_channels_};
  for (int64_t d : geometry_.out_dims()) y_shape.push_back(d);
  auto y_count = checked_element_count(y_shape, ctx.max_elements);
  if (!y_count) return y_count.status().with_context(ctx.node.describe() + ": output");

  // The GEMM's depth and the tile sizes; every product is checked against the element limit.
  Shape depth_shape{cin_g_};
  for (int64_t k : w_spatial) depth_shape.push_back(k);
  auto depth = checked_element_count(depth_shape, ctx.max_elements);
  if (!depth) return depth.status().with_context(ctx.node.describe() + ": weights per output channel");
  k_ = *depth;
  pointwise_ = geometry_.kernel_size() == 1;
  for (int a = 0; a < kMaxSpatialRank; ++a) {
    pointwise_ = pointwise_ && geometry_.stride[size_t(a)] == 1 && geometry_.pad_begin[size_t(a)] == 0 &&
                 geometry_.pad_end[size_t(a)] == 0;
  }
  const int64_t out_size = geometry_.out_size();
  gemm_ = kernels::active_kernels().gemm;
  // Whole micro-tiles of columns (a 32-column kernel on a 16-column tile computes half a tile for nothing), and
  // at least kMinTileTiles of them, so that each weight panel loaded is used more than once.
  const int64_t nr = gemm_->nr;
  int64_t columns = std::clamp(kTileTargetFloats / std::max<int64_t>(k_, 1) / nr * nr, kMinTileTiles * nr,
                               std::max(kMaxTileColumns / nr, kMinTileTiles) * nr);
  tile_columns_ = std::min(columns, kernels::gemm_round_up(out_size, kGemmNR));
  // For a layer that will run on threads, a multiple of them of tiles per plane when the planes alone do not
  // divide, of about equal widths (5 tiles of 256 columns split 3 against 2).
  threads_ = std::max(1, ctx.threads);
  const int64_t planes = batch_ * group_;
  int64_t tiles = (out_size + tile_columns_ - 1) / tile_columns_;
  flops_ = 2.0 * double(batch_) * double(out_channels_) * double(out_size) * double(k_);
  if (threads_ > 1 && flops_ >= kMinParallelFlops && planes % threads_ != 0 && tiles % threads_ != 0) {
    tiles = (tiles + threads_ - 1) / threads_ * threads_;
    tile_columns_ = std::min(tile_columns_, kernels::gemm_round_up((out_size + tiles - 1) / tiles, nr));
  }
  auto tile_count = checked_element_count({tile_columns_, k_}, ctx.max_elements);
  if (!tile_count) return tile_count.status().with_context(ctx.node.describe() + ": im2col tile");
  auto packed_count =
      checked_element_count({group_, kernels::gemm_round_up(cout_g_, gemm_->mr), k_}, ctx.max_elements);
  if (!packed_count) return packed_count.status().with_context(ctx.node.describe() + ": packed weights");
  packed_group_floats_ = gemm_packed_a_floats(gemm_->mr, cout_g_, k_);
  tiles_per_plane_ = (out_size + tile_columns_ - 1) / tile_columns_;

  const ConstTensor* w_const = ctx.input(1).constant;
  weights_constant_ = w_const != nullptr && w_const->is_float() && int64_t(w_const->floats.size()) == shape_size(w_shape);
  // One im2col tile per thread, rounded to 64 bytes so that every slot stays aligned.
  slot_floats_ = size_t(kernels::gemm_round_up(gemm_packed_b_floats(k_, tile_columns_), 16));
  scratch_floats_ = slot_floats_ * size_t(threads_);
  packed_weights_.clear();
  winograd_.reset();
  depthwise_.reset();
  row_buffer_.reset();
  const kernels::KernelSet& set = kernels::active_kernels();
  const int64_t winograd_tile =
      set.fast_paths && weights_constant_ && WinogradConv::supports(geometry_, group_)
          ? WinogradConv::choose_tile(geometry_, in_channels_, out_channels_,
                                      set.direct_conv != nullptr && set.channel_conv[0] != nullptr)
          : 0;
  const bool winograd =
      winograd_tile != 0 && checked_element_count({WinogradConv::kMaxAlpha * WinogradConv::kMaxAlpha * 256,
                                                   in_channels_ + out_channels_, threads_},
                                                  ctx.max_elements)
                                .is_ok();
  if (winograd) {
    winograd_ = std::make_unique<WinogradConv>(geometry_, batch_, in_channels_, out_channels_,
                                               w_const->floats.data(), *gemm_,
                                               kernels::winograd_transform(kernels::active_kernels(), winograd_tile),
                                               threads_);
    scratch_floats_ = winograd_->scratch_floats();
  } else if (set.fast_paths && set.depthwise != nullptr && DepthwiseConv::supports(in_channels_, group_)) {
    depthwise_ = std::make_unique<DepthwiseConv>(geometry_, batch_, in_channels_, out_channels_, set.depthwise,
                                                 threads_);
    scratch_floats_ = depthwise_->scratch_floats();
  } else if (set.fast_paths && set.direct_conv != nullptr && weights_constant_ && !pointwise_ &&
             RowBufferConv::supports(geometry_, in_channels_, group_, *set.direct_conv) &&
             checked_element_count({group_, out_channels_ + set.direct_conv->mr, k_}, ctx.max_elements).is_ok()) {
    // (1x1 stride-1 layers stay on the GEMM, which reads their input directly: through channel tiles, MobileNet's
    // pointwise layers took 10% longer.)
    const kernels::ChannelConvMicrokernel* channel_tile =
        RowBufferConv::choose_channel_tile(geometry_, in_channels_, out_channels_, group_, *set.direct_conv,
                                           set.channel_conv, int(std::size(set.channel_conv)));
    row_buffer_ = std::make_unique<RowBufferConv>(geometry_, batch_, in_channels_, out_channels_, group_,
                                                  w_const->floats.data(), *set.direct_conv, threads_, channel_tile);
    scratch_floats_ = row_buffer_->scratch_floats();
  } else if (weights_constant_) {
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
  output_shapes.assign(1, y_shape);
  return Status::ok();
}

void ConvKernel::pack_weights(const float* w, float* packed) const {
  // Group g's weights are a cout_g x k row-major matrix (W is M x Cg x kernel...).
  for (int64_t g = 0; g < group_; ++g) {
    kernels::MatrixView view{w + g * cout_g_ * k_, k_, 1};
    kernels::gemm_pack_a(gemm_->mr, cout_g_, k_, view, packed + g * packed_group_floats_);
  }
}

void ConvKernel::run(const RunContext& ctx) const {
  const float* x = ctx.inputs[0].data;
  float* y = ctx.outputs[0].data;
  const float* bias = nullptr;
  if (has_bias_) bias = bias_.empty() ? ctx.inputs[2].data : bias_.data();
  if (depthwise_) {
    depthwise_->run(ctx, x, ctx.inputs[1].data, y, bias, activation_);
    return;
  }
  if (row_buffer_) {
    row_buffer_->run(ctx, x, y, bias, activation_);
    return;
  }
  const float* packed = packed_weights_.data();
  if (!weights_constant_) {
    float* runtime_packed = ctx.scratch + slot_floats_ * size_t(threads_);
    pack_weights(ctx.inputs[1].data, runtime_packed);
    packed = runtime_packed;
  }
  if (winograd_) {
    winograd_->run(ctx, x, y, bias, activation_);
    return;
  }

  const int64_t in_size = geometry_.in_size();
  const int64_t out_size = geometry_.out_size();
  // A unit is one tile of output pixels of one group of one image.
  const int64_t units = batch_ * group_ * tiles_per_plane_;
  const double flops_per_unit = flops_ / double(std::max<int64_t>(units, 1));
  const kernels::Epilogue epilogue = kernel_epilogue(activation_);
  const bool leaves = leaves_activation(activation_);
  parallel_units(ctx, threads_, units, flops_per_unit, [&](int slot, int64_t begin, int64_t end) {
    float* tile = ctx.scratch + size_t(slot) * slot_floats_;
    for (int64_t u = begin; u < end; ++u) {
      if (ctx.cancelled()) return;
      const int64_t n = u / (group_ * tiles_per_plane_);
      const int64_t g = (u / tiles_per_plane_) % group_;
      const int64_t n0 = (u % tiles_per_plane_) * tile_columns_;
      const float* a = packed + g * packed_group_floats_;
      const float* xg = x + (n * in_channels_ + g * cin_g_) * in_size;
      float* yg = y + (n * out_channels_ + g * cout_g_) * out_size;
      const int64_t columns = std::min(tile_columns_, out_size - n0);
      const float* bias_g = bias != nullptr ? bias + g * cout_g_ : nullptr;
      // A 1x1 layer reads its input in place where the micro-kernel can; the others pack their tile first.
      const bool in_place = pointwise_ && kernels::gemm_unpacked_b(*gemm_, cout_g_, columns, k_, a, xg + n0, in_size,
                                                                   yg + n0, out_size, bias_g, epilogue) == columns;
      if (!in_place) {
        if (pointwise_) {
          kernels::gemm_pack_b(k_, columns, kernels::MatrixView{xg + n0, in_size, 1}, tile);
        } else {
          im2col_tile_packed(geometry_, xg, cin_g_, n0, columns, tile);
        }
        kernels::gemm_packed(*gemm_, cout_g_, columns, k_, a, tile, yg + n0, out_size, /*accumulate=*/false, bias_g,
                             &epilogue);
      }
      if (leaves) {
        for (int64_t m = 0; m < cout_g_; ++m) apply_bias_activation(yg + m * out_size + n0, columns, 0.0f, activation_);
      }
    }
  });
}

}  // namespace

std::unique_ptr<Kernel> make_conv() { return std::make_unique<ConvKernel>(); }

}  // namespace cairn
