// The .npy reader and writer: round trips, every accepted dtype, format versions, and hostile headers.
#include "io/npy.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

namespace {

using cairn::Shape;
using cairn::StatusCode;

constexpr int64_t kLimit = int64_t{1} << 28;

// A .npy file built by hand: magic, version, header length (2 bytes for 1.0, 4 for 2.0 and 3.0), header, data.
std::vector<uint8_t> make_npy(const std::string& dict, const std::vector<uint8_t>& data, int major = 1,
                              bool pad = true) {
  std::string header = dict;
  const size_t length_bytes = major == 1 ? 2 : 4;
  if (pad) {
    const size_t unpadded = 8 + length_bytes + header.size() + 1;
    header.append((64 - unpadded % 64) % 64, ' ');
    header += '\n';
  }
  std::vector<uint8_t> out = {0x93, 'N', 'U', 'M', 'P', 'Y', uint8_t(major), 0};
  for (size_t i = 0; i < length_bytes; ++i) out.push_back(uint8_t(header.size() >> (8 * i)));
  out.insert(out.end(), header.begin(), header.end());
  out.insert(out.end(), data.begin(), data.end());
  return out;
}

std::string dict_for(const std::string& descr, const std::string& shape, const std::string& fortran = "False") {
  return "{'descr': '" + descr + "', 'fortran_order': " + fortran + ", 'shape': " + shape + ", }";
}

template <typename T>
std::vector<uint8_t> le_bytes(const std::vector<T>& values) {
  std::vector<uint8_t> out;
  for (T v : values) {
    uint8_t raw[sizeof(T)];
    std::memcpy(raw, &v, sizeof(T));
    if constexpr (std::endian::native == std::endian::big) std::reverse(raw, raw + sizeof(T));
    out.insert(out.end(), raw, raw + sizeof(T));
  }
  return out;
}

std::string error_of(const std::vector<uint8_t>& bytes, int64_t limit = kLimit) {
  auto result = cairn::npy::parse(bytes, limit);
  EXPECT_FALSE(result.is_ok());
  return result.is_ok() ? std::string() : result.status().message();
}

class TempDir {
 public:
  TempDir() {
    path_ = std::filesystem::temp_directory_path() / ("cairn_npy_test_" + std::to_string(::getpid()));
    std::filesystem::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  std::string file(const std::string& name) const { return (path_ / name).string(); }

 private:
  std::filesystem::path path_;
};

std::vector<uint8_t> read_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::vector<uint8_t>(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

void write_bytes(const std::string& path, const std::vector<uint8_t>& bytes) {
  std::ofstream out(path, std::ios::binary);
  out.write(reinterpret_cast<const char*>(bytes.data()), std::streamsize(bytes.size()));
}

TEST(Npy, RoundTripFloat32) {
  TempDir dir;
  for (const Shape& shape : {Shape{}, Shape{5}, Shape{2, 3, 4}, Shape{1, 1, 7, 9}, Shape{0, 3}}) {
    int64_t n = 1;
    for (int64_t d : shape) n *= d;
    std::vector<float> data(static_cast<size_t>(n));
    for (size_t i = 0; i < data.size(); ++i) data[i] = float(i) * 0.25f - 3.0f;
    const std::string path = dir.file("a.npy");
    ASSERT_TRUE(cairn::npy::write_float32(path, shape, data).is_ok());
    auto array = cairn::npy::read_file(path, kLimit);
    ASSERT_TRUE(array.is_ok()) << array.status().message();
    EXPECT_EQ(array->shape, shape);
    EXPECT_EQ(array->data, data);
  }
}

TEST(Npy, RoundTripUint8) {
  TempDir dir;
  std::vector<uint8_t> data = {0, 1, 127, 128, 255, 42};
  const std::string path = dir.file("mask.npy");
  ASSERT_TRUE(cairn::npy::write_uint8(path, {2, 3}, data).is_ok());
  auto array = cairn::npy::read_file(path, kLimit);
  ASSERT_TRUE(array.is_ok()) << array.status().message();
  EXPECT_EQ(array->shape, (Shape{2, 3}));
  EXPECT_EQ(array->data, (std::vector<float>{0, 1, 127, 128, 255, 42}));
}

TEST(Npy, WrittenHeaderIsPaddedTo64AndEndsInNewline) {
  TempDir dir;
  const std::string path = dir.file("h.npy");
  ASSERT_TRUE(cairn::npy::write_float32(path, {3}, std::vector<float>{1, 2, 3}).is_ok());
  const auto bytes = read_bytes(path);
  ASSERT_GE(bytes.size(), 10u);
  EXPECT_EQ(bytes[6], 1);
  EXPECT_EQ(bytes[7], 0);
  const size_t header_length = bytes[8] | (size_t(bytes[9]) << 8);
  EXPECT_EQ((10 + header_length) % 64, 0u);
  EXPECT_EQ(bytes[10 + header_length - 1], '\n');
  const std::string header(bytes.begin() + 10, bytes.begin() + 10 + long(header_length));
  EXPECT_NE(header.find("'shape': (3,)"), std::string::npos) << header;
  EXPECT_NE(header.find("'descr': '<f4'"), std::string::npos) << header;
  EXPECT_EQ(bytes.size(), 10 + header_length + 12);
}

TEST(Npy, WriteRefusesMismatchedDataAndUnwritablePath) {
  TempDir dir;
  auto status = cairn::npy::write_float32(dir.file("x.npy"), {2, 3}, std::vector<float>{1, 2});
  EXPECT_FALSE(status.is_ok());
  EXPECT_NE(status.message().find("6 elements"), std::string::npos) << status.message();

  const std::string bad = dir.file("no_such_dir/x.npy");
  status = cairn::npy::write_float32(bad, {1}, std::vector<float>{1});
  EXPECT_FALSE(status.is_ok());
  EXPECT_EQ(status.code(), StatusCode::kIoError);
  EXPECT_NE(status.message().find(bad), std::string::npos) << status.message();
}

TEST(Npy, EveryDtype) {
  struct Case {
    std::string descr;
    std::vector<uint8_t> data;
    std::vector<float> expected;
  };
  const std::vector<Case> cases = {
      {"<f4", le_bytes<float>({1.5f, -2.0f, 0.0f}), {1.5f, -2.0f, 0.0f}},
      {"<f8", le_bytes<double>({1.5, -2.25, 1e10}), {1.5f, -2.25f, 1e10f}},
      // float16: 1.0, -2.0, smallest subnormal 2^-24, +inf
      {"<f2", le_bytes<uint16_t>({0x3c00, 0xc000, 0x0001}), {1.0f, -2.0f, 5.9604645e-08f}},
      {"|u1", {0, 200, 255}, {0, 200, 255}},
      {"|i1", {0, 0x80, 0xff}, {0, -128, -1}},
      {"|b1", {0, 1, 1}, {0, 1, 1}},
      {"<i2", le_bytes<int16_t>({-32768, 0, 32767}), {-32768, 0, 32767}},
      {"<u2", le_bytes<uint16_t>({0, 1000, 65535}), {0, 1000, 65535}},
      {"<i4", le_bytes<int32_t>({-100000, 0, 100000}), {-100000, 0, 100000}},
      {"<u4", le_bytes<uint32_t>({0, 7, 4000000}), {0, 7, 4000000}},
      {"<i8", le_bytes<int64_t>({-3, 0, int64_t{1} << 40}), {-3, 0, 1099511627776.0f}},
      {"<u8", le_bytes<uint64_t>({0, 9, 12}), {0, 9, 12}},
  };
  for (const Case& c : cases) {
    auto array = cairn::npy::parse(make_npy(dict_for(c.descr, "(3,)"), c.data), kLimit);
    ASSERT_TRUE(array.is_ok()) << c.descr << ": " << array.status().message();
    EXPECT_EQ(array->shape, (Shape{3})) << c.descr;
    EXPECT_EQ(array->data, c.expected) << c.descr;
  }
  auto inf = cairn::npy::parse(make_npy(dict_for("<f2", "(1,)"), le_bytes<uint16_t>({0x7c00})), kLimit);
  ASSERT_TRUE(inf.is_ok());
  EXPECT_TRUE(std::isinf(inf->data[0]));
}

TEST(Npy, FormatVersions2And3) {
  const auto data = le_bytes<float>({1, 2, 3, 4, 5, 6});
  for (int major : {2, 3}) {
    auto array = cairn::npy::parse(make_npy(dict_for("<f4", "(2, 3)"), data, major), kLimit);
    ASSERT_TRUE(array.is_ok()) << major << ": " << array.status().message();
    EXPECT_EQ(array->shape, (Shape{2, 3}));
    EXPECT_EQ(array->data, (std::vector<float>{1, 2, 3, 4, 5, 6}));
  }
}

TEST(Npy, HeaderVariants) {
  const auto one = le_bytes<float>({7});
  // Scalar, keys in another order, double quotes, no trailing comma, Python 2 long dims, 16-byte alignment.
  auto scalar = cairn::npy::parse(make_npy(dict_for("<f4", "()"), one), kLimit);
  ASSERT_TRUE(scalar.is_ok()) << scalar.status().message();
  EXPECT_TRUE(scalar->shape.empty());
  EXPECT_EQ(scalar->data, std::vector<float>{7});

  const std::vector<std::string> dicts = {
      "{'shape': (1, 1), 'fortran_order': False, 'descr': '<f4'}",
      "{\"descr\": \"<f4\", \"fortran_order\": False, \"shape\": (1,1)}",
      "{'descr': '<f4', 'fortran_order': False, 'shape': (1L, 1L), }",
  };
  for (const std::string& dict : dicts) {
    auto array = cairn::npy::parse(make_npy(dict, one), kLimit);
    ASSERT_TRUE(array.is_ok()) << dict << ": " << array.status().message();
    EXPECT_EQ(array->shape, (Shape{1, 1}));
  }
  std::string header = dict_for("<f4", "(1,)");
  header.append((16 - (10 + header.size() + 1) % 16) % 16, ' ');
  header += '\n';
  EXPECT_TRUE(cairn::npy::parse(make_npy(header, one, 1, false), kLimit).is_ok());
}

TEST(Npy, RefusesBadMagicAndVersion) {
  EXPECT_NE(error_of({}).find("empty"), std::string::npos);
  std::vector<uint8_t> png = {0x89, 'P', 'N', 'G', 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 0};
  EXPECT_NE(error_of(png).find("magic"), std::string::npos);
  auto v4 = make_npy(dict_for("<f4", "(1,)"), le_bytes<float>({1}));
  v4[6] = 4;
  EXPECT_NE(error_of(v4).find("version 4.0"), std::string::npos);
  EXPECT_NE(error_of({0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0, 0x40}).find("truncated"), std::string::npos);
}

TEST(Npy, RefusesTruncatedHeader) {
  auto bytes = make_npy(dict_for("<f4", "(2, 3)"), {});
  bytes.resize(40);
  const std::string message = error_of(bytes);
  EXPECT_NE(message.find("truncated"), std::string::npos) << message;
}

TEST(Npy, RefusesTruncatedAndOversizedDataWithByteCounts) {
  // A lying shape: the header promises 2x3 floats (24 bytes), the file holds 12.
  std::string message = error_of(make_npy(dict_for("<f4", "(2, 3)"), le_bytes<float>({1, 2, 3})));
  EXPECT_NE(message.find("truncated"), std::string::npos) << message;
  EXPECT_NE(message.find("24"), std::string::npos) << message;
  EXPECT_NE(message.find("12"), std::string::npos) << message;

  message = error_of(make_npy(dict_for("<f4", "(2,)"), le_bytes<float>({1, 2, 3})));
  EXPECT_NE(message.find("oversized"), std::string::npos) << message;
  EXPECT_NE(message.find("8 bytes"), std::string::npos) << message;
  EXPECT_NE(message.find("12"), std::string::npos) << message;
}

TEST(Npy, RefusesHugeShapesBeforeAllocating) {
  auto result = cairn::npy::parse(make_npy(dict_for("<f4", "(100000, 100000, 100000)"), {}), kLimit);
  ASSERT_FALSE(result.is_ok());
  EXPECT_EQ(result.status().code(), StatusCode::kResourceLimit);
  EXPECT_NE(result.status().message().find("100000x100000x100000"), std::string::npos) << result.status().message();
  EXPECT_NE(result.status().message().find("limit"), std::string::npos) << result.status().message();

  // A product that overflows int64.
  result = cairn::npy::parse(make_npy(dict_for("<f4", "(4294967296, 4294967296, 4294967296)"), {}), kLimit);
  ASSERT_FALSE(result.is_ok());
  EXPECT_EQ(result.status().code(), StatusCode::kResourceLimit);

  // A dimension that does not fit an int64.
  EXPECT_NE(error_of(make_npy(dict_for("<f4", "(99999999999999999999999,)"), {})).find("too large"), std::string::npos);
  // Exactly at the limit is fine, one over is not.
  EXPECT_TRUE(cairn::npy::parse(make_npy(dict_for("<f4", "(4,)"), le_bytes<float>({1, 2, 3, 4})), 4).is_ok());
  EXPECT_FALSE(cairn::npy::parse(make_npy(dict_for("<f4", "(4,)"), le_bytes<float>({1, 2, 3, 4})), 3).is_ok());
}

TEST(Npy, RefusesFortranOrder) {
  auto result = cairn::npy::parse(make_npy(dict_for("<f4", "(1, 1)", "True"), le_bytes<float>({1})), kLimit);
  ASSERT_FALSE(result.is_ok());
  EXPECT_EQ(result.status().code(), StatusCode::kUnsupported);
  EXPECT_NE(result.status().message().find("Fortran"), std::string::npos) << result.status().message();
}

TEST(Npy, RefusesBigEndianAndUnknownDtypes) {
  std::string message = error_of(make_npy(dict_for(">f4", "(1,)"), {0x3f, 0x80, 0, 0}));
  EXPECT_NE(message.find("big-endian"), std::string::npos) << message;
  EXPECT_NE(message.find(">f4"), std::string::npos) << message;

  for (const char* descr : {"<c8", "|O", "<U3", "f4", "<f16"}) {
    message = error_of(make_npy(dict_for(descr, "(1,)"), std::vector<uint8_t>(8)));
    EXPECT_NE(message.find("unsupported dtype"), std::string::npos) << descr << ": " << message;
  }
  message = error_of(make_npy("{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (1,), }", {0, 0, 0, 0}));
  EXPECT_NE(message.find("structured"), std::string::npos) << message;
}

TEST(Npy, RefusesMalformedHeaders) {
  const auto data = le_bytes<float>({1});
  const std::vector<std::string> bad = {
      "",                                                                         // empty
      "not a dict",                                                               // no braces
      "{'descr': '<f4', 'fortran_order': False}",                                 // missing shape
      "{'descr': '<f4', 'shape': (1,)}",                                          // missing fortran_order
      "{'fortran_order': False, 'shape': (1,)}",                                  // missing descr
      "{'descr': '<f4', 'fortran_order': False, 'shape': (1,), 'extra': 1}",      // unknown key
      "{'descr': '<f4', 'descr': '<f4', 'fortran_order': False, 'shape': (1,)}",  // duplicate key
      "{'descr': '<f4', 'fortran_order': 0, 'shape': (1,)}",                      // not a bool
      "{'descr': '<f4', 'fortran_order': False, 'shape': (-1,)}",                 // negative dim
      "{'descr': '<f4', 'fortran_order': False, 'shape': (1)}",                   // int, not a tuple
      "{'descr': '<f4', 'fortran_order': False, 'shape': [1]}",                   // list
      "{'descr': '<f4', 'fortran_order': False, 'shape': (1,,)}",                 // double comma
      "{'descr': '<f4', 'fortran_order': False, 'shape': (1.0,)}",                // float dim
      "{'descr': '<f4, 'fortran_order': False, 'shape': (1,)}",                   // broken quote
      "{'descr': '<f4', 'fortran_order': False, 'shape': (1,)} junk",             // trailing junk
      "{'descr': '<f4' 'fortran_order': False, 'shape': (1,)}",                   // missing comma
      "{'descr': '<f4', 'fortran_order': False, 'shape': (1,)",                   // unclosed dict
  };
  for (const std::string& dict : bad) {
    const std::string message = error_of(make_npy(dict, data));
    EXPECT_NE(message.find("header"), std::string::npos) << dict << " -> " << message;
  }
  // No final newline.
  std::string unterminated = dict_for("<f4", "(1,)") + "   ";
  EXPECT_NE(error_of(make_npy(unterminated, data, 1, false)).find("'\\n'"), std::string::npos);
  // A header length far beyond anything reasonable.
  std::vector<uint8_t> huge_header = {0x93, 'N', 'U', 'M', 'P', 'Y', 2, 0, 0xff, 0xff, 0xff, 0x7f};
  EXPECT_NE(error_of(huge_header).find("over the limit"), std::string::npos);
}

TEST(Npy, ReadFileErrorsNameTheFile) {
  TempDir dir;
  const std::string missing = dir.file("missing.npy");
  auto result = cairn::npy::read_file(missing, kLimit);
  ASSERT_FALSE(result.is_ok());
  EXPECT_NE(result.status().message().find(missing), std::string::npos);
  EXPECT_NE(result.status().message().find("no such file"), std::string::npos);

  const std::string folder = dir.file("");
  result = cairn::npy::read_file(folder, kLimit);
  ASSERT_FALSE(result.is_ok());
  EXPECT_NE(result.status().message().find("directory"), std::string::npos);

  const std::string truncated = dir.file("t.npy");
  write_bytes(truncated, make_npy(dict_for("<f4", "(2, 3)"), le_bytes<float>({1, 2, 3})));
  result = cairn::npy::read_file(truncated, kLimit);
  ASSERT_FALSE(result.is_ok());
  EXPECT_NE(result.status().message().find(truncated), std::string::npos);
  EXPECT_NE(result.status().message().find("truncated"), std::string::npos);

  // A file larger than any array within the limit is refused without being parsed.
  const std::string big = dir.file("big.npy");
  write_bytes(big, make_npy(dict_for("<f4", "(300000,)"), std::vector<uint8_t>(1200000)));
  result = cairn::npy::read_file(big, 1000);
  ASSERT_FALSE(result.is_ok());
  EXPECT_EQ(result.status().code(), StatusCode::kResourceLimit);
}

}  // namespace
