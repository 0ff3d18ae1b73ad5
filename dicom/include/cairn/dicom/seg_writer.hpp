// DICOM Segmentation (SEG) objects: a binary segmentation of a label volume over a source image series, one segment
// per label, written as an Enhanced Multi-frame image in explicit VR little endian with 1-bit packed pixels.
// Frames are written per segment, in slice order, and only where the segment has pixels.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "cairn/dicom/ct_series.hpp"
#include "cairn/status.hpp"

namespace cairn::dicom {

inline constexpr const char* kSegmentationStorage = "1.2.840.10008.5.1.4.1.1.66.4";

struct CodedConcept {
  std::string value;    // "39607008"
  std::string scheme;   // "SCT"
  std::string meaning;  // "Lung"
};

struct SegSegment {
  int label_value = 1;         // voxels of this value in the label volume form the segment
  std::string label;           // SegmentLabel, e.g. "Left lung"
  CodedConcept property_type;  // SegmentedPropertyTypeCodeSequence, e.g. SCT 44029006 "Left lung"
  CodedConcept property_category{"91723000", "SCT", "Anatomical Structure"};
  std::array<uint8_t, 3> rgb{255, 0, 0};  // display colour (sRGB), written as RecommendedDisplayCIELabValue
};

struct SegOptions {
  std::string algorithm_name;  // model name, for SegmentAlgorithmName ("<name> <version>")
  std::string algorithm_version;
  std::string series_description = "Segmentation";
  std::string series_number = "901";
  std::string content_label = "SEGMENTATION";  // CS: upper case, digits, space, underscore; 16 characters at most
  std::string content_description;
  std::string content_creator_name;  // PN; empty is allowed (Type 2)
  std::string manufacturer = "Cairn";
  std::string manufacturer_model_name = "cairn";
  std::string software_version = "0";
  std::string device_serial_number = "0";
  // Fresh ones (2.25 root, uid.hpp) when empty.
  std::string series_instance_uid, sop_instance_uid;
  // YYYYMMDD and HHMMSS; the current UTC date and time when empty.
  std::string content_date, content_time;
};

struct SegFile {
  std::vector<uint8_t> bytes;  // the Part-10 file
  std::string sop_instance_uid, series_instance_uid;
  size_t frames = 0;
  std::vector<size_t> frames_per_segment;
  // Source attributes whose values violate their VR (anonymizers leave UUIDs in dates, for instance): they are
  // written empty, which their Type 2 allows, and named here.
  std::vector<std::string> warnings;
};

// The SEG of a label volume. `labels` holds one value per voxel of `source` ([slice][row][column], slices in
// source.slices order). Errors: a label volume of the wrong size, no segment, a label value repeated, segments
// whose codes or labels are empty.
Result<SegFile> write_seg(const SeriesInfo& source, std::span<const uint8_t> labels,
                          const std::vector<SegSegment>& segments, const SegOptions& options);

// sRGB (0..255) to RecommendedDisplayCIELabValue: CIE L*a*b* relative to D50 (the ICC profile connection space),
// scaled to 0..65535 as PS3.3 C.10.7.1.1 defines (L* 0..100, a* and b* -128..127).
std::array<uint16_t, 3> rgb_to_dicom_lab(const std::array<uint8_t, 3>& rgb);

}  // namespace cairn::dicom
