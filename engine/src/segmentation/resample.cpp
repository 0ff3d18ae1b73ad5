#include "segmentation/resample.hpp"

#include <algorithm>
#include <cstdint>

namespace cairn::segmentation {
namespace {

// One axis of area averaging: [start, end) of the input for each output index.
struct AreaAxis {
  std::vector<int> start, end;
  AreaAxis(int in, int out) : start(size_t(out)), end(size_t(out)) {
    for (int i = 0; i < out; ++i) {
      start[size_t(i)] = int(int64_t(i) * in / out);
      end[size_t(i)] = int((int64_t(i + 1) * in + out - 1) / out);
    }
  }
};

// One axis of bilinear interpolation: the two input indices and the weight of the second for each output index.
struct LinearAxis {
  std::vector<int> i0, i1;
  std::vector<float> w1;
  LinearAxis(int in, int out) : i0(size_t(out)), i1(size_t(out)), w1(size_t(out)) {
    const float scale = float(in) / float(out);
    for (int i = 0; i < out; ++i) {
      const float x = std::max(0.0f, scale * (float(i) + 0.5f) - 0.5f);
      const int lo = std::min(int(x), in - 1);
      i0[size_t(i)] = lo;
      i1[size_t(i)] = lo + (lo < in - 1 ? 1 : 0);
      w1[size_t(i)] = x - float(lo);
    }
  }
};

}  // namespace

// The average over a rectangle is the average over its rows of the averages over its columns: columns first.
void resample_area(const float* src, int rows, int cols, float* dst, int out_rows, int out_cols) {
  const AreaAxis ax(cols, out_cols), ay(rows, out_rows);
  std::vector<double> row_means(size_t(rows) * size_t(out_cols));
  for (int r = 0; r < rows; ++r) {
    const float* line = src + size_t(r) * size_t(cols);
    for (int j = 0; j < out_cols; ++j) {
      double sum = 0;
      for (int c = ax.start[size_t(j)]; c < ax.end[size_t(j)]; ++c) sum += line[c];
      row_means[size_t(r) * size_t(out_cols) + size_t(j)] = sum / (ax.end[size_t(j)] - ax.start[size_t(j)]);
    }
  }
  for (int i = 0; i < out_rows; ++i) {
    const int r0 = ay.start[size_t(i)], r1 = ay.end[size_t(i)];
    for (int j = 0; j < out_cols; ++j) {
      double sum = 0;
      for (int r = r0; r < r1; ++r) sum += row_means[size_t(r) * size_t(out_cols) + size_t(j)];
      dst[size_t(i) * size_t(out_cols) + size_t(j)] = float(sum / (r1 - r0));
    }
  }
}

void resample_bilinear(const float* src, int rows, int cols, float* dst, int out_rows, int out_cols) {
  const LinearAxis ax(cols, out_cols), ay(rows, out_rows);
  for (int i = 0; i < out_rows; ++i) {
    const float* a = src + size_t(ay.i0[size_t(i)]) * size_t(cols);
    const float* b = src + size_t(ay.i1[size_t(i)]) * size_t(cols);
    const float wy1 = ay.w1[size_t(i)], wy0 = 1.0f - wy1;
    float* out = dst + size_t(i) * size_t(out_cols);
    for (int j = 0; j < out_cols; ++j) {
      const int x0 = ax.i0[size_t(j)], x1 = ax.i1[size_t(j)];
      const float wx1 = ax.w1[size_t(j)], wx0 = 1.0f - wx1;
      out[j] = wy0 * (wx0 * a[x0] + wx1 * a[x1]) + wy1 * (wx0 * b[x0] + wx1 * b[x1]);
    }
  }
}

}  // namespace cairn::segmentation
