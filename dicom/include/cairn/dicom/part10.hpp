// DICOM Part-10 files: 128-byte preamble, "DICM", file meta information (explicit VR little endian), then the data
// set in its transfer syntax. Reads implicit and explicit VR little endian, sequences and items of defined and
// undefined length; every length is checked against the bytes that remain, so a truncated or corrupt file is an
// error naming the file, the tag and the byte offset, never an out-of-bounds read. Compressed (encapsulated) pixel
// data is parsed over but not decoded: pixel_data() refuses it. Writes explicit VR little endian.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "cairn/dicom/dataset.hpp"
#include "cairn/status.hpp"

namespace cairn::dicom {

inline constexpr const char* kImplicitVrLittleEndian = "1.2.840.10008.1.2";
inline constexpr const char* kExplicitVrLittleEndian = "1.2.840.10008.1.2.1";

struct ReadOptions {
  bool skip_pixel_data = false;  // leave (7FE0,0010) out (its length is still checked)
  int max_depth = 16;            // sequences nested deeper than this are refused (no stack exhaustion)
};

struct Part10File {
  std::string name;  // the file, for messages
  DataSet meta;      // group 0002
  DataSet dataset;
  std::string transfer_syntax_uid;
  bool compressed = false;  // an encapsulated transfer syntax (JPEG, JPEG-LS, JPEG 2000, RLE, ...)
};

// "DICM" at byte 128.
bool has_part10_magic(std::span<const uint8_t> bytes);
// "JPEG 2000 Image Compression (1.2.840.10008.1.2.4.91)"; the bare UID when it is not a known one.
std::string describe_transfer_syntax(const std::string& uid);

Result<Part10File> parse_part10(std::span<const uint8_t> bytes, const std::string& name,
                                const ReadOptions& options = {});
Result<Part10File> read_part10_file(const std::string& path, const ReadOptions& options = {});

// The native (uncompressed) pixel data bytes, or an error: compressed transfer syntax (named, with a hint on how to
// decompress), pixel data absent or skipped.
Result<std::span<const uint8_t>> native_pixel_data(const Part10File& file);

// Serializes `dataset` as a Part-10 file in explicit VR little endian. The file meta information is built here
// from the data set's SOPClassUID and SOPInstanceUID. Errors: a value too long for its VR's length field.
Result<std::vector<uint8_t>> write_part10(const DataSet& dataset);

Result<std::vector<uint8_t>> read_file_bytes(const std::string& path);
Status write_file_bytes(const std::string& path, std::span<const uint8_t> bytes);

// Cairn's implementation class UID (file meta information), under the 2.25 root (see uid.hpp).
extern const char* const kImplementationClassUid;
extern const char* const kImplementationVersionName;

}  // namespace cairn::dicom
