// read_ct_series: two passes over the directory. The first reads headers only (pixel data skipped) to group the
// images by series; the second reads the chosen series' files again for their pixels.
#include "cairn/dicom/ct_series.hpp"

#include <dirent.h>
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <map>

#include "cairn/dicom/part10.hpp"

namespace cairn::dicom {
namespace {

double dot(const Vec3& a, const Vec3& b) { return a[0] * b[0] + a[1] * b[1] + a[2] * b[2]; }
Vec3 cross(const Vec3& a, const Vec3& b) {
  return {a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]};
}

std::string fixed3(double value) {
  char text[32];
  std::snprintf(text, sizeof text, "%.3f", value);
  return text;
}

Status missing(const std::string& file, Tag tag, const std::string& what = "is missing") {
  return io_error(file + ": " + describe_tag(tag) + " " + what);
}

// Numbers of a required attribute with exactly `count` values.
Result<std::vector<double>> required_numbers(const Part10File& f, Tag tag, size_t count) {
  const auto values = f.dataset.numbers(tag);
  if (!values) {
    return f.dataset.has(tag) ? missing(f.name, tag, "is not a number: '" + f.dataset.text_or(tag, "") + "'")
                              : missing(f.name, tag);
  }
  if (values->size() != count) {
    return missing(f.name, tag, "has " + std::to_string(values->size()) + " values, expected " + std::to_string(count));
  }
  return *values;
}

Result<std::string> required_text(const Part10File& f, Tag tag) {
  const auto value = f.dataset.text(tag);
  if (!value || value->empty()) return missing(f.name, tag);
  return *value;
}

struct SeriesSummary {
  std::string modality, description;
  std::vector<Part10File> headers;  // without pixel data
};

// What every slice must agree on, and its own position.
struct SliceHeader {
  SliceInfo slice;
  int rows = 0, columns = 0;
  std::vector<double> orientation, spacing;
  std::string orientation_text, spacing_text;
  int bits_allocated = 16;
  bool is_signed = false;
  double slope = 1, intercept = 0;
};

Result<SliceHeader> read_slice_header(const Part10File& f) {
  SliceHeader h;
  h.slice.file = f.name;
  CAIRN_ASSIGN_OR_RETURN(h.slice.sop_instance_uid, required_text(f, tags::kSOPInstanceUID));
  CAIRN_ASSIGN_OR_RETURN(h.slice.sop_class_uid, required_text(f, tags::kSOPClassUID));
  CAIRN_ASSIGN_OR_RETURN(std::vector<double> position, required_numbers(f, tags::kImagePositionPatient, 3));
  h.slice.position = {position[0], position[1], position[2]};
  h.slice.position_text = f.dataset.text_or(tags::kImagePositionPatient, "");
  h.slice.instance_number = int(f.dataset.integer(tags::kInstanceNumber, INT32_MIN, INT32_MAX).value_or(0));
  CAIRN_ASSIGN_OR_RETURN(h.orientation, required_numbers(f, tags::kImageOrientationPatient, 6));
  h.orientation_text = f.dataset.text_or(tags::kImageOrientationPatient, "");
  CAIRN_ASSIGN_OR_RETURN(h.spacing, required_numbers(f, tags::kPixelSpacing, 2));
  h.spacing_text = f.dataset.text_or(tags::kPixelSpacing, "");
  if (h.spacing[0] <= 0 || h.spacing[1] <= 0) return missing(f.name, tags::kPixelSpacing, "is not positive");
  CAIRN_ASSIGN_OR_RETURN(std::vector<double> rows, required_numbers(f, tags::kRows, 1));
  CAIRN_ASSIGN_OR_RETURN(std::vector<double> columns, required_numbers(f, tags::kColumns, 1));
  if (rows[0] == 0 || columns[0] == 0) return io_error(f.name + ": the image has no pixels (Rows or Columns is 0)");
  // Rows and Columns are US: a value outside 1..65535 (a hostile FD or DS) is refused before any cast or allocation.
  const auto checked_rows = f.dataset.integer(tags::kRows, 1, 65535);
  const auto checked_columns = f.dataset.integer(tags::kColumns, 1, 65535);
  if (!checked_rows || !checked_columns) {
    return io_error(f.name + ": Rows and Columns must be whole numbers from 1 to 65535 (found '" +
                    f.dataset.text_or(tags::kRows, "?") + "' and '" + f.dataset.text_or(tags::kColumns, "?") + "')");
  }
  h.rows = int(*checked_rows);
  h.columns = int(*checked_columns);
  const double frames = f.dataset.number(tags::kNumberOfFrames).value_or(1);
  if (frames != 1) {
    return unsupported(f.name + ": a multi-frame image (" + f.dataset.text_or(tags::kNumberOfFrames, "?") +
                       " frames, e.g. Enhanced CT); Cairn reads series of single-frame images");
  }
  const double samples = f.dataset.number(tags::kSamplesPerPixel).value_or(1);
  if (samples != 1) {
    return unsupported(f.name + ": " + f.dataset.text_or(tags::kSamplesPerPixel, "?") + " samples per pixel (colour)");
  }
  h.bits_allocated = int(f.dataset.integer(tags::kBitsAllocated, 0, 64).value_or(0));
  if (h.bits_allocated != 8 && h.bits_allocated != 16 && h.bits_allocated != 32) {
    return unsupported(f.name + ": " + describe_tag(tags::kBitsAllocated) + " is " + std::to_string(h.bits_allocated) +
                       "; expected 8, 16 or 32");
  }
  h.is_signed = f.dataset.number(tags::kPixelRepresentation).value_or(0) == 1;
  // Intercepts differ between sources (-1024 with unsigned pixels, 0 with signed ones): always apply both.
  h.slope = f.dataset.number(tags::kRescaleSlope).value_or(1.0);
  h.intercept = f.dataset.number(tags::kRescaleIntercept).value_or(0.0);
  return h;
}

template <typename T>
void to_hu(const uint8_t* bytes, size_t count, float slope, float intercept, float* out) {
  for (size_t i = 0; i < count; ++i) {
    T v;
    std::memcpy(&v, bytes + i * sizeof(T), sizeof(T));
    out[i] = float(v) * slope + intercept;
  }
}

// Pixels to HU as float32 (stored value x slope + intercept, both rounded to float, as NumPy computes it). The whole
// stored word is read as signed or unsigned without masking to BitsStored: out-of-range padding values such as
// -3024 with 12 bits stored are common, high bits carrying overlays are not.
// The slice's pixel data, checked to hold Rows x Columns pixels.
Result<std::span<const uint8_t>> slice_pixels(const Part10File& f, const SliceHeader& h) {
  CAIRN_ASSIGN_OR_RETURN(std::span<const uint8_t> pixels, native_pixel_data(f));
  const size_t needed = size_t(h.rows) * size_t(h.columns) * size_t(h.bits_allocated / 8);
  if (pixels.size() < needed) {
    return io_error(f.name + ": (7FE0,0010) PixelData has " + std::to_string(pixels.size()) + " bytes, " +
                    std::to_string(h.rows) + "x" + std::to_string(h.columns) + " pixels of " +
                    std::to_string(h.bits_allocated) + " bits need " + std::to_string(needed));
  }
  return pixels;
}

// `pixels` as slice_pixels returned them.
void decode_slice(std::span<const uint8_t> pixels, const SliceHeader& h, float* out) {
  const size_t count = size_t(h.rows) * size_t(h.columns);
  const float slope = float(h.slope), intercept = float(h.intercept);
  switch (h.bits_allocated) {
    case 8:
      h.is_signed ? to_hu<int8_t>(pixels.data(), count, slope, intercept, out)
                  : to_hu<uint8_t>(pixels.data(), count, slope, intercept, out);
      break;
    case 16:
      h.is_signed ? to_hu<int16_t>(pixels.data(), count, slope, intercept, out)
                  : to_hu<uint16_t>(pixels.data(), count, slope, intercept, out);
      break;
    default:
      h.is_signed ? to_hu<int32_t>(pixels.data(), count, slope, intercept, out)
                  : to_hu<uint32_t>(pixels.data(), count, slope, intercept, out);
  }
}

bool close(const std::vector<double>& a, const std::vector<double>& b, double tolerance) {
  for (size_t i = 0; i < a.size(); ++i) {
    if (std::abs(a[i] - b[i]) > tolerance) return false;
  }
  return true;
}

// The regular files directly in `directory`, sorted by name. POSIX directory calls rather than std::filesystem,
// which the WebAssembly build's libc++ lacks (wasi-libc has them).
Result<std::vector<std::string>> list_regular_files(const std::string& directory) {
  DIR* dir = ::opendir(directory.c_str());
  if (!dir) {
    if (errno == ENOENT) return io_error(directory + ": no such directory");
    if (errno == ENOTDIR) return io_error(directory + ": not a directory");
    return io_error(directory + ": cannot list: " + std::strerror(errno));
  }
  std::vector<std::string> files;
  while (const dirent* entry = ::readdir(dir)) {
    const std::string path = directory + "/" + entry->d_name;
    struct stat info;
    if (entry->d_name[0] != '.' && ::stat(path.c_str(), &info) == 0 && S_ISREG(info.st_mode)) files.push_back(path);
  }
  ::closedir(dir);
  std::sort(files.begin(), files.end());
  return files;
}

std::string list_series(const std::map<std::string, SeriesSummary>& series) {
  std::string text;
  for (const auto& [uid, s] : series) {
    text += "\n  " + uid + "  " + (s.modality.empty() ? "?" : s.modality) + ", " + std::to_string(s.headers.size()) +
            (s.headers.size() == 1 ? " image" : " images") + (s.description.empty() ? "" : ", '" + s.description + "'");
  }
  return text;
}

}  // namespace

double SeriesInfo::slice_offset(size_t k) const { return dot(slices[k].position, normal); }

Result<CtSeries> read_ct_series(const std::string& directory, const std::string& series_uid) {
  CAIRN_ASSIGN_OR_RETURN(std::vector<std::string> files, list_regular_files(directory));

  CtSeries out;
  std::map<std::string, SeriesSummary> series;
  ReadOptions headers_only;
  headers_only.skip_pixel_data = true;
  for (const std::string& file : files) {
    CAIRN_ASSIGN_OR_RETURN(std::vector<uint8_t> bytes, read_file_bytes(file));
    if (!has_part10_magic(bytes)) {
      out.skipped.emplace_back(file, "not a DICOM Part-10 file");
      continue;
    }
    CAIRN_ASSIGN_OR_RETURN(Part10File header, parse_part10(bytes, file, headers_only));
    if (!header.dataset.has(tags::kPixelData)) {
      out.skipped.emplace_back(file, header.dataset.text_or(tags::kModality, "?") + ", no pixel data");
      continue;
    }
    const auto uid = header.dataset.text(tags::kSeriesInstanceUID);
    if (!uid || uid->empty()) return missing(file, tags::kSeriesInstanceUID);
    SeriesSummary& s = series[*uid];
    if (s.headers.empty()) {
      s.modality = header.dataset.text_or(tags::kModality, "");
      s.description = header.dataset.text_or(tags::kSeriesDescription, "");
    }
    s.headers.push_back(std::move(header));
  }
  if (series.empty()) {
    return io_error(directory + ": no DICOM images (" + std::to_string(files.size()) + " files, " +
                    std::to_string(out.skipped.size()) + " without pixel data or not DICOM)");
  }
  std::string chosen = series_uid;
  if (chosen.empty()) {
    if (series.size() > 1) {
      return invalid_argument(directory + " holds " + std::to_string(series.size()) +
                              " series; choose one by its SeriesInstanceUID:" + list_series(series));
    }
    chosen = series.begin()->first;
  } else if (!series.count(chosen)) {
    return invalid_argument(directory + " has no series " + chosen + "; it holds:" + list_series(series));
  }
  for (const auto& [uid, s] : series) {
    if (uid == chosen) continue;
    for (const Part10File& f : s.headers) out.skipped.emplace_back(f.name, "another series (" + uid + ")");
  }
  const SeriesSummary& summary = series.find(chosen)->second;
  if (summary.modality != "CT") {
    return unsupported(directory + ": series " + chosen + " is " +
                       (summary.modality.empty() ? "of no modality" : summary.modality) +
                       ", not CT (Hounsfield units need CT)");
  }

  // The slices' headers, checked against the first one, then sorted along the normal.
  std::vector<SliceHeader> headers;
  const Part10File& first = summary.headers.front();
  for (const Part10File& f : summary.headers) {
    const std::string& file = f.name;
    CAIRN_ASSIGN_OR_RETURN(SliceHeader h, read_slice_header(f));
    if (!headers.empty()) {
      const SliceHeader& ref = headers.front();
      if (h.rows != ref.rows || h.columns != ref.columns) {
        return io_error(file + ": " + std::to_string(h.rows) + "x" + std::to_string(h.columns) + " pixels, but " +
                        ref.slice.file + " has " + std::to_string(ref.rows) + "x" + std::to_string(ref.columns));
      }
      if (!close(h.orientation, ref.orientation, 1e-4)) {
        return io_error(file + ": ImageOrientationPatient " + h.orientation_text + " differs from " +
                        ref.orientation_text + " in " + ref.slice.file + " (a localizer in the series?)");
      }
      if (!close(h.spacing, ref.spacing, 1e-4 * ref.spacing[0])) {
        return io_error(file + ": PixelSpacing " + h.spacing_text + " differs from " + ref.spacing_text + " in " +
                        ref.slice.file);
      }
    }
    headers.push_back(std::move(h));
  }

  SeriesInfo& info = out.info;
  const SliceHeader& ref = headers.front();
  info.directory = directory;
  info.rows = ref.rows;
  info.columns = ref.columns;
  info.row_spacing = ref.spacing[0];
  info.column_spacing = ref.spacing[1];
  info.pixel_spacing_text = ref.spacing_text;
  std::copy(ref.orientation.begin(), ref.orientation.end(), info.orientation.begin());
  info.orientation_text = ref.orientation_text;
  info.row_direction = {ref.orientation[0], ref.orientation[1], ref.orientation[2]};
  info.column_direction = {ref.orientation[3], ref.orientation[4], ref.orientation[5]};
  info.normal = cross(info.row_direction, info.column_direction);
  if (dot(info.normal, info.normal) < 0.25) {
    return io_error(ref.slice.file + ": ImageOrientationPatient " + ref.orientation_text +
                    " does not give two orthogonal unit directions");
  }
  // Ties (rejected just below) by file name, so the error names the same two files on every run.
  std::sort(headers.begin(), headers.end(), [&](const SliceHeader& a, const SliceHeader& b) {
    const double pa = dot(a.slice.position, info.normal), pb = dot(b.slice.position, info.normal);
    return pa != pb ? pa < pb : a.slice.file < b.slice.file;
  });
  double min_gap = 0, max_gap = 0, sum_gap = 0;
  for (size_t k = 1; k < headers.size(); ++k) {
    const double gap = dot(headers[k].slice.position, info.normal) - dot(headers[k - 1].slice.position, info.normal);
    if (gap <= 0) {
      return io_error(directory + ": two slices at one position (" +
                      fixed3(dot(headers[k].slice.position, info.normal)) +
                      " mm along the normal): " + headers[k - 1].slice.file + " and " + headers[k].slice.file);
    }
    min_gap = k == 1 ? gap : std::min(min_gap, gap);
    max_gap = k == 1 ? gap : std::max(max_gap, gap);
    sum_gap += gap;
  }
  info.slice_thickness = first.dataset.number(tags::kSliceThickness).value_or(0);
  if (headers.size() > 1) {
    info.slice_spacing = sum_gap / double(headers.size() - 1);
    if (!gaps_agree(min_gap, max_gap, info.slice_spacing)) {
      return io_error(directory + ": slices are not evenly spaced (gaps " + fixed3(min_gap) + ".." + fixed3(max_gap) +
                      " mm): a slice may be missing");
    }
  } else {
    info.slice_spacing = info.slice_thickness;
  }

  const DataSet& d = first.dataset;
  info.modality = d.text_or(tags::kModality, "");
  info.study_instance_uid = d.text_or(tags::kStudyInstanceUID, "");
  info.series_instance_uid = chosen;
  info.frame_of_reference_uid = d.text_or(tags::kFrameOfReferenceUID, "");
  info.specific_character_set = d.text_or(tags::kSpecificCharacterSet, "");
  info.patient_name = d.text_or(tags::kPatientName, "");
  info.patient_id = d.text_or(tags::kPatientID, "");
  info.patient_birth_date = d.text_or(tags::kPatientBirthDate, "");
  info.patient_sex = d.text_or(tags::kPatientSex, "");
  info.study_date = d.text_or(tags::kStudyDate, "");
  info.study_time = d.text_or(tags::kStudyTime, "");
  info.study_id = d.text_or(tags::kStudyID, "");
  info.accession_number = d.text_or(tags::kAccessionNumber, "");
  info.referring_physician_name = d.text_or(tags::kReferringPhysicianName, "");
  info.study_description = d.text_or(tags::kStudyDescription, "");
  info.series_description = d.text_or(tags::kSeriesDescription, "");
  info.series_number = d.text_or(tags::kSeriesNumber, "");
  info.position_reference_indicator = d.text_or(tags::kPositionReferenceIndicator, "");
  info.body_part_examined = d.text_or(tags::kBodyPartExamined, "");
  if (info.study_instance_uid.empty()) return missing(first.name, tags::kStudyInstanceUID);
  if (info.frame_of_reference_uid.empty()) return missing(first.name, tags::kFrameOfReferenceUID);

  // The volume grows one slice at a time, each after its pixel data is checked: Rows and Columns alone (65535 x
  // 65535 in a file of a few hundred bytes) must not make it allocate.
  const size_t plane = info.pixels_per_slice();
  for (size_t k = 0; k < headers.size(); ++k) {
    CAIRN_ASSIGN_OR_RETURN(Part10File f, read_part10_file(headers[k].slice.file));
    CAIRN_ASSIGN_OR_RETURN(std::span<const uint8_t> pixels, slice_pixels(f, headers[k]));
    out.hu.resize((k + 1) * plane);
    decode_slice(pixels, headers[k], out.hu.data() + k * plane);
    info.slices.push_back(std::move(headers[k].slice));
  }
  return out;
}

}  // namespace cairn::dicom
