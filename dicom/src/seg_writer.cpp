// DICOM SEG writer (PS3.3 A.51, Segmentation IOD): Patient, General Study, General Series, Segmentation Series,
// Frame of Reference, General Equipment, Enhanced General Equipment, Image Pixel, Segmentation Image, Multi-frame
// Functional Groups, Multi-frame Dimension, Common Instance Reference and SOP Common modules.
#include "cairn/dicom/seg_writer.hpp"

#include <algorithm>
#include <cmath>
#include <ctime>
#include <set>

#include "cairn/dicom/dataset.hpp"
#include "cairn/dicom/part10.hpp"
#include "cairn/dicom/uid.hpp"

namespace cairn::dicom {
namespace {

DataSet code_item(const CodedConcept& code) {
  DataSet item;
  item.set_text(tags::kCodeValue, code.value);
  item.set_text(tags::kCodingSchemeDesignator, code.scheme);
  item.set_text(tags::kCodeMeaning, code.meaning);
  return item;
}

bool is_code_string(const std::string& text) {
  if (text.empty() || text.size() > 16) return false;
  return std::all_of(text.begin(), text.end(),
                     [](char c) { return (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == ' ' || c == '_'; });
}

// A DS value from the source when it is valid (16 characters at most), else re-formatted.
std::string decimal_strings(const std::string& source_text, const double* values, size_t count) {
  bool valid = !source_text.empty();
  size_t parts = 1, length = 0;
  for (char c : source_text) {
    if (c == '\\') {
      ++parts;
      length = 0;
    } else if (++length > 16) {
      valid = false;
    }
  }
  if (valid && parts == count) return source_text;
  std::string text;
  for (size_t i = 0; i < count; ++i) text += (i ? "\\" : "") + format_decimal_string(values[i]);
  return text;
}

void utc_now(std::string& date, std::string& time) {
  const std::time_t now = std::time(nullptr);
  std::tm utc{};
  gmtime_r(&now, &utc);
  char text[16];
  std::strftime(text, sizeof text, "%Y%m%d", &utc);
  date = text;
  std::strftime(text, sizeof text, "%H%M%S", &utc);
  time = text;
}

// A UID as the SEG writes it and readers compare it: digits and dots, 64 characters at most. (is_valid_uid also
// refuses leading zeros, which some old devices' UIDs have: those are still written and read back unchanged.)
bool is_uid_text(const std::string& text) {
  return !text.empty() && text.size() <= 64 &&
         std::all_of(text.begin(), text.end(), [](char c) { return (c >= '0' && c <= '9') || c == '.'; });
}

bool all_digits(const std::string& text) {
  return std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; });
}

bool no_control_or_backslash(const std::string& text) {
  return std::none_of(text.begin(), text.end(), [](char c) { return c == '\\' || (c >= 0 && c < 0x20 && c != 0x1B); });
}

// Whether a value copied from the source is valid for its VR (PS3.5 6.2), for the VRs of the copied attributes.
bool valid_for_vr(VR vr, const std::string& value) {
  if (value.empty()) return true;
  switch (vr) {
    case VR::DA:
      return value.size() == 8 && all_digits(value);
    case VR::TM: {
      const std::string whole = value.substr(0, value.find('.'));
      const std::string fraction = value.size() > whole.size() ? value.substr(whole.size() + 1) : "";
      return value.size() <= 16 && whole.size() >= 2 && whole.size() <= 6 && whole.size() % 2 == 0 &&
             all_digits(whole) && fraction.size() <= 6 && all_digits(fraction);
    }
    case VR::CS:
      return value.size() <= 16 && std::all_of(value.begin(), value.end(), [](char c) {
               return (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == ' ' || c == '_';
             });
    case VR::SH:
      return value.size() <= 16 && no_control_or_backslash(value);
    case VR::LO:
      return value.size() <= 64 && no_control_or_backslash(value);
    case VR::PN: {
      size_t group = 0;
      for (char c : value) {
        if (c == '=') {
          group = 0;
        } else if (++group > 64) {
          return false;
        }
      }
      return no_control_or_backslash(value);
    }
    default:
      return true;
  }
}

double srgb_to_linear(uint8_t value) {
  const double c = value / 255.0;
  return c <= 0.04045 ? c / 12.92 : std::pow((c + 0.055) / 1.055, 2.4);
}

double lab_f(double t) {
  constexpr double delta = 6.0 / 29.0;
  return t > delta * delta * delta ? std::cbrt(t) : t / (3 * delta * delta) + 4.0 / 29.0;
}

}  // namespace

std::array<uint16_t, 3> rgb_to_dicom_lab(const std::array<uint8_t, 3>& rgb) {
  const double r = srgb_to_linear(rgb[0]), g = srgb_to_linear(rgb[1]), b = srgb_to_linear(rgb[2]);
  // sRGB (D65) to XYZ, then the Bradford adaptation to D50.
  const double x65 = 0.4124564 * r + 0.3575761 * g + 0.1804375 * b;
  const double y65 = 0.2126729 * r + 0.7151522 * g + 0.0721750 * b;
  const double z65 = 0.0193339 * r + 0.1191920 * g + 0.9503041 * b;
  const double x = 1.0478112 * x65 + 0.0228866 * y65 - 0.0501270 * z65;
  const double y = 0.0295424 * x65 + 0.9904844 * y65 - 0.0170491 * z65;
  const double z = -0.0092345 * x65 + 0.0150436 * y65 + 0.7521316 * z65;
  const double fx = lab_f(x / 0.96422), fy = lab_f(y / 1.0), fz = lab_f(z / 0.82521);
  const double l = 116 * fy - 16, a = 500 * (fx - fy), bb = 200 * (fy - fz);
  auto scale = [](double v, double lo, double hi) {
    return uint16_t(std::lround(std::clamp((v - lo) / (hi - lo), 0.0, 1.0) * 65535.0));
  };
  return {scale(l, 0, 100), scale(a, -128, 127), scale(bb, -128, 127)};
}

Result<SegFile> write_seg(const SeriesInfo& source, std::span<const uint8_t> labels,
                          const std::vector<SegSegment>& segments, const SegOptions& options) {
  const size_t plane = source.pixels_per_slice();
  const size_t depth = source.slices.size();
  if (depth == 0 || plane == 0) return invalid_argument("SEG: the source series has no slices");
  if (labels.size() != depth * plane) {
    return invalid_argument("SEG: the label volume has " + std::to_string(labels.size()) + " voxels, the series " +
                            std::to_string(depth) + "x" + std::to_string(source.rows) + "x" +
                            std::to_string(source.columns));
  }
  if (segments.empty()) return invalid_argument("SEG: no segment to write");
  if (segments.size() > 65535) return invalid_argument("SEG: more than 65535 segments");
  std::set<int> values;
  for (const SegSegment& s : segments) {
    if (s.label_value < 1 || s.label_value > 255) {
      return invalid_argument("SEG: label value " + std::to_string(s.label_value) + " is outside 1..255");
    }
    if (!values.insert(s.label_value).second) {
      return invalid_argument("SEG: label value " + std::to_string(s.label_value) + " is given to two segments");
    }
    if (s.label.empty() || s.property_type.value.empty() || s.property_type.scheme.empty() ||
        s.property_type.meaning.empty() || s.property_category.value.empty()) {
      return invalid_argument("SEG: segment " + std::to_string(s.label_value) +
                              " needs a label and a property type code (value, scheme, meaning)");
    }
  }
  if (!is_code_string(options.content_label)) {
    return invalid_argument("SEG: content label '" + options.content_label +
                            "' must be 1 to 16 upper-case letters, digits, spaces or underscores");
  }
  const std::string algorithm =
      options.algorithm_name + (options.algorithm_version.empty() ? "" : " " + options.algorithm_version);
  if (options.algorithm_name.empty() || algorithm.size() > 64) {
    return invalid_argument("SEG: the algorithm name and version must be 1 to 64 characters ('" + algorithm + "')");
  }
  for (const std::string* uid : {&source.study_instance_uid, &source.frame_of_reference_uid}) {
    if (!is_valid_uid(*uid)) return invalid_argument("SEG: the source has an invalid UID '" + *uid + "'");
  }
  if (!is_uid_text(source.series_instance_uid)) {
    return invalid_argument("SEG: the source series has an invalid SeriesInstanceUID '" + source.series_instance_uid + "'");
  }
  // Frames name their slice by its SOPInstanceUID: a UID a reader would not read back as written (spaces, letters)
  // or two slices with one UID would put frames on no slice or the wrong one.
  std::set<std::string> slice_uids;
  for (size_t k = 0; k < depth; ++k) {
    for (const std::string* uid : {&source.slices[k].sop_instance_uid, &source.slices[k].sop_class_uid}) {
      if (!is_uid_text(*uid)) {
        return invalid_argument("SEG: slice " + std::to_string(k) + " of the source has an invalid UID '" + *uid + "'");
      }
    }
    if (!slice_uids.insert(source.slices[k].sop_instance_uid).second) {
      return invalid_argument("SEG: slice " + std::to_string(k) + " of the source repeats the SOPInstanceUID '" +
                              source.slices[k].sop_instance_uid + "' of another slice");
    }
  }

  std::string date = options.content_date, time = options.content_time;
  if (date.empty() || time.empty()) utc_now(date, time);
  const std::string series_uid = options.series_instance_uid.empty() ? make_uid() : options.series_instance_uid;
  const std::string instance_uid = options.sop_instance_uid.empty() ? make_uid() : options.sop_instance_uid;

  SegFile out;
  DataSet d;
  // Copies a source attribute, or writes it empty (Type 2) when its value is invalid for its VR.
  auto copy_source = [&](Tag tag, const std::string& value) {
    if (valid_for_vr(dictionary_vr(tag), value)) {
      d.set_text(tag, value);
    } else {
      d.set_text(tag, "");
      out.warnings.push_back(describe_tag(tag) + " of the source, '" + value + "', is not a valid " +
                             vr_name(dictionary_vr(tag)) + " value: written empty");
    }
  };
  if (!source.specific_character_set.empty()) d.set_text(tags::kSpecificCharacterSet, source.specific_character_set);
  d.set_strings(tags::kImageType, {"DERIVED", "PRIMARY"});
  d.set_text(tags::kInstanceCreationDate, date);
  d.set_text(tags::kInstanceCreationTime, time);
  d.set_text(tags::kSOPClassUID, kSegmentationStorage);
  d.set_text(tags::kSOPInstanceUID, instance_uid);
  copy_source(tags::kStudyDate, source.study_date);
  d.set_text(tags::kSeriesDate, date);
  d.set_text(tags::kContentDate, date);
  copy_source(tags::kStudyTime, source.study_time);
  d.set_text(tags::kSeriesTime, time);
  d.set_text(tags::kContentTime, time);
  copy_source(tags::kAccessionNumber, source.accession_number);
  d.set_text(tags::kModality, "SEG");
  d.set_text(tags::kManufacturer, options.manufacturer);
  copy_source(tags::kReferringPhysicianName, source.referring_physician_name);
  if (!source.study_description.empty()) copy_source(tags::kStudyDescription, source.study_description);
  d.set_text(tags::kSeriesDescription, options.series_description);
  d.set_text(tags::kManufacturerModelName, options.manufacturer_model_name);

  // Common Instance Reference: the source series and every instance the frames derive from.
  DataSet& referenced_series = d.add_item(tags::kReferencedSeriesSequence);
  referenced_series.set_text(tags::kSeriesInstanceUID, source.series_instance_uid);
  for (const SliceInfo& slice : source.slices) {
    DataSet& instance = referenced_series.add_item(tags::kReferencedInstanceSequence);
    instance.set_text(tags::kReferencedSOPClassUID, slice.sop_class_uid);
    instance.set_text(tags::kReferencedSOPInstanceUID, slice.sop_instance_uid);
  }

  copy_source(tags::kPatientName, source.patient_name);
  copy_source(tags::kPatientID, source.patient_id);
  copy_source(tags::kPatientBirthDate, source.patient_birth_date);
  copy_source(tags::kPatientSex, source.patient_sex);
  d.set_text(tags::kDeviceSerialNumber, options.device_serial_number);
  d.set_text(tags::kSoftwareVersions, options.software_version);
  d.set_text(tags::kStudyInstanceUID, source.study_instance_uid);
  d.set_text(tags::kSeriesInstanceUID, series_uid);
  copy_source(tags::kStudyID, source.study_id);
  d.set_text(tags::kSeriesNumber, options.series_number);
  d.set_text(tags::kInstanceNumber, "1");
  d.set_text(tags::kFrameOfReferenceUID, source.frame_of_reference_uid);
  copy_source(tags::kPositionReferenceIndicator, source.position_reference_indicator);

  // Multi-frame Dimension: frames are indexed by segment, then by position along the normal.
  const std::string dimension_uid = make_uid();
  d.add_item(tags::kDimensionOrganizationSequence).set_text(tags::kDimensionOrganizationUID, dimension_uid);
  {
    DataSet& by_segment = d.add_item(tags::kDimensionIndexSequence);
    by_segment.set_text(tags::kDimensionOrganizationUID, dimension_uid);
    by_segment.set_tags(tags::kDimensionIndexPointer, {tags::kReferencedSegmentNumber});
    by_segment.set_tags(tags::kFunctionalGroupPointer, {tags::kSegmentIdentificationSequence});
    by_segment.set_text(tags::kDimensionDescriptionLabel, "ReferencedSegmentNumber");
    DataSet& by_position = d.add_item(tags::kDimensionIndexSequence);
    by_position.set_text(tags::kDimensionOrganizationUID, dimension_uid);
    by_position.set_tags(tags::kDimensionIndexPointer, {tags::kImagePositionPatient});
    by_position.set_tags(tags::kFunctionalGroupPointer, {tags::kPlanePositionSequence});
    by_position.set_text(tags::kDimensionDescriptionLabel, "ImagePositionPatient");
  }

  // Frames: for each segment, the slices where it has pixels, 1 bit per pixel, least significant bit first, packed
  // across frame boundaries.
  struct Frame {
    uint16_t segment_number;
    size_t slice;
  };
  std::vector<Frame> frames;
  for (size_t s = 0; s < segments.size(); ++s) {
    const uint8_t value = uint8_t(segments[s].label_value);
    for (size_t k = 0; k < depth; ++k) {
      const uint8_t* slice = labels.data() + k * plane;
      if (std::find(slice, slice + plane, value) != slice + plane) frames.push_back({uint16_t(s + 1), k});
    }
  }
  // A SEG needs one frame at least: an empty result is one empty frame of the first segment.
  const bool all_empty = frames.empty();
  if (all_empty) frames.push_back({1, 0});
  std::vector<uint8_t> pixels((frames.size() * plane + 7) / 8, 0);
  size_t bit = 0;
  for (const Frame& f : frames) {
    const uint8_t value = uint8_t(segments[f.segment_number - 1].label_value);
    const uint8_t* slice = labels.data() + f.slice * plane;
    for (size_t i = 0; i < plane; ++i, ++bit) {
      if (!all_empty && slice[i] == value) pixels[bit >> 3] |= uint8_t(1u << (bit & 7));
    }
  }

  d.set_uint16(tags::kSamplesPerPixel, {1});
  d.set_text(tags::kPhotometricInterpretation, "MONOCHROME2");
  d.set_text(tags::kNumberOfFrames, std::to_string(frames.size()));
  d.set_uint16(tags::kRows, {uint16_t(source.rows)});
  d.set_uint16(tags::kColumns, {uint16_t(source.columns)});
  d.set_uint16(tags::kBitsAllocated, {1});
  d.set_uint16(tags::kBitsStored, {1});
  d.set_uint16(tags::kHighBit, {0});
  d.set_uint16(tags::kPixelRepresentation, {0});
  d.set_text(tags::kLossyImageCompression, "00");

  d.set_text(tags::kSegmentationType, "BINARY");
  for (size_t s = 0; s < segments.size(); ++s) {
    const SegSegment& segment = segments[s];
    DataSet& item = d.add_item(tags::kSegmentSequence);
    item.set_sequence(tags::kSegmentedPropertyCategoryCodeSequence, {code_item(segment.property_category)});
    item.set_uint16(tags::kSegmentNumber, {uint16_t(s + 1)});
    item.set_text(tags::kSegmentLabel, segment.label);
    item.set_text(tags::kSegmentAlgorithmType, "AUTOMATIC");
    item.set_text(tags::kSegmentAlgorithmName, algorithm);
    const auto lab = rgb_to_dicom_lab(segment.rgb);
    item.set_uint16(tags::kRecommendedDisplayCIELabValue, {lab[0], lab[1], lab[2]});
    item.set_sequence(tags::kSegmentedPropertyTypeCodeSequence, {code_item(segment.property_type)});
  }
  d.set_text(tags::kContentLabel, options.content_label);
  d.set_text(tags::kContentDescription, options.content_description);
  d.set_text(tags::kContentCreatorName, options.content_creator_name);

  // Functional groups: orientation and pixel measures shared; position, source image and segment per frame.
  DataSet& shared = d.add_item(tags::kSharedFunctionalGroupsSequence);
  shared.add_item(tags::kPlaneOrientationSequence)
      .set_text(tags::kImageOrientationPatient, decimal_strings(source.orientation_text, source.orientation.data(), 6));
  {
    DataSet& measures = shared.add_item(tags::kPixelMeasuresSequence);
    const double spacing[2] = {source.row_spacing, source.column_spacing};
    measures.set_text(tags::kPixelSpacing, decimal_strings(source.pixel_spacing_text, spacing, 2));
    const double thickness = source.slice_thickness > 0 ? source.slice_thickness : source.slice_spacing;
    measures.set_text(tags::kSliceThickness, format_decimal_string(thickness));
    // Stated only where it holds between every two slices: per-frame positions place a series with a slice missing.
    if (source.slice_spacing > 0 && source.evenly_spaced)
      measures.set_text(tags::kSpacingBetweenSlices, format_decimal_string(source.slice_spacing));
  }
  std::vector<DataSet> per_frame;
  per_frame.reserve(frames.size());
  for (const Frame& f : frames) {
    const SliceInfo& slice = source.slices[f.slice];
    DataSet& item = per_frame.emplace_back();
    DataSet& derivation = item.add_item(tags::kDerivationImageSequence);
    DataSet& source_image = derivation.add_item(tags::kSourceImageSequence);
    source_image.set_text(tags::kReferencedSOPClassUID, slice.sop_class_uid);
    source_image.set_text(tags::kReferencedSOPInstanceUID, slice.sop_instance_uid);
    source_image.set_sequence(tags::kPurposeOfReferenceCodeSequence,
                              {code_item({"121322", "DCM", "Source image for image processing operation"})});
    derivation.set_sequence(tags::kDerivationCodeSequence, {code_item({"113076", "DCM", "Segmentation"})});
    item.add_item(tags::kFrameContentSequence)
        .set_uint32(tags::kDimensionIndexValues, {f.segment_number, uint32_t(f.slice + 1)});
    item.add_item(tags::kPlanePositionSequence)
        .set_text(tags::kImagePositionPatient, decimal_strings(slice.position_text, slice.position.data(), 3));
    item.add_item(tags::kSegmentIdentificationSequence).set_uint16(tags::kReferencedSegmentNumber, {f.segment_number});
  }
  d.set_sequence(tags::kPerFrameFunctionalGroupsSequence, std::move(per_frame));
  d.set_bytes(tags::kPixelData, VR::OB, std::move(pixels));
  CAIRN_ASSIGN_OR_RETURN(out.bytes, write_part10(d));
  out.sop_instance_uid = instance_uid;
  out.series_instance_uid = series_uid;
  out.frames = frames.size();
  out.frames_per_segment.assign(segments.size(), 0);
  if (!all_empty) {
    for (const Frame& f : frames) ++out.frames_per_segment[f.segment_number - 1];
  }
  return out;
}

}  // namespace cairn::dicom
