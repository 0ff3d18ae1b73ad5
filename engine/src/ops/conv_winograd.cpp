#include "ops/conv_winograd.hpp"

#include <algorithm>
#include <cstring>

#include "kernels/ref/gemm_ref.hpp"
#include "ops/conv.hpp"
#include "ops/kernel.hpp"

namespace cairn {

namespace {

constexpr int64_t kLanes = kernels::kGemmPanelWidth;  // tiles transformed together: one packed-B panel
constexpr int64_t T = WinogradConv::kTile;
constexpr int64_t A = WinogradConv::kAlpha;

// G (6 x 3) of F(4x4, 3x3): U = G g G^T.
constexpr double kG[6][3] = {{1.0 / 4, 0, 0},
                             {-1.0 / 6, -1.0 / 6, -1.0 / 6},
                             {-1.0 / 6, 1.0 / 6, -1.0 / 6},
                             {1.0 / 24, 1.0 / 12, 1.0 / 6},
                             {1.0 / 24, -1.0 / 12, 1.0 / 6},
                             {0, 0, 1}};

// v = B^T d over 6 values per lane (d[k] at d + k * step, v[k] likewise), all lanes at once.
inline void input_1d(const float* d, int64_t d_step, float* v, int64_t v_step) {
  for (int64_t l = 0; l < kLanes; ++l) {
    const float d0 = d[l], d1 = d[d_step + l], d2 = d[2 * d_step + l], d3 = d[3 * d_step + l],
                d4 = d[4 * d_step + l], d5 = d[5 * d_step + l];
    v[l] = 4.0f * d0 - 5.0f * d2 + d4;
    v[v_step + l] = -4.0f * (d1 + d2) + d3 + d4;
    v[2 * v_step + l] = 4.0f * (d1 - d2) - d3 + d4;
    v[3 * v_step + l] = 2.0f * (d3 - d1) - d2 + d4;
    v[4 * v_step + l] = 2.0f * (d1 - d3) - d2 + d4;
    v[5 * v_step + l] = 4.0f * d1 - 5.0f * d3 + d5;
  }
}

// y = A^T m over 6 values per lane (4 results).
inline void output_1d(const float* m, int64_t m_step, float* y, int64_t y_step) {
  for (int64_t l = 0; l < kLanes; ++l) {
    const float m0 = m[l], m1 = m[m_step + l], m2 = m[2 * m_step + l], m3 = m[3 * m_step + l],
                m4 = m[4 * m_step + l], m5 = m[5 * m_step + l];
    const float s12 = m1 + m2, d12 = m1 - m2, s34 = m3 + m4, d34 = m3 - m4;
    y[l] = m0 + s12 + s34;
    y[y_step + l] = d12 + 2.0f * d34;
    y[2 * y_step + l] = s12 + 4.0f * s34;
    y[3 * y_step + l] = d12 + 8.0f * d34 + m5;
  }
}

struct LaneTiles {
  int64_t count = 0;              // real lanes (the rest are zero)
  int64_t y0[kLanes] = {}, x0[kLanes] = {};  // first input row / column of each lane's patch (may be outside)
  bool contiguous = false;        // one tile row, every patch inside the input: rows are plain strided loads
};

}  // namespace

bool WinogradConv::supports(const SpatialGeometry& g, int64_t group) {
  return group == 1 && g.in[0] == 1 && g.out[0] == 1 && g.kernel[0] == 1 && g.kernel[1] == 3 && g.kernel[2] == 3 &&
         g.stride[1] == 1 && g.stride[2] == 1 && g.dilation[1] == 1 && g.dilation[2] == 1;
}

bool WinogradConv::pays(const SpatialGeometry& g, int64_t in_channels, int64_t out_channels) {
  // Below 8 channels the transforms cost more than the multiplies saved (the 1-channel first layer stays on
  // im2col + GEMM); below 8x8 outputs, most tiles are edge tiles.
  return in_channels >= 8 && out_channels >= 8 && g.out[1] >= 8 && g.out[2] >= 8;
}

WinogradConv::WinogradConv(const SpatialGeometry& g, int64_t batch, int64_t in_channels, int64_t out_channels,
                           const float* w, const kernels::GemmMicrokernel& gemm, int threads)
    : g_(g), batch_(batch), cin_(in_channels), cout_(out_channels), threads_(std::max(1, threads)), gemm_(&gemm) {
  tiles_y_ = (g.out[1] + T - 1) / T;
  tiles_x_ = (g.out[2] + T - 1) / T;
  tiles_ = tiles_y_ * tiles_x_;
  // About 1 MiB of V and M per block (L2), but at least 64 tiles so that each pass over the transformed weights
  // does enough work, at most 256.
  const int64_t target = (256 * 1024) / (kPoints * (cin_ + cout_)) / kLanes * kLanes;
  // At least two blocks per thread, for balance (and for progress between blocks).
  const int64_t share = kernels::gemm_round_up((tiles_ + 2 * threads_ - 1) / (2 * threads_), kLanes);
  block_ = std::min(std::clamp<int64_t>(target, 64, 256), share);
  blocks_ = (tiles_ + block_ - 1) / block_;
  v_floats_ = size_t(kPoints * cin_ * block_);
  slot_floats_ = v_floats_ + size_t(kPoints * cout_ * block_);

  // U_xi = (G g G^T)[xi] for every (co, ci), in double, then packed as the GEMM's A panels.
  u_stride_ = kernels::gemm_packed_a_floats(gemm.mr, cout_, cin_);
  packed_.assign(size_t(kPoints * u_stride_), 0.0f);
  std::vector<float> u(size_t(kPoints * cout_ * cin_));
  for (int64_t co = 0; co < cout_; ++co) {
    for (int64_t ci = 0; ci < cin_; ++ci) {
      const float* k = w + (co * cin_ + ci) * 9;
      double gg[6][3];
      for (int i = 0; i < 6; ++i) {
        for (int b = 0; b < 3; ++b) gg[i][b] = kG[i][0] * k[b] + kG[i][1] * k[3 + b] + kG[i][2] * k[6 + b];
      }
      for (int i = 0; i < 6; ++i) {
        for (int j = 0; j < 6; ++j) {
          const double value = gg[i][0] * kG[j][0] + gg[i][1] * kG[j][1] + gg[i][2] * kG[j][2];
          u[size_t(((i * 6 + j) * cout_ + co) * cin_ + ci)] = float(value);
        }
      }
    }
  }
  for (int64_t xi = 0; xi < kPoints; ++xi) {
    kernels::gemm_pack_a(gemm.mr, cout_, cin_, kernels::MatrixView{u.data() + xi * cout_ * cin_, cin_, 1},
                         packed_.data() + xi * u_stride_);
  }
}

double WinogradConv::flops() const {
  return 2.0 * double(batch_) * double(cout_) * double(cin_) * 9.0 * double(g_.out[1] * g_.out[2]);
}

// V for tiles [t_begin, t_begin + tiles) of one image: for each channel and group of 16 tiles, the 6x6 patches
// are gathered (zero outside the input), transformed, and the 36 values stored as row ci of panel (t / 16) of the
// 36 packed-B matrices V_xi (cin x block each).
void WinogradConv::input_transform(const float* x, int64_t t_begin, int64_t tiles, float* v) const {
  const int64_t h = g_.in[1], w = g_.in[2], plane = h * w;
  const int64_t v_stride = cin_ * block_;
  alignas(64) float d[A * A * kLanes];
  alignas(64) float tmp[A * A * kLanes];
  for (int64_t p0 = 0; p0 < tiles; p0 += kLanes) {
    LaneTiles lanes;
    lanes.count = std::min(kLanes, tiles - p0);
    for (int64_t l = 0; l < lanes.count; ++l) {
      const int64_t t = t_begin + p0 + l;
      lanes.y0[l] = (t / tiles_x_) * T - g_.pad_begin[1];
      lanes.x0[l] = (t % tiles_x_) * T - g_.pad_begin[2];
    }
    const int64_t last = lanes.count - 1;
    lanes.contiguous = lanes.count == kLanes && lanes.y0[0] == lanes.y0[last] && lanes.y0[0] >= 0 &&
                       lanes.y0[0] + A <= h && lanes.x0[0] >= 0 && lanes.x0[last] + A <= w;
    float* panel = v + (p0 / kLanes) * cin_ * kLanes;
    for (int64_t ci = 0; ci < cin_; ++ci) {
      const float* xc = x + ci * plane;
      if (lanes.contiguous) {
        for (int64_t i = 0; i < A; ++i) {
          const float* row = xc + (lanes.y0[0] + i) * w + lanes.x0[0];
          for (int64_t j = 0; j < A; ++j) {
            float* dst = d + (i * A + j) * kLanes;
            for (int64_t l = 0; l < kLanes; ++l) dst[l] = row[T * l + j];
          }
        }
      } else {
        std::memset(d, 0, sizeof(d));
        for (int64_t l = 0; l < lanes.count; ++l) {
          for (int64_t i = 0; i < A; ++i) {
            const int64_t iy = lanes.y0[l] + i;
            if (iy < 0 || iy >= h) continue;
            const float* row = xc + iy * w;
            for (int64_t j = 0; j < A; ++j) {
              const int64_t ix = lanes.x0[l] + j;
              if (ix >= 0 && ix < w) d[(i * A + j) * kLanes + l] = row[ix];
            }
          }
        }
      }
      // Columns then rows: tmp[i][j] = sum_k B^T[j][k] d[i][k]; V[i][j] = sum_k B^T[i][k] tmp[k][j].
      for (int64_t i = 0; i < A; ++i) input_1d(d + i * A * kLanes, kLanes, tmp + i * A * kLanes, kLanes);
      float* out = panel + ci * kLanes;
      alignas(64) float vv[A * A * kLanes];
      for (int64_t j = 0; j < A; ++j) input_1d(tmp + j * kLanes, A * kLanes, vv + j * kLanes, A * kLanes);
      for (int64_t xi = 0; xi < kPoints; ++xi) std::memcpy(out + xi * v_stride, vv + xi * kLanes, sizeof(float) * kLanes);
    }
  }
}

// Y for tiles [t_begin, t_begin + tiles) from the GEMMs' results M_xi (cout x block, row stride block).
void WinogradConv::output_transform(const float* m, int64_t t_begin, int64_t tiles, float* y, const float* bias,
                                    const FusedActivation& activation) const {
  const int64_t oh = g_.out[1], ow = g_.out[2], plane = oh * ow;
  const int64_t m_stride = cout_ * block_;
  alignas(64) float mm[A * A * kLanes];
  alignas(64) float tmp[T * A * kLanes];
  alignas(64) float out[T * T * kLanes];
  for (int64_t p0 = 0; p0 < tiles; p0 += kLanes) {
    const int64_t count = std::min(kLanes, tiles - p0);
    int64_t y0[kLanes], x0[kLanes];
    for (int64_t l = 0; l < count; ++l) {
      const int64_t t = t_begin + p0 + l;
      y0[l] = (t / tiles_x_) * T;
      x0[l] = (t % tiles_x_) * T;
    }
    const bool contiguous = count == kLanes && y0[0] == y0[count - 1] && y0[0] + T <= oh && x0[count - 1] + T <= ow;
    for (int64_t co = 0; co < cout_; ++co) {
      for (int64_t xi = 0; xi < kPoints; ++xi) {
        std::memcpy(mm + xi * kLanes, m + xi * m_stride + co * block_ + p0, sizeof(float) * kLanes);
      }
      // Rows then columns: tmp[r][j] = sum_i A^T[r][i] M[i][j]; out[r][c] = sum_j A^T[c][j] tmp[r][j].
      for (int64_t j = 0; j < A; ++j) output_1d(mm + j * kLanes, A * kLanes, tmp + j * kLanes, A * kLanes);
      for (int64_t r = 0; r < T; ++r) output_1d(tmp + r * A * kLanes, kLanes, out + r * T * kLanes, kLanes);
      const float b = bias != nullptr ? bias[co] : 0.0f;
      apply_bias_activation(out, T * T * kLanes, b, activation);
      float* yc = y + co * plane;
      if (contiguous) {
        for (int64_t r = 0; r < T; ++r) {
          float* row = yc + (y0[0] + r) * ow + x0[0];
          for (int64_t c = 0; c < T; ++c) {
            const float* src = out + (r * T + c) * kLanes;
            for (int64_t l = 0; l < kLanes; ++l) row[T * l + c] = src[l];
          }
        }
      } else {
        for (int64_t l = 0; l < count; ++l) {
          for (int64_t r = 0; r < T && y0[l] + r < oh; ++r) {
            float* row = yc + (y0[l] + r) * ow;
            for (int64_t c = 0; c < T && x0[l] + c < ow; ++c) row[x0[l] + c] = out[(r * T + c) * kLanes + l];
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
                     for (int64_t xi = 0; xi < kPoints; ++xi) {
                       kernels::gemm_packed(*gemm_, cout_, tiles, cin_, packed_.data() + xi * u_stride_,
                                            v + xi * cin_ * block_, m + xi * cout_ * block_, block_,
                                            /*accumulate=*/false);
                     }
                     output_transform(m, t0, tiles, y + n * cout_ * out_plane, bias, activation);
                   }
                 });
}

}  // namespace cairn
