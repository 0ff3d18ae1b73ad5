// The Part-10 reader and writer on hand-built buffers: both VR encodings, sequences of defined and undefined
// length, compressed and unsupported transfer syntaxes, and truncated or corrupt files (a clear error, never a crash;
// run under AddressSanitizer by the asan preset).
#include <gtest/gtest.h>

#include <random>

#include "cairn/dicom/part10.hpp"
#include "cairn/dicom/uid.hpp"
#include "dicom_test_util.hpp"

namespace cairn::dicom {
namespace {

using test::Bytes;
using test::part10;

constexpr Tag kPrivateSequence{0x0029, 0x1010};
constexpr Tag kPrivateValue{0x0029, 0x1020};

// An explicit VR file with a defined-length sequence, an undefined-length one holding an undefined-length item,
// and pixel data.
std::vector<uint8_t> explicit_file() {
  Bytes inner;
  inner.explicit_text(tags::kCodeValue, "SH", "39607008").explicit_text(tags::kCodeMeaning, "LO", "Lung");
  Bytes body;
  body.explicit_text(tags::kSOPInstanceUID, "UI", "1.2.3")
      .explicit_text(tags::kModality, "CS", "CT")
      .explicit_header(tags::kReferencedSeriesSequence, "SQ", uint32_t(8 + inner.data.size()))
      .item(uint32_t(inner.data.size()))
      .raw(inner.data)
      .explicit_header(tags::kAnatomicRegionSequence, "SQ", 0xFFFFFFFF)
      .item(0xFFFFFFFF)
      .raw(inner.data)
      .item_end()
      .sequence_end()
      .explicit_text(tags::kPatientName, "PN", "Doe^Jane")
      .explicit_text(tags::kImagePositionPatient, "DS", "-1.5\\2\\ 3e1")
      .explicit_us(tags::kRows, 2)
      .explicit_us(tags::kColumns, 2)
      .explicit_element(tags::kPixelData, "OW", {1, 0, 2, 0, 3, 0, 0xFF, 0xFF});
  return part10(kExplicitVrLittleEndian, body.data);
}

TEST(Part10Reader, ReadsExplicitVrWithSequences) {
  auto file = parse_part10(explicit_file(), "a.dcm");
  ASSERT_TRUE(file.is_ok()) << file.status().message();
  const DataSet& d = file->dataset;
  EXPECT_EQ(file->transfer_syntax_uid, kExplicitVrLittleEndian);
  EXPECT_FALSE(file->compressed);
  EXPECT_EQ(d.text(tags::kSOPInstanceUID), "1.2.3");
  EXPECT_EQ(d.text(tags::kPatientName), "Doe^Jane");
  EXPECT_EQ(d.number(tags::kRows), 2);
  EXPECT_EQ(*d.numbers(tags::kImagePositionPatient), (std::vector<double>{-1.5, 2, 30}));
  for (Tag seq : {tags::kReferencedSeriesSequence, tags::kAnatomicRegionSequence}) {
    const auto* items = d.sequence(seq);
    ASSERT_NE(items, nullptr) << describe_tag(seq);
    ASSERT_EQ(items->size(), 1u);
    EXPECT_EQ((*items)[0].text(tags::kCodeValue), "39607008");
    EXPECT_EQ((*items)[0].text(tags::kCodeMeaning), "Lung");
  }
  auto pixels = native_pixel_data(*file);
  ASSERT_TRUE(pixels.is_ok());
  EXPECT_EQ(std::vector<uint8_t>(pixels->begin(), pixels->end()), (std::vector<uint8_t>{1, 0, 2, 0, 3, 0, 0xFF, 0xFF}));
}

TEST(Part10Reader, ReadsImplicitVrByTheDictionary) {
  Bytes item;
  item.implicit_text(tags::kROIName, "Lung L").implicit_element(tags::kROINumber, {'7', ' '});
  Bytes private_item;
  private_item.implicit_text(kPrivateValue, "x1");
  Bytes body;
  body.implicit_element(tags::kRows, {0x00, 0x02})  // US 512 by the dictionary
      .implicit_element(tags::kImageOrientationPatient, {'1', '\\', '0', '\\', '0', '\\', '0', '\\', '1', '\\', '0'})
      .implicit_header(tags::kStructureSetROISequence, uint32_t(8 + item.data.size()))  // SQ of defined length
      .item(uint32_t(item.data.size()))
      .raw(item.data)
      .implicit_header(kPrivateSequence, uint32_t(8 + private_item.data.size()))  // unknown tag holding an item
      .item(uint32_t(private_item.data.size()))
      .raw(private_item.data)
      .implicit_element(kPrivateValue, {0xFE, 0xFF, 0x01, 0x02})  // unknown tag, not a sequence
      .implicit_header(tags::kROIContourSequence, 0xFFFFFFFF)
      .item(0xFFFFFFFF)
      .implicit_text(tags::kReferencedROINumber, "7")
      .item_end()
      .sequence_end();
  auto file = parse_part10(part10(kImplicitVrLittleEndian, body.data), "implicit.dcm");
  ASSERT_TRUE(file.is_ok()) << file.status().message();
  const DataSet& d = file->dataset;
  EXPECT_EQ(d.number(tags::kRows), 512);
  EXPECT_EQ(d.numbers(tags::kImageOrientationPatient)->size(), 6u);
  ASSERT_NE(d.sequence(tags::kStructureSetROISequence), nullptr);
  EXPECT_EQ(d.sequence(tags::kStructureSetROISequence)->at(0).text(tags::kROIName), "Lung L");
  EXPECT_EQ(d.sequence(tags::kStructureSetROISequence)->at(0).number(tags::kROINumber), 7);
  ASSERT_NE(d.sequence(kPrivateSequence), nullptr);
  EXPECT_EQ(d.sequence(kPrivateSequence)->at(0).text(kPrivateValue), "x1");
  ASSERT_NE(d.find(kPrivateValue), nullptr);
  EXPECT_EQ(d.find(kPrivateValue)->value.size(), 4u);
  EXPECT_EQ(d.sequence(tags::kROIContourSequence)->at(0).number(tags::kReferencedROINumber), 7);
}

TEST(Part10Reader, UndefinedLengthUnknownElementIsAnImplicitSequence) {
  Bytes body;
  body.explicit_header(kPrivateSequence, "UN", 0xFFFFFFFF)
      .item(0xFFFFFFFF)
      .implicit_text(tags::kCodeValue, "123")
      .item_end()
      .sequence_end()
      .explicit_text(tags::kModality, "CS", "CT");
  auto file = parse_part10(part10(kExplicitVrLittleEndian, body.data), "un.dcm");
  ASSERT_TRUE(file.is_ok()) << file.status().message();
  ASSERT_NE(file->dataset.sequence(kPrivateSequence), nullptr);
  EXPECT_EQ(file->dataset.sequence(kPrivateSequence)->at(0).text(tags::kCodeValue), "123");
  EXPECT_EQ(file->dataset.text(tags::kModality), "CT");
}

TEST(Part10Reader, CompressedPixelDataIsParsedOverThenRefused) {
  Bytes body;
  body.explicit_us(tags::kRows, 2)
      .explicit_header(tags::kPixelData, "OB", 0xFFFFFFFF)
      .item(0)  // basic offset table
      .item(4)
      .raw(std::vector<uint8_t>{1, 2, 3, 4})  // one fragment
      .sequence_end()
      .explicit_text(tags::kSOPInstanceUID, "UI", "9.9");  // not a real place for it; parsing must go on
  auto file = parse_part10(part10("1.2.840.10008.1.2.4.90", body.data), "j2k.dcm");
  ASSERT_TRUE(file.is_ok()) << file.status().message();
  EXPECT_TRUE(file->compressed);
  EXPECT_EQ(file->dataset.text(tags::kSOPInstanceUID), "9.9");
  auto pixels = native_pixel_data(*file);
  ASSERT_FALSE(pixels.is_ok());
  EXPECT_EQ(pixels.status().code(), StatusCode::kUnsupported);
  const std::string& message = pixels.status().message();
  EXPECT_NE(message.find("j2k.dcm"), std::string::npos) << message;
  EXPECT_NE(message.find("JPEG 2000"), std::string::npos) << message;
  EXPECT_NE(message.find("compressed"), std::string::npos) << message;
}

TEST(Part10Reader, RefusesDeflateAndBigEndian) {
  for (const char* syntax : {"1.2.840.10008.1.2.1.99", "1.2.840.10008.1.2.2"}) {
    auto file = parse_part10(part10(syntax, {}), "x.dcm");
    ASSERT_FALSE(file.is_ok());
    EXPECT_EQ(file.status().code(), StatusCode::kUnsupported);
    EXPECT_NE(file.status().message().find(syntax), std::string::npos) << file.status().message();
  }
}

void expect_error(const std::vector<uint8_t>& bytes, const std::vector<std::string>& words) {
  auto file = parse_part10(bytes, "bad.dcm");
  ASSERT_FALSE(file.is_ok());
  const std::string& message = file.status().message();
  EXPECT_EQ(message.rfind("bad.dcm: ", 0), 0u) << message;
  for (const std::string& w : words) EXPECT_NE(message.find(w), std::string::npos) << "'" << w << "' in: " << message;
}

TEST(Part10Reader, ErrorsNameTheFileTagAndProblem) {
  expect_error(std::vector<uint8_t>(100, 0), {"not a DICOM Part-10 file", "100 bytes"});
  std::vector<uint8_t> no_magic(300, 0);
  expect_error(no_magic, {"no 'DICM'"});

  {  // A value longer than the file.
    Bytes body;
    body.explicit_text(tags::kModality, "CS", "CT").explicit_header(tags::kPatientName, "PN", 5000).raw("Doe");
    expect_error(part10(kExplicitVrLittleEndian, body.data),
                 {"(0010,0010) PatientName", "value length 5000", "bytes that remain", "truncated"});
  }
  {  // An item longer than its sequence.
    Bytes body;
    body.explicit_header(tags::kReferencedSeriesSequence, "SQ", 16).item(400).raw(std::string(8, ' '));
    expect_error(part10(kExplicitVrLittleEndian, body.data), {"item length 400"});
  }
  {  // Invalid VR.
    Bytes body;
    body.tag(tags::kRows).raw("zz").u16(2).u16(0);
    expect_error(part10(kExplicitVrLittleEndian, body.data), {"(0028,0010) Rows", "invalid value representation"});
  }
  {  // Something other than an item inside a sequence.
    Bytes body;
    body.explicit_header(tags::kReferencedSeriesSequence, "SQ", 0xFFFFFFFF).explicit_us(tags::kRows, 1);
    expect_error(part10(kExplicitVrLittleEndian, body.data), {"expected an item", "(0008,1115)"});
  }
  {  // Undefined length on a plain value.
    Bytes body;
    body.explicit_header(tags::kPatientID, "UN", 0).explicit_header(tags::kSeriesDescription, "UT", 0xFFFFFFFF);
    expect_error(part10(kExplicitVrLittleEndian, body.data), {"(0008,103E) SeriesDescription", "undefined length"});
  }
  {  // An undefined-length sequence that never ends; the error says where it was.
    Bytes body;
    body.explicit_header(tags::kReferencedSeriesSequence, "SQ", 0xFFFFFFFF)
        .item(0xFFFFFFFF)
        .explicit_text(tags::kSeriesInstanceUID, "UI", "1.2");
    expect_error(part10(kExplicitVrLittleEndian, body.data),
                 {"(0008,1115) ReferencedSeriesSequence item 1", "item delimitation"});
  }
  {  // A stray delimiter.
    Bytes body;
    body.sequence_end();
    expect_error(part10(kExplicitVrLittleEndian, body.data), {"unexpected (FFFE,E0DD)"});
  }
  {  // No transfer syntax.
    Bytes file;
    file.data.assign(128, 0);
    file.raw("DICM").explicit_text(tags::kMediaStorageSOPInstanceUID, "UI", "1.2");
    expect_error(file.data, {"TransferSyntaxUID"});
  }
}

TEST(Part10Reader, RefusesSequencesNestedTooDeep) {
  Bytes body;
  for (int i = 0; i < 40; ++i) body.explicit_header(tags::kReferencedSeriesSequence, "SQ", 0xFFFFFFFF).item(0xFFFFFFFF);
  expect_error(part10(kExplicitVrLittleEndian, body.data), {"nested deeper than 16"});
}

// Every truncation of a valid file parses or fails cleanly; cuts inside a value or header always fail.
TEST(Part10Reader, EveryTruncationIsHandled) {
  for (const auto& whole : {explicit_file(), [] {
                              Bytes body;
                              body.implicit_header(tags::kStructureSetROISequence, 0xFFFFFFFF)
                                  .item(0xFFFFFFFF)
                                  .implicit_text(tags::kROIName, "Lung R")
                                  .item_end()
                                  .sequence_end()
                                  .implicit_element(tags::kPixelData, std::vector<uint8_t>(64, 7));
                              return part10(kImplicitVrLittleEndian, body.data);
                            }()}) {
    ASSERT_TRUE(parse_part10(whole, "whole.dcm").is_ok());
    int failures = 0;
    for (size_t size = 0; size < whole.size(); ++size) {
      const std::vector<uint8_t> cut(whole.begin(), whole.begin() + ptrdiff_t(size));
      auto file = parse_part10(cut, "cut.dcm");
      if (!file.is_ok()) {
        ++failures;
        EXPECT_EQ(file.status().message().rfind("cut.dcm: ", 0), 0u) << file.status().message();
      }
    }
    // The last element is the pixel data: every cut after the last element boundary before it must fail.
    auto last_cut = parse_part10(std::vector<uint8_t>(whole.begin(), whole.end() - 1), "cut.dcm");
    ASSERT_FALSE(last_cut.is_ok());
    EXPECT_NE(last_cut.status().message().find("(7FE0,0010) PixelData"), std::string::npos)
        << last_cut.status().message();
    EXPECT_GT(failures, int(whole.size()) / 2);
  }
}

// Random corruption: any outcome but a crash or an out-of-bounds read (AddressSanitizer) is acceptable.
TEST(Part10Reader, SurvivesRandomCorruption) {
  const std::vector<uint8_t> whole = explicit_file();
  std::mt19937 random(12345);
  int errors = 0;
  for (int trial = 0; trial < 3000; ++trial) {
    std::vector<uint8_t> bytes = whole;
    const int flips = 1 + int(random() % 4);
    for (int f = 0; f < flips; ++f) bytes[132 + random() % (bytes.size() - 132)] = uint8_t(random());
    auto file = parse_part10(bytes, "fuzz.dcm");
    if (!file.is_ok()) {
      ++errors;
      EXPECT_EQ(file.status().message().rfind("fuzz.dcm: ", 0), 0u);
    } else {
      (void)native_pixel_data(*file);
      (void)file->dataset.numbers(tags::kImagePositionPatient);
    }
  }
  EXPECT_GT(errors, 0);
}

TEST(Part10Writer, RoundTripsValuesSequencesAndPadding) {
  DataSet d;
  d.set_text(tags::kSOPClassUID, "1.2.840.10008.5.1.4.1.1.66.4");
  d.set_text(tags::kSOPInstanceUID, "1.2.345");  // odd: padded with NUL
  d.set_text(tags::kPatientName, "Doe^J");       // odd: padded with a space
  d.set_strings(tags::kImageType, {"DERIVED", "PRIMARY"});
  d.set_uint16(tags::kRecommendedDisplayCIELabValue, {1, 2, 65535});
  d.set_uint32(tags::kDimensionIndexValues, {7, 70000});
  d.set_tags(tags::kDimensionIndexPointer, {tags::kImagePositionPatient});
  DataSet& item = d.add_item(tags::kSegmentSequence);
  item.set_uint16(tags::kSegmentNumber, {1});
  item.add_item(tags::kSegmentedPropertyTypeCodeSequence).set_text(tags::kCodeValue, "39607008");
  d.add_item(tags::kSegmentSequence).set_uint16(tags::kSegmentNumber, {2});
  d.set_bytes(tags::kPixelData, VR::OB, {1, 2, 3});
  auto bytes = write_part10(d);
  ASSERT_TRUE(bytes.is_ok()) << bytes.status().message();
  EXPECT_EQ(bytes->size() % 2, 0u);
  auto file = parse_part10(*bytes, "written.dcm");
  ASSERT_TRUE(file.is_ok()) << file.status().message();
  const DataSet& r = file->dataset;
  EXPECT_EQ(file->transfer_syntax_uid, kExplicitVrLittleEndian);
  EXPECT_EQ(file->meta.text(tags::kMediaStorageSOPInstanceUID), "1.2.345");
  EXPECT_EQ(file->meta.text(tags::kImplementationClassUID), kImplementationClassUid);
  EXPECT_EQ(r.find(tags::kSOPInstanceUID)->value.back(), 0);
  EXPECT_EQ(r.find(tags::kPatientName)->value.back(), ' ');
  EXPECT_EQ(r.text(tags::kPatientName), "Doe^J");
  EXPECT_EQ(r.strings(tags::kImageType), (std::vector<std::string>{"DERIVED", "PRIMARY"}));
  EXPECT_EQ(*r.numbers(tags::kRecommendedDisplayCIELabValue), (std::vector<double>{1, 2, 65535}));
  EXPECT_EQ(*r.numbers(tags::kDimensionIndexValues), (std::vector<double>{7, 70000}));
  EXPECT_EQ(r.find(tags::kDimensionIndexPointer)->value, (std::vector<uint8_t>{0x20, 0x00, 0x32, 0x00}));
  ASSERT_EQ(r.sequence(tags::kSegmentSequence)->size(), 2u);
  EXPECT_EQ(r.sequence(tags::kSegmentSequence)->at(1).number(tags::kSegmentNumber), 2);
  EXPECT_EQ(r.sequence(tags::kSegmentSequence)
                ->at(0)
                .sequence(tags::kSegmentedPropertyTypeCodeSequence)
                ->at(0)
                .text(tags::kCodeValue),
            "39607008");
  EXPECT_EQ(r.find(tags::kPixelData)->vr, VR::OB);
  EXPECT_EQ(r.find(tags::kPixelData)->value, (std::vector<uint8_t>{1, 2, 3, 0}));
}

TEST(Part10Writer, RefusesValuesTooLongForTheirLengthField) {
  DataSet d;
  d.set_text(tags::kSOPClassUID, "1.2");
  d.set_text(tags::kSOPInstanceUID, "1.3");
  d.set_text(tags::kPatientName, std::string(70000, 'a'));
  auto bytes = write_part10(d);
  ASSERT_FALSE(bytes.is_ok());
  EXPECT_NE(bytes.status().message().find("(0010,0010) PatientName"), std::string::npos);
  DataSet no_uid;
  EXPECT_FALSE(write_part10(no_uid).is_ok());
}

TEST(DecimalStrings, ParseAndFormat) {
  EXPECT_EQ(parse_decimal("  -12.5 "), -12.5);
  EXPECT_EQ(parse_decimal("+3e2"), 300);
  EXPECT_EQ(parse_decimal("7"), 7);
  EXPECT_FALSE(parse_decimal(""));
  EXPECT_FALSE(parse_decimal("abc"));
  EXPECT_FALSE(parse_decimal("1.5x"));
  EXPECT_FALSE(parse_decimal("nan"));
  for (double v : {0.0, 1.0 / 3, -123456.789012345, 1e-20, -2.5e300, 0.9770000000000001, -249.51171875}) {
    const std::string text = format_decimal_string(v);
    EXPECT_LE(text.size(), 16u) << text;
    ASSERT_TRUE(parse_decimal(text)) << text;
    EXPECT_NEAR(*parse_decimal(text), v, std::abs(v) * 1e-9) << text;
  }
  EXPECT_EQ(format_decimal_string(-249.51171875), "-249.51171875");
}

TEST(Uids, TwoPointTwentyFiveRoot) {
  EXPECT_EQ(uuid_to_uid({}), "2.25.0");
  std::array<uint8_t, 16> ones;
  ones.fill(0xFF);
  EXPECT_EQ(uuid_to_uid(ones), "2.25.340282366920938463463374607431768211455");
  std::array<uint8_t, 16> one{};
  one[15] = 1;
  EXPECT_EQ(uuid_to_uid(one), "2.25.1");
  const std::string a = make_uid(), b = make_uid();
  EXPECT_NE(a, b);
  for (const std::string& uid : {a, b}) {
    EXPECT_TRUE(is_valid_uid(uid)) << uid;
    EXPECT_EQ(uid.rfind("2.25.", 0), 0u);
    EXPECT_LE(uid.size(), 44u);
  }
  EXPECT_FALSE(is_valid_uid("1.02.3"));
  EXPECT_FALSE(is_valid_uid("1..3"));
  EXPECT_FALSE(is_valid_uid("1.2a"));
  EXPECT_FALSE(is_valid_uid(""));
  EXPECT_FALSE(is_valid_uid(std::string(65, '1')));
  EXPECT_TRUE(is_valid_uid("1.0.3"));
}

TEST(Dictionary, NamesAndVrs) {
  EXPECT_EQ(describe_tag(tags::kRows), "(0028,0010) Rows");
  EXPECT_EQ(describe_tag({0x0029, 0x1010}), "(0029,1010)");
  EXPECT_EQ(dictionary_vr(tags::kContourSequence), VR::SQ);
  EXPECT_EQ(dictionary_vr({0x0028, 0x0000}), VR::UL);
  EXPECT_EQ(dictionary_vr({0x0029, 0x1010}), VR::kNone);
  EXPECT_TRUE(has_long_length(VR::OB));
  EXPECT_FALSE(has_long_length(VR::US));
  EXPECT_EQ(vr_name(VR::DS), "DS");
}

}  // namespace
}  // namespace cairn::dicom
