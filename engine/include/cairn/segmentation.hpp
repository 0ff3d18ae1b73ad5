// Segmentation described by the model itself: the ONNX metadata_props (schema in docs/model-metadata.md) say how a CT
// slice becomes the network's input, how its output becomes a mask, and how the masks of a series are cleaned up in
// 3-D. This file is the one implementation of those steps, shared by the CLI, the viewer (through cairn.h) and tests.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "cairn/engine.hpp"
#include "cairn/status.hpp"

namespace cairn {

// Largest accepted slice side and model input side; larger sizes are refused with kResourceLimit.
inline constexpr int kMaxSegmentationSide = 8192;

// Mask values (docs/model-metadata.md, "Mask values").
inline constexpr uint8_t kMaskRight = 1;
inline constexpr uint8_t kMaskLeft = 2;
inline constexpr uint8_t kMaskUnion = 255;  // label value naming the unsplit foreground when the model splits

// One value of the label mask. value 0 is always background and never listed.
struct SegmentationLabel {
  int value = 0;                    // 1..255, the mask value
  std::string name;                 // "Right lung"
  std::string snomed_code;          // SNOMED CT concept for DICOM SEG (SCT), e.g. "3341006"; may be empty
  std::string snomed_meaning;       // its code meaning, e.g. "Right lung"
  std::array<uint8_t, 3> color{};   // display colour, sRGB
};

// What cairn.* metadata_props say (docs/model-metadata.md). Values are validated by read_segmentation_spec.
struct SegmentationSpec {
  std::string name, version, description, modality;
  // Network input: x = (clamp(HU, hu_min, hu_max) - center) / scale, at input_height x input_width.
  float hu_min = -1024, hu_max = 600, center = -212, scale = 812;
  int input_height = 256, input_width = 256;
  std::string resample = "area";       // slice -> input: "area" (area averaging, exact for integer factors)
  std::string activation = "sigmoid";  // output -> probability: "sigmoid" (output is a logit) or "none"
  float threshold = 0.5f;              // mask = probability > threshold (after resampling back to the slice)
  std::string output_resample = "bilinear";  // probability -> slice size: bilinear, half-pixel centres
  int keep_components = 2;        // 3-D post-processing: keep this many largest 26-connected components (0: all)
  bool fill_holes = true;         // fill holes in each slice (4-connected background not reaching the border)
  bool split_left_right = true;   // split the foreground into the patient's right and left (labels 1 and 2)
  // The labels, union label included: with split_left_right, values 1 (right) and 2 (left) are the output of
  // postprocess_volume and the label with value 255 ("Lung") names their union (the unsplit mask of segment_slice);
  // without the split, the mask's single foreground value is 1, the first label.
  std::vector<SegmentationLabel> labels;

  // The label with this value, or nullptr.
  const SegmentationLabel* label(int value) const;
  // The label of the unsplit foreground (what a 1 in segment_slice's mask is): value kMaskUnion when the model
  // splits left/right, else value 1. Never null for a spec returned by read_segmentation_spec.
  const SegmentationLabel* union_label() const;
};

// Reads and validates the cairn.* metadata of the model. An error names the missing or bad key and what was expected.
Result<SegmentationSpec> read_segmentation_spec(const Model& model);
// Same, from raw key/value pairs (metadata_props).
Result<SegmentationSpec> read_segmentation_spec(const std::vector<std::pair<std::string, std::string>>& metadata);
// The inverse: the cairn.* metadata_props that describe `spec`, in a fixed order (round-trips through the reader).
std::vector<std::pair<std::string, std::string>> segmentation_metadata(const SegmentationSpec& spec);

// Which side of the image the patient's left is on. The model works in image space; left/right in patient space
// needs the row direction of the image (DICOM ImageOrientationPatient, LPS: +x is the patient's left).
// kStandard: rows run to the patient's left (row direction x component > 0), so the patient's left is the image's
// right (larger column index), as in the standard axial display. kMirrored: the opposite.
enum class ColumnDirection { kStandard, kMirrored };
// From the first three numbers of ImageOrientationPatient (the row direction cosines): kMirrored when x < 0.
ColumnDirection column_direction_from_orientation(const double row_cosines[3]);

// Runs the model on slices. Holds the prepared model; one thread at a time (as Model).
class Segmenter {
 public:
  // Reads the spec and prepares the model for 1x1xHxW (its single input, first output).
  static Result<std::unique_ptr<Segmenter>> create(Model& model);
  const SegmentationSpec& spec() const { return spec_; }

  // hu: rows*cols HU values, row-major. Returns the slice's 0/1 mask (before 3-D post-processing). When `probability`
  // is not null it receives the foreground probability at slice size (rows*cols), before thresholding.
  // Sizes above kMaxSegmentationSide are refused.
  Result<std::vector<uint8_t>> segment_slice(const float* hu, int rows, int cols, const RunOptions& options = {},
                                             std::vector<float>* probability = nullptr);

 private:
  Segmenter(Model& model, SegmentationSpec spec, std::string input_name);
  Model& model_;
  SegmentationSpec spec_;
  std::string input_name_;
  std::vector<float> input_;  // network input, reused between slices
};

// 3-D post-processing in place on a slices*rows*cols 0/1 volume (nonzero counts as foreground; slices ordered along
// the slice normal, consecutive slices adjacent). Keeps spec.keep_components largest 26-connected components, fills
// holes per slice when spec.fill_holes, and with spec.split_left_right writes kMaskRight/kMaskLeft (1/2); otherwise
// the foreground becomes 1. `columns` says where the patient's left is (see ColumnDirection).
Status postprocess_volume(const SegmentationSpec& spec, std::vector<uint8_t>& mask, int slices, int rows, int cols,
                          ColumnDirection columns = ColumnDirection::kStandard);

// Post-processing of one slice on its own (the viewer's one-slice mode): the same steps in 2-D, i.e. the largest
// 8-connected components of the slice, holes filled, split left/right. A slice can show one lung's two pieces, so
// this is a preview; the series result is postprocess_volume's.
Status postprocess_slice(const SegmentationSpec& spec, std::vector<uint8_t>& mask, int rows, int cols,
                         ColumnDirection columns = ColumnDirection::kStandard);

}  // namespace cairn
