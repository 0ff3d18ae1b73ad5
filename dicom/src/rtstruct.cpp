// RT Structure Set reading, lung ROI names, and the even-odd rasterization ported from training/dicom_io.py.
#include "cairn/dicom/rtstruct.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdint>
#include <map>

#include "cairn/dicom/part10.hpp"

namespace cairn::dicom {
namespace {

double dot(const Vec3& a, const Vec3& b) { return a[0] * b[0] + a[1] * b[1] + a[2] * b[2]; }

std::string lower(std::string text) {
  for (char& c : text) c = char(std::tolower(static_cast<unsigned char>(c)));
  return text;
}

std::string strip(const std::string& text) {
  const size_t begin = text.find_first_not_of(" \t\r\n");
  if (begin == std::string::npos) return "";
  return text.substr(begin, text.find_last_not_of(" \t\r\n") - begin + 1);
}

// The words of `text`: maximal runs of a-z (anything else separates, as [^a-z] does in the Python patterns).
std::vector<std::string> words(const std::string& text) {
  std::vector<std::string> out;
  std::string current;
  for (char c : text) {
    if (c >= 'a' && c <= 'z') {
      current += c;
    } else if (!current.empty()) {
      out.push_back(std::move(current));
      current.clear();
    }
  }
  if (!current.empty()) out.push_back(std::move(current));
  return out;
}

bool contains_any(const std::string& text, std::initializer_list<const char*> parts) {
  for (const char* part : parts) {
    if (text.find(part) != std::string::npos) return true;
  }
  return false;
}

bool has_word(const std::vector<std::string>& list, std::initializer_list<const char*> candidates) {
  for (const std::string& w : list) {
    for (const char* c : candidates) {
      if (w == c) return true;
    }
  }
  return false;
}

std::string quoted_list(const std::vector<std::string>& names) {
  std::string text = "[";
  for (size_t i = 0; i < names.size(); ++i) text += (i ? ", '" : "'") + names[i] + "'";
  return text + "]";
}

bool same_region(const std::vector<uint8_t>& a, const std::vector<uint8_t>& b) {
  size_t both = 0, either = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    both += a[i] & b[i];
    either += a[i] | b[i];
  }
  return either > 0 && double(both) >= 0.95 * double(either);
}

}  // namespace

const RoiContours* StructureSet::find(const std::string& name) const {
  for (const RoiContours& roi : rois) {
    if (roi.name == name) return &roi;
  }
  return nullptr;
}

std::vector<std::string> StructureSet::names() const {
  std::vector<std::string> out;
  for (const RoiContours& roi : rois) out.push_back(roi.name);
  return out;
}

Result<StructureSet> read_rtstruct(const std::string& path) {
  CAIRN_ASSIGN_OR_RETURN(Part10File file, read_part10_file(path));
  const DataSet& d = file.dataset;
  const std::string modality = d.text_or(tags::kModality, "");
  const auto* rois = d.sequence(tags::kStructureSetROISequence);
  if (modality != "RTSTRUCT" || !rois) {
    return invalid_argument(path + ": not an RT Structure Set (Modality '" + modality + "'" +
                            (rois ? "" : ", no (3006,0020) StructureSetROISequence") + ")");
  }
  StructureSet out;
  out.file = path;
  if (const auto* refs = d.sequence(tags::kReferencedFrameOfReferenceSequence); refs && !refs->empty()) {
    out.frame_of_reference_uid = refs->front().text_or(tags::kFrameOfReferenceUID, "");
  }
  std::map<int, size_t> by_number;
  for (const DataSet& roi : *rois) {
    const auto number = roi.integer(tags::kROINumber, INT32_MIN, INT32_MAX);
    if (!number) return io_error(path + ": an item of StructureSetROISequence has no ROINumber (an integer)");
    by_number[int(*number)] = out.rois.size();
    out.rois.push_back({int(*number), roi.text_or(tags::kROIName, ""), {}});
  }
  if (const auto* roi_contours = d.sequence(tags::kROIContourSequence)) {
    for (const DataSet& roi_contour : *roi_contours) {
      const auto number = roi_contour.integer(tags::kReferencedROINumber, INT32_MIN, INT32_MAX);
      if (!number || !by_number.count(int(*number))) continue;
      RoiContours& roi = out.rois[by_number[int(*number)]];
      const auto* contours = roi_contour.sequence(tags::kContourSequence);
      if (!contours) continue;
      for (const DataSet& contour : *contours) {
        if (contour.text_or(tags::kContourGeometricType, "") != "CLOSED_PLANAR") continue;
        const auto data = contour.numbers(tags::kContourData);
        if (!data) continue;
        if (data->size() % 3 != 0) {
          return io_error(path + ": a contour of ROI '" + roi.name + "' has " + std::to_string(data->size()) +
                          " ContourData values, not a multiple of 3");
        }
        if (data->size() < 9) continue;
        Contour points(data->size() / 3);
        for (size_t i = 0; i < points.size(); ++i) points[i] = {(*data)[3 * i], (*data)[3 * i + 1], (*data)[3 * i + 2]};
        roi.contours.push_back(std::move(points));
      }
    }
  }
  return out;
}

Result<std::pair<std::string, std::string>> find_lung_rois(const std::vector<std::string>& names) {
  std::vector<std::string> left, right;
  for (const std::string& name : names) {
    const std::string low = lower(strip(name));
    if (!contains_any(low, {"lung", "pulm"})) continue;
    if (contains_any(low, {"gtv", "ctv", "ptv", "itv", "tumor", "tumour", "nodule", "minus", "ring", "prv", "opt",
                           "avoid", "contra", "ipsi", "total", "both", "lungs"})) {
      continue;
    }
    // The word 'lung' itself is a boundary: 'LUNG_L', 'Lung L', 'lungL', 'L Lung'.
    std::string stripped;
    for (size_t i = 0; i < low.size();) {
      if (low.compare(i, 4, "lung") == 0) {
        stripped += ' ';
        i += 4;
      } else if (low.compare(i, 5, "pulmo") == 0) {
        stripped += ' ';
        i += 5;
      } else if (low.compare(i, 4, "pulm") == 0) {
        stripped += ' ';
        i += 4;
      } else {
        stripped += low[i++];
      }
    }
    const auto w = words(stripped);
    const bool is_left = has_word(w, {"l", "lt", "left", "links", "gauche", "sin", "sinistra"});
    const bool is_right = has_word(w, {"r", "rt", "right", "rechts", "droit", "droite", "dx", "dextra"});
    if (is_left && !is_right) left.push_back(name);
    if (is_right && !is_left) right.push_back(name);
  }
  if (left.size() != 1 || right.size() != 1) {
    return invalid_argument("cannot pick one left and one right lung ROI from " + quoted_list(names) + " (left " +
                            quoted_list(left) + ", right " + quoted_list(right) + ")");
  }
  return std::make_pair(left[0], right[0]);
}

std::vector<uint8_t> fill_polygons_even_odd(const std::vector<std::vector<std::pair<double, double>>>& polygons,
                                            int height, int width) {
  std::vector<int32_t> toggles(size_t(height) * size_t(width + 1), 0);
  for (const auto& polygon : polygons) {
    const size_t n = polygon.size();
    for (size_t i = 0; i < n; ++i) {
      const auto [x0, y0] = polygon[i];
      const auto [x1, y1] = polygon[(i + 1) % n];
      // Far-away points (hostile coordinates, a tiny pixel spacing) overflow to infinity: such an edge has no place
      // on the grid, and its NaN crossings would be cast to an index.
      if (!std::isfinite(x0) || !std::isfinite(y0) || !std::isfinite(x1) || !std::isfinite(y1)) continue;
      // Half-open rule [lo, hi): a vertex shared by two edges is counted once.
      const double first = std::max(std::ceil(std::min(y0, y1)), 0.0);
      const double last = std::min(std::ceil(std::max(y0, y1)) - 1, double(height - 1));
      if (!(last >= first)) continue;
      for (int64_t row = int64_t(first); row <= int64_t(last); ++row) {
        const double t = (double(row) - y0) / (y1 - y0);
        const double x = x0 + t * (x1 - x0);
        if (std::isnan(x)) continue;  // x1 - x0 overflowed to infinity and t is 0
        // Pixel column j is inside when x <= j for an odd number of crossings.
        const int64_t column = int64_t(std::clamp(std::ceil(x), 0.0, double(width)));
        ++toggles[size_t(row) * size_t(width + 1) + size_t(column)];
      }
    }
  }
  std::vector<uint8_t> mask(size_t(height) * size_t(width));
  for (int row = 0; row < height; ++row) {
    int32_t sum = 0;
    for (int column = 0; column < width; ++column) {
      sum += toggles[size_t(row) * size_t(width + 1) + size_t(column)];
      mask[size_t(row) * size_t(width) + size_t(column)] = uint8_t(sum & 1);
    }
  }
  return mask;
}

Rasterized rasterize_contours(const std::vector<Contour>& contours, const SeriesInfo& series, bool drop_duplicates) {
  const size_t depth = series.slices.size();
  const size_t plane = series.pixels_per_slice();
  Rasterized out;
  out.mask.assign(depth * plane, 0);
  if (depth == 0) return out;
  std::vector<double> offsets(depth);
  for (size_t k = 0; k < depth; ++k) offsets[k] = series.slice_offset(k);
  std::map<size_t, std::vector<std::vector<std::pair<double, double>>>> per_slice;
  for (const Contour& points : contours) {
    double sum = 0;
    for (const Vec3& p : points) sum += dot(p, series.normal);
    const double offset = sum / double(points.size());
    size_t k = 0;
    for (size_t j = 1; j < depth; ++j) {
      if (std::abs(offsets[j] - offset) < std::abs(offsets[k] - offset)) k = j;
    }
    if (std::abs(offsets[k] - offset) > 0.5 * series.slice_spacing) {
      ++out.unmatched;
      continue;
    }
    const Vec3& origin = series.slices[k].position;
    std::vector<std::pair<double, double>> polygon;
    polygon.reserve(points.size());
    for (const Vec3& p : points) {
      const Vec3 rel{p[0] - origin[0], p[1] - origin[1], p[2] - origin[2]};
      polygon.emplace_back(dot(rel, series.row_direction) / series.column_spacing,
                           dot(rel, series.column_direction) / series.row_spacing);
    }
    per_slice[k].push_back(std::move(polygon));
  }
  for (const auto& [k, polygons] : per_slice) {
    std::vector<std::vector<uint8_t>> kept;
    for (const auto& polygon : polygons) {
      std::vector<uint8_t> filled = fill_polygons_even_odd({polygon}, series.rows, series.columns);
      if (drop_duplicates && std::any_of(kept.begin(), kept.end(), [&](const std::vector<uint8_t>& other) {
            return same_region(filled, other);
          })) {
        ++out.duplicates;
        continue;
      }
      kept.push_back(std::move(filled));
    }
    // Even-odd over several outlines is the XOR of their separate fills.
    uint8_t* slice = out.mask.data() + k * plane;
    for (const auto& filled : kept) {
      for (size_t i = 0; i < plane; ++i) slice[i] ^= filled[i];
    }
  }
  return out;
}

}  // namespace cairn::dicom
