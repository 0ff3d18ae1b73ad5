// The steps of the 3-D post-processing (training/postprocess.py), on a slices*rows*cols uint8 volume where nonzero
// is foreground. Connected components are found on runs (maximal horizontal stretches of foreground) with a
// union-find, so memory grows with the mask's boundary, not with the volume.
#pragma once

#include <cstdint>
#include <vector>

#include "cairn/segmentation.hpp"

namespace cairn::segmentation {

struct VolumeShape {
  int slices = 0, rows = 0, cols = 0;
};

// Sizes (voxel counts) of the 26-connected components, numbered in the order their first voxel is met in memory
// order; `component` (when not null) receives the component of each voxel, -1 for background.
std::vector<int64_t> component_sizes(const uint8_t* mask, VolumeShape shape,
                                     std::vector<int32_t>* component = nullptr);

// Keeps the `count` largest 26-connected components (ties: the one met first); count 0 keeps all. Kept voxels
// keep their value, the others become 0.
void keep_largest_components(uint8_t* mask, VolumeShape shape, int count);

// In each slice, background not 4-connected to the slice's border becomes 1 (scipy's binary_fill_holes in 2-D).
void fill_holes_per_slice(uint8_t* mask, VolumeShape shape);

// Foreground becomes kMaskRight or kMaskLeft: when the second largest 26-connected component has more than a fifth
// of the largest's voxels, the two are the lungs, the one whose occupied columns have the larger mean towards the
// patient's left being the left lung (other components become 0); otherwise the foreground is cut at the middle of
// its column extent (a voxel exactly on the middle goes right).
void split_left_right(uint8_t* mask, VolumeShape shape, ColumnDirection columns);

// postprocess_volume on a buffer of shape.slices*rows*cols bytes (for the C ABI, which has no vector to give).
Status postprocess(const SegmentationSpec& spec, uint8_t* mask, VolumeShape shape, ColumnDirection columns);

}  // namespace cairn::segmentation
