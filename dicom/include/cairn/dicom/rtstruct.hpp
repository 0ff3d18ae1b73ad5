// RT Structure Sets: ROI contours read from an RTSTRUCT file and rasterized onto a CT series' voxel grid, as the
// training reader (training/dicom_io.py) does: each closed planar contour goes to the slice nearest its mean
// position along the normal; outlines on one slice combine even-odd (an outline inside another is a hole); an
// outline covering the same pixels as one already kept on that slice (clinical sets repeat them) is dropped.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "cairn/dicom/ct_series.hpp"
#include "cairn/status.hpp"

namespace cairn::dicom {

using Contour = std::vector<Vec3>;  // closed planar polygon, patient coordinates (mm)

struct RoiContours {
  int number = 0;
  std::string name;
  std::vector<Contour> contours;  // CLOSED_PLANAR contours of 3 points or more
};

struct StructureSet {
  std::string file;
  std::string frame_of_reference_uid;  // the first referenced frame of reference (empty when none)
  std::vector<RoiContours> rois;       // in StructureSetROISequence order
  const RoiContours* find(const std::string& name) const;
  std::vector<std::string> names() const;
};

Result<StructureSet> read_rtstruct(const std::string& path);

// The left and right lung ROI names among `names`: case-insensitive, a name mentioning 'lung' or 'pulm' with one side
// marker ('L', 'Lt', 'left', ...; 'R', 'Rt', 'right', ...) as a separate word, derived structures ('Lung-GTV',
// 'LUNGS', 'Lungs-total', PRVs...) ignored. An error unless exactly one left and one right are found.
Result<std::pair<std::string, std::string>> find_lung_rois(const std::vector<std::string>& names);

struct Rasterized {
  std::vector<uint8_t> mask;  // [slice][row][column], 0 or 1
  int unmatched = 0;          // contours farther than half a slice spacing from every slice
  int duplicates = 0;         // repeated outlines dropped
};

Rasterized rasterize_contours(const std::vector<Contour>& contours, const SeriesInfo& series,
                              bool drop_duplicates = true);

// Even-odd fill of polygons given as (column, row) pixel coordinates: a pixel is inside when a ray along its row
// from its centre crosses the edges of all polygons together an odd number of times (half-open rule per edge).
std::vector<uint8_t> fill_polygons_even_odd(const std::vector<std::vector<std::pair<double, double>>>& polygons,
                                            int height, int width);

}  // namespace cairn::dicom
