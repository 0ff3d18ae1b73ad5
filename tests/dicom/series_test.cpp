// read_ct_series on synthetic directories (sorting, rescale, skipped files, every refusal) and on the real cases.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>

#include "cairn/dicom/ct_series.hpp"
#include "dicom_test_util.hpp"

namespace cairn::dicom {
namespace {

using test::SliceSpec;
using test::TempDir;

void write_slice(const TempDir& dir, const std::string& name, const SliceSpec& spec) {
  test::write_dataset(dir.file(name), test::ct_slice(spec));
}

std::string error_of(const std::string& directory, const std::string& uid = "") {
  auto series = read_ct_series(directory, uid);
  EXPECT_FALSE(series.is_ok());
  return series.is_ok() ? "" : series.status().message();
}

TEST(CtSeries, SortsAlongTheNormalAndRescales) {
  TempDir dir;
  // File names and instance numbers in the wrong order; the normal of 1\0\0\0\1\0 is +z.
  write_slice(dir, "a.dcm", {.sop_uid = "1.1.3", .z = 10, .slope = 2, .intercept = -1024});
  write_slice(dir, "b.dcm", {.sop_uid = "1.1.1", .z = -2, .slope = 2, .intercept = -1024});
  write_slice(dir, "c.dcm",
              {.sop_uid = "1.1.2",
               .z = 4,
               .is_signed = false,
               .slope = 1,
               .intercept = -1024,
               .values = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 65535}});
  std::ofstream(dir.file("README")) << "not DICOM";
  DataSet rtstruct;  // Part-10, no pixel data
  rtstruct.set_text(tags::kSOPClassUID, "1.2.840.10008.5.1.4.1.1.481.3");
  rtstruct.set_text(tags::kSOPInstanceUID, "1.1.9");
  rtstruct.set_text(tags::kModality, "RTSTRUCT");
  test::write_dataset(dir.file("rtstruct.dcm"), rtstruct);

  auto series = read_ct_series(dir.path());
  ASSERT_TRUE(series.is_ok()) << series.status().message();
  const SeriesInfo& info = series->info;
  ASSERT_EQ(info.slices.size(), 3u);
  EXPECT_EQ(info.slices[0].sop_instance_uid, "1.1.1");
  EXPECT_EQ(info.slices[1].sop_instance_uid, "1.1.2");
  EXPECT_EQ(info.slices[2].sop_instance_uid, "1.1.3");
  EXPECT_DOUBLE_EQ(info.slice_spacing, 6);
  EXPECT_DOUBLE_EQ(info.row_spacing, 0.5);
  EXPECT_DOUBLE_EQ(info.column_spacing, 0.75);
  EXPECT_EQ(info.rows, 4);
  EXPECT_EQ(info.columns, 3);
  EXPECT_EQ(info.normal, (Vec3{0, 0, 1}));
  EXPECT_DOUBLE_EQ(info.slice_offset(2), 10);
  EXPECT_DOUBLE_EQ(info.voxel_volume_ml(), 0.5 * 0.75 * 6 / 1000);
  EXPECT_EQ(info.patient_name, "Test^Patient");
  EXPECT_EQ(info.frame_of_reference_uid, "1.2.826.0.1.3680043.2.1125.1.3");
  EXPECT_EQ(info.orientation_text, "1\\0\\0\\0\\1\\0");
  EXPECT_EQ(info.slices[0].position_text, "-10\\-20\\-2");
  ASSERT_EQ(series->hu.size(), 36u);
  EXPECT_EQ(series->slice_hu(0)[5], 2 * 5 - 1024);   // signed, slope 2
  EXPECT_EQ(series->slice_hu(1)[11], 65535 - 1024);  // unsigned 16 bits
  EXPECT_EQ(series->slice_hu(2)[0], -1024);
  ASSERT_EQ(series->skipped.size(), 2u);
  std::vector<std::string> reasons;
  for (const auto& [file, why] : series->skipped)
    reasons.push_back(std::filesystem::path(file).filename().string() + ": " + why);
  std::sort(reasons.begin(), reasons.end());
  EXPECT_EQ(reasons[0], "README: not a DICOM Part-10 file");
  EXPECT_EQ(reasons[1], "rtstruct.dcm: RTSTRUCT, no pixel data");
}

TEST(CtSeries, SeveralSeriesNeedAChoice) {
  TempDir dir;
  write_slice(dir, "a.dcm", {.series_uid = "1.2.1", .sop_uid = "1.1.1", .z = 0});
  write_slice(dir, "b.dcm", {.series_uid = "1.2.1", .sop_uid = "1.1.2", .z = 1});
  write_slice(dir, "c.dcm", {.series_uid = "1.2.2", .sop_uid = "1.1.3", .z = 0});
  const std::string message = error_of(dir.path());
  EXPECT_NE(message.find("2 series"), std::string::npos) << message;
  EXPECT_NE(message.find("1.2.1  CT, 2 images"), std::string::npos) << message;
  EXPECT_NE(message.find("1.2.2  CT, 1 image"), std::string::npos) << message;
  auto chosen = read_ct_series(dir.path(), "1.2.2");
  ASSERT_TRUE(chosen.is_ok()) << chosen.status().message();
  EXPECT_EQ(chosen->info.slices.size(), 1u);
  EXPECT_DOUBLE_EQ(chosen->info.slice_spacing, 2);  // SliceThickness for a single slice
  EXPECT_EQ(chosen->skipped.size(), 2u);
  EXPECT_NE(error_of(dir.path(), "1.2.3").find("has no series 1.2.3"), std::string::npos);
}

TEST(CtSeries, RefusesInconsistentOrBrokenSeries) {
  {
    TempDir dir;
    write_slice(dir, "a.dcm", {.sop_uid = "1.1.1", .z = 0});
    write_slice(dir, "b.dcm", {.sop_uid = "1.1.2", .z = 0});
    const std::string m = error_of(dir.path());
    EXPECT_NE(m.find("two slices at one position"), std::string::npos) << m;
    EXPECT_NE(m.find("a.dcm"), std::string::npos) << m;
  }
  {
    TempDir dir;
    write_slice(dir, "a.dcm", {.sop_uid = "1.1.1", .z = 0});
    write_slice(dir, "b.dcm", {.sop_uid = "1.1.2", .z = 2});
    write_slice(dir, "c.dcm", {.sop_uid = "1.1.3", .z = 6});
    EXPECT_NE(error_of(dir.path()).find("not evenly spaced (gaps 2.000..4.000 mm)"), std::string::npos);
  }
  {
    TempDir dir;
    write_slice(dir, "a.dcm", {.sop_uid = "1.1.1", .z = 0});
    write_slice(dir, "b.dcm", {.sop_uid = "1.1.2", .z = 2, .rows = 5});
    const std::string m = error_of(dir.path());
    EXPECT_NE(m.find("5x3 pixels"), std::string::npos) << m;
  }
  {
    TempDir dir;
    DataSet d = test::ct_slice({.sop_uid = "1.1.1"});
    d.erase(tags::kImagePositionPatient);
    test::write_dataset(dir.file("a.dcm"), d);
    const std::string m = error_of(dir.path());
    EXPECT_NE(m.find("a.dcm: (0020,0032) ImagePositionPatient is missing"), std::string::npos) << m;
  }
  {
    TempDir dir;
    DataSet d = test::ct_slice({.sop_uid = "1.1.1"});
    d.set_text(tags::kPixelSpacing, "0.5\\abc");
    test::write_dataset(dir.file("a.dcm"), d);
    EXPECT_NE(error_of(dir.path()).find("PixelSpacing is not a number"), std::string::npos);
  }
  {
    TempDir dir;
    write_slice(dir, "a.dcm", {.sop_uid = "1.1.1", .modality = "MR"});
    EXPECT_NE(error_of(dir.path()).find("is MR, not CT"), std::string::npos);
  }
  {
    TempDir dir;
    DataSet d = test::ct_slice({.sop_uid = "1.1.1"});
    d.set_bytes(tags::kPixelData, VR::OW, {1, 2, 3, 4});
    test::write_dataset(dir.file("a.dcm"), d);
    const std::string m = error_of(dir.path());
    EXPECT_NE(m.find("PixelData has 4 bytes"), std::string::npos) << m;
  }
  {  // Truncated file: named.
    TempDir dir;
    write_slice(dir, "a.dcm", {.sop_uid = "1.1.1", .z = 0});
    write_slice(dir, "b.dcm", {.sop_uid = "1.1.2", .z = 1});
    std::filesystem::resize_file(dir.file("b.dcm"), std::filesystem::file_size(dir.file("b.dcm")) - 3);
    const std::string m = error_of(dir.path());
    EXPECT_NE(m.find("b.dcm"), std::string::npos) << m;
    EXPECT_NE(m.find("(7FE0,0010) PixelData"), std::string::npos) << m;
  }
  {  // Compressed slice: named, and the refusal says why.
    TempDir dir;
    DataSet header = test::ct_slice({.sop_uid = "1.1.1"});
    header.erase(tags::kPixelData);
    auto written = write_part10(header);
    ASSERT_TRUE(written.is_ok());
    // The data set starts after the file meta information, whose group length is the UL at byte 140.
    const std::vector<uint8_t>& w = *written;
    const size_t meta_length = size_t(w[140]) | size_t(w[141]) << 8;
    test::Bytes dataset;
    dataset.raw(std::vector<uint8_t>(w.begin() + ptrdiff_t(144 + meta_length), w.end()));
    dataset.explicit_header(tags::kPixelData, "OB", 0xFFFFFFFF)
        .item(0)
        .item(2)
        .raw(std::vector<uint8_t>{9, 9})
        .sequence_end();
    ASSERT_TRUE(write_file_bytes(dir.file("j.dcm"), test::part10("1.2.840.10008.1.2.4.70", dataset.data)).is_ok());
    const std::string m = error_of(dir.path());
    EXPECT_NE(m.find("j.dcm"), std::string::npos) << m;
    EXPECT_NE(m.find("JPEG Lossless"), std::string::npos) << m;
    EXPECT_NE(m.find("compressed"), std::string::npos) << m;
  }
  {
    TempDir dir;
    EXPECT_NE(error_of(dir.path()).find("no DICOM images"), std::string::npos);
    EXPECT_NE(error_of(dir.file("missing")).find("no such directory"), std::string::npos);
  }
}

// The real cases (tests/dicom/ensure_data.sh unpacks them): their absence is a failure.
struct RealCase {
  const char* name;
  size_t slices;
  double pixel_spacing, slice_spacing;
};

TEST(CtSeries, RealCases) {
  const RealCase cases[] = {
      {"LUNG1-002", 111, 0.977, 3}, {"LUNG1-003", 107, 0.977, 3}, {"onkodicom-RT02", 105, 1.26953125, 4}};
  for (const RealCase& c : cases) {
    const std::string dir = test::data_root() + "/" + c.name + "/ct";
    ASSERT_TRUE(std::filesystem::is_directory(dir)) << dir << " is missing: run tests/dicom/ensure_data.sh";
    auto series = read_ct_series(dir);
    ASSERT_TRUE(series.is_ok()) << series.status().message();
    const SeriesInfo& info = series->info;
    EXPECT_EQ(info.slices.size(), c.slices) << c.name;
    EXPECT_EQ(info.rows, 512);
    EXPECT_NEAR(info.row_spacing, c.pixel_spacing, 1e-6) << c.name;
    EXPECT_NEAR(info.slice_spacing, c.slice_spacing, 1e-3) << c.name;
    for (size_t k = 1; k < info.slices.size(); ++k) EXPECT_LT(info.slice_offset(k - 1), info.slice_offset(k));
    // Air outside the body at the corner, in HU whatever the source's intercept.
    const auto [lo, hi] = std::minmax_element(series->hu.begin(), series->hu.end());
    EXPECT_LE(*lo, -1000) << c.name;
    EXPECT_GE(*hi, 1000) << c.name;
    EXPECT_LT(series->slice_hu(info.slices.size() / 2)[0], -900) << c.name;
  }
  const std::string demo = std::string(CAIRN_DICOM_TEST_DATA) + "/LIDC-IDRI-0001/ct";  // explicit VR
  ASSERT_TRUE(std::filesystem::is_directory(demo)) << demo << " is missing: run tests/dicom/ensure_data.sh";
  auto lidc = read_ct_series(demo);
  ASSERT_TRUE(lidc.is_ok()) << lidc.status().message();
  EXPECT_EQ(lidc->info.slices.size(), 60u);
  EXPECT_NEAR(lidc->info.slice_spacing, 2.5, 1e-3);
  EXPECT_EQ(lidc->info.patient_id, "LIDC-IDRI-0001");
}

}  // namespace
}  // namespace cairn::dicom
