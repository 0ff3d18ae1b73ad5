// A minimal reader of the protobuf wire format (https://protobuf.dev/programming-guides/encoding/):
// varints, fixed32/64 and length-delimited fields, with bounds checked on every read. Enough to decode
// ONNX messages without libprotobuf.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "cairn/status.hpp"

namespace cairn::protobuf {

enum WireType : uint32_t { kVarint = 0, kFixed64 = 1, kLengthDelimited = 2, kStartGroup = 3, kEndGroup = 4, kFixed32 = 5 };

class Reader {
 public:
  explicit Reader(std::span<const uint8_t> data) : p_(data.data()), end_(data.data() + data.size()) {}

  bool at_end() const { return p_ == end_; }
  // Reads the next field's number and wire type.
  Status next_field(uint32_t& field, uint32_t& wire_type);

  Status read_varint(uint64_t& value);
  Status read_int64(int64_t& value);  // varint, two's complement
  Status read_fixed32(uint32_t& value);
  Status read_fixed64(uint64_t& value);
  Status read_float(float& value);
  Status read_double(double& value);
  Status read_bytes(std::span<const uint8_t>& bytes);
  Status read_string(std::string& value);
  // Skips a field of this wire type whose key was just read.
  Status skip(uint32_t wire_type);

  // Repeated scalar fields may be packed (one length-delimited run) or not (one value per key).
  Status read_repeated_int64(uint32_t wire_type, std::vector<int64_t>& out);
  Status read_repeated_float(uint32_t wire_type, std::vector<float>& out);
  Status read_repeated_double(uint32_t wire_type, std::vector<double>& out);
  Status read_repeated_uint64(uint32_t wire_type, std::vector<uint64_t>& out);

 private:
  const uint8_t* p_;
  const uint8_t* end_;
};

}  // namespace cairn::protobuf
