#include "onnx/protobuf.hpp"

#include <cstring>

namespace cairn::protobuf {

namespace {
Status truncated(const char* what) { return invalid_model(std::string("truncated protobuf data while reading ") + what); }
}  // namespace

Status Reader::read_varint(uint64_t& value) {
  value = 0;
  for (int shift = 0; shift < 64; shift += 7) {
    if (p_ == end_) return truncated("a varint");
    uint8_t byte = *p_++;
    value |= uint64_t(byte & 0x7f) << shift;
    if ((byte & 0x80) == 0) return Status::ok();
  }
  return invalid_model("malformed protobuf varint (longer than 10 bytes)");
}

Status Reader::read_int64(int64_t& value) {
  uint64_t v = 0;
  CAIRN_RETURN_IF_ERROR(read_varint(v));
  value = int64_t(v);
  return Status::ok();
}

Status Reader::next_field(uint32_t& field, uint32_t& wire_type) {
  uint64_t key = 0;
  CAIRN_RETURN_IF_ERROR(read_varint(key));
  field = uint32_t(key >> 3);
  wire_type = uint32_t(key & 7);
  if (field == 0 || (key >> 3) > 0x1fffffff) return invalid_model("malformed protobuf field key");
  return Status::ok();
}

Status Reader::read_fixed32(uint32_t& value) {
  if (end_ - p_ < 4) return truncated("a fixed32 field");
  std::memcpy(&value, p_, 4);  // protobuf is little-endian, as are x86, ARM and WebAssembly
  p_ += 4;
  return Status::ok();
}

Status Reader::read_fixed64(uint64_t& value) {
  if (end_ - p_ < 8) return truncated("a fixed64 field");
  std::memcpy(&value, p_, 8);
  p_ += 8;
  return Status::ok();
}

Status Reader::read_float(float& value) {
  uint32_t bits = 0;
  CAIRN_RETURN_IF_ERROR(read_fixed32(bits));
  std::memcpy(&value, &bits, 4);
  return Status::ok();
}

Status Reader::read_double(double& value) {
  uint64_t bits = 0;
  CAIRN_RETURN_IF_ERROR(read_fixed64(bits));
  std::memcpy(&value, &bits, 8);
  return Status::ok();
}

Status Reader::read_bytes(std::span<const uint8_t>& bytes) {
  uint64_t length = 0;
  CAIRN_RETURN_IF_ERROR(read_varint(length));
  if (length > uint64_t(end_ - p_)) {
    return invalid_model("truncated protobuf data: a field claims " + std::to_string(length) + " bytes but only " +
                         std::to_string(end_ - p_) + " remain");
  }
  bytes = std::span<const uint8_t>(p_, size_t(length));
  p_ += length;
  return Status::ok();
}

Status Reader::read_string(std::string& value) {
  std::span<const uint8_t> bytes;
  CAIRN_RETURN_IF_ERROR(read_bytes(bytes));
  value.assign(reinterpret_cast<const char*>(bytes.data()), bytes.size());
  return Status::ok();
}

Status Reader::skip(uint32_t wire_type) {
  switch (wire_type) {
    case kVarint: {
      uint64_t v = 0;
      return read_varint(v);
    }
    case kFixed64: {
      uint64_t v = 0;
      return read_fixed64(v);
    }
    case kLengthDelimited: {
      std::span<const uint8_t> b;
      return read_bytes(b);
    }
    case kFixed32: {
      uint32_t v = 0;
      return read_fixed32(v);
    }
    default:
      return invalid_model("unsupported protobuf wire type " + std::to_string(wire_type) + " (groups are not used by ONNX)");
  }
}

namespace {

// A repeated varint field: one value per key, or a packed run of varints.
template <typename T>
Status read_repeated_varint(Reader& r, uint32_t wire_type, std::vector<T>& out) {
  auto read_one = [](Reader& from, std::vector<T>& to) {
    uint64_t v = 0;
    CAIRN_RETURN_IF_ERROR(from.read_varint(v));
    to.push_back(T(v));  // two's complement for int64
    return Status::ok();
  };
  if (wire_type == kVarint) return read_one(r, out);
  if (wire_type != kLengthDelimited) return invalid_model("bad wire type for a repeated integer field");
  std::span<const uint8_t> bytes;
  CAIRN_RETURN_IF_ERROR(r.read_bytes(bytes));
  Reader packed(bytes);
  while (!packed.at_end()) CAIRN_RETURN_IF_ERROR(read_one(packed, out));
  return Status::ok();
}

// A repeated fixed-width field (float, double): one value per key, or a packed little-endian run.
template <typename T, uint32_t kWire>
Status read_repeated_fixed(Reader& r, uint32_t wire_type, std::vector<T>& out, const char* name) {
  static_assert(sizeof(T) == 4 || sizeof(T) == 8);
  if (wire_type == kWire) {
    T v{};
    if constexpr (sizeof(T) == 4) {
      CAIRN_RETURN_IF_ERROR(r.read_float(v));
    } else {
      CAIRN_RETURN_IF_ERROR(r.read_double(v));
    }
    out.push_back(v);
    return Status::ok();
  }
  if (wire_type != kLengthDelimited) return invalid_model(std::string("bad wire type for a repeated ") + name + " field");
  std::span<const uint8_t> bytes;
  CAIRN_RETURN_IF_ERROR(r.read_bytes(bytes));
  if (bytes.size() % sizeof(T) != 0) {
    return invalid_model(std::string("packed ") + name + " field length is not a multiple of " +
                         std::to_string(sizeof(T)));
  }
  if (bytes.empty()) return Status::ok();  // an empty packed run: memcpy into an empty vector's null data() is UB
  size_t old = out.size();
  out.resize(old + bytes.size() / sizeof(T));
  std::memcpy(out.data() + old, bytes.data(), bytes.size());
  return Status::ok();
}

}  // namespace

Status Reader::read_repeated_int64(uint32_t wire_type, std::vector<int64_t>& out) {
  return read_repeated_varint(*this, wire_type, out);
}

Status Reader::read_repeated_uint64(uint32_t wire_type, std::vector<uint64_t>& out) {
  return read_repeated_varint(*this, wire_type, out);
}

Status Reader::read_repeated_float(uint32_t wire_type, std::vector<float>& out) {
  return read_repeated_fixed<float, kFixed32>(*this, wire_type, out, "float");
}

Status Reader::read_repeated_double(uint32_t wire_type, std::vector<double>& out) {
  return read_repeated_fixed<double, kFixed64>(*this, wire_type, out, "double");
}

}  // namespace cairn::protobuf
