// Part-10 reader: a recursive descent over elements, sequences and items. Each level knows where its enclosing value
// or item ends; a length beyond that is reported with the tag, the byte offset and the sequence/item path that led
// there.
#include <cerrno>
#include <cstdio>
#include <cstring>

#include "cairn/dicom/part10.hpp"

namespace cairn::dicom {

const char* const kImplementationClassUid = "2.25.298797550094523925920404419350302236536";
const char* const kImplementationVersionName = "CAIRN_0_1";

namespace {

constexpr uint32_t kUndefinedLength = 0xFFFFFFFF;
constexpr size_t kPreambleSize = 128;

struct NamedSyntax {
  const char* uid;
  const char* name;
};

constexpr NamedSyntax kSyntaxes[] = {
    {"1.2.840.10008.1.2", "Implicit VR Little Endian"},
    {"1.2.840.10008.1.2.1", "Explicit VR Little Endian"},
    {"1.2.840.10008.1.2.1.99", "Deflated Explicit VR Little Endian"},
    {"1.2.840.10008.1.2.2", "Explicit VR Big Endian (retired)"},
    {"1.2.840.10008.1.2.4.50", "JPEG Baseline"},
    {"1.2.840.10008.1.2.4.51", "JPEG Extended"},
    {"1.2.840.10008.1.2.4.57", "JPEG Lossless"},
    {"1.2.840.10008.1.2.4.70", "JPEG Lossless, First-Order Prediction"},
    {"1.2.840.10008.1.2.4.80", "JPEG-LS Lossless"},
    {"1.2.840.10008.1.2.4.81", "JPEG-LS Near-Lossless"},
    {"1.2.840.10008.1.2.4.90", "JPEG 2000 Lossless"},
    {"1.2.840.10008.1.2.4.91", "JPEG 2000"},
    {"1.2.840.10008.1.2.4.201", "High-Throughput JPEG 2000 Lossless"},
    {"1.2.840.10008.1.2.4.202", "High-Throughput JPEG 2000 RPCL Lossless"},
    {"1.2.840.10008.1.2.4.203", "High-Throughput JPEG 2000"},
    {"1.2.840.10008.1.2.5", "RLE Lossless"},
};

uint16_t u16(const uint8_t* p) { return uint16_t(p[0] | p[1] << 8); }
uint32_t u32(const uint8_t* p) {
  return uint32_t(p[0]) | uint32_t(p[1]) << 8 | uint32_t(p[2]) << 16 | uint32_t(p[3]) << 24;
}

std::string hex_tag(Tag tag) {
  char text[16];
  std::snprintf(text, sizeof text, "(%04X,%04X)", tag.group, tag.element);
  return text;
}

class Parser {
 public:
  Parser(std::span<const uint8_t> bytes, const std::string& name, const ReadOptions& options)
      : bytes_(bytes), name_(name), options_(options) {}

  size_t pos() const { return pos_; }
  void seek(size_t pos) { pos_ = pos; }

  // Elements up to `end`, or up to an item delimitation item when `until_delimiter`.
  Status parse_elements(size_t end, DataSet& out, bool explicit_vr, int depth, bool until_delimiter) {
    while (true) {
      if (pos_ == end) {
        if (until_delimiter) return error("an item of undefined length ends without its item delimitation item");
        return Status::ok();
      }
      if (end - pos_ < 8) return error("truncated element header (" + std::to_string(end - pos_) + " bytes left)");
      const Tag tag{u16(&bytes_[pos_]), u16(&bytes_[pos_ + 2])};
      if (tag.group == 0xFFFE) {
        if (tag == tags::kItemDelimitationItem && until_delimiter) {
          pos_ += 8;
          return Status::ok();
        }
        return error("unexpected " + hex_tag(tag) + " (an item or delimiter outside the place it belongs)");
      }
      CAIRN_RETURN_IF_ERROR(parse_element(tag, end, out, explicit_vr, depth));
    }
  }

  // The file meta information: explicit VR elements of group 0002.
  Status parse_meta(DataSet& meta) {
    while (bytes_.size() - pos_ >= 2 && u16(&bytes_[pos_]) == 0x0002) {
      if (bytes_.size() - pos_ < 8) return error("truncated element header in the file meta information");
      const Tag tag{u16(&bytes_[pos_]), u16(&bytes_[pos_ + 2])};
      CAIRN_RETURN_IF_ERROR(parse_element(tag, bytes_.size(), meta, true, 0));
    }
    return Status::ok();
  }

  Status error(const std::string& problem) const {
    std::string where = name_ + ": ";
    for (const std::string& step : path_) where += step + " > ";
    return io_error(where + problem + " (at byte " + std::to_string(pos_) + ")");
  }

 private:
  Status parse_element(Tag tag, size_t end, DataSet& out, bool explicit_vr, int depth) {
    const size_t start = pos_;
    VR vr = VR::kNone;
    uint32_t length = 0;
    if (explicit_vr) {
      const uint16_t code = uint16_t(bytes_[pos_ + 4] << 8 | bytes_[pos_ + 5]);
      if (!is_known_vr(code)) {
        char shown[8];
        std::snprintf(shown, sizeof shown, "%02X %02X", bytes_[pos_ + 4], bytes_[pos_ + 5]);
        return error(describe_tag(tag) + ": invalid value representation (bytes " + shown +
                     "); the file is corrupt or not in the transfer syntax it declares");
      }
      vr = VR(code);
      if (has_long_length(vr)) {
        if (end - pos_ < 12) return error(describe_tag(tag) + ": truncated element header");
        length = u32(&bytes_[pos_ + 8]);
        pos_ += 12;
      } else {
        length = u16(&bytes_[pos_ + 6]);
        pos_ += 8;
      }
    } else {
      vr = dictionary_vr(tag);
      length = u32(&bytes_[pos_ + 4]);
      pos_ += 8;
    }

    Element element;
    element.tag = tag;
    element.vr = vr;
    if (length == kUndefinedLength) {
      if (vr == VR::SQ || vr == VR::UN || vr == VR::kNone) {
        // An undefined-length UN element is a sequence in implicit VR little endian (PS3.5 6.2.2).
        const bool items_explicit = explicit_vr && vr == VR::SQ;
        CAIRN_RETURN_IF_ERROR(parse_sequence(element, end, /*defined=*/false, items_explicit, depth));
        element.vr = VR::SQ;
      } else if (tag == tags::kPixelData) {
        CAIRN_RETURN_IF_ERROR(skip_fragments(end));
        element.encapsulated = true;
      } else {
        pos_ = start;
        return error(describe_tag(tag) + " (" + vr_name(vr) +
                     "): undefined length, which only sequences and encapsulated pixel data may have");
      }
      out.insert(std::move(element));
      return Status::ok();
    }
    if (length > end - pos_) {
      const std::string problem = describe_tag(tag) + ": value length " + std::to_string(length) + " exceeds the " +
                                  std::to_string(end - pos_) + " bytes that remain" +
                                  (end == bytes_.size() ? " in the file (truncated?)" : " in the enclosing item");
      pos_ = start;
      return error(problem);
    }
    const size_t value_end = pos_ + length;
    const bool sequence_by_dictionary = (vr == VR::UN || vr == VR::kNone) && dictionary_vr(tag) == VR::SQ;
    if (vr == VR::SQ || sequence_by_dictionary) {
      element.vr = VR::SQ;
      CAIRN_RETURN_IF_ERROR(parse_sequence(element, value_end, /*defined=*/true, explicit_vr && vr == VR::SQ, depth));
    } else if (vr == VR::kNone && looks_like_sequence(value_end)) {
      // Implicit VR, a tag outside the dictionary whose value starts with an item: try it as a sequence, and keep
      // the raw bytes when it does not parse as one.
      Element attempt = element;
      attempt.vr = VR::SQ;
      Parser trial(*this);
      if (trial.parse_sequence(attempt, value_end, true, false, depth).is_ok()) {
        element = std::move(attempt);
      } else {
        element.value.assign(bytes_.begin() + pos_, bytes_.begin() + value_end);
      }
      pos_ = value_end;
    } else if (tag == tags::kPixelData && options_.skip_pixel_data) {
      element.value_skipped = true;
      pos_ = value_end;
    } else {
      element.value.assign(bytes_.begin() + pos_, bytes_.begin() + value_end);
      pos_ = value_end;
    }
    out.insert(std::move(element));
    return Status::ok();
  }

  bool looks_like_sequence(size_t value_end) const {
    return value_end - pos_ >= 8 && u16(&bytes_[pos_]) == 0xFFFE &&
           (u16(&bytes_[pos_ + 2]) == 0xE000 || u16(&bytes_[pos_ + 2]) == 0xE0DD);
  }

  // Items of a sequence: up to `end` when `defined`, else up to a sequence delimitation item before `end`.
  Status parse_sequence(Element& sequence, size_t end, bool defined, bool explicit_vr, int depth) {
    if (depth + 1 > options_.max_depth) {
      return error(describe_tag(sequence.tag) + ": sequences nested deeper than " + std::to_string(options_.max_depth) +
                   " levels");
    }
    while (true) {
      if (defined && pos_ == end) return Status::ok();
      if (end - pos_ < 8) {
        return error(describe_tag(sequence.tag) + ": truncated sequence (" + std::to_string(end - pos_) +
                     " bytes left where an item header was expected" +
                     (defined ? ")" : "; no sequence delimitation item)"));
      }
      const Tag tag{u16(&bytes_[pos_]), u16(&bytes_[pos_ + 2])};
      const uint32_t length = u32(&bytes_[pos_ + 4]);
      if (tag == tags::kSequenceDelimitationItem) {
        if (defined)
          return error(describe_tag(sequence.tag) + ": sequence delimitation item in a sequence of defined length");
        pos_ += 8;
        return Status::ok();
      }
      if (tag != tags::kItem) {
        return error(describe_tag(sequence.tag) + ": expected an item (FFFE,E000), found " + hex_tag(tag));
      }
      pos_ += 8;
      path_.push_back(describe_tag(sequence.tag) + " item " + std::to_string(sequence.items.size() + 1));
      DataSet& item = sequence.items.emplace_back();
      if (length == kUndefinedLength) {
        CAIRN_RETURN_IF_ERROR(parse_elements(end, item, explicit_vr, depth + 1, true));
      } else {
        if (length > end - pos_) {
          return error("item length " + std::to_string(length) + " exceeds the " + std::to_string(end - pos_) +
                       " bytes that remain");
        }
        CAIRN_RETURN_IF_ERROR(parse_elements(pos_ + length, item, explicit_vr, depth + 1, false));
      }
      path_.pop_back();
    }
  }

  // Encapsulated pixel data: an offset table item, fragment items, a sequence delimitation item.
  Status skip_fragments(size_t end) {
    while (true) {
      if (end - pos_ < 8) return error("(7FE0,0010) PixelData: truncated encapsulated pixel data");
      const Tag tag{u16(&bytes_[pos_]), u16(&bytes_[pos_ + 2])};
      const uint32_t length = u32(&bytes_[pos_ + 4]);
      pos_ += 8;
      if (tag == tags::kSequenceDelimitationItem) return Status::ok();
      if (tag != tags::kItem || length == kUndefinedLength || length > end - pos_) {
        pos_ -= 8;
        return error("(7FE0,0010) PixelData: malformed fragment " + hex_tag(tag) + " of length " +
                     std::to_string(length));
      }
      pos_ += length;
    }
  }

  std::span<const uint8_t> bytes_;
  const std::string& name_;
  const ReadOptions& options_;
  size_t pos_ = 0;
  std::vector<std::string> path_;
};

}  // namespace

bool has_part10_magic(std::span<const uint8_t> bytes) {
  return bytes.size() >= kPreambleSize + 4 && std::memcmp(bytes.data() + kPreambleSize, "DICM", 4) == 0;
}

std::string describe_transfer_syntax(const std::string& uid) {
  for (const NamedSyntax& s : kSyntaxes) {
    if (uid == s.uid) return std::string(s.name) + " (" + uid + ")";
  }
  return uid;
}

Result<Part10File> parse_part10(std::span<const uint8_t> bytes, const std::string& name, const ReadOptions& options) {
  if (!has_part10_magic(bytes)) {
    return io_error(
        name + ": not a DICOM Part-10 file (no 'DICM' after the 128-byte preamble" +
        (bytes.size() < kPreambleSize + 4 ? "; the file has only " + std::to_string(bytes.size()) + " bytes)" : ")"));
  }
  Part10File file;
  file.name = name;
  Parser parser(bytes, name, options);
  parser.seek(kPreambleSize + 4);
  CAIRN_RETURN_IF_ERROR(parser.parse_meta(file.meta));
  const auto syntax = file.meta.text(tags::kTransferSyntaxUID);
  if (!syntax || syntax->empty()) {
    return io_error(name + ": the file meta information has no (0002,0010) TransferSyntaxUID");
  }
  file.transfer_syntax_uid = *syntax;
  bool explicit_vr = true;
  if (*syntax == kImplicitVrLittleEndian) {
    explicit_vr = false;
  } else if (*syntax == kExplicitVrLittleEndian) {
  } else if (*syntax == "1.2.840.10008.1.2.1.99" || *syntax == "1.2.840.10008.1.2.2") {
    return unsupported(name + ": transfer syntax " + describe_transfer_syntax(*syntax) +
                       " is not supported; convert the file to explicit VR little endian (e.g. dcmconv +te)");
  } else {
    file.compressed = true;  // every other transfer syntax is explicit VR little endian with encapsulated pixels
  }
  CAIRN_RETURN_IF_ERROR(parser.parse_elements(bytes.size(), file.dataset, explicit_vr, 0, false));
  return file;
}

Result<Part10File> read_part10_file(const std::string& path, const ReadOptions& options) {
  CAIRN_ASSIGN_OR_RETURN(std::vector<uint8_t> bytes, read_file_bytes(path));
  return parse_part10(bytes, path, options);
}

Result<std::span<const uint8_t>> native_pixel_data(const Part10File& file) {
  if (file.compressed) {
    return unsupported(file.name + ": pixel data in " + describe_transfer_syntax(file.transfer_syntax_uid) +
                       " is compressed; Cairn reads uncompressed pixel data only (decompress first, e.g. "
                       "dcmdjpeg/dcmdjpls/dcmdrle or gdcmconv --raw)");
  }
  const Element* pixels = file.dataset.find(tags::kPixelData);
  if (!pixels) return io_error(file.name + ": no (7FE0,0010) PixelData");
  if (pixels->value_skipped) return invalid_argument(file.name + ": the pixel data was skipped when reading");
  if (pixels->encapsulated) {
    return unsupported(file.name + ": encapsulated pixel data in an uncompressed transfer syntax");
  }
  return std::span<const uint8_t>(pixels->value);
}

Result<std::vector<uint8_t>> read_file_bytes(const std::string& path) {
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (!f) return io_error(path + ": cannot open: " + std::strerror(errno));
  std::vector<uint8_t> bytes;
  uint8_t buffer[1 << 16];
  size_t n = 0;
  while ((n = std::fread(buffer, 1, sizeof buffer, f)) > 0) bytes.insert(bytes.end(), buffer, buffer + n);
  const bool failed = std::ferror(f);
  std::fclose(f);
  if (failed) return io_error(path + ": read error");
  return bytes;
}

Status write_file_bytes(const std::string& path, std::span<const uint8_t> bytes) {
  std::FILE* f = std::fopen(path.c_str(), "wb");
  if (!f) return io_error(path + ": cannot create: " + std::strerror(errno));
  const bool written = std::fwrite(bytes.data(), 1, bytes.size(), f) == bytes.size();
  const bool closed = std::fclose(f) == 0;
  if (!written || !closed) return io_error(path + ": write error (disk full?)");
  return Status::ok();
}

}  // namespace cairn::dicom
