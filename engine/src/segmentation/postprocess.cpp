#include "segmentation/postprocess.hpp"

#include <algorithm>
#include <numeric>
#include <string>

namespace cairn {
namespace segmentation {
namespace {

struct Run {
  int x0, x1;  // columns [x0, x1)
};

// The runs of each line (slice, row), line by line, and a union-find over them.
class RunComponents {
 public:
  RunComponents(const uint8_t* mask, VolumeShape shape) : shape_(shape) {
    const size_t lines = size_t(shape.slices) * size_t(shape.rows);
    line_start_.reserve(lines + 1);
    for (size_t line = 0; line < lines; ++line) {
      line_start_.push_back(runs_.size());
      const uint8_t* p = mask + line * size_t(shape.cols);
      for (int x = 0; x < shape.cols;) {
        if (p[x] == 0) {
          ++x;
          continue;
        }
        const int start = x;
        while (x < shape.cols && p[x] != 0) ++x;
        runs_.push_back({start, x});
      }
    }
    line_start_.push_back(runs_.size());
    parent_.resize(runs_.size());
    std::iota(parent_.begin(), parent_.end(), size_t{0});
    for (int z = 0; z < shape.slices; ++z) {
      for (int y = 0; y < shape.rows; ++y) {
        // The 26-neighbourhood's lines met before this one: the row above, and three rows of the previous slice.
        if (y > 0) join_lines(line(z, y), line(z, y - 1));
        if (z > 0) {
          for (int dy = -1; dy <= 1; ++dy) {
            if (y + dy >= 0 && y + dy < shape.rows) join_lines(line(z, y), line(z - 1, y + dy));
          }
        }
      }
    }
    // Components numbered by their first run (roots are the smallest index of their set).
    component_.assign(runs_.size(), -1);
    for (size_t r = 0; r < runs_.size(); ++r) {
      const size_t root = find(r);
      if (root == r) {
        component_[r] = int32_t(sizes_.size());
        sizes_.push_back(0);
      } else {
        component_[r] = component_[root];
      }
      sizes_[size_t(component_[r])] += runs_[r].x1 - runs_[r].x0;
    }
  }

  const std::vector<int64_t>& sizes() const { return sizes_; }
  size_t line_count() const { return line_start_.size() - 1; }
  size_t first_run(size_t line) const { return line_start_[line]; }
  size_t end_run(size_t line) const { return line_start_[line + 1]; }
  const Run& run(size_t r) const { return runs_[r]; }
  int32_t component(size_t r) const { return component_[r]; }

 private:
  size_t line(int z, int y) const { return size_t(z) * size_t(shape_.rows) + size_t(y); }

  size_t find(size_t r) {
    while (parent_[r] != r) {
      parent_[r] = parent_[parent_[r]];
      r = parent_[r];
    }
    return r;
  }
  void unite(size_t a, size_t b) {
    a = find(a);
    b = find(b);
    if (a < b) {
      parent_[b] = a;
    } else if (b < a) {
      parent_[a] = b;
    }
  }
  // Runs of two neighbouring lines touch when their column ranges overlap or meet diagonally.
  void join_lines(size_t la, size_t lb) {
    size_t i = line_start_[la], j = line_start_[lb];
    const size_t i_end = line_start_[la + 1], j_end = line_start_[lb + 1];
    while (i < i_end && j < j_end) {
      const Run& a = runs_[i];
      const Run& b = runs_[j];
      if (b.x0 <= a.x1 && a.x0 <= b.x1) unite(i, j);
      if (a.x1 < b.x1) {
        ++i;
      } else {
        ++j;
      }
    }
  }

  VolumeShape shape_;
  std::vector<Run> runs_;
  std::vector<size_t> line_start_;
  std::vector<size_t> parent_;
  std::vector<int32_t> component_;
  std::vector<int64_t> sizes_;
};

// Component indices by decreasing size, ties by index.
std::vector<int32_t> by_size(const std::vector<int64_t>& sizes) {
  std::vector<int32_t> order(sizes.size());
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(), [&](int32_t a, int32_t b) {
    return sizes[size_t(a)] != sizes[size_t(b)] ? sizes[size_t(a)] > sizes[size_t(b)] : a < b;
  });
  return order;
}

// Mean of the distinct columns where the selected runs lie.
double mean_occupied_column(const RunComponents& rc, int cols, int32_t only_component) {
  std::vector<uint8_t> occupied(size_t(cols), 0);
  for (size_t line = 0; line < rc.line_count(); ++line) {
    for (size_t r = rc.first_run(line); r < rc.end_run(line); ++r) {
      if (only_component >= 0 && rc.component(r) != only_component) continue;
      std::fill(occupied.begin() + rc.run(r).x0, occupied.begin() + rc.run(r).x1, uint8_t{1});
    }
  }
  double sum = 0;
  int64_t count = 0;
  for (int x = 0; x < cols; ++x) {
    if (occupied[size_t(x)]) {
      sum += x;
      ++count;
    }
  }
  return count ? sum / double(count) : 0.0;
}

}  // namespace

std::vector<int64_t> component_sizes(const uint8_t* mask, VolumeShape shape,
                                     std::vector<int32_t>* component) {
  const RunComponents rc(mask, shape);
  if (component != nullptr) {
    component->assign(size_t(shape.slices) * size_t(shape.rows) * size_t(shape.cols), -1);
    for (size_t line = 0; line < rc.line_count(); ++line) {
      for (size_t r = rc.first_run(line); r < rc.end_run(line); ++r) {
        int32_t* p = component->data() + line * size_t(shape.cols);
        std::fill(p + rc.run(r).x0, p + rc.run(r).x1, rc.component(r));
      }
    }
  }
  return rc.sizes();
}

void keep_largest_components(uint8_t* mask, VolumeShape shape, int count) {
  const RunComponents rc(mask, shape);
  if (count <= 0 || rc.sizes().size() <= size_t(count)) return;
  std::vector<uint8_t> keep(rc.sizes().size(), 0);
  const std::vector<int32_t> order = by_size(rc.sizes());
  for (int k = 0; k < count; ++k) keep[size_t(order[size_t(k)])] = 1;
  for (size_t line = 0; line < rc.line_count(); ++line) {
    uint8_t* p = mask + line * size_t(shape.cols);
    for (size_t r = rc.first_run(line); r < rc.end_run(line); ++r) {
      if (!keep[size_t(rc.component(r))]) std::fill(p + rc.run(r).x0, p + rc.run(r).x1, uint8_t{0});
    }
  }
}

void fill_holes_per_slice(uint8_t* mask, VolumeShape shape) {
  const int rows = shape.rows, cols = shape.cols;
  const size_t plane = size_t(rows) * size_t(cols);
  std::vector<uint8_t> outside(plane);
  std::vector<size_t> stack;
  for (int z = 0; z < shape.slices; ++z) {
    uint8_t* m = mask + size_t(z) * plane;
    std::fill(outside.begin(), outside.end(), uint8_t{0});
    auto seed = [&](size_t i) {
      if (m[i] == 0 && !outside[i]) {
        outside[i] = 1;
        stack.push_back(i);
      }
    };
    for (int x = 0; x < cols; ++x) {
      seed(size_t(x));
      seed(size_t(rows - 1) * size_t(cols) + size_t(x));
    }
    for (int y = 0; y < rows; ++y) {
      seed(size_t(y) * size_t(cols));
      seed(size_t(y) * size_t(cols) + size_t(cols - 1));
    }
    while (!stack.empty()) {
      const size_t i = stack.back();
      stack.pop_back();
      const size_t y = i / size_t(cols), x = i % size_t(cols);
      if (x > 0) seed(i - 1);
      if (x + 1 < size_t(cols)) seed(i + 1);
      if (y > 0) seed(i - size_t(cols));
      if (y + 1 < size_t(rows)) seed(i + size_t(cols));
    }
    for (size_t i = 0; i < plane; ++i) {
      if (m[i] == 0 && !outside[i]) m[i] = 1;
    }
  }
}

void split_left_right(uint8_t* mask, VolumeShape shape, ColumnDirection columns) {
  const RunComponents rc(mask, shape);
  const double sign = columns == ColumnDirection::kStandard ? 1.0 : -1.0;
  const std::vector<int64_t>& sizes = rc.sizes();
  const std::vector<int32_t> order = by_size(sizes);
  if (sizes.size() >= 2 && double(sizes[size_t(order[1])]) > 0.2 * double(sizes[size_t(order[0])])) {
    const int32_t a = order[0], b = order[1];
    const double col_a = mean_occupied_column(rc, shape.cols, a);
    const double col_b = mean_occupied_column(rc, shape.cols, b);
    const int32_t left = sign * (col_a - col_b) > 0 ? a : b;
    const int32_t right = left == a ? b : a;
    for (size_t line = 0; line < rc.line_count(); ++line) {
      uint8_t* p = mask + line * size_t(shape.cols);
      for (size_t r = rc.first_run(line); r < rc.end_run(line); ++r) {
        const int32_t c = rc.component(r);
        const uint8_t value = c == left ? kMaskLeft : c == right ? kMaskRight : uint8_t{0};
        std::fill(p + rc.run(r).x0, p + rc.run(r).x1, value);
      }
    }
    return;
  }
  // One lung, or two that touch: cut at the middle of the occupied columns.
  int lo = shape.cols, hi = -1;
  for (size_t line = 0; line < rc.line_count(); ++line) {
    for (size_t r = rc.first_run(line); r < rc.end_run(line); ++r) {
      lo = std::min(lo, rc.run(r).x0);
      hi = std::max(hi, rc.run(r).x1 - 1);
    }
  }
  if (hi < 0) return;
  const double middle = 0.5 * (lo + hi);
  for (size_t line = 0; line < rc.line_count(); ++line) {
    uint8_t* p = mask + line * size_t(shape.cols);
    for (size_t r = rc.first_run(line); r < rc.end_run(line); ++r) {
      for (int x = rc.run(r).x0; x < rc.run(r).x1; ++x) p[x] = (x - middle) * sign > 0 ? kMaskLeft : kMaskRight;
    }
  }
}

Status postprocess(const SegmentationSpec& spec, uint8_t* mask, VolumeShape shape, ColumnDirection columns) {
  const auto [slices, rows, cols] = shape;
  if (slices <= 0 || rows <= 0 || cols <= 0) {
    return invalid_argument("post-processing: the volume is " + std::to_string(slices) + "x" + std::to_string(rows) +
                            "x" + std::to_string(cols) + "; every size must be positive");
  }
  if (slices > kMaxSegmentationSide || rows > kMaxSegmentationSide || cols > kMaxSegmentationSide) {
    return resource_limit("post-processing: the volume is " + std::to_string(slices) + "x" + std::to_string(rows) +
                          "x" + std::to_string(cols) + "; sizes above " + std::to_string(kMaxSegmentationSide) +
                          " are refused");
  }
  if (mask == nullptr) return invalid_argument("post-processing: the mask is null");
  keep_largest_components(mask, shape, spec.keep_components);
  if (spec.fill_holes) fill_holes_per_slice(mask, shape);
  if (spec.split_left_right) {
    split_left_right(mask, shape, columns);
  } else {
    const size_t voxels = size_t(slices) * size_t(rows) * size_t(cols);
    for (size_t i = 0; i < voxels; ++i) mask[i] = mask[i] != 0 ? 1 : 0;
  }
  return Status::ok();
}

}  // namespace segmentation

Status postprocess_volume(const SegmentationSpec& spec, std::vector<uint8_t>& mask, int slices, int rows, int cols,
                          ColumnDirection columns) {
  const bool sizes_fit = slices > 0 && rows > 0 && cols > 0 && slices <= kMaxSegmentationSide &&
                         rows <= kMaxSegmentationSide && cols <= kMaxSegmentationSide;
  if (!sizes_fit) return segmentation::postprocess(spec, nullptr, {slices, rows, cols}, columns);  // says why
  if (mask.size() != size_t(slices) * size_t(rows) * size_t(cols)) {
    return invalid_argument("post-processing: the mask has " + std::to_string(mask.size()) + " values, a " +
                            std::to_string(slices) + "x" + std::to_string(rows) + "x" + std::to_string(cols) +
                            " volume has " + std::to_string(size_t(slices) * size_t(rows) * size_t(cols)));
  }
  return segmentation::postprocess(spec, mask.data(), {slices, rows, cols}, columns);
}

Status postprocess_slice(const SegmentationSpec& spec, std::vector<uint8_t>& mask, int rows, int cols,
                         ColumnDirection columns) {
  return postprocess_volume(spec, mask, 1, rows, cols, columns);
}

}  // namespace cairn
