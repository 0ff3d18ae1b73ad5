// The DICOM SEG writer on a synthetic series: read back with the library's reader, the frames rebuild the label
// volume exactly (bit packing across frame boundaries included); references, codes, colours and refusals.
#include "cairn/dicom/seg_writer.hpp"

#include <gtest/gtest.h>

#include "cairn/dicom/part10.hpp"
#include "cairn/dicom/uid.hpp"

namespace cairn::dicom {
namespace {

// 4 slices of 5 x 7 pixels (35 bits per frame: frames do not start on byte boundaries).
SeriesInfo source_series() {
  SeriesInfo s;
  s.study_instance_uid = "1.2.826.0.1.3680043.2.1125.9.1";
  s.series_instance_uid = "1.2.826.0.1.3680043.2.1125.9.2";
  s.frame_of_reference_uid = "1.2.826.0.1.3680043.2.1125.9.3";
  s.patient_name = "Test^Seg";
  s.patient_id = "SEG-1";
  s.study_date = "20240102";
  s.study_time = "101500.25";
  s.rows = 5;
  s.columns = 7;
  s.row_spacing = 0.8;
  s.column_spacing = 0.7;
  s.pixel_spacing_text = "0.8\\0.7";
  s.orientation = {1, 0, 0, 0, 1, 0};
  s.orientation_text = "1\\0\\0\\0\\1\\0";
  s.normal = {0, 0, 1};
  s.slice_thickness = 2.5;
  s.slice_spacing = 2.5;
  for (int k = 0; k < 4; ++k) {
    SliceInfo slice;
    slice.sop_class_uid = "1.2.840.10008.5.1.4.1.1.2";
    slice.sop_instance_uid = "1.2.826.0.1.3680043.2.1125.9.10." + std::to_string(k);
    slice.position = {-5, -6, 2.5 * k};
    slice.position_text = "-5\\-6\\" + std::to_string(2.5 * k).substr(0, 3);
    s.slices.push_back(slice);
  }
  return s;
}

std::vector<SegSegment> lung_segments() {
  return {
      {1, "Right lung", {"3341006", "SCT", "Right lung"}, {"91723000", "SCT", "Anatomical Structure"}, {0, 128, 255}},
      {2, "Left lung", {"44029006", "SCT", "Left lung"}, {"91723000", "SCT", "Anatomical Structure"}, {255, 160, 0}}};
}

SegOptions options() {
  SegOptions o;
  o.algorithm_name = "lung-unet";
  o.algorithm_version = "1.0";
  o.sop_instance_uid = "2.25.1";
  o.series_instance_uid = "2.25.2";
  o.content_date = "20250101";
  o.content_time = "120000";
  return o;
}

// Label volume with a pattern that is different in every slice; slice 2 is empty, slice 3 has only label 2.
std::vector<uint8_t> label_volume() {
  std::vector<uint8_t> labels(4 * 35, 0);
  for (size_t i = 0; i < 35; ++i) {
    labels[i] = i % 3 == 0 ? 1 : i % 5 == 0 ? 2 : 0;
    labels[35 + i] = i < 17 ? 1 : 0;
    labels[105 + i] = i % 2 ? 2 : 0;
  }
  return labels;
}

const DataSet& only_item(const DataSet& d, Tag tag) {
  const auto* items = d.sequence(tag);
  EXPECT_TRUE(items && items->size() == 1) << describe_tag(tag);
  static const DataSet empty;
  return items && !items->empty() ? items->front() : empty;
}

TEST(SegWriter, RoundTripsTheLabelVolume) {
  const SeriesInfo source = source_series();
  const std::vector<uint8_t> labels = label_volume();
  auto seg = write_seg(source, labels, lung_segments(), options());
  ASSERT_TRUE(seg.is_ok()) << seg.status().message();
  EXPECT_EQ(seg->frames, 4u);  // right: slices 0, 1; left: slices 0, 3
  EXPECT_EQ(seg->frames_per_segment, (std::vector<size_t>{2, 2}));
  EXPECT_TRUE(seg->warnings.empty());

  auto file = parse_part10(seg->bytes, "seg.dcm");
  ASSERT_TRUE(file.is_ok()) << file.status().message();
  EXPECT_EQ(file->transfer_syntax_uid, kExplicitVrLittleEndian);
  const DataSet& d = file->dataset;
  EXPECT_EQ(d.text(tags::kSOPClassUID), kSegmentationStorage);
  EXPECT_EQ(d.text(tags::kSOPInstanceUID), "2.25.1");
  EXPECT_EQ(d.text(tags::kSeriesInstanceUID), "2.25.2");
  EXPECT_EQ(d.text(tags::kModality), "SEG");
  EXPECT_EQ(d.text(tags::kSegmentationType), "BINARY");
  EXPECT_EQ(d.text(tags::kStudyInstanceUID), source.study_instance_uid);
  EXPECT_EQ(d.text(tags::kFrameOfReferenceUID), source.frame_of_reference_uid);
  EXPECT_EQ(d.text(tags::kPatientName), "Test^Seg");
  EXPECT_EQ(d.text(tags::kStudyTime), "101500.25");
  EXPECT_EQ(d.text(tags::kContentDate), "20250101");
  EXPECT_EQ(d.number(tags::kNumberOfFrames), 4);
  EXPECT_EQ(d.number(tags::kRows), 5);
  EXPECT_EQ(d.number(tags::kColumns), 7);
  EXPECT_EQ(d.number(tags::kBitsAllocated), 1);

  // Segments: numbers, labels, codes, algorithm, colour.
  const auto& segments = *d.sequence(tags::kSegmentSequence);
  ASSERT_EQ(segments.size(), 2u);
  EXPECT_EQ(segments[1].number(tags::kSegmentNumber), 2);
  EXPECT_EQ(segments[1].text(tags::kSegmentLabel), "Left lung");
  EXPECT_EQ(segments[1].text(tags::kSegmentAlgorithmType), "AUTOMATIC");
  EXPECT_EQ(segments[1].text(tags::kSegmentAlgorithmName), "lung-unet 1.0");
  EXPECT_EQ(only_item(segments[1], tags::kSegmentedPropertyTypeCodeSequence).text(tags::kCodeValue), "44029006");
  EXPECT_EQ(only_item(segments[1], tags::kSegmentedPropertyTypeCodeSequence).text(tags::kCodingSchemeDesignator),
            "SCT");
  EXPECT_EQ(only_item(segments[0], tags::kSegmentedPropertyCategoryCodeSequence).text(tags::kCodeValue), "91723000");
  const auto lab = rgb_to_dicom_lab({255, 160, 0});
  EXPECT_EQ(*segments[1].numbers(tags::kRecommendedDisplayCIELabValue),
            (std::vector<double>{double(lab[0]), double(lab[1]), double(lab[2])}));

  // References: every source instance, and the source of each frame.
  const DataSet& series_ref = only_item(d, tags::kReferencedSeriesSequence);
  EXPECT_EQ(series_ref.text(tags::kSeriesInstanceUID), source.series_instance_uid);
  ASSERT_EQ(series_ref.sequence(tags::kReferencedInstanceSequence)->size(), 4u);
  EXPECT_EQ(series_ref.sequence(tags::kReferencedInstanceSequence)->at(3).text(tags::kReferencedSOPInstanceUID),
            source.slices[3].sop_instance_uid);
  const DataSet& shared = only_item(d, tags::kSharedFunctionalGroupsSequence);
  EXPECT_EQ(only_item(shared, tags::kPlaneOrientationSequence).text(tags::kImageOrientationPatient),
            "1\\0\\0\\0\\1\\0");
  EXPECT_EQ(only_item(shared, tags::kPixelMeasuresSequence).text(tags::kPixelSpacing), "0.8\\0.7");
  EXPECT_EQ(only_item(shared, tags::kPixelMeasuresSequence).number(tags::kSliceThickness), 2.5);
  EXPECT_EQ(d.sequence(tags::kDimensionIndexSequence)->size(), 2u);

  // Rebuild the label volume from the frames.
  const auto& frames = *d.sequence(tags::kPerFrameFunctionalGroupsSequence);
  ASSERT_EQ(frames.size(), 4u);
  const std::vector<uint8_t>& pixels = d.find(tags::kPixelData)->value;
  EXPECT_EQ(pixels.size(), 18u);  // 4 x 35 bits = 140 bits = 17.5 bytes, padded to 18
  std::vector<uint8_t> rebuilt(labels.size(), 0);
  for (size_t f = 0; f < frames.size(); ++f) {
    const DataSet& frame = frames[f];
    const int segment =
        int(*only_item(frame, tags::kSegmentIdentificationSequence).number(tags::kReferencedSegmentNumber));
    const DataSet& derivation = only_item(frame, tags::kDerivationImageSequence);
    const std::string uid = *only_item(derivation, tags::kSourceImageSequence).text(tags::kReferencedSOPInstanceUID);
    size_t k = 0;
    while (k < source.slices.size() && source.slices[k].sop_instance_uid != uid) ++k;
    ASSERT_LT(k, source.slices.size()) << uid;
    EXPECT_EQ(only_item(frame, tags::kPlanePositionSequence).numbers(tags::kImagePositionPatient),
              (std::vector<double>{-5, -6, 2.5 * double(k)}));
    EXPECT_EQ(*only_item(frame, tags::kFrameContentSequence).numbers(tags::kDimensionIndexValues),
              (std::vector<double>{double(segment), double(k + 1)}));
    for (size_t i = 0; i < 35; ++i) {
      const size_t bit = f * 35 + i;
      if (pixels[bit / 8] >> (bit % 8) & 1) {
        EXPECT_EQ(rebuilt[k * 35 + i], 0) << "overlapping frames";
        rebuilt[k * 35 + i] = uint8_t(segment);
      }
    }
  }
  EXPECT_EQ(rebuilt, labels);
}

TEST(SegWriter, EmptyResultIsOneEmptyFrame) {
  const SeriesInfo source = source_series();
  auto seg = write_seg(source, std::vector<uint8_t>(4 * 35, 0), lung_segments(), options());
  ASSERT_TRUE(seg.is_ok()) << seg.status().message();
  EXPECT_EQ(seg->frames, 1u);
  EXPECT_EQ(seg->frames_per_segment, (std::vector<size_t>{0, 0}));
  auto file = parse_part10(seg->bytes, "empty.dcm");
  ASSERT_TRUE(file.is_ok());
  EXPECT_EQ(file->dataset.number(tags::kNumberOfFrames), 1);
  for (uint8_t b : file->dataset.find(tags::kPixelData)->value) EXPECT_EQ(b, 0);
}

TEST(SegWriter, FreshUidsAndInvalidSourceValues) {
  SeriesInfo source = source_series();
  source.study_date = "61d6b371-5759-36d4-a66b-402c0333d1a9";  // an anonymizer's UUID in a DA
  source.patient_sex = "x";
  SegOptions o = options();
  o.sop_instance_uid.clear();
  o.series_instance_uid.clear();
  auto a = write_seg(source, label_volume(), lung_segments(), o);
  auto b = write_seg(source, label_volume(), lung_segments(), o);
  ASSERT_TRUE(a.is_ok() && b.is_ok());
  EXPECT_TRUE(is_valid_uid(a->sop_instance_uid));
  EXPECT_NE(a->sop_instance_uid, b->sop_instance_uid);
  EXPECT_NE(a->series_instance_uid, b->series_instance_uid);
  ASSERT_EQ(a->warnings.size(), 2u);
  EXPECT_NE(a->warnings[0].find("(0008,0020) StudyDate"), std::string::npos) << a->warnings[0];
  auto file = parse_part10(a->bytes, "a.dcm");
  ASSERT_TRUE(file.is_ok());
  EXPECT_EQ(file->dataset.text(tags::kStudyDate), "");
  EXPECT_TRUE(file->dataset.has(tags::kStudyDate));  // Type 2: present, empty
}

TEST(SegWriter, RefusesBadInput) {
  const SeriesInfo source = source_series();
  const std::vector<uint8_t> labels = label_volume();
  auto expect_refused = [&](const std::vector<uint8_t>& l, std::vector<SegSegment> s, const SegOptions& o,
                            const std::string& words) {
    auto seg = write_seg(source, l, s, o);
    ASSERT_FALSE(seg.is_ok()) << words;
    EXPECT_NE(seg.status().message().find(words), std::string::npos) << seg.status().message();
  };
  expect_refused(std::vector<uint8_t>(10), lung_segments(), options(), "has 10 voxels");
  expect_refused(labels, {}, options(), "no segment");
  auto twice = lung_segments();
  twice[1].label_value = 1;
  expect_refused(labels, twice, options(), "label value 1 is given to two segments");
  auto zero = lung_segments();
  zero[0].label_value = 0;
  expect_refused(labels, zero, options(), "outside 1..255");
  auto uncoded = lung_segments();
  uncoded[0].property_type.value.clear();
  expect_refused(labels, uncoded, options(), "property type code");
  SegOptions lower = options();
  lower.content_label = "lungs";
  expect_refused(labels, lung_segments(), lower, "content label 'lungs'");
  SegOptions unnamed = options();
  unnamed.algorithm_name.clear();
  expect_refused(labels, lung_segments(), unnamed, "algorithm name");
}

TEST(CieLab, KnownColours) {
  auto near = [](std::array<uint16_t, 3> got, std::array<double, 3> lab) {
    const double expected[3] = {lab[0] / 100 * 65535, (lab[1] + 128) / 255 * 65535, (lab[2] + 128) / 255 * 65535};
    for (int i = 0; i < 3; ++i) EXPECT_NEAR(got[i], expected[i], 60) << i;  // 0.1 L*, 0.25 a*/b*
  };
  near(rgb_to_dicom_lab({255, 255, 255}), {100, 0, 0});
  near(rgb_to_dicom_lab({0, 0, 0}), {0, 0, 0});
  // sRGB primaries in CIELAB relative to D50 (Bradford), as ICC colour management computes them.
  near(rgb_to_dicom_lab({255, 0, 0}), {54.29, 80.80, 69.89});
  near(rgb_to_dicom_lab({0, 255, 0}), {87.82, -79.29, 80.99});
  near(rgb_to_dicom_lab({0, 0, 255}), {29.57, 68.30, -112.03});
}

}  // namespace
}  // namespace cairn::dicom
