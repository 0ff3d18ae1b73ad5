#include "io/npy.hpp"

#include <algorithm>
#include <bit>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <limits>
#include <string_view>

namespace cairn::npy {
namespace {

constexpr uint8_t kMagic[6] = {0x93, 'N', 'U', 'M', 'P', 'Y'};
// np.load refuses headers over 10,000 bytes by default; allow more, but not so much that a hostile length
// field makes us read gigabytes of header.
constexpr uint64_t kMaxHeaderBytes = uint64_t{1} << 20;
constexpr int64_t kMaxRank = 64;

enum class Kind {
  kFloat16,
  kFloat32,
  kFloat64,
  kBool,
  kInt8,
  kUint8,
  kInt16,
  kUint16,
  kInt32,
  kUint32,
  kInt64,
  kUint64
};

struct DType {
  const char* descr;
  Kind kind;
  int size;
};

constexpr DType kDTypes[] = {
    {"<f4", Kind::kFloat32, 4}, {"<f8", Kind::kFloat64, 8}, {"<f2", Kind::kFloat16, 2}, {"|u1", Kind::kUint8, 1},
    {"|i1", Kind::kInt8, 1},    {"|b1", Kind::kBool, 1},    {"<i2", Kind::kInt16, 2},   {"<u2", Kind::kUint16, 2},
    {"<i4", Kind::kInt32, 4},   {"<u4", Kind::kUint32, 4},  {"<i8", Kind::kInt64, 8},   {"<u8", Kind::kUint64, 8},
};

std::string accepted_dtypes() {
  std::string out;
  for (const DType& d : kDTypes) {
    if (!out.empty()) out += ", ";
    out += d.descr;
  }
  return out;
}

// Bytes of a header shown in a message: printable ASCII kept, the rest escaped, long text cut.
std::string quote_for_message(std::string_view text) {
  std::string out = "'";
  size_t shown = 0;
  for (char c : text) {
    if (++shown > 60) {
      out += "...";
      break;
    }
    auto u = static_cast<unsigned char>(c);
    if (u >= 0x20 && u < 0x7f) {
      out += c;
    } else {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02x", u);
      out += buf;
    }
  }
  return out + "'";
}

uint64_t load_le(const uint8_t* p, int size) {
  uint64_t v = 0;
  for (int i = size - 1; i >= 0; --i) v = (v << 8) | p[i];
  return v;
}

float half_to_float(uint16_t h) {
  const uint32_t sign = uint32_t(h >> 15) << 31;
  const uint32_t exponent = (h >> 10) & 0x1f;
  const uint32_t mantissa = h & 0x3ff;
  if (exponent == 0x1f) return std::bit_cast<float>(sign | 0x7f800000u | (mantissa << 13));  // inf, nan
  if (exponent != 0) return std::bit_cast<float>(sign | ((exponent + 112) << 23) | (mantissa << 13));
  // Zero or subnormal: mantissa * 2^-24, exact in float.
  const float magnitude = std::ldexp(float(mantissa), -24);
  return sign ? -magnitude : magnitude;
}

float convert(const uint8_t* p, Kind kind) {
  switch (kind) {
    case Kind::kFloat16:
      return half_to_float(uint16_t(load_le(p, 2)));
    case Kind::kFloat32:
      return std::bit_cast<float>(uint32_t(load_le(p, 4)));
    case Kind::kFloat64:
      return float(std::bit_cast<double>(load_le(p, 8)));
    case Kind::kBool:
      return p[0] != 0 ? 1.0f : 0.0f;
    case Kind::kInt8:
      return float(int8_t(p[0]));
    case Kind::kUint8:
      return float(p[0]);
    case Kind::kInt16:
      return float(int16_t(uint16_t(load_le(p, 2))));
    case Kind::kUint16:
      return float(uint16_t(load_le(p, 2)));
    case Kind::kInt32:
      return float(int32_t(uint32_t(load_le(p, 4))));
    case Kind::kUint32:
      return float(uint32_t(load_le(p, 4)));
    case Kind::kInt64:
      return float(int64_t(load_le(p, 8)));
    case Kind::kUint64:
      return float(load_le(p, 8));
  }
  return 0.0f;
}

struct Header {
  std::string descr;
  bool fortran_order = false;
  Shape shape;
};

// The header is a Python dict literal: {'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }
// followed by spaces and '\n'. Only that form is accepted; nothing is evaluated.
class HeaderParser {
 public:
  explicit HeaderParser(std::string_view text) : text_(text) {}

  Result<Header> parse() {
    Header header;
    bool seen_descr = false, seen_fortran = false, seen_shape = false;
    skip_spaces();
    if (!consume('{')) return error("expected '{' at the start of the header " + quote_for_message(text_));
    while (true) {
      skip_spaces();
      if (consume('}')) break;
      std::string key;
      CAIRN_RETURN_IF_ERROR(parse_string(key, "a key"));
      skip_spaces();
      if (!consume(':')) return error("expected ':' after key '" + key + "'");
      skip_spaces();
      if (key == "descr") {
        if (seen_descr) return error("duplicate key 'descr'");
        seen_descr = true;
        if (peek() == '[') return error("structured dtypes (a list as 'descr') are not supported");
        CAIRN_RETURN_IF_ERROR(parse_string(header.descr, "a string for 'descr'"));
      } else if (key == "fortran_order") {
        if (seen_fortran) return error("duplicate key 'fortran_order'");
        seen_fortran = true;
        CAIRN_RETURN_IF_ERROR(parse_bool(header.fortran_order));
      } else if (key == "shape") {
        if (seen_shape) return error("duplicate key 'shape'");
        seen_shape = true;
        CAIRN_RETURN_IF_ERROR(parse_shape_tuple(header.shape));
      } else {
        return error("unexpected key " + quote_for_message(key) + " (expected 'descr', 'fortran_order', 'shape')");
      }
      skip_spaces();
      if (consume(',')) continue;
      if (consume('}')) break;
      return error("expected ',' or '}' at offset " + std::to_string(pos_) + " of the header " +
                   quote_for_message(text_));
    }
    if (!seen_descr) return error("the key 'descr' is missing");
    if (!seen_fortran) return error("the key 'fortran_order' is missing");
    if (!seen_shape) return error("the key 'shape' is missing");
    // Padding: spaces, then exactly one final newline.
    while (pos_ < text_.size() && text_[pos_] == ' ') ++pos_;
    if (pos_ + 1 != text_.size() || text_[pos_] != '\n') {
      return error("the header must end with spaces and one '\\n' after the dict; found " +
                   quote_for_message(text_.substr(pos_)));
    }
    return header;
  }

 private:
  static Status error(const std::string& message) { return invalid_argument("malformed .npy header: " + message); }

  char peek() const { return pos_ < text_.size() ? text_[pos_] : '\0'; }
  bool consume(char c) {
    if (peek() != c || pos_ >= text_.size()) return false;
    ++pos_;
    return true;
  }
  void skip_spaces() {
    while (pos_ < text_.size() && (text_[pos_] == ' ' || text_[pos_] == '\t')) ++pos_;
  }

  Status parse_string(std::string& out, const char* what) {
    const char quote = peek();
    if (quote != '\'' && quote != '"') {
      return error(std::string("expected ") + what + " in quotes at offset " + std::to_string(pos_));
    }
    ++pos_;
    const size_t start = pos_;
    while (pos_ < text_.size() && text_[pos_] != quote) {
      if (text_[pos_] == '\\' || text_[pos_] == '\n') return error("unsupported character in a string literal");
      ++pos_;
    }
    if (pos_ >= text_.size()) return error("unterminated string literal");
    out = std::string(text_.substr(start, pos_ - start));
    ++pos_;
    return Status::ok();
  }

  Status parse_bool(bool& out) {
    const std::string_view rest = text_.substr(pos_);
    if (rest.starts_with("True")) {
      out = true;
      pos_ += 4;
    } else if (rest.starts_with("False")) {
      out = false;
      pos_ += 5;
    } else {
      return error("expected True or False for 'fortran_order', found " + quote_for_message(rest.substr(0, 10)));
    }
    return Status::ok();
  }

  Status parse_shape_tuple(Shape& shape) {
    if (!consume('(')) return error("expected a tuple like (2, 3) for 'shape'");
    bool trailing_comma = false;
    while (true) {
      skip_spaces();
      if (consume(')')) break;
      if (static_cast<int64_t>(shape.size()) >= kMaxRank) {
        return error("the shape has more than " + std::to_string(kMaxRank) + " dimensions");
      }
      if (peek() == '-') return error("negative dimension in 'shape'");
      int64_t d = 0;
      const char* begin = text_.data() + pos_;
      const char* end = text_.data() + text_.size();
      auto [next, ec] = std::from_chars(begin, end, d);
      if (ec == std::errc::result_out_of_range) return error("a dimension in 'shape' is too large");
      if (ec != std::errc() || next == begin) {
        return error("expected a non-negative integer in 'shape' at offset " + std::to_string(pos_));
      }
      pos_ += size_t(next - begin);
      if (peek() == 'L') ++pos_;  // Python 2 long literal, written by old NumPy versions
      shape.push_back(d);
      skip_spaces();
      trailing_comma = consume(',');
      if (trailing_comma) continue;
      if (consume(')')) break;
      return error("expected ',' or ')' in 'shape' at offset " + std::to_string(pos_));
    }
    // In Python (3) is an int, not a tuple.
    if (shape.size() == 1 && !trailing_comma) return error("'shape' (n) is not a tuple; expected (n,)");
    return Status::ok();
  }

  std::string_view text_;
  size_t pos_ = 0;
};

std::string shape_tuple(const Shape& shape) {
  std::string out = "(";
  for (size_t i = 0; i < shape.size(); ++i) {
    if (i) out += ", ";
    out += std::to_string(shape[i]);
  }
  if (shape.size() == 1) out += ',';
  return out + ")";
}

// Elements of `shape`, checked: no negative dimension, no overflow.
Result<int64_t> element_count(const Shape& shape) {
  int64_t n = 1;
  for (int64_t d : shape) {
    if (d < 0) return invalid_argument("negative dimension in shape " + shape_to_string(shape));
    if (d != 0 && n > std::numeric_limits<int64_t>::max() / d) {
      return resource_limit("shape " + shape_to_string(shape) + " has too many elements");
    }
    n *= d;
  }
  return n;
}

std::string build_header(const char* descr, const Shape& shape) {
  std::string dict =
      std::string("{'descr': '") + descr + "', 'fortran_order': False, 'shape': " + shape_tuple(shape) + ", }";
  const size_t unpadded = sizeof kMagic + 2 + 2 + dict.size() + 1;
  dict.append((64 - unpadded % 64) % 64, ' ');
  dict += '\n';
  return dict;
}

Status write_file(const std::string& path, const char* descr, const Shape& shape, const void* data, int64_t count,
                  int element_size) {
  auto expected = element_count(shape);
  if (!expected.is_ok()) return expected.status().with_context("cannot write '" + path + "'");
  if (*expected != count) {
    return invalid_argument("cannot write '" + path + "': shape " + shape_to_string(shape) + " needs " +
                            std::to_string(*expected) + " elements, got " + std::to_string(count));
  }
  const std::string header = build_header(descr, shape);
  if (header.size() > 0xffff) return invalid_argument("cannot write '" + path + "': the shape has too many dimensions");

  std::FILE* file = std::fopen(path.c_str(), "wb");
  if (!file) return io_error("cannot write '" + path + "': " + std::strerror(errno));
  std::string prefix(reinterpret_cast<const char*>(kMagic), sizeof kMagic);
  prefix += char(1);
  prefix += char(0);
  prefix += char(header.size() & 0xff);
  prefix += char(header.size() >> 8);
  prefix += header;
  bool ok = std::fwrite(prefix.data(), 1, prefix.size(), file) == prefix.size();

  // Little-endian on disk whatever the host; encoded in chunks so no second copy of the whole array is made.
  const auto* bytes = static_cast<const uint8_t*>(data);
  std::vector<uint8_t> chunk;
  constexpr int64_t kChunkElements = 1 << 16;
  for (int64_t start = 0; ok && start < count; start += kChunkElements) {
    const int64_t n = std::min(kChunkElements, count - start);
    const uint8_t* src = bytes + start * element_size;
    if constexpr (std::endian::native == std::endian::little) {
      ok = std::fwrite(src, size_t(element_size), size_t(n), file) == size_t(n);
    } else {
      chunk.resize(size_t(n * element_size));
      for (int64_t i = 0; i < n; ++i) {
        for (int b = 0; b < element_size; ++b)
          chunk[size_t(i * element_size + b)] = src[i * element_size + element_size - 1 - b];
      }
      ok = std::fwrite(chunk.data(), 1, chunk.size(), file) == chunk.size();
    }
  }
  const int write_errno = errno;
  const bool closed = std::fclose(file) == 0;
  if (!ok || !closed) {
    const int err = ok ? errno : write_errno;
    std::remove(path.c_str());
    return io_error("cannot write '" + path + "': " + std::strerror(err));
  }
  return Status::ok();
}

}  // namespace

Result<Array> parse(std::span<const uint8_t> bytes, int64_t max_elements) {
  constexpr size_t kPreamble = sizeof kMagic + 2;
  if (bytes.size() < kPreamble || std::memcmp(bytes.data(), kMagic, sizeof kMagic) != 0) {
    if (bytes.empty()) return invalid_argument("not a NumPy .npy file: it is empty");
    return invalid_argument("not a NumPy .npy file: it does not start with the magic bytes \\x93NUMPY");
  }
  const int major = bytes[6];
  const int minor = bytes[7];
  if (major < 1 || major > 3 || minor != 0) {
    return unsupported("unsupported .npy format version " + std::to_string(major) + "." + std::to_string(minor) +
                       " (supported: 1.0, 2.0, 3.0)");
  }
  const size_t length_bytes = major == 1 ? 2 : 4;
  if (bytes.size() < kPreamble + length_bytes)
    return invalid_argument("truncated .npy file: the header length is cut off");
  const uint64_t header_length = load_le(bytes.data() + kPreamble, int(length_bytes));
  if (header_length > kMaxHeaderBytes) {
    return invalid_argument("malformed .npy header: declared length " + std::to_string(header_length) +
                            " bytes is over the limit of " + std::to_string(kMaxHeaderBytes));
  }
  const size_t header_start = kPreamble + length_bytes;
  if (bytes.size() - header_start < header_length) {
    return invalid_argument("truncated .npy file: the header needs " + std::to_string(header_length) + " bytes, only " +
                            std::to_string(bytes.size() - header_start) + " are present");
  }
  const std::string_view text(reinterpret_cast<const char*>(bytes.data() + header_start), size_t(header_length));
  CAIRN_ASSIGN_OR_RETURN(Header header, HeaderParser(text).parse());

  if (header.fortran_order) {
    return unsupported(
        "Fortran-order arrays (fortran_order: True) are not supported; save a C-order array "
        "(numpy.ascontiguousarray)");
  }
  const DType* dtype = nullptr;
  for (const DType& d : kDTypes) {
    if (header.descr == d.descr) dtype = &d;
  }
  if (!dtype) {
    if (header.descr.starts_with(">")) {
      return unsupported("big-endian dtype '" + header.descr + "' is not supported; convert with a.astype('<" +
                         header.descr.substr(1) + "')");
    }
    return unsupported("unsupported dtype " + quote_for_message(header.descr) + " (supported: " + accepted_dtypes() +
                       ")");
  }

  auto count = element_count(header.shape);
  if (!count.is_ok()) return count.status();
  if (*count > max_elements) {
    return resource_limit("array of shape " + shape_to_string(header.shape) + " has " + std::to_string(*count) +
                          " elements, over the limit of " + std::to_string(max_elements));
  }
  if (*count > std::numeric_limits<int64_t>::max() / dtype->size) {
    return resource_limit("array of shape " + shape_to_string(header.shape) + " is too large");
  }
  const uint64_t expected = uint64_t(*count) * uint64_t(dtype->size);
  const uint64_t actual = bytes.size() - header_start - header_length;
  if (actual != expected) {
    const std::string what = actual < expected ? "truncated .npy data" : "oversized .npy data (trailing bytes)";
    return invalid_argument(what + ": shape " + shape_to_string(header.shape) + " of " + header.descr + " needs " +
                            std::to_string(expected) + " bytes, the file has " + std::to_string(actual));
  }

  Array array;
  array.shape = std::move(header.shape);
  array.data.resize(size_t(*count));
  const uint8_t* p = bytes.data() + header_start + header_length;
  if (dtype->kind == Kind::kFloat32 && std::endian::native == std::endian::little) {
    if (*count > 0) std::memcpy(array.data.data(), p, size_t(expected));
  } else {
    for (int64_t i = 0; i < *count; ++i) array.data[size_t(i)] = convert(p + i * dtype->size, dtype->kind);
  }
  return array;
}

Result<Array> read_file(const std::string& path, int64_t max_elements) {
  std::error_code ec;
  const auto status = std::filesystem::status(path, ec);
  if (status.type() == std::filesystem::file_type::not_found) return io_error("'" + path + "': no such file");
  if (status.type() == std::filesystem::file_type::directory) {
    return io_error("'" + path + "' is a directory, not a .npy file");
  }
  // No valid file within the element limit is larger than this; refuse larger ones before reading them.
  const uint64_t max_elements_u = uint64_t(std::max<int64_t>(max_elements, 0));
  const uint64_t cap = max_elements_u > (std::numeric_limits<uint64_t>::max() - kMaxHeaderBytes) / 16
                           ? std::numeric_limits<uint64_t>::max()
                           : 12 + kMaxHeaderBytes + max_elements_u * 8;
  if (status.type() == std::filesystem::file_type::regular) {
    const uint64_t size = std::filesystem::file_size(path, ec);
    if (!ec && size > cap) {
      return resource_limit("'" + path + "': file of " + std::to_string(size) +
                            " bytes is larger than any .npy array of at most " + std::to_string(max_elements) +
                            " elements");
    }
  }
  std::FILE* file = std::fopen(path.c_str(), "rb");
  if (!file) return io_error("cannot read '" + path + "': " + std::strerror(errno));
  std::vector<uint8_t> bytes;
  uint8_t buffer[1 << 16];
  bool too_large = false;
  while (true) {
    const size_t n = std::fread(buffer, 1, sizeof buffer, file);
    bytes.insert(bytes.end(), buffer, buffer + n);
    if (bytes.size() > cap) {
      too_large = true;
      break;
    }
    if (n < sizeof buffer) break;
  }
  const bool read_error = std::ferror(file) != 0;
  const int err = errno;
  std::fclose(file);
  if (read_error) return io_error("cannot read '" + path + "': " + std::strerror(err));
  if (too_large)
    return resource_limit("'" + path + "': file is larger than any .npy array of at most " +
                          std::to_string(max_elements) + " elements");
  auto array = parse(bytes, max_elements);
  if (!array.is_ok()) return array.status().with_context("'" + path + "'");
  return array;
}

Status write_float32(const std::string& path, const Shape& shape, std::span<const float> data) {
  return write_file(path, "<f4", shape, data.data(), int64_t(data.size()), 4);
}

Status write_uint8(const std::string& path, const Shape& shape, std::span<const uint8_t> data) {
  return write_file(path, "|u1", shape, data.data(), int64_t(data.size()), 1);
}

}  // namespace cairn::npy
