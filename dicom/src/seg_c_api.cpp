// The C ABI of the SEG writer and reader (seg_c_api.h): JSON in (the source series as DICOMweb metadata gives it),
// a Part-10 file or a label volume out. Errors become a status and a message, never an exception or an abort.
#include "cairn/dicom/seg_c_api.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>
#include <unordered_map>
#include <vector>

#include <map>

#include "cairn/dicom/part10.hpp"
#include "cairn/dicom/rtstruct.hpp"
#include "cairn/dicom/seg_writer.hpp"
#include "cairn/dicom/uid.hpp"
#include "util/json.hpp"

namespace cairn::dicom {
namespace {

#if defined(__wasi__)
std::string last_error;  // WASI has no threads (nor the __cxa_thread_atexit a thread_local string needs)
#else
thread_local std::string last_error;
#endif

cairn_seg_status report(const Status& status) {
  last_error = status.message();
  return cairn_seg_status(status.code());
}

// Bounds on the description: a series of 5,000 slices with long UIDs stays far below.
json::Limits description_limits() {
  json::Limits limits;
  limits.max_bytes = 16u << 20;
  limits.max_depth = 8;
  return limits;
}

Result<std::string> optional_text(const json::Value& object, std::string_view key) {
  const json::Value* v = object.find(key);
  if (v == nullptr || v->is(json::Value::Kind::kNull)) return std::string();
  if (!v->is(json::Value::Kind::kString)) return invalid_argument("\"" + std::string(key) + "\" must be a string");
  return v->string;
}

Result<std::string> required_text(const json::Value& object, std::string_view key) {
  CAIRN_ASSIGN_OR_RETURN(std::string text, optional_text(object, key));
  if (text.empty()) return invalid_argument("\"" + std::string(key) + "\" is missing or empty");
  return text;
}

Result<std::vector<double>> numbers(const json::Value& object, std::string_view key, size_t count) {
  const json::Value* v = object.find(key);
  if (v == nullptr || !v->is(json::Value::Kind::kArray) || v->items.size() != count) {
    return invalid_argument("\"" + std::string(key) + "\" must be an array of " + std::to_string(count) + " numbers");
  }
  std::vector<double> out;
  for (const json::Value& item : v->items) {
    if (!item.is(json::Value::Kind::kNumber)) {
      return invalid_argument("\"" + std::string(key) + "\" must be an array of " + std::to_string(count) + " numbers");
    }
    out.push_back(item.number);
  }
  return out;
}

Result<int> integer(const json::Value& object, std::string_view key, int low, int high) {
  const json::Value* v = object.find(key);
  if (v == nullptr || !v->is(json::Value::Kind::kNumber) || v->number != std::floor(v->number) || v->number < low ||
      v->number > high) {
    return invalid_argument("\"" + std::string(key) + "\" must be an integer from " + std::to_string(low) + " to " +
                            std::to_string(high));
  }
  return int(v->number);
}

std::string join_decimals(const double* values, size_t count) {
  std::string text;
  for (size_t i = 0; i < count; ++i) text += (i ? "\\" : "") + format_decimal_string(values[i]);
  return text;
}

Vec3 cross(const Vec3& a, const Vec3& b) {
  return {a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]};
}
double dot(const Vec3& a, const Vec3& b) { return a[0] * b[0] + a[1] * b[1] + a[2] * b[2]; }

enum class Need { kSlices, kGeometry, kEverything };

// The geometry and identity of the series. kEverything: what a SEG needs; kGeometry: size, spacing, orientation and
// positions (rasterizing contours); kSlices: the size and the slices (UIDs, and positions when given).
Result<SeriesInfo> parse_series(const json::Value& d, Need need) {
  const bool for_writing = need != Need::kSlices;
  if (!d.is(json::Value::Kind::kObject)) return invalid_argument("the series description must be a JSON object");
  SeriesInfo s;
  s.modality = "CT";
  CAIRN_ASSIGN_OR_RETURN(s.rows, integer(d, "rows", 1, 65535));
  CAIRN_ASSIGN_OR_RETURN(s.columns, integer(d, "columns", 1, 65535));
  const json::Value* slices = d.find("slices");
  if (slices == nullptr || !slices->is(json::Value::Kind::kArray) || slices->items.empty()) {
    return invalid_argument("\"slices\" must be a non-empty array");
  }
  const bool has_orientation = d.find("orientation") != nullptr;
  if (for_writing || has_orientation) {
    CAIRN_ASSIGN_OR_RETURN(std::vector<double> o, numbers(d, "orientation", 6));
    std::copy(o.begin(), o.end(), s.orientation.begin());
    s.orientation_text = join_decimals(o.data(), 6);
    s.row_direction = {o[0], o[1], o[2]};
    s.column_direction = {o[3], o[4], o[5]};
    s.normal = cross(s.row_direction, s.column_direction);
    // As read_ct_series: two orthogonal unit directions (a zero or degenerate orientation places nothing).
    if (!(dot(s.normal, s.normal) >= 0.25)) {
      return invalid_argument("\"orientation\" does not give two orthogonal unit directions");
    }
  }
  for (size_t k = 0; k < slices->items.size(); ++k) {
    const json::Value& item = slices->items[k];
    const std::string where = "slice " + std::to_string(k) + ": ";
    if (!item.is(json::Value::Kind::kObject)) return invalid_argument(where + "must be an object");
    SliceInfo slice;
    auto uid = required_text(item, "sop_instance_uid");
    if (!uid) return uid.status().with_context("slice " + std::to_string(k));
    slice.sop_instance_uid = *uid;
    auto sop_class = optional_text(item, "sop_class_uid");
    if (!sop_class) return sop_class.status().with_context("slice " + std::to_string(k));
    slice.sop_class_uid = sop_class->empty() ? "1.2.840.10008.5.1.4.1.1.2" : *sop_class;  // CT Image Storage
    if (for_writing || item.find("position") != nullptr) {
      auto position = numbers(item, "position", 3);
      if (!position) return position.status().with_context("slice " + std::to_string(k));
      std::copy(position->begin(), position->end(), slice.position.begin());
      slice.position_text = join_decimals(position->data(), 3);
    }
    slice.instance_number = int(k + 1);
    s.slices.push_back(std::move(slice));
  }
  if (!for_writing) return s;

  CAIRN_ASSIGN_OR_RETURN(std::vector<double> spacing, numbers(d, "pixel_spacing", 2));
  if (!(spacing[0] > 0 && spacing[1] > 0)) return invalid_argument("\"pixel_spacing\" must be positive");
  s.row_spacing = spacing[0];
  s.column_spacing = spacing[1];
  s.pixel_spacing_text = join_decimals(spacing.data(), 2);
  if (const json::Value* t = d.find("slice_thickness"); t != nullptr && t->is(json::Value::Kind::kNumber)) {
    s.slice_thickness = t->number;
  }
  if (s.slices.size() > 1) {
    std::vector<double> offsets;
    offsets.reserve(s.slices.size());
    for (const SliceInfo& slice : s.slices) offsets.push_back(dot(slice.position, s.normal));
    std::sort(offsets.begin(), offsets.end());
    double min_gap = offsets[1] - offsets[0], max_gap = min_gap;
    for (size_t k = 2; k < offsets.size(); ++k) {
      min_gap = std::min(min_gap, offsets[k] - offsets[k - 1]);
      max_gap = std::max(max_gap, offsets[k] - offsets[k - 1]);
    }
    s.slice_spacing = (offsets.back() - offsets.front()) / double(offsets.size() - 1);
    // False where a slice is missing from the series (the viewer measures such a series and says so).
    s.evenly_spaced = gaps_agree(min_gap, max_gap, s.slice_spacing);
  } else {
    s.slice_spacing = s.slice_thickness;
  }
  if (need == Need::kGeometry) return s;
  CAIRN_ASSIGN_OR_RETURN(s.study_instance_uid, required_text(d, "study_instance_uid"));
  CAIRN_ASSIGN_OR_RETURN(s.series_instance_uid, required_text(d, "series_instance_uid"));
  CAIRN_ASSIGN_OR_RETURN(s.frame_of_reference_uid, required_text(d, "frame_of_reference_uid"));
  struct Field {
    const char* key;
    std::string* value;
  };
  const Field fields[] = {{"specific_character_set", &s.specific_character_set},
                          {"patient_name", &s.patient_name},
                          {"patient_id", &s.patient_id},
                          {"patient_birth_date", &s.patient_birth_date},
                          {"patient_sex", &s.patient_sex},
                          {"study_date", &s.study_date},
                          {"study_time", &s.study_time},
                          {"study_id", &s.study_id},
                          {"accession_number", &s.accession_number},
                          {"referring_physician_name", &s.referring_physician_name},
                          {"study_description", &s.study_description},
                          {"position_reference_indicator", &s.position_reference_indicator}};
  for (const Field& f : fields) {
    CAIRN_ASSIGN_OR_RETURN(*f.value, optional_text(d, f.key));
  }
  return s;
}

Result<std::vector<SegSegment>> parse_segments(const json::Value& d) {
  const json::Value* list = d.find("segments");
  if (list == nullptr || !list->is(json::Value::Kind::kArray)) return invalid_argument("\"segments\" must be an array");
  std::vector<SegSegment> out;
  for (size_t i = 0; i < list->items.size(); ++i) {
    const json::Value& item = list->items[i];
    const std::string where = "segment " + std::to_string(i);
    if (!item.is(json::Value::Kind::kObject)) return invalid_argument(where + " must be an object");
    SegSegment segment;
    auto value = integer(item, "value", 1, 255);
    auto label = required_text(item, "label");
    auto code = required_text(item, "snomed");
    auto meaning = required_text(item, "meaning");
    auto color = numbers(item, "color", 3);
    for (const Status* status : {&value.status(), &label.status(), &code.status(), &meaning.status(), &color.status()}) {
      if (!status->is_ok()) return status->with_context(where);
    }
    segment.label_value = *value;
    segment.label = *label;
    segment.property_type = {*code, "SCT", *meaning};
    for (int c = 0; c < 3; ++c) {
      const double v = (*color)[size_t(c)];
      if (!(v >= 0 && v <= 255)) return invalid_argument(where + ": \"color\" values must be 0 to 255");
      segment.rgb[size_t(c)] = uint8_t(std::lround(v));
    }
    out.push_back(std::move(segment));
  }
  return out;
}

Result<SegOptions> parse_options(const json::Value& d) {
  SegOptions o;
  const json::Value* algorithm = d.find("algorithm");
  if (algorithm == nullptr || !algorithm->is(json::Value::Kind::kObject)) {
    return invalid_argument("\"algorithm\" must be an object with \"name\" and \"version\"");
  }
  CAIRN_ASSIGN_OR_RETURN(o.algorithm_name, required_text(*algorithm, "name"));
  CAIRN_ASSIGN_OR_RETURN(o.algorithm_version, required_text(*algorithm, "version"));
  CAIRN_ASSIGN_OR_RETURN(std::string description, optional_text(d, "series_description"));
  o.series_description = (description.empty() ? o.algorithm_name + " segmentation" : description).substr(0, 64);
  CAIRN_ASSIGN_OR_RETURN(std::string number, optional_text(d, "series_number"));
  if (!number.empty()) o.series_number = number;
  CAIRN_ASSIGN_OR_RETURN(std::string content, optional_text(d, "content_description"));
  o.content_description =
      (content.empty() ? "Automatic segmentation by " + o.algorithm_name + " " + o.algorithm_version : content)
          .substr(0, 64);
  CAIRN_ASSIGN_OR_RETURN(std::string software, optional_text(d, "software_version"));
  if (!software.empty()) o.software_version = software;
    // The new SEG's own UIDs (made here when absent).
  CAIRN_ASSIGN_OR_RETURN(o.series_instance_uid, optional_text(d, "seg_series_instance_uid"));
  CAIRN_ASSIGN_OR_RETURN(o.sop_instance_uid, optional_text(d, "seg_sop_instance_uid"));
  for (const std::string* uid : {&o.series_instance_uid, &o.sop_instance_uid}) {
    if (!uid->empty() && !is_valid_uid(*uid)) return invalid_argument("'" + *uid + "' is not a valid UID");
  }
  // Its date and time (YYYYMMDD, HHMMSS): the WebAssembly host's clock is not the wall clock.
  CAIRN_ASSIGN_OR_RETURN(o.content_date, optional_text(d, "content_date"));
  CAIRN_ASSIGN_OR_RETURN(o.content_time, optional_text(d, "content_time"));
  auto digits = [](const std::string& t, size_t n) {
    return t.empty() || (t.size() == n && std::all_of(t.begin(), t.end(), [](char c) { return c >= '0' && c <= '9'; }));
  };
  if (!digits(o.content_date, 8) || !digits(o.content_time, 6)) {
    return invalid_argument("\"content_date\" and \"content_time\" must be YYYYMMDD and HHMMSS");
  }
  return o;
}

#if defined(__wasi__)
// The WebAssembly host gives the module no random source (web/engine/wasi.ts has no random_get), so the caller
// passes 32 random bytes ("entropy", 64 hex digits) with each SEG to write, and getentropy (below) serves make_uid's
// std::random_device from them: splitmix64 over the seed and a counter.
struct EntropyPool {
  uint64_t seed[4] = {};
  uint64_t counter = 0;
  bool seeded = false;
} entropy_pool;

uint64_t splitmix64(uint64_t x) {
  x += 0x9e3779b97f4a7c15ull;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}
#endif

// Takes the caller's "entropy" (64 hex digits) where the module has no random source of its own; ignored natively.
Status take_entropy(const json::Value& d) {
#if defined(__wasi__)
  CAIRN_ASSIGN_OR_RETURN(std::string hex, optional_text(d, "entropy"));
  if (hex.size() != 64 || hex.find_first_not_of("0123456789abcdefABCDEF") != std::string::npos) {
    return invalid_argument("\"entropy\" must be 32 random bytes as 64 hex digits: this build has no random source of its own");
  }
  for (size_t i = 0; i < 4; ++i) entropy_pool.seed[i] = std::stoull(hex.substr(16 * i, 16), nullptr, 16);
  entropy_pool.seeded = true;
#else
  (void)d;
#endif
  return Status::ok();
}

Result<json::Value> parse_json(const char* text, size_t size) {
  if (text == nullptr) return invalid_argument("the series description is NULL");
  auto value = json::parse(std::string_view(text, size), description_limits());
  if (!value) return value.status().with_context("series description");
  return value;
}

// A copy on the C heap, for cairn_seg_free.
char* c_string(const std::string& text) {
  char* out = static_cast<char*>(std::malloc(text.size() + 1));
  if (out != nullptr) std::memcpy(out, text.c_str(), text.size() + 1);
  return out;
}

std::string json_strings(const std::vector<std::string>& values) {
  std::string out = "[";
  for (size_t i = 0; i < values.size(); ++i) out += (i ? "," : "") + json::quote(values[i]);
  return out + "]";
}

// RecommendedDisplayCIELabValue back to sRGB: the inverse of rgb_to_dicom_lab (D50 Lab -> XYZ -> Bradford to D65 ->
// linear sRGB -> gamma), with the forward matrix inverted here rather than a second table of constants.
std::array<int, 3> dicom_lab_to_rgb(const std::vector<double>& scaled) {
  const double l = scaled[0] / 65535.0 * 100, a = scaled[1] / 65535.0 * 255 - 128, b = scaled[2] / 65535.0 * 255 - 128;
  const double fy = (l + 16) / 116, fx = fy + a / 500, fz = fy - b / 200;
  auto f_inverse = [](double t) {
    constexpr double delta = 6.0 / 29.0;
    return t > delta ? t * t * t : 3 * delta * delta * (t - 4.0 / 29.0);
  };
  const double xyz[3] = {0.96422 * f_inverse(fx), f_inverse(fy), 0.82521 * f_inverse(fz)};
  const double srgb_to_xyz[3][3] = {
      {0.4124564, 0.3575761, 0.1804375}, {0.2126729, 0.7151522, 0.0721750}, {0.0193339, 0.1191920, 0.9503041}};
  const double bradford[3][3] = {
      {1.0478112, 0.0228866, -0.0501270}, {0.0295424, 0.9904844, -0.0170491}, {-0.0092345, 0.0150436, 0.7521316}};
  double m[3][3] = {};
  for (int i = 0; i < 3; ++i)
    for (int j = 0; j < 3; ++j)
      for (int k = 0; k < 3; ++k) m[i][j] += bradford[i][k] * srgb_to_xyz[k][j];
  const double det = m[0][0] * (m[1][1] * m[2][2] - m[1][2] * m[2][1]) -
                     m[0][1] * (m[1][0] * m[2][2] - m[1][2] * m[2][0]) +
                     m[0][2] * (m[1][0] * m[2][1] - m[1][1] * m[2][0]);
  double inv[3][3];
  for (int i = 0; i < 3; ++i) {
    for (int j = 0; j < 3; ++j) {
      // Cofactor of m[j][i] over the determinant.
      const int r0 = (j + 1) % 3, r1 = (j + 2) % 3, c0 = (i + 1) % 3, c1 = (i + 2) % 3;
      inv[i][j] = (m[r0][c0] * m[r1][c1] - m[r0][c1] * m[r1][c0]) / det;
    }
  }
  std::array<int, 3> rgb{};
  for (int i = 0; i < 3; ++i) {
    const double linear = std::clamp(inv[i][0] * xyz[0] + inv[i][1] * xyz[1] + inv[i][2] * xyz[2], 0.0, 1.0);
    const double c = linear <= 0.0031308 ? 12.92 * linear : 1.055 * std::pow(linear, 1 / 2.4) - 0.055;
    rgb[size_t(i)] = int(std::lround(c * 255));
  }
  return rgb;
}

const DataSet* first_item(const DataSet& d, Tag tag) {
  const auto* items = d.sequence(tag);
  return items && !items->empty() ? &items->front() : nullptr;
}

// A parsed SEG and what the reader needs of it.
struct SegObject {
  Part10File file;
  int rows = 0, columns = 0;
  size_t frames = 0;
  bool fractional = false;
  double maximum_fractional = 255;
  std::span<const uint8_t> pixels;
};

Result<SegObject> parse_seg(const uint8_t* bytes, size_t size) {
  if (bytes == nullptr || size == 0) return invalid_argument("no SEG bytes");
  SegObject seg;
  CAIRN_ASSIGN_OR_RETURN(seg.file, parse_part10(std::span<const uint8_t>(bytes, size), "SEG"));
  const DataSet& d = seg.file.dataset;
  if (d.text_or(tags::kSOPClassUID, "") != kSegmentationStorage) {
    return invalid_argument("not a DICOM Segmentation (SOPClassUID " + d.text_or(tags::kSOPClassUID, "absent") + ")");
  }
  const std::string type = d.text_or(tags::kSegmentationType, "");
  seg.fractional = type == "FRACTIONAL";
  if (type != "BINARY" && !seg.fractional) return unsupported("SegmentationType '" + type + "' is not BINARY or FRACTIONAL");
  const int bits = int(d.integer(tags::kBitsAllocated, 0, 64).value_or(0));
  if (bits != (seg.fractional ? 8 : 1)) {
    return unsupported("a " + type + " SEG with BitsAllocated " + std::to_string(bits) + " (expected " +
                       (seg.fractional ? "8" : "1") + ")");
  }
  if (seg.fractional) {
    seg.maximum_fractional = d.number(Tag{0x0062, 0x000E}).value_or(255);  // MaximumFractionalValue
    if (!(seg.maximum_fractional > 0)) return invalid_argument("MaximumFractionalValue must be positive");
  }
  // Checked ranges (Rows and Columns are US; IS allows 2^31 - 1 frames) before any cast: a hostile FD or DS value
  // (NaN, 1e300) has no integer, and frames x rows x columns then fits a size_t.
  const auto rows = d.integer(tags::kRows, 1, 65535), columns = d.integer(tags::kColumns, 1, 65535);
  const auto frames = d.number(tags::kNumberOfFrames) ? d.integer(tags::kNumberOfFrames, 1, INT32_MAX) : 1;
  if (!rows || !columns || !frames) {
    return invalid_argument("the SEG has no rows, columns or frames (Rows '" + d.text_or(tags::kRows, "") +
                            "', Columns '" + d.text_or(tags::kColumns, "") + "', NumberOfFrames '" +
                            d.text_or(tags::kNumberOfFrames, "") + "')");
  }
  seg.rows = int(*rows);
  seg.columns = int(*columns);
  seg.frames = size_t(*frames);
  CAIRN_ASSIGN_OR_RETURN(seg.pixels, native_pixel_data(seg.file));
  const size_t plane = size_t(seg.rows) * size_t(seg.columns);
  const size_t needed = seg.fractional ? seg.frames * plane : (seg.frames * plane + 7) / 8;
  if (seg.pixels.size() < needed) {
    return invalid_argument("the SEG's pixel data has " + std::to_string(seg.pixels.size()) + " bytes for " +
                            std::to_string(seg.frames) + " frames of " + std::to_string(seg.rows) + "x" +
                            std::to_string(seg.columns) + " (" + std::to_string(needed) + " needed)");
  }
  return seg;
}

std::string seg_info_json(const SegObject& seg) {
  const DataSet& d = seg.file.dataset;
  std::string referenced;
  if (const DataSet* series = first_item(d, tags::kReferencedSeriesSequence)) {
    referenced = series->text_or(tags::kSeriesInstanceUID, "");
  }
  std::string out = "{";
  auto text = [&](const char* key, const std::string& value) { out += json::quote(key) + ":" + json::quote(value) + ","; };
  text("sop_instance_uid", d.text_or(tags::kSOPInstanceUID, ""));
  text("series_instance_uid", d.text_or(tags::kSeriesInstanceUID, ""));
  text("study_instance_uid", d.text_or(tags::kStudyInstanceUID, ""));
  text("frame_of_reference_uid", d.text_or(tags::kFrameOfReferenceUID, ""));
  text("referenced_series_instance_uid", referenced);
  text("segmentation_type", d.text_or(tags::kSegmentationType, ""));
  text("series_description", d.text_or(tags::kSeriesDescription, ""));
  out += "\"rows\":" + std::to_string(seg.rows) + ",\"columns\":" + std::to_string(seg.columns) +
         ",\"frames\":" + std::to_string(seg.frames) + ",\"segments\":[";
  const auto* segments = d.sequence(tags::kSegmentSequence);
  for (size_t i = 0; segments && i < segments->size(); ++i) {
    const DataSet& s = (*segments)[i];
    out += i ? ",{" : "{";
    out += "\"number\":" + std::to_string(s.integer(tags::kSegmentNumber, 0, 65535).value_or(int64_t(i + 1))) + ",";
    text("label", s.text_or(tags::kSegmentLabel, ""));
    text("algorithm", s.text_or(tags::kSegmentAlgorithmName, ""));
    if (const DataSet* code = first_item(s, tags::kSegmentedPropertyTypeCodeSequence)) {
      text("snomed", code->text_or(tags::kCodeValue, ""));
      text("scheme", code->text_or(tags::kCodingSchemeDesignator, ""));
      text("meaning", code->text_or(tags::kCodeMeaning, ""));
    }
    if (auto lab = s.numbers(tags::kRecommendedDisplayCIELabValue); lab && lab->size() == 3) {
      const auto rgb = dicom_lab_to_rgb(*lab);
      out += "\"color\":[" + std::to_string(rgb[0]) + "," + std::to_string(rgb[1]) + "," + std::to_string(rgb[2]) + "],";
    }
    out.back() = '}';
  }
  return out + "]}";
}

// The slice of `series` a frame lies on: by the source image it names, else by its position along the normal
// (within half a slice spacing).
Result<size_t> frame_slice(const DataSet& frame, const DataSet* shared, const SeriesInfo& series,
                           const std::unordered_map<std::string, size_t>& by_uid, size_t f) {
  if (const DataSet* derivation = first_item(frame, tags::kDerivationImageSequence)) {
    if (const DataSet* source = first_item(*derivation, tags::kSourceImageSequence)) {
      auto it = by_uid.find(source->text_or(tags::kReferencedSOPInstanceUID, ""));
      if (it != by_uid.end()) return it->second;
    }
  }
  const DataSet* plane = first_item(frame, tags::kPlanePositionSequence);
  auto position = plane ? plane->numbers(tags::kImagePositionPatient) : std::nullopt;
  (void)shared;
  const bool has_geometry = series.normal != Vec3{} && series.slices.size() > 0 && !series.slices[0].position_text.empty();
  if (position && position->size() == 3 && has_geometry) {
    const double offset = dot({(*position)[0], (*position)[1], (*position)[2]}, series.normal);
    size_t best = 0;
    double best_distance = INFINITY;
    for (size_t k = 0; k < series.slices.size(); ++k) {
      const double distance = std::abs(dot(series.slices[k].position, series.normal) - offset);
      if (distance < best_distance) best_distance = distance, best = k;
    }
    double spacing = 0;
    if (series.slices.size() > 1) {
      spacing = std::abs(dot(series.slices.back().position, series.normal) -
                         dot(series.slices.front().position, series.normal)) /
                double(series.slices.size() - 1);
    }
    if (series.slices.size() == 1 || best_distance <= spacing / 2 + 1e-3) return best;
  }
  return invalid_argument("frame " + std::to_string(f + 1) +
                          " lies on no slice of the series (its source image is not one of the series' instances" +
                          (has_geometry ? " and its position matches no slice)" : ")"));
}

Status read_labels(const SegObject& seg, const SeriesInfo& series, std::span<uint8_t> labels, int32_t* placed) {
  const size_t plane = size_t(series.rows) * size_t(series.columns);
  if (labels.size() != series.slices.size() * plane) {
    return invalid_argument("the label volume has " + std::to_string(labels.size()) + " bytes for " +
                            std::to_string(series.slices.size()) + "x" + std::to_string(series.rows) + "x" +
                            std::to_string(series.columns));
  }
  if (seg.rows != series.rows || seg.columns != series.columns) {
    return invalid_argument("the SEG's frames are " + std::to_string(seg.rows) + "x" + std::to_string(seg.columns) +
                            ", the series' slices " + std::to_string(series.rows) + "x" + std::to_string(series.columns));
  }
  const DataSet& d = seg.file.dataset;
  const auto* frames = d.sequence(tags::kPerFrameFunctionalGroupsSequence);
  if (frames == nullptr || frames->size() != seg.frames) {
    return invalid_argument("the SEG has " + std::to_string(frames ? frames->size() : 0) +
                            " per-frame functional groups for " + std::to_string(seg.frames) + " frames");
  }
  const DataSet* shared = first_item(d, tags::kSharedFunctionalGroupsSequence);
  // A segment number named once for all frames (a single-segment SEG may put it in the shared groups).
  std::optional<int64_t> shared_segment;
  if (shared != nullptr) {
    if (const DataSet* id = first_item(*shared, tags::kSegmentIdentificationSequence)) {
      shared_segment = id->integer(tags::kReferencedSegmentNumber, 1, 255);
    }
  }
  std::unordered_map<std::string, size_t> by_uid;
  for (size_t k = 0; k < series.slices.size(); ++k) by_uid.emplace(series.slices[k].sop_instance_uid, k);

  std::fill(labels.begin(), labels.end(), uint8_t(0));
  for (size_t f = 0; f < seg.frames; ++f) {
    const DataSet& frame = (*frames)[f];
    std::optional<int64_t> number = shared_segment;
    if (const DataSet* id = first_item(frame, tags::kSegmentIdentificationSequence)) {
      number = id->integer(tags::kReferencedSegmentNumber, 1, 255);
    }
    if (!number) {
      return invalid_argument("frame " + std::to_string(f + 1) + " names no segment number from 1 to 255");
    }
    CAIRN_ASSIGN_OR_RETURN(size_t k, frame_slice(frame, shared, series, by_uid, f));
    const uint8_t value = uint8_t(*number);
    uint8_t* slice = labels.data() + k * plane;
    for (size_t i = 0; i < plane; ++i) {
      const size_t index = f * plane + i;
      const bool set = seg.fractional ? seg.pixels[index] > seg.maximum_fractional / 2
                                      : (seg.pixels[index >> 3] >> (index & 7) & 1) != 0;
      if (set && slice[i] < value) slice[i] = value;
    }
  }
  if (placed != nullptr) *placed = int32_t(seg.frames);
  return Status::ok();
}

// The ROIs of an RT Structure Set in memory (read_rtstruct reads a file; the browser has bytes): the same reading.
Result<StructureSet> parse_structure_set(const uint8_t* bytes, size_t size) {
  if (bytes == nullptr || size == 0) return invalid_argument("no RTSTRUCT bytes");
  CAIRN_ASSIGN_OR_RETURN(Part10File file, parse_part10(std::span<const uint8_t>(bytes, size), "RTSTRUCT"));
  const DataSet& d = file.dataset;
  const std::string modality = d.text_or(tags::kModality, "");
  const auto* rois = d.sequence(tags::kStructureSetROISequence);
  if (modality != "RTSTRUCT" || !rois) return invalid_argument("not an RT Structure Set (Modality '" + modality + "')");
  StructureSet out;
  if (const auto* refs = d.sequence(tags::kReferencedFrameOfReferenceSequence); refs && !refs->empty()) {
    out.frame_of_reference_uid = refs->front().text_or(tags::kFrameOfReferenceUID, "");
  }
  std::map<int, size_t> by_number;
  for (const DataSet& roi : *rois) {
    const auto number = roi.integer(tags::kROINumber, INT32_MIN, INT32_MAX);
    if (!number) return invalid_argument("an item of StructureSetROISequence has no ROINumber (an integer)");
    by_number[int(*number)] = out.rois.size();
    out.rois.push_back({int(*number), roi.text_or(tags::kROIName, ""), {}});
  }
  if (const auto* roi_contours = d.sequence(tags::kROIContourSequence)) {
    for (const DataSet& roi_contour : *roi_contours) {
      const auto number = roi_contour.integer(tags::kReferencedROINumber, INT32_MIN, INT32_MAX);
      if (!number || !by_number.count(int(*number))) continue;
      RoiContours& roi = out.rois[by_number[int(*number)]];
      const auto* contours = roi_contour.sequence(tags::kContourSequence);
      for (size_t c = 0; contours && c < contours->size(); ++c) {
        const DataSet& contour = (*contours)[c];
        if (contour.text_or(tags::kContourGeometricType, "") != "CLOSED_PLANAR") continue;
        const auto data = contour.numbers(tags::kContourData);
        if (!data || data->size() < 9) continue;
        if (data->size() % 3 != 0) {
          return invalid_argument("a contour of ROI '" + roi.name + "' has " + std::to_string(data->size()) +
                                  " ContourData values, not a multiple of 3");
        }
        Contour points(data->size() / 3);
        for (size_t i = 0; i < points.size(); ++i) points[i] = {(*data)[3 * i], (*data)[3 * i + 1], (*data)[3 * i + 2]};
        roi.contours.push_back(std::move(points));
      }
    }
  }
  return out;
}

// The ROIs to rasterize: those the description's "rois" names, in order; by default the left and right lungs as
// the lung model labels them (1 right, 2 left).
Result<std::vector<std::string>> chosen_rois(const json::Value& d, const StructureSet& set) {
  std::vector<std::string> names;
  if (const json::Value* list = d.find("rois"); list != nullptr && list->is(json::Value::Kind::kArray)) {
    for (const json::Value& item : list->items) {
      if (!item.is(json::Value::Kind::kString)) return invalid_argument("\"rois\" must be an array of ROI names");
      if (set.find(item.string) == nullptr) return invalid_argument("the structure set has no ROI '" + item.string + "'");
      names.push_back(item.string);
    }
    if (names.empty() || names.size() > 255) return invalid_argument("\"rois\" must name 1 to 255 ROIs");
    return names;
  }
  CAIRN_ASSIGN_OR_RETURN(auto lungs, find_lung_rois(set.names()));
  return std::vector<std::string>{lungs.second, lungs.first};  // (left, right) -> right is label 1
}

}  // namespace
}  // namespace cairn::dicom

using namespace cairn;
using namespace cairn::dicom;

#if defined(__wasi__)
// uid.cpp's make_uid keeps a `static thread_local std::random_device`, whose destructor is registered with
// __cxa_thread_atexit, which Debian's wasm32-wasi libc++abi lacks (wasm-ld: undefined symbol). The module is a
// reactor that never exits and whose pool workers never make UIDs: not running that destructor loses nothing.
// To remove once uid.cpp uses a plain static under __wasi__, as engine/src/api/c_api.cpp does for its error string.
extern "C" int __cxa_thread_atexit(void (*)(void*), void*, void*) { return 0; }

// make_uid's std::random_device reads getentropy, which wasi-libc answers with the WASI import random_get, which the
// module's JavaScript host (web/engine/wasi.ts) does not provide: instantiation would fail. Defined here, wasi-libc's
// is not linked and the module imports no random_get; it serves the caller's entropy (take_entropy).
// (errno is left alone: it is thread-local in the threaded build's objects and not in wasi-libc's.)
extern "C" int getentropy(void* buffer, size_t length) {
  if (!entropy_pool.seeded || length > 256) return -1;  // never unseeded: cairn_seg_write seeds before writing
  auto* out = static_cast<uint8_t*>(buffer);
  for (size_t i = 0; i < length; i += 8) {
    const uint64_t c = entropy_pool.counter++;
    const uint64_t word = splitmix64(entropy_pool.seed[c % 4] ^ splitmix64(c));
    std::memcpy(out + i, &word, std::min<size_t>(8, length - i));
  }
  return 0;
}
#endif

extern "C" {

const char* cairn_seg_last_error(void) { return last_error.c_str(); }

cairn_seg_status cairn_seg_write(const char* json, size_t json_size, const uint8_t* labels, size_t labels_size,
                                 uint8_t** bytes, size_t* size, char** info_json) {
  last_error.clear();
  if (bytes == nullptr || size == nullptr) return report(invalid_argument("bytes and size must not be NULL"));
  *bytes = nullptr;
  *size = 0;
  if (info_json != nullptr) *info_json = nullptr;
  if (labels == nullptr && labels_size != 0) return report(invalid_argument("the label volume is NULL"));
  auto description = parse_json(json, json_size);
  if (!description) return report(description.status());
  auto series = parse_series(*description, Need::kEverything);
  if (!series) return report(series.status().with_context("series description"));
  auto segments = parse_segments(*description);
  if (!segments) return report(segments.status().with_context("series description"));
  auto options = parse_options(*description);
  if (!options) return report(options.status().with_context("series description"));
  if (Status entropy = take_entropy(*description); !entropy) return report(entropy.with_context("series description"));
  auto seg = write_seg(*series, std::span<const uint8_t>(labels, labels_size), *segments, *options);
  if (!seg) return report(seg.status());

  uint8_t* out = static_cast<uint8_t*>(std::malloc(std::max<size_t>(1, seg->bytes.size())));
  if (out == nullptr) return report(resource_limit("cannot allocate " + std::to_string(seg->bytes.size()) + " bytes"));
  std::memcpy(out, seg->bytes.data(), seg->bytes.size());
  if (info_json != nullptr) {
    std::string info = "{\"sop_instance_uid\":" + json::quote(seg->sop_instance_uid) +
                       ",\"series_instance_uid\":" + json::quote(seg->series_instance_uid) +
                       ",\"frames\":" + std::to_string(seg->frames) + ",\"frames_per_segment\":[";
    for (size_t i = 0; i < seg->frames_per_segment.size(); ++i) {
      info += (i ? "," : "") + std::to_string(seg->frames_per_segment[i]);
    }
    info += "],\"warnings\":" + json_strings(seg->warnings) + "}";
    *info_json = c_string(info);
    if (*info_json == nullptr) {
      std::free(out);
      return report(resource_limit("cannot allocate the SEG's description"));
    }
  }
  *bytes = out;
  *size = seg->bytes.size();
  return 0;
}

cairn_seg_status cairn_seg_info(const uint8_t* bytes, size_t size, char** info_json) {
  last_error.clear();
  if (info_json == nullptr) return report(invalid_argument("info_json must not be NULL"));
  *info_json = nullptr;
  auto seg = parse_seg(bytes, size);
  if (!seg) return report(seg.status());
  *info_json = c_string(seg_info_json(*seg));
  if (*info_json == nullptr) return report(resource_limit("cannot allocate the SEG's description"));
  return 0;
}

cairn_seg_status cairn_seg_read(const uint8_t* bytes, size_t size, const char* json, size_t json_size, uint8_t* labels,
                                size_t labels_size, int32_t* placed_frames) {
  last_error.clear();
  if (placed_frames != nullptr) *placed_frames = 0;
  if (labels == nullptr) return report(invalid_argument("the label volume is NULL"));
  auto description = parse_json(json, json_size);
  if (!description) return report(description.status());
  auto series = parse_series(*description, Need::kSlices);
  if (!series) return report(series.status().with_context("series description"));
  auto seg = parse_seg(bytes, size);
  if (!seg) return report(seg.status());
  const Status status = read_labels(*seg, *series, std::span<uint8_t>(labels, labels_size), placed_frames);
  if (!status) return report(status);
  return 0;
}

cairn_seg_status cairn_rtstruct_read(const uint8_t* bytes, size_t size, const char* json, size_t json_size,
                                     uint8_t* labels, size_t labels_size, char** info_json) {
  last_error.clear();
  if (info_json != nullptr) *info_json = nullptr;
  if (labels == nullptr) return report(invalid_argument("the label volume is NULL"));
  auto description = parse_json(json, json_size);
  if (!description) return report(description.status());
  auto series = parse_series(*description, Need::kGeometry);
  if (!series) return report(series.status().with_context("series description"));
  const size_t plane = series->pixels_per_slice();
  if (labels_size != series->slices.size() * plane) {
    return report(invalid_argument("the label volume has " + std::to_string(labels_size) + " bytes for " +
                                   std::to_string(series->slices.size()) + "x" + std::to_string(series->rows) + "x" +
                                   std::to_string(series->columns)));
  }
  auto set = parse_structure_set(bytes, size);
  if (!set) return report(set.status());
  auto names = chosen_rois(*description, *set);
  if (!names) return report(names.status());
  std::fill(labels, labels + labels_size, uint8_t(0));
  std::string rois = "[";
  for (size_t i = 0; i < names->size(); ++i) {
    const RoiContours* roi = set->find((*names)[i]);
    const Rasterized r = rasterize_contours(roi->contours, *series);
    for (size_t v = 0; v < labels_size; ++v) {
      if (r.mask[v]) labels[v] = uint8_t(i + 1);
    }
    rois += std::string(i ? "," : "") + "{\"value\":" + std::to_string(i + 1) + ",\"name\":" + json::quote(roi->name) +
            ",\"contours\":" + std::to_string(roi->contours.size()) + ",\"unmatched\":" + std::to_string(r.unmatched) + "}";
  }
  std::string all;
  for (const std::string& name : set->names()) all += (all.empty() ? "" : ",") + json::quote(name);
  if (info_json != nullptr) {
    *info_json = c_string("{\"frame_of_reference_uid\":" + json::quote(set->frame_of_reference_uid) + ",\"rois\":" + rois +
                          "],\"all_rois\":[" + all + "]}");
    if (*info_json == nullptr) return report(resource_limit("cannot allocate the structure set's description"));
  }
  return 0;
}

void cairn_seg_free(void* pointer) { std::free(pointer); }

}  // extern "C"
