// RT Structure Sets: lung ROI names, even-odd filling, rasterization onto a series (duplicates, holes, unmatched
// contours), reading hand-built files, and the real cases' lung ROIs.
#include "cairn/dicom/rtstruct.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <numeric>

#include "dicom_test_util.hpp"

namespace cairn::dicom {
namespace {

using Polygon = std::vector<std::pair<double, double>>;

std::string picture(const std::vector<uint8_t>& mask, int height, int width) {
  std::string text;
  for (int r = 0; r < height; ++r) {
    for (int c = 0; c < width; ++c) text += mask[size_t(r * width + c)] ? '#' : '.';
    text += '\n';
  }
  return text;
}

Polygon square(double x0, double y0, double x1, double y1) { return {{x0, y0}, {x1, y0}, {x1, y1}, {x0, y1}}; }

TEST(EvenOdd, FillsPixelCentresInside) {
  // Pixel centres 2, 3, 4 lie inside [1.5, 4.5].
  EXPECT_EQ(picture(fill_polygons_even_odd({square(1.5, 1.5, 4.5, 4.5)}, 6, 6), 6, 6),
            "......\n"
            "......\n"
            "..###.\n"
            "..###.\n"
            "..###.\n"
            "......\n");
  // Half-open rule: a square on integer coordinates [1, 3] covers rows 1..2 and columns 1..2.
  EXPECT_EQ(picture(fill_polygons_even_odd({square(1, 1, 3, 3)}, 4, 4), 4, 4), "....\n.##.\n.##.\n....\n");
}

TEST(EvenOdd, InnerOutlineIsAHoleAndOverlapsCancel) {
  const auto holed = fill_polygons_even_odd({square(0.5, 0.5, 5.5, 5.5), square(1.5, 1.5, 3.5, 3.5)}, 6, 6);
  EXPECT_EQ(picture(holed, 6, 6),
            "......\n"
            ".#####\n"
            ".#..##\n"
            ".#..##\n"
            ".#####\n"
            ".#####\n");
  const auto twice = fill_polygons_even_odd({square(0.5, 0.5, 3.5, 3.5), square(0.5, 0.5, 3.5, 3.5)}, 4, 4);
  EXPECT_EQ(std::accumulate(twice.begin(), twice.end(), 0), 0);
}

TEST(EvenOdd, VerticesOnPixelRowsCountOnceAndOutsideIsClipped) {
  // A diamond whose left and right vertices lie on row 3 exactly.
  const Polygon diamond = {{3, 0.5}, {5.5, 3}, {3, 5.5}, {0.5, 3}};
  const auto mask = fill_polygons_even_odd({diamond}, 7, 7);
  EXPECT_EQ(picture(mask, 7, 7),
            ".......\n"
            "...#...\n"
            "..###..\n"
            ".#####.\n"
            "..###..\n"
            "...#...\n"
            ".......\n");
  // Mostly outside the image, huge coordinates, a degenerate polygon: no crash, clipped.
  const auto clipped = fill_polygons_even_odd({square(-1e9, -5, 2.5, 1e12), {{1, 1}, {1, 1}, {1, 1}}}, 3, 4);
  EXPECT_EQ(picture(clipped, 3, 4), "###.\n###.\n###.\n");
}

TEST(LungRois, PicksOneLeftAndOneRight) {
  auto check = [](std::vector<std::string> names, const std::string& left, const std::string& right) {
    auto found = find_lung_rois(names);
    ASSERT_TRUE(found.is_ok()) << found.status().message();
    EXPECT_EQ(found->first, left);
    EXPECT_EQ(found->second, right);
  };
  check({"Patient", "GTV-1", "Lung L", "Lung R", "Heart"}, "Lung L", "Lung R");
  check({"LUNG_R", "LUNGS", "LUNG_L"}, "LUNG_L", "LUNG_R");
  check({"lungL", "lungR", "Lung-GTV L"}, "lungL", "lungR");
  check({"L Lung", "R Lung", "Lungs total"}, "L Lung", "R Lung");
  check({"Pulmo links", "Pulmo rechts", "PRV Lung L"}, "Pulmo links", "Pulmo rechts");
  check({" Left Lung ", "Right Lung", "Lung L minus PTV", "Lung_R_opt"}, " Left Lung ", "Right Lung");
  auto none = find_lung_rois({"Lung L", "Lung_L2", "Lung R", "Heart"});
  ASSERT_FALSE(none.is_ok());
  EXPECT_NE(none.status().message().find("left ['Lung L', 'Lung_L2']"), std::string::npos) << none.status().message();
  EXPECT_FALSE(find_lung_rois({"Lungs", "Heart"}).is_ok());
  EXPECT_FALSE(find_lung_rois({}).is_ok());
}

// A series of 3 axial slices, 8x8 pixels of 1 mm at z = 0, 2, 4; origin (0, 0).
SeriesInfo small_series() {
  SeriesInfo s;
  s.rows = s.columns = 8;
  s.row_spacing = s.column_spacing = 1;
  s.orientation = {1, 0, 0, 0, 1, 0};
  s.row_direction = {1, 0, 0};
  s.column_direction = {0, 1, 0};
  s.normal = {0, 0, 1};
  s.slice_spacing = 2;
  for (int k = 0; k < 3; ++k) {
    SliceInfo slice;
    slice.position = {0, 0, 2.0 * k};
    s.slices.push_back(slice);
  }
  return s;
}

Contour square_at(double z, double x0, double y0, double x1, double y1) {
  return {{x0, y0, z}, {x1, y0, z}, {x1, y1, z}, {x0, y1, z}};
}

TEST(Rasterize, SlicesDuplicatesHolesAndUnmatched) {
  const SeriesInfo series = small_series();
  const std::vector<Contour> contours = {
      square_at(0.1, 0.5, 0.5, 3.5, 3.5),  // slice 0 (0.1 mm off)
      square_at(2, 0.5, 0.5, 6.5, 6.5),    // slice 1, outer
      square_at(2, 2.5, 2.5, 4.5, 4.5),    // slice 1, hole
      square_at(2, 0.5, 0.5, 6.5, 6.5),    // slice 1, outer repeated: dropped, not cancelling
      {{0.5, 0.5, 4}, {6.5, 0.5, 4}, {6.5, 6.5, 4.2}, {0.5, 6.5, 4}},  // slice 2, slightly tilted
      square_at(9, 0.5, 0.5, 3.5, 3.5),                                // 5 mm from slice 2: unmatched
  };
  const Rasterized r = rasterize_contours(contours, series);
  EXPECT_EQ(r.unmatched, 1);
  EXPECT_EQ(r.duplicates, 1);
  auto count = [&](int k) { return std::accumulate(r.mask.begin() + 64 * k, r.mask.begin() + 64 * (k + 1), 0); };
  EXPECT_EQ(count(0), 9);
  EXPECT_EQ(count(1), 36 - 4);
  EXPECT_EQ(count(2), 36);
  const Rasterized plain = rasterize_contours(contours, series, /*drop_duplicates=*/false);
  EXPECT_EQ(std::accumulate(plain.mask.begin() + 64, plain.mask.begin() + 128, 0), 4);  // the repeat cancels
}

TEST(Rasterize, UsesTheSeriesOrientationAndSpacing) {
  SeriesInfo series = small_series();
  series.row_spacing = 2;     // between rows (y)
  series.column_spacing = 1;  // between columns (x)
  series.slices[0].position = {10, 20, 0};
  // x 10.5..12.5 -> columns 1..2; y 20.5..26.5 -> rows 0.25..3.25 -> 1..3.
  const Rasterized r = rasterize_contours({square_at(0, 10.5, 20.5, 12.5, 26.5)}, series);
  EXPECT_EQ(picture(std::vector<uint8_t>(r.mask.begin(), r.mask.begin() + 64), 8, 8),
            "........\n.##.....\n.##.....\n.##.....\n........\n........\n........\n........\n");
}

DataSet contour_item(const std::string& type, const std::string& data) {
  DataSet item;
  item.set_text(tags::kContourGeometricType, type);
  item.set_text(tags::kContourData, data);
  return item;
}

TEST(RtStruct, ReadsRoisAndContours) {
  test::TempDir dir;
  DataSet d;
  d.set_text(tags::kSOPClassUID, "1.2.840.10008.5.1.4.1.1.481.3");
  d.set_text(tags::kSOPInstanceUID, "1.5");
  d.set_text(tags::kModality, "RTSTRUCT");
  d.add_item(tags::kReferencedFrameOfReferenceSequence).set_text(tags::kFrameOfReferenceUID, "1.2.3");
  for (auto [number, name] : {std::pair{"1", "Lung L"}, std::pair{"2", "Lung R"}, std::pair{"3", "Empty"}}) {
    DataSet& roi = d.add_item(tags::kStructureSetROISequence);
    roi.set_text(tags::kROINumber, number);
    roi.set_text(tags::kROIName, name);
  }
  DataSet& left = d.add_item(tags::kROIContourSequence);
  left.set_text(tags::kReferencedROINumber, "1");
  left.set_sequence(tags::kContourSequence,
                    {contour_item("CLOSED_PLANAR", "0\\0\\0\\1\\0\\0\\1\\1\\0"), contour_item("POINT", "5\\5\\5"),
                     contour_item("CLOSED_PLANAR", "0\\0\\0\\1\\1\\0")});  // 2 points
  DataSet& right = d.add_item(tags::kROIContourSequence);
  right.set_text(tags::kReferencedROINumber, "2");
  right.set_sequence(tags::kContourSequence, {contour_item("CLOSED_PLANAR", "1\\2\\3\\4\\5\\6\\7\\8\\9\\10\\11\\12")});
  test::write_dataset(dir.file("rs.dcm"), d);

  auto set = read_rtstruct(dir.file("rs.dcm"));
  ASSERT_TRUE(set.is_ok()) << set.status().message();
  EXPECT_EQ(set->frame_of_reference_uid, "1.2.3");
  EXPECT_EQ(set->names(), (std::vector<std::string>{"Lung L", "Lung R", "Empty"}));
  ASSERT_EQ(set->find("Lung L")->contours.size(), 1u);
  ASSERT_EQ(set->find("Lung R")->contours.size(), 1u);
  EXPECT_EQ(set->find("Lung R")->contours[0][3], (Vec3{10, 11, 12}));
  EXPECT_TRUE(set->find("Empty")->contours.empty());
  EXPECT_EQ(set->find("Heart"), nullptr);

  right.set_sequence(tags::kContourSequence, {contour_item("CLOSED_PLANAR", "1\\2\\3\\4")});
  test::write_dataset(dir.file("bad.dcm"), d);
  auto bad = read_rtstruct(dir.file("bad.dcm"));
  ASSERT_FALSE(bad.is_ok());
  EXPECT_NE(bad.status().message().find("4 ContourData values, not a multiple of 3"), std::string::npos);

  DataSet ct = test::ct_slice({.sop_uid = "1.1"});
  test::write_dataset(dir.file("ct.dcm"), ct);
  auto not_rt = read_rtstruct(dir.file("ct.dcm"));
  ASSERT_FALSE(not_rt.is_ok());
  EXPECT_NE(not_rt.status().message().find("not an RT Structure Set (Modality 'CT'"), std::string::npos);
}

TEST(RtStruct, RealCasesHaveLungs) {
  const char* names[][3] = {
      {"LUNG1-002", "Lung L", "Lung R"}, {"LUNG1-003", "Lung L", "Lung R"}, {"onkodicom-RT02", "LUNG_L", "LUNG_R"}};
  for (const auto& c : names) {
    const std::string path = test::data_root() + "/" + c[0] + "/rtstruct.dcm";
    ASSERT_TRUE(std::filesystem::exists(path)) << path << " is missing: run tests/dicom/ensure_data.sh";
    auto set = read_rtstruct(path);
    ASSERT_TRUE(set.is_ok()) << set.status().message();
    auto lungs = find_lung_rois(set->names());
    ASSERT_TRUE(lungs.is_ok()) << lungs.status().message();
    EXPECT_EQ(lungs->first, c[1]);
    EXPECT_EQ(lungs->second, c[2]);
    EXPECT_GT(set->find(c[1])->contours.size(), 20u);
  }
}

}  // namespace
}  // namespace cairn::dicom
