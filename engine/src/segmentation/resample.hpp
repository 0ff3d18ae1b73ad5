// Resampling of one 2-D image (row-major floats) between the slice's size and the model's, as PyTorch's
// F.interpolate does it in training/dataset.py, so that the engine sees what the network was trained on.
#pragma once

#include <vector>

namespace cairn::segmentation {

// mode="area" (adaptive average pooling): output pixel i covers input [floor(i*in/out), ceil((i+1)*in/out)) along
// each axis, with equal weights. 512 -> 256 is the mean of 2x2 blocks; enlarging repeats pixels.
void resample_area(const float* src, int rows, int cols, float* dst, int out_rows, int out_cols);

// mode="bilinear", align_corners=False: output pixel i samples input coordinate max(0, (i+0.5)*in/out - 0.5),
// computed in float as PyTorch does, the last pixel repeated beyond the edge.
void resample_bilinear(const float* src, int rows, int cols, float* dst, int out_rows, int out_cols);

}  // namespace cairn::segmentation
