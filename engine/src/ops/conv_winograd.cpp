#include "ops/conv_winograd.hpp"

#include <algorithm>
#include <cstring>

#include "kernels/ref/gemm_ref.hpp"
#include "ops/conv.hpp"
#include "ops/kernel.hpp"

namespace cairn {

namespace {

constexpr int64_t kLanes = kernels::kWinogradLanes;  // tiles transformed together: one packed-B panel
static_assert(kLanes == kernels::kGemmPanelWidth);

// G (alpha x 3): U = G g G^T.
constexpr double kG4[6][3] = {{1.0 / 4, 0, 0},
                              {-1.0 / 6, -1.0 / 6, -1.0 / 6},
                              {-1.0 / 6, 1.0 / 6, -1.0 / 6},
                              {1.0 / 24, 1.0 / 12, 1.0 / 6},
                              {1.0 / 24, -1.0 / 12, 1.0 / 6},
                              {0, 0, 1}};
constexpr double kG2[6][3] = {{1, 0, 0}, {0.5, 0.5, 0.5}, {0.5, -0.5, 0.5}, {0, 0, 1}, {0, 0, 0}, {0, 0, 0}};

}  // namespace

bool WinogradConv::supports(const SpatialGeometry& g, int64_t group) {
  return group == 1 && g.in[0] == 1 && g.out[0] == 1 && g.kernel[0] == 1 && g.kernel[1] == 3 && g.kernel[2] == 3 &&
         g.stride[1] == 1 && g.stride[2] == 1 && g.dilation[1] == 1 && g.dilation[2] == 1;
}

int64_t WinogradConv::choose_tile(const SpatialGeometry& g, int64_t in_channels, int64_t out_channels,
                                  bool direct_channel_tiles) {
  // Below 8 channels the transforms cost more than the multiplies saved (the 1-channel first layer stays on
  // im2col + GEMM); below 8x8 outputs, most tiles are edge tiles.
  if (in_channels < 8 || out_channels < 8 || g.out[1] < 8 || g.out[2] < 8) return 0;
  // Below 256 outputs per plane the direct row-buffer convolution is faster (ResNet-style 9x8 maps with 48
  // channels: 100 against 125-180 us; at 17x16 Winograd still wins, 100 against 140 us). With the channel tiles
  // (kernels/direct_conv.hpp) the direct convolution also takes 17x16 (2 x 24 channels: 86 against 98 us).
  if (g.out[1] * g.out[2] < (direct_channel_tiles ? 300 : 256)) return 0;
  // F(2x2) where F(4x4)'s transformed weights are large for the work they do: 1 KiB or more per output pixel
  // (the deep layers of a U-Net hold most of its weights, 36 / 9 = 4 times as many after the transform, but
  // little of its compute). Measured on Zen 4, one thread, ms (bench/kernels_bench.cpp: BM_ConvLayer with each
  // tile forced, and BM_ConvLayer_Im2col, the dispatched GEMM without Winograd):
  //   cin cout size   F(4x4)  F(2x2)  im2col   F(4x4) weights   per pixel
  //   256  256   32     5.9     7.3    14        9.4 MB          9 KiB
  //   256  512   32    10.3    14.8    26       18.9 MB         18 KiB
  //   512  512   32    19.5    31.1    57       37.7 MB         36 KiB
  //   128  256   64    12.0    16.4    28        4.7 MB        1.1 KiB
  //   256  256   64    23.6    29.7    57        9.4 MB        2.3 KiB
  //   512  256   64    40.8    74.1   115       18.9 MB        4.5 KiB
  //   256  128  128    51      70     108        4.7 MB        0.3 KiB
  // F(2x2) keeps 16 / 36 of the weights for 1.2-1.8 times the time; im2col 1/4 of them for 2.5-3 times. On the
  // paper's U-Net at 512 x 512 this takes the peak memory of a run from 249 to about 192 MB (6 layers on F(2x2))
  // for about 6 % more time.
  const int64_t f4_weight_bytes = 36 * in_channels * out_channels * int64_t(sizeof(float));
  if (f4_weight_bytes >= 1024 * g.out[1] * g.out[2]) return 2;
  return 4;
}

WinogradConv::WinogradConv(const SpatialGeometry& g, int64_t batch, int64_t in_channels, int64_t out_channels,
                           const float* w, const kernels::GemmMicrokernel& gemm,
                           const kernels::WinogradTransform& transform, int threads)
    : g_(g),
      tile_(transform.tile),
      alpha_(transform.tile + 2),
      points_((transform.tile + 2) * (transform.tile + 2)),
      batch_(batch),
      cin_(in_channels),
      cout_(out_channels),
      threads_(std::max(1, threads)),
      gemm_(&gemm),
      transform_(&transform) {
  tiles_y_ = (g.out[1] + tile_ - 1) / tile_;
  tiles_x_ = (g.out[2] + tile_ - 1) / tile_;
  tiles_ = tiles_y_ * tiles_x_;
  // About 1 MiB of V and M per block (L2), but at least 64 tiles so that each pass over the transformed weights
  // does enough work, at most 256.
  const int64_t target = (256 * 1024) / (points_ * (cin_ + cout_)) / kLanes * kLanes;
  // At least two blocks per thread, for balance (and for progress between blocks).
  const int64_t share = kernels::gemm_round_up((tiles_ + 2 * threads_ - 1) / (2 * threads_), kLanes);
  block_ = std::min(std::clamp<int64_t>(target, 64, 256), share);
  blocks_ = (tiles_ + block_ - 1) / block_;
  v_floats_ = size_t(points_ * cin_ * block_);
  slot_floats_ = v_floats_ + size_t(points_ * cout_ * block_);

  // U_xi = (G g G^T)[xi] for every (co, ci), in double, then packed as the GEMM's A panels.
  const double(*gm)[3] = tile_ == 2 ? kG2 : kG4;
  const int64_t a = alpha_;
  u_stride_ = kernels::gemm_packed_a_floats(gemm.mr, cout_, cin_);
  packed_.assign(size_t(points_ * u_stride_), 0.0f);
  std::vector<float> u(size_t(points_ * cout_ * cin_));
  for (int64_t co = 0; co < cout_; ++co) {
    for (int64_t ci = 0; ci < cin_; ++ci) {
      const float* k = w + (co * cin_ + ci) * 9;
      double gg[kMaxAlpha][3];
      for (int64_t i = 0; i < a; ++i) {
        for (int b = 0; b < 3; ++b) gg[i][b] = gm[i][0] * k[b] + gm[i][1] * k[3 + b] + gm[i][2] * k[6 + b];
      }
      for (int64_t i = 0; i < a; ++i) {
        for (int64_t j = 0; j < a; ++j) {
          const double value = gg[i][0] * gm[j][0] + gg[i][1] * gm[j][1] + gg[i][2] * gm[j][2];
          u[size_t(((i * a + j) * cout_ + co) * cin_ + ci)] = float(value);
        }
      }
    }
  }
  for (int64_t xi = 0; xi < points_; ++xi) {
    kernels::gemm_pack_a(gemm.mr, cout_, cin_, kernels::MatrixView{u.data() + xi * cout_ * cin_, cin_, 1},
                         packed_.data() + xi * u_stride_);
  }
}

double WinogradConv::flops() const {
  return 2.0 * double(batch_) * double(cout_) * double(cin_) * 9.0 * double(g_.out[1] * g_.out[2]);
}

// V for tiles [t_begin, t_begin + tiles) of one image: for each channel and group of 16 tiles, the input patches
// are gathered (zero outside the input), transformed, and the alpha^2 values stored as row ci of panel (t / 16)
// of the packed-B matrices V_xi (cin x block each).
void WinogradConv::input_transform(const float* x, int64_t t_begin, int64_t tiles, float* v) const {
  const int64_t h = g_.in[1], w = g_.in[2], plane = h * w;
  const int64_t a = alpha_, t = tile_;
  const int64_t v_stride = cin_ * block_;
  alignas(64) float d[kMaxAlpha * kMaxAlpha * kLanes];
  // The a rows of 16 side-by-side patches from (top, left), zero outside the input: strip_width floats each.
  const int64_t strip_width = t * (kLanes - 1) + a;
  alignas(64) float strip[kMaxAlpha * (4 * (kLanes - 1) + kMaxAlpha)];
  auto copy_padded_strip = [&](const float* xc, int64_t top, int64_t left, float* dst) {
    const int64_t c0 = std::clamp<int64_t>(-left, 0, strip_width);  // columns [c0, c1) lie inside the input
    const int64_t c1 = std::clamp<int64_t>(w - left, c0, strip_width);
    for (int64_t i = 0; i < a; ++i, dst += strip_width) {
      const int64_t iy = top + i;
      if (iy < 0 || iy >= h) {
        std::fill(dst, dst + strip_width, 0.0f);
        continue;
      }
      const float* src = xc + iy * w + (left + c0);
      std::fill(dst, dst + c0, 0.0f);
      std::copy(src, src + (c1 - c0), dst + c0);
      std::fill(dst + c1, dst + strip_width, 0.0f);
    }
  };
  for (int64_t p0 = 0; p0 < tiles; p0 += kLanes) {
    const int64_t count = std::min(kLanes, tiles - p0);
    int64_t y0[kLanes] = {}, x0[kLanes] = {};  // first input row / column of each lane's patch (may be outside)
    for (int64_t l = 0; l < count; ++l) {
      const int64_t tile = t_begin + p0 + l;
      y0[l] = (tile / tiles_x_) * t - g_.pad_begin[1];
      x0[l] = (tile % tiles_x_) * t - g_.pad_begin[2];
    }
    const int64_t last = count - 1;
    const bool one_row = count == kLanes && y0[0] == y0[last];
    // One tile row, every patch inside the input: rows are plain strided loads.
    const bool contiguous = one_row && y0[0] >= 0 && y0[0] + a <= h && x0[0] >= 0 && x0[last] + a <= w;
    // Where the transform reads rows itself (input_rows), a tile row at the input's edges is read from a
    // zero-padded copy of the strip of rows its 16 patches cover.
    const bool rows = one_row && transform_->input_rows != nullptr;
    // Where it reads rows with the padding itself (input_rows_padded), the bounds of the strip inside the input.
    const bool padded_rows = one_row && transform_->input_rows_padded != nullptr;
    const int64_t row_begin = std::clamp<int64_t>(-y0[0], 0, a), row_end = std::clamp<int64_t>(h - y0[0], row_begin, a);
    const int64_t col_begin = std::clamp<int64_t>(-x0[0], 0, strip_width);
    const int64_t col_end = std::clamp<int64_t>(w - x0[0], col_begin, strip_width);
    float* panel = v + (p0 / kLanes) * cin_ * kLanes;
    for (int64_t ci = 0; ci < cin_; ++ci) {
      const float* xc = x + ci * plane;
      if (padded_rows) {
        transform_->input_rows_padded(xc + (y0[0] * w + x0[0]), w, row_begin, row_end, col_begin, col_end,
                                      panel + ci * kLanes, v_stride);
        continue;
      }
      if (rows) {
        if (contiguous) {
          transform_->input_rows(xc + y0[0] * w + x0[0], w, panel + ci * kLanes, v_stride);
        } else {
          copy_padded_strip(xc, y0[0], x0[0], strip);
          transform_->input_rows(strip, strip_width, panel + ci * kLanes, v_stride);
        }
        continue;
      }
      if (contiguous) {
        for (int64_t i = 0; i < a; ++i) {
          const float* row = xc + (y0[0] + i) * w + x0[0];
          for (int64_t j = 0; j < a; ++j) {
            float* dst = d + (i * a + j) * kLanes;
            for (int64_t l = 0; l < kLanes; ++l) dst[l] = row[t * l + j];
          }
        }
      } else {
        std::memset(d, 0, sizeof(float) * size_t(a * a * kLanes));
        for (int64_t l = 0; l < count; ++l) {
          for (int64_t i = 0; i < a; ++i) {
            const int64_t iy = y0[l] + i;
            if (iy < 0 || iy >= h) continue;
            const float* row = xc + iy * w;
            for (int64_t j = 0; j < a; ++j) {
              const int64_t ix = x0[l] + j;
              if (ix >= 0 && ix < w) d[(i * a + j) * kLanes + l] = row[ix];
            }
          }
        }
      }
      transform_->input(d, panel + ci * kLanes, v_stride);
    }
  }
}

// Y for tiles [t_begin, t_begin + tiles) from the GEMMs' results M_xi (cout x block, row stride block).
void WinogradConv::output_transform(const float* m, int64_t t_begin, int64_t tiles, float* y, const float* bias,
                                    const FusedActivation& activation) const {
  const int64_t oh = g_.out[1], ow = g_.out[2], plane = oh * ow;
  const int64_t t = tile_;
  const int64_t m_stride = cout_ * block_;
  alignas(64) float out[4 * 4 * kLanes];
  for (int64_t p0 = 0; p0 < tiles; p0 += kLanes) {
    const int64_t count = std::min(kLanes, tiles - p0);
    int64_t y0[kLanes], x0[kLanes];
    for (int64_t l = 0; l < count; ++l) {
      const int64_t tile = t_begin + p0 + l;
      y0[l] = (tile / tiles_x_) * t;
      x0[l] = (tile % tiles_x_) * t;
    }
    const bool contiguous = count == kLanes && y0[0] == y0[count - 1] && y0[0] + t <= oh && x0[count - 1] + t <= ow;
    for (int64_t co = 0; co < cout_; ++co) {
      const float b = bias != nullptr ? bias[co] : 0.0f;
      float* yc = y + co * plane;
      if (contiguous && transform_->scatter_rows != nullptr) {
        transform_->output(m + co * block_ + p0, m_stride, out);
        apply_bias_activation(out, t * t * kLanes, b, activation);
        transform_->scatter_rows(out, yc + y0[0] * ow + x0[0], ow);
        continue;
      }
      if (contiguous && transform_->output_rows != nullptr) {
        float* corner = yc + y0[0] * ow + x0[0];
        transform_->output_rows(m + co * block_ + p0, m_stride, corner, ow);
        for (int64_t r = 0; r < t; ++r) apply_bias_activation(corner + r * ow, t * kLanes, b, activation);
        continue;
      }
      transform_->output(m + co * block_ + p0, m_stride, out);
      apply_bias_activation(out, t * t * kLanes, b, activation);
      if (contiguous) {
        for (int64_t r = 0; r < t; ++r) {
          float* row = yc + (y0[0] + r) * ow + x0[0];
          for (int64_t c = 0; c < t; ++c) {
            const float* src = out + (r * t + c) * kLanes;
            for (int64_t l = 0; l < kLanes; ++l) row[t * l + c] = src[l];
          }
        }
      } else {
        for (int64_t l = 0; l < count; ++l) {
          for (int64_t r = 0; r < t && y0[l] + r < oh; ++r) {
            float* row = yc + (y0[l] + r) * ow;
            for (int64_t c = 0; c < t && x0[l] + c < ow; ++c) row[x0[l] + c] = out[(r * t + c) * kLanes + l];
          }
        }
      }
    }
  }
}

void WinogradConv::run(const RunContext& ctx, const float* x, float* y, const float* bias,
                       const FusedActivation& activation) const {
  const int64_t in_plane = g_.in_size(), out_plane = g_.out_size();
  const int64_t units = batch_ * blocks_;
  parallel_units(ctx, threads_, units, flops() / double(std::max<int64_t>(units, 1)),
                 [&](int slot, int64_t begin, int64_t end) {
                   float* v = ctx.scratch + size_t(slot) * slot_floats_;
                   float* m = v + v_floats_;
                   for (int64_t u = begin; u < end; ++u) {
                     if (ctx.cancelled()) return;
                     const int64_t n = u / blocks_;
                     const int64_t t0 = (u % blocks_) * block_;
                     const int64_t tiles = std::min(block_, tiles_ - t0);
                     const float* xn = x + n * cin_ * in_plane;
                     input_transform(xn, t0, tiles, v);
                     for (int64_t xi = 0; xi < points_; ++xi) {
                       kernels::gemm_packed(*gemm_, cout_, tiles, cin_, packed_.data() + xi * u_stride_,
                                            v + xi * cin_ * block_, m + xi * cout_ * block_, block_,
                                            /*accumulate=*/false);
                     }
                     output_transform(m, t0, tiles, y + n * cout_ * out_plane, bias, activation);
                   }
                 });
}

}  // namespace cairn
