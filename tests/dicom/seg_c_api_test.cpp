// The SEG C ABI (seg_c_api.h) as the browser uses it: a series described in JSON, a label volume in, a Part-10 SEG
// out; then the SEG read back onto the series (in its order or another, by instance UID or by position) gives the
// same labels. Also what cairn_seg_info says, and refusals with their messages.
#include "cairn/dicom/seg_c_api.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <string>
#include <vector>

#include "cairn/dicom/dataset.hpp"
#include "cairn/dicom/part10.hpp"
#include "cairn/dicom/seg_writer.hpp"

namespace {

constexpr int kRows = 5, kColumns = 7, kSlices = 4;
constexpr size_t kPlane = size_t(kRows) * kColumns;

std::string slice_json(int k, const std::string& uid_prefix = "1.2.826.0.1.3680043.2.1125.9.10.") {
  return "{\"sop_instance_uid\":\"" + uid_prefix + std::to_string(k) +
         "\",\"sop_class_uid\":\"1.2.840.10008.5.1.4.1.1.2\",\"position\":[-5.5,-6.25," + std::to_string(-30 + 2.5 * k) +
         "]}";
}

// `order`: the slices in the order of the label volume.
std::string series_json(const std::vector<int>& order = {0, 1, 2, 3}, const std::string& uid_prefix =
                                                                          "1.2.826.0.1.3680043.2.1125.9.10.") {
  std::string slices;
  for (size_t i = 0; i < order.size(); ++i) slices += (i ? "," : "") + slice_json(order[i], uid_prefix);
  return R"({"study_instance_uid":"1.2.826.0.1.3680043.2.1125.9.1","series_instance_uid":"1.2.826.0.1.3680043.2.1125.9.2",
    "frame_of_reference_uid":"1.2.826.0.1.3680043.2.1125.9.3","patient_name":"Test^Seg","patient_id":"SEG-1",
    "study_date":"20240102","rows":5,"columns":7,"pixel_spacing":[0.8,0.7],"orientation":[1,0,0,0,1,0],
    "slice_thickness":2.5,"slices":[)" +
         slices + R"(],
    "segments":[{"value":1,"label":"Right lung","snomed":"3341006","meaning":"Right lung","color":[0,128,255]},
                {"value":2,"label":"Left lung","snomed":"44029006","meaning":"Left lung","color":[255,160,0]}],
    "algorithm":{"name":"Lung U-Net","version":"1.0"}})";
}

// Different in every slice; slice 2 empty, slice 3 only label 2.
std::vector<uint8_t> label_volume() {
  std::vector<uint8_t> labels(kSlices * kPlane, 0);
  for (size_t i = 0; i < kPlane; ++i) {
    labels[i] = i % 3 == 0 ? 1 : i % 5 == 0 ? 2 : 0;
    labels[kPlane + i] = i < 17 ? 1 : 0;
    labels[3 * kPlane + i] = i % 2 ? 2 : 0;
  }
  return labels;
}

struct Written {
  std::vector<uint8_t> bytes;
  std::string info;
};

Written write(const std::string& json, const std::vector<uint8_t>& labels) {
  uint8_t* bytes = nullptr;
  size_t size = 0;
  char* info = nullptr;
  const cairn_seg_status status = cairn_seg_write(json.data(), json.size(), labels.data(), labels.size(), &bytes, &size, &info);
  EXPECT_EQ(status, 0) << cairn_seg_last_error();
  Written out;
  if (status == 0) {
    out.bytes.assign(bytes, bytes + size);
    out.info = info;
  }
  cairn_seg_free(bytes);
  cairn_seg_free(info);
  return out;
}

std::string read_error(const std::vector<uint8_t>& seg, const std::string& json, size_t labels_size) {
  std::vector<uint8_t> labels(labels_size, 9);
  const cairn_seg_status status =
      cairn_seg_read(seg.data(), seg.size(), json.data(), json.size(), labels.data(), labels.size(), nullptr);
  EXPECT_NE(status, 0);
  return cairn_seg_last_error();
}

TEST(SegCApi, WriteThenReadGivesTheSameLabels) {
  const std::vector<uint8_t> labels = label_volume();
  const Written seg = write(series_json(), labels);
  ASSERT_FALSE(seg.bytes.empty());
  EXPECT_NE(seg.info.find("\"frames\":4"), std::string::npos) << seg.info;
  EXPECT_NE(seg.info.find("\"frames_per_segment\":[2,2]"), std::string::npos) << seg.info;

  // A Part-10 SEG that references the series described.
  auto file = cairn::dicom::parse_part10(seg.bytes, "seg.dcm");
  ASSERT_TRUE(file.is_ok()) << file.status().message();
  const auto& d = file->dataset;
  EXPECT_EQ(d.text(cairn::dicom::tags::kSOPClassUID), cairn::dicom::kSegmentationStorage);
  EXPECT_EQ(d.text(cairn::dicom::tags::kStudyInstanceUID), "1.2.826.0.1.3680043.2.1125.9.1");
  EXPECT_EQ(d.text(cairn::dicom::tags::kPatientName), "Test^Seg");
  EXPECT_EQ(d.text(cairn::dicom::tags::kSeriesDescription), "Lung U-Net segmentation");
  EXPECT_NE(seg.info.find(*d.text(cairn::dicom::tags::kSOPInstanceUID)), std::string::npos);

  const std::string json = series_json();
  std::vector<uint8_t> back(labels.size(), 7);
  int32_t placed = 0;
  ASSERT_EQ(cairn_seg_read(seg.bytes.data(), seg.bytes.size(), json.data(), json.size(), back.data(), back.size(), &placed), 0)
      << cairn_seg_last_error();
  EXPECT_EQ(placed, 4);
  EXPECT_EQ(back, labels);
}

// The shared Pixel Measures: SpacingBetweenSlices where the slices are evenly spaced, none where one is missing
// (the viewer segments such a series; the frames' positions place it), and the read gives the labels back.
TEST(SegCApi, StatesTheSliceSpacingOnlyWhereSlicesAreEvenlySpaced) {
  using namespace cairn::dicom;
  auto measures = [](const std::vector<uint8_t>& bytes) -> DataSet {
    auto file = parse_part10(bytes, "seg.dcm");
    if (!file.is_ok()) {
      ADD_FAILURE() << file.status().message();
      return {};
    }
    const auto* shared = file->dataset.sequence(tags::kSharedFunctionalGroupsSequence);
    const auto* pixel = shared != nullptr && shared->size() == 1 ? shared->front().sequence(tags::kPixelMeasuresSequence)
                                                                 : nullptr;
    if (pixel == nullptr || pixel->size() != 1) {
      ADD_FAILURE() << "no single Shared Functional Groups item with one Pixel Measures item";
      return {};
    }
    return pixel->front();
  };
  const DataSet even = measures(write(series_json(), label_volume()).bytes);
  EXPECT_EQ(even.number(tags::kSpacingBetweenSlices), 2.5);
  EXPECT_EQ(even.number(tags::kSliceThickness), 2.5);

  // Slice 2 missing: gaps of 2.5 and 5 mm.
  std::vector<uint8_t> labels = label_volume();
  labels.erase(labels.begin() + 2 * kPlane, labels.begin() + 3 * kPlane);
  const std::string json = series_json({0, 1, 3});
  const Written seg = write(json, labels);
  const DataSet gapped = measures(seg.bytes);
  EXPECT_FALSE(gapped.has(tags::kSpacingBetweenSlices)) << gapped.text(tags::kSpacingBetweenSlices).value_or("");
  EXPECT_EQ(gapped.number(tags::kSliceThickness), 2.5);
  std::vector<uint8_t> back(labels.size(), 7);
  ASSERT_EQ(cairn_seg_read(seg.bytes.data(), seg.bytes.size(), json.data(), json.size(), back.data(), back.size(), nullptr), 0)
      << cairn_seg_last_error();
  EXPECT_EQ(back, labels);
}

TEST(SegCApi, UsesTheCallersUids) {
  std::string json = series_json();
  json.insert(json.size() - 1, ",\"seg_series_instance_uid\":\"2.25.31\",\"seg_sop_instance_uid\":\"2.25.32\"");
  const Written seg = write(json, label_volume());
  auto file = cairn::dicom::parse_part10(seg.bytes, "seg.dcm");
  ASSERT_TRUE(file.is_ok()) << file.status().message();
  EXPECT_EQ(file->dataset.text(cairn::dicom::tags::kSeriesInstanceUID), "2.25.31");
  EXPECT_EQ(file->dataset.text(cairn::dicom::tags::kSOPInstanceUID), "2.25.32");

  std::string bad = series_json();
  bad.insert(bad.size() - 1, ",\"seg_series_instance_uid\":\"2.25.031\",\"seg_sop_instance_uid\":\"2.25.32\"");
  uint8_t* bytes = nullptr;
  size_t size = 0;
  const std::vector<uint8_t> labels = label_volume();
  EXPECT_NE(cairn_seg_write(bad.data(), bad.size(), labels.data(), labels.size(), &bytes, &size, nullptr), 0);
  EXPECT_NE(std::string(cairn_seg_last_error()).find("'2.25.031' is not a valid UID"), std::string::npos) << cairn_seg_last_error();
}

TEST(SegCApi, ReadsOntoTheSeriesInAnotherOrder) {
  const std::vector<uint8_t> labels = label_volume();
  const Written seg = write(series_json(), labels);
  const std::string reversed = series_json({3, 2, 1, 0});
  std::vector<uint8_t> back(labels.size(), 0);
  ASSERT_EQ(cairn_seg_read(seg.bytes.data(), seg.bytes.size(), reversed.data(), reversed.size(), back.data(), back.size(), nullptr), 0)
      << cairn_seg_last_error();
  for (int k = 0; k < kSlices; ++k) {
    EXPECT_TRUE(std::equal(back.begin() + (kSlices - 1 - k) * kPlane, back.begin() + (kSlices - k) * kPlane,
                           labels.begin() + k * kPlane))
        << "slice " << k;
  }
}

TEST(SegCApi, PlacesFramesByPositionWhenTheUidsAreUnknown) {
  const std::vector<uint8_t> labels = label_volume();
  const Written seg = write(series_json(), labels);
  // The same geometry under other instance UIDs (a re-imported series): frames go by ImagePositionPatient.
  const std::string other = series_json({0, 1, 2, 3}, "2.25.777.");
  std::vector<uint8_t> back(labels.size(), 0);
  ASSERT_EQ(cairn_seg_read(seg.bytes.data(), seg.bytes.size(), other.data(), other.size(), back.data(), back.size(), nullptr), 0)
      << cairn_seg_last_error();
  EXPECT_EQ(back, labels);

  // Without positions nor known UIDs, nothing places the frames.
  const std::string bare = R"({"rows":5,"columns":7,"slices":[{"sop_instance_uid":"2.25.1"},{"sop_instance_uid":"2.25.2"},
    {"sop_instance_uid":"2.25.3"},{"sop_instance_uid":"2.25.4"}]})";
  EXPECT_NE(read_error(seg.bytes, bare, labels.size()).find("frame 1 lies on no slice"), std::string::npos);
}

TEST(SegCApi, InfoDescribesTheSegments) {
  const Written seg = write(series_json(), label_volume());
  char* info = nullptr;
  ASSERT_EQ(cairn_seg_info(seg.bytes.data(), seg.bytes.size(), &info), 0) << cairn_seg_last_error();
  const std::string text = info;
  cairn_seg_free(info);
  EXPECT_NE(text.find("\"referenced_series_instance_uid\":\"1.2.826.0.1.3680043.2.1125.9.2\""), std::string::npos) << text;
  EXPECT_NE(text.find("\"segmentation_type\":\"BINARY\""), std::string::npos) << text;
  EXPECT_NE(text.find("\"rows\":5,\"columns\":7,\"frames\":4"), std::string::npos) << text;
  EXPECT_NE(text.find("\"number\":2,\"label\":\"Left lung\",\"algorithm\":\"Lung U-Net 1.0\",\"snomed\":\"44029006\""),
            std::string::npos)
      << text;
  // The colour survives sRGB -> CIELab (16 bits) -> sRGB.
  EXPECT_NE(text.find("\"color\":[0,128,255]"), std::string::npos) << text;
  EXPECT_NE(text.find("\"color\":[255,160,0]"), std::string::npos) << text;
}

TEST(SegCApi, RefusesBadInput) {
  const std::vector<uint8_t> labels = label_volume();
  uint8_t* bytes = reinterpret_cast<uint8_t*>(1);
  size_t size = 1;
  auto write_error = [&](const std::string& json, size_t labels_size) {
    EXPECT_NE(cairn_seg_write(json.data(), json.size(), labels.data(), labels_size, &bytes, &size, nullptr), 0) << json;
    EXPECT_EQ(bytes, nullptr);
    EXPECT_EQ(size, 0u);
    return std::string(cairn_seg_last_error());
  };
  EXPECT_NE(write_error("{\"rows\":5,", labels.size()).find("series description"), std::string::npos);
  std::string no_study = series_json();
  no_study.replace(no_study.find("study_instance_uid"), 5, "other");
  EXPECT_NE(write_error(no_study, labels.size()).find("\"study_instance_uid\" is missing"), std::string::npos);
  std::string no_code = series_json();
  no_code.replace(no_code.find("\"snomed\""), 8, "\"snomex\"");
  EXPECT_NE(write_error(no_code, labels.size()).find("segment 0: \"snomed\" is missing"), std::string::npos);
  EXPECT_NE(write_error(series_json(), 10).find("has 10 voxels"), std::string::npos);

  const Written seg = write(series_json(), labels);
  EXPECT_NE(read_error(seg.bytes, series_json(), 10).find("the label volume has 10 bytes"), std::string::npos);
  std::string wider = series_json();
  wider.replace(wider.find("\"columns\":7"), 11, "\"columns\":8");
  EXPECT_NE(read_error(seg.bytes, wider, kSlices * kRows * 8).find("frames are 5x7"), std::string::npos);
  const std::vector<uint8_t> garbage(300, 0);
  EXPECT_NE(read_error(garbage, series_json(), labels.size()), "");
  std::vector<uint8_t> truncated(seg.bytes.begin(), seg.bytes.end() - 4);
  EXPECT_NE(read_error(truncated, series_json(), labels.size()), "");
}

// Square contours on the series' planes (z = -30 + 2.5 k; pixel (row r, column c) at x = -5.5 + 0.7 c,
// y = -6.25 + 0.8 r): "Lung R" on slice 1, "Lung L" on slices 1 and 2, "Body" on slice 0; and a contour between slices.
std::vector<uint8_t> structure_set() {
  using namespace cairn::dicom;
  DataSet d;
  d.set_text(tags::kSOPClassUID, "1.2.840.10008.5.1.4.1.1.481.3");
  d.set_text(tags::kSOPInstanceUID, "2.25.5");
  d.set_text(tags::kModality, "RTSTRUCT");
  d.add_item(tags::kReferencedFrameOfReferenceSequence).set_text(tags::kFrameOfReferenceUID, "1.2.826.0.1.3680043.2.1125.9.3");
  auto square = [](double x0, double y0, double x1, double y1, double z) {
    DataSet item;
    item.set_text(tags::kContourGeometricType, "CLOSED_PLANAR");
    const std::vector<double> v = {x0, y0, z, x1, y0, z, x1, y1, z, x0, y1, z};
    std::string text;
    for (double x : v) text += (text.empty() ? "" : "\\") + format_decimal_string(x);
    item.set_text(tags::kContourData, text);
    return item;
  };
  const char* names[] = {"Body", "Lung R", "Lung L"};
  for (int i = 0; i < 3; ++i) {
    DataSet& roi = d.add_item(tags::kStructureSetROISequence);
    roi.set_text(tags::kROINumber, std::to_string(i + 1));
    roi.set_text(tags::kROIName, names[i]);
  }
  // Pixel centres: columns 1..2 at x -4.8, -4.1, columns 3..4 at -3.4, -2.7; rows 1..2 at y -5.45, -4.65.
  const DataSet body = square(-6, -7, -0.5, -2.5, -30);  // around every pixel of slice 0
  const DataSet right = square(-5.2, -5.9, -3.8, -4.3, -27.5);
  DataSet& b = d.add_item(tags::kROIContourSequence);
  b.set_text(tags::kReferencedROINumber, "1");
  b.set_sequence(tags::kContourSequence, {body});
  DataSet& r = d.add_item(tags::kROIContourSequence);
  r.set_text(tags::kReferencedROINumber, "2");
  r.set_sequence(tags::kContourSequence, {right});
  DataSet& l = d.add_item(tags::kROIContourSequence);
  l.set_text(tags::kReferencedROINumber, "3");
  l.set_sequence(tags::kContourSequence, {square(-3.6, -5.9, -2.3, -4.3, -27.5), square(-3.6, -5.9, -2.3, -4.3, -25),
                                          square(-3.6, -5.9, -2.3, -4.3, -13)});  // the last on no slice
  auto bytes = write_part10(d);
  EXPECT_TRUE(bytes.is_ok());
  return bytes.is_ok() ? *bytes : std::vector<uint8_t>();
}

TEST(RtStructCApi, RasterizesTheLungsOrTheNamedRois) {
  const std::vector<uint8_t> rs = structure_set();
  const std::string json = series_json();
  std::vector<uint8_t> labels(kSlices * kPlane, 9);
  char* info = nullptr;
  ASSERT_EQ(cairn_rtstruct_read(rs.data(), rs.size(), json.data(), json.size(), labels.data(), labels.size(), &info), 0)
      << cairn_seg_last_error();
  const std::string text = info;
  cairn_seg_free(info);
  EXPECT_NE(text.find("\"rois\":[{\"value\":1,\"name\":\"Lung R\",\"contours\":1,\"unmatched\":0},"
                      "{\"value\":2,\"name\":\"Lung L\",\"contours\":3,\"unmatched\":1}]"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("\"all_rois\":[\"Body\",\"Lung R\",\"Lung L\"]"), std::string::npos) << text;
  // Right lung: columns 1..2 of rows 1..2 on slice 1; left lung: columns 3..4 there and on slice 2.
  std::vector<uint8_t> expected(kSlices * kPlane, 0);
  for (int row = 1; row <= 2; ++row) {
    for (int column = 1; column <= 2; ++column) expected[kPlane + row * kColumns + column] = 1;
    for (int column = 3; column <= 4; ++column) {
      expected[kPlane + row * kColumns + column] = 2;
      expected[2 * kPlane + row * kColumns + column] = 2;
    }
  }
  EXPECT_EQ(labels, expected);

  // Named ROIs, in order: the body is 1 and fills slice 0.
  std::string named = json;
  named.insert(named.size() - 1, ",\"rois\":[\"Body\"]");
  ASSERT_EQ(cairn_rtstruct_read(rs.data(), rs.size(), named.data(), named.size(), labels.data(), labels.size(), nullptr), 0)
      << cairn_seg_last_error();
  EXPECT_EQ(std::count(labels.begin(), labels.begin() + kPlane, 1), long(kPlane));
  EXPECT_EQ(std::count(labels.begin() + kPlane, labels.end(), 0), long(3 * kPlane));
  named = json;
  named.insert(named.size() - 1, ",\"rois\":[\"Heart\"]");
  EXPECT_NE(cairn_rtstruct_read(rs.data(), rs.size(), named.data(), named.size(), labels.data(), labels.size(), nullptr), 0);
  EXPECT_NE(std::string(cairn_seg_last_error()).find("no ROI 'Heart'"), std::string::npos) << cairn_seg_last_error();

  // A SEG is not a structure set.
  const Written seg = write(json, label_volume());
  EXPECT_NE(cairn_rtstruct_read(seg.bytes.data(), seg.bytes.size(), json.data(), json.size(), labels.data(), labels.size(), nullptr), 0);
  EXPECT_NE(std::string(cairn_seg_last_error()).find("not an RT Structure Set"), std::string::npos);
}

}  // namespace
