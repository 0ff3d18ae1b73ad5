// A CT series read from a directory of Part-10 files: slices sorted along the slice normal (InstanceNumber and file
// names are not reliable), pixels rescaled to Hounsfield units, and what a derived object (DICOM SEG) needs to
// reference it: UIDs, patient and study attributes, geometry per slice.
#pragma once

#include <array>
#include <string>
#include <vector>

#include "cairn/status.hpp"

namespace cairn::dicom {

using Vec3 = std::array<double, 3>;

struct SliceInfo {
  std::string file;
  std::string sop_class_uid;
  std::string sop_instance_uid;
  Vec3 position{};            // ImagePositionPatient (mm)
  std::string position_text;  // as the file writes it (DS values joined by '\')
  int instance_number = 0;
};

// Whether the gaps between adjacent slices (smallest and largest, along the normal) agree within 1 % of their mean:
// otherwise a slice may be missing.
inline bool gaps_agree(double min_gap, double max_gap, double mean_gap) { return max_gap - min_gap <= 0.01 * mean_gap; }

// The series' geometry and identity, without pixels: enough to write a SEG that references it (also fillable from
// DICOMweb metadata).
struct SeriesInfo {
  std::string directory;
  std::string modality;
  std::string study_instance_uid, series_instance_uid, frame_of_reference_uid;
  std::string specific_character_set;  // of the patient and study strings below, as the source declares it
  std::string patient_name, patient_id, patient_birth_date, patient_sex;
  std::string study_date, study_time, study_id, accession_number, referring_physician_name, study_description;
  std::string series_description, series_number, position_reference_indicator, body_part_examined;
  int rows = 0, columns = 0;
  double row_spacing = 0, column_spacing = 0;  // PixelSpacing: between rows, between columns (mm)
  std::string pixel_spacing_text;
  std::array<double, 6> orientation{};  // ImageOrientationPatient
  std::string orientation_text;
  Vec3 row_direction{}, column_direction{}, normal{};  // normal = row x column
  double slice_thickness = 0;
  double slice_spacing = 0;       // between slice centres along the normal; SliceThickness for a single slice
  // gaps_agree of the gaps between slices. read_ct_series refuses other series; a series described to the SEG C API
  // (the viewer's) may have a slice missing, and its SEG then states no spacing.
  bool evenly_spaced = true;
  std::vector<SliceInfo> slices;  // ascending along the normal

  size_t pixels_per_slice() const { return size_t(rows) * size_t(columns); }
  double slice_offset(size_t k) const;  // position of slice k along the normal (mm)
  double voxel_volume_ml() const { return row_spacing * column_spacing * slice_spacing / 1000.0; }
};

struct CtSeries {
  SeriesInfo info;
  std::vector<float> hu;  // [slice][row][column], Hounsfield units
  // Files of the directory that were not part of the series and why ("not a DICOM Part-10 file", "RTSTRUCT, no
  // pixel data", "another series").
  std::vector<std::pair<std::string, std::string>> skipped;

  const float* slice_hu(size_t k) const { return hu.data() + k * info.pixels_per_slice(); }
};

// Reads every Part-10 file of `directory` (not its subdirectories, nor hidden files). When the images belong to several
// series and `series_uid` is empty, the error lists them (UID, modality, slice count, description) to choose from.
// Errors name the file: corrupt or truncated files, compressed pixel data, missing geometry, slices that differ in
// size, spacing or orientation, two slices at one position, uneven slice spacing (a missing slice), multi-frame images.
Result<CtSeries> read_ct_series(const std::string& directory, const std::string& series_uid = "");

}  // namespace cairn::dicom
