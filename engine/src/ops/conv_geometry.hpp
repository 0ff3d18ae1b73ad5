// Spatial geometry shared by Conv, ConvTranspose and the pools: reading kernel_shape / strides / dilations /
// pads / auto_pad, validating them, and computing output sizes and effective pads per the ONNX spec.
// Everything is held in a canonical 3-D form (unused leading spatial axes have size 1, kernel 1, stride 1, no
// pad) so that the loops of every kernel are written once for 1-D, 2-D and 3-D.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "cairn/status.hpp"
#include "graph/tensor.hpp"
#include "ops/kernel.hpp"

namespace cairn {

inline constexpr int kMaxSpatialRank = 3;
// Attribute values (kernel, stride, dilation, pad) above this are refused: far beyond any real model, and it
// keeps every product of two of them and a tensor dimension inside int64.
inline constexpr int64_t kMaxSpatialAttribute = int64_t{1} << 24;

enum class AutoPad { kNotSet, kSameUpper, kSameLower, kValid };

struct SpatialGeometry {
  int rank = 0;  // spatial rank as in the model, 1..3
  // Canonical 3-D form: index 0 is depth, 1 height, 2 width; axes the model does not have are 1 / 0.
  std::array<int64_t, 3> in{1, 1, 1};
  std::array<int64_t, 3> out{1, 1, 1};
  std::array<int64_t, 3> kernel{1, 1, 1};
  std::array<int64_t, 3> stride{1, 1, 1};
  std::array<int64_t, 3> dilation{1, 1, 1};
  std::array<int64_t, 3> pad_begin{0, 0, 0};
  std::array<int64_t, 3> pad_end{0, 0, 0};

  int64_t in_size() const { return in[0] * in[1] * in[2]; }
  int64_t out_size() const { return out[0] * out[1] * out[2]; }
  int64_t kernel_size() const { return kernel[0] * kernel[1] * kernel[2]; }
  // The output spatial dims in the model's rank (for output shapes).
  std::vector<int64_t> out_dims() const;
};

// The raw spatial attributes of a node, checked (lengths, ranges) and expanded to `rank` entries.
struct SpatialAttributes {
  AutoPad auto_pad = AutoPad::kNotSet;
  std::vector<int64_t> kernel;     // rank entries
  std::vector<int64_t> strides;    // rank entries, default 1
  std::vector<int64_t> dilations;  // rank entries, default 1
  std::vector<int64_t> pads;       // 2 * rank entries (all begins, then all ends), default 0
};

// Reads auto_pad, strides, dilations and pads (and kernel_shape when `kernel_from_weights` is empty; otherwise
// kernel_shape, if present, must equal it). `what` names the input for messages ("input 1x3x8").
// The checks Conv and ConvTranspose share: inputs X, W and an optional B, all float; one output; X of rank 3 to 5
// (1 to 3 spatial dimensions) and W of the same rank; both within the element limit.
Status check_conv_inputs(const PrepareContext& ctx);

Result<SpatialAttributes> read_spatial_attributes(const PrepareContext& ctx, int rank,
                                                  const std::vector<int64_t>& kernel_from_weights,
                                                  bool allow_dilations = true);

// Output size and pads of a convolution or pool over `in_dims` (spatial dims only):
// NOTSET: out = floor_or_ceil((in + pb + pe - ((k - 1) * d + 1)) / s) + 1;
// VALID: no pads; SAME_*: out = ceil(in / s), total pad = max(0, (out - 1) * s + (k - 1) * d + 1 - in) split
// evenly, the odd one at the end (SAME_UPPER) or the beginning (SAME_LOWER).
// With ceil_mode, a last window that would start in the end padding is dropped (as PyTorch and ONNX Runtime).
// Output dims must be positive.
Result<SpatialGeometry> forward_geometry(const PrepareContext& ctx, const SpatialAttributes& attrs,
                                         const std::vector<int64_t>& in_dims, bool ceil_mode);

std::string auto_pad_name(AutoPad pad);

// Checked int64 arithmetic for sizes; false on overflow.
bool checked_mul_i64(int64_t a, int64_t b, int64_t* out);
bool checked_add_i64(int64_t a, int64_t b, int64_t* out);

}  // namespace cairn
