// Helpers of the cairn_dicom tests: Part-10 files built byte by byte (to make them wrong in precise ways), temporary
// directories, synthetic CT slices written with the library's own writer, and where the real cases are.
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "cairn/dicom/dataset.hpp"
#include "cairn/dicom/part10.hpp"

namespace cairn::dicom::test {

// Little-endian element encoding by hand.
class Bytes {
 public:
  std::vector<uint8_t> data;

  Bytes& u16(uint16_t v) {
    data.insert(data.end(), {uint8_t(v), uint8_t(v >> 8)});
    return *this;
  }
  Bytes& u32(uint32_t v) {
    u16(uint16_t(v));
    return u16(uint16_t(v >> 16));
  }
  Bytes& raw(const std::string& text) {
    data.insert(data.end(), text.begin(), text.end());
    return *this;
  }
  Bytes& raw(const std::vector<uint8_t>& bytes) {
    data.insert(data.end(), bytes.begin(), bytes.end());
    return *this;
  }
  Bytes& tag(Tag t) { return u16(t.group).u16(t.element); }

  // Explicit VR element with its value (16- or 32-bit length as the VR requires).
  Bytes& explicit_element(Tag t, const char* vr, const std::vector<uint8_t>& value) {
    tag(t).raw(std::string(vr, 2));
    if (has_long_length(VR(uint16_t(vr[0] << 8 | vr[1])))) {
      u16(0).u32(uint32_t(value.size()));
    } else {
      u16(uint16_t(value.size()));
    }
    return raw(value);
  }
  Bytes& explicit_text(Tag t, const char* vr, std::string text) {
    if (text.size() % 2) text += vr[0] == 'U' && vr[1] == 'I' ? '\0' : ' ';
    return explicit_element(t, vr, std::vector<uint8_t>(text.begin(), text.end()));
  }
  Bytes& explicit_us(Tag t, uint16_t v) { return explicit_element(t, "US", {uint8_t(v), uint8_t(v >> 8)}); }
  // Explicit VR header of a given (possibly undefined, 0xFFFFFFFF) length, no value.
  Bytes& explicit_header(Tag t, const char* vr, uint32_t length) {
    tag(t).raw(std::string(vr, 2));
    if (has_long_length(VR(uint16_t(vr[0] << 8 | vr[1])))) return u16(0).u32(length);
    return u16(uint16_t(length));
  }
  Bytes& implicit_element(Tag t, const std::vector<uint8_t>& value) {
    return tag(t).u32(uint32_t(value.size())).raw(value);
  }
  Bytes& implicit_text(Tag t, std::string text) {
    if (text.size() % 2) text += ' ';
    return implicit_element(t, std::vector<uint8_t>(text.begin(), text.end()));
  }
  Bytes& implicit_header(Tag t, uint32_t length) { return tag(t).u32(length); }
  Bytes& item(uint32_t length) { return tag(tags::kItem).u32(length); }
  Bytes& item_end() { return tag(tags::kItemDelimitationItem).u32(0); }
  Bytes& sequence_end() { return tag(tags::kSequenceDelimitationItem).u32(0); }
};

// Preamble, DICM and file meta information for `transfer_syntax`, followed by `body`.
inline std::vector<uint8_t> part10(const std::string& transfer_syntax, const std::vector<uint8_t>& body) {
  Bytes meta;
  meta.explicit_element(tags::kFileMetaInformationVersion, "OB", {0, 1})
      .explicit_text(tags::kMediaStorageSOPClassUID, "UI", "1.2.840.10008.5.1.4.1.1.2")
      .explicit_text(tags::kMediaStorageSOPInstanceUID, "UI", "1.2.3.4")
      .explicit_text(tags::kTransferSyntaxUID, "UI", transfer_syntax);
  Bytes file;
  file.data.assign(128, 0);
  file.raw("DICM");
  file.explicit_element(tags::kFileMetaInformationGroupLength, "UL",
                        {uint8_t(meta.data.size()), uint8_t(meta.data.size() >> 8), 0, 0});
  file.raw(meta.data).raw(body);
  return file.data;
}

// A fresh directory under the system's temporary directory, removed with the object.
class TempDir {
 public:
  TempDir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "cairn-dicom-XXXXXX").string();
    path_ = ::mkdtemp(pattern.data()) ? pattern : "";
    EXPECT_FALSE(path_.empty());
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }
  std::string file(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

// A CT slice as a data set: 16-bit pixels `values` (rows x columns), at z = `z` mm, axial.
struct SliceSpec {
  std::string series_uid = "1.2.826.0.1.3680043.2.1125.1.1";
  std::string sop_uid{};
  double z = 0;
  int rows = 4, columns = 3;
  bool is_signed = true;
  double slope = 1, intercept = 0;
  std::vector<int32_t> values{};  // rows * columns; default: i
  std::string modality = "CT";
};

inline DataSet ct_slice(const SliceSpec& s) {
  DataSet d;
  d.set_text(tags::kSOPClassUID, "1.2.840.10008.5.1.4.1.1.2");
  d.set_text(tags::kSOPInstanceUID, s.sop_uid);
  d.set_text(tags::kModality, s.modality);
  d.set_text(tags::kPatientName, "Test^Patient");
  d.set_text(tags::kPatientID, "P1");
  d.set_text(tags::kStudyInstanceUID, "1.2.826.0.1.3680043.2.1125.1.2");
  d.set_text(tags::kSeriesInstanceUID, s.series_uid);
  d.set_text(tags::kFrameOfReferenceUID, "1.2.826.0.1.3680043.2.1125.1.3");
  char position[64];
  std::snprintf(position, sizeof position, "-10\\-20\\%g", s.z);
  d.set_text(tags::kImagePositionPatient, position);
  d.set_text(tags::kImageOrientationPatient, "1\\0\\0\\0\\1\\0");
  d.set_text(tags::kPixelSpacing, "0.5\\0.75");
  d.set_text(tags::kSliceThickness, "2");
  d.set_uint16(tags::kSamplesPerPixel, {1});
  d.set_text(tags::kPhotometricInterpretation, "MONOCHROME2");
  d.set_uint16(tags::kRows, {uint16_t(s.rows)});
  d.set_uint16(tags::kColumns, {uint16_t(s.columns)});
  d.set_uint16(tags::kBitsAllocated, {16});
  d.set_uint16(tags::kBitsStored, {16});
  d.set_uint16(tags::kHighBit, {15});
  d.set_uint16(tags::kPixelRepresentation, {uint16_t(s.is_signed ? 1 : 0)});
  char number[32];
  std::snprintf(number, sizeof number, "%g", s.intercept);
  d.set_text(tags::kRescaleIntercept, number);
  std::snprintf(number, sizeof number, "%g", s.slope);
  d.set_text(tags::kRescaleSlope, number);
  std::vector<uint8_t> pixels;
  for (int i = 0; i < s.rows * s.columns; ++i) {
    const int32_t v = s.values.empty() ? i : s.values[size_t(i)];
    pixels.push_back(uint8_t(v));
    pixels.push_back(uint8_t(v >> 8));
  }
  d.set_bytes(tags::kPixelData, VR::OW, pixels);
  return d;
}

inline void write_dataset(const std::string& path, const DataSet& d) {
  auto bytes = write_part10(d);
  ASSERT_TRUE(bytes.is_ok()) << bytes.status().message();
  ASSERT_TRUE(write_file_bytes(path, *bytes).is_ok());
}

// The unpacked real cases: $CAIRN_DATA, else ~/.cache/cairn-data (tests/dicom/ensure_data.sh fills it).
inline std::string data_root() {
  if (const char* env = std::getenv("CAIRN_DATA"); env && *env) return env;
  const char* home = std::getenv("HOME");
  return std::string(home ? home : "") + "/.cache/cairn-data";
}

}  // namespace cairn::dicom::test
