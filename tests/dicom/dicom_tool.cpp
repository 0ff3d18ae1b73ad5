// A test helper around cairn_dicom, driven by dicom_real_data_test.py:
//   cairn_dicom_tool series DIR HU.npy              reads the CT series, writes its HU volume, prints the slice UIDs
//   cairn_dicom_tool lungs DIR RTSTRUCT LABELS.npy  rasterizes the lung ROIs (1 right, 2 left), prints counts
//   cairn_dicom_tool seg DIR LABELS.npy OUT.dcm     writes a DICOM SEG of a uint8 label volume (1 right, 2 left lung)
#include <cstdio>
#include <iostream>
#include <string>
#include <vector>

#include "cairn/dicom/ct_series.hpp"
#include "cairn/dicom/part10.hpp"
#include "cairn/dicom/rtstruct.hpp"
#include "cairn/dicom/seg_writer.hpp"
#include "io/npy.hpp"

namespace {

using namespace cairn::dicom;

int fail(const cairn::Status& status) {
  std::cerr << "cairn_dicom_tool: " << status.message() << "\n";
  return 1;
}

cairn::Shape volume_shape(const SeriesInfo& info) { return {int64_t(info.slices.size()), info.rows, info.columns}; }

int series(const std::string& dir, const std::string& out) {
  auto ct = read_ct_series(dir);
  if (!ct) return fail(ct.status());
  const SeriesInfo& info = ct->info;
  if (auto s = cairn::npy::write_float32(out, volume_shape(info), ct->hu); !s) return fail(s);
  std::printf("slices %zu rows %d columns %d spacing %.6f %.6f %.6f\n", info.slices.size(), info.rows, info.columns,
              info.row_spacing, info.column_spacing, info.slice_spacing);
  for (const SliceInfo& slice : info.slices) std::printf("uid %s\n", slice.sop_instance_uid.c_str());
  for (const auto& [file, why] : ct->skipped) std::printf("skipped %s: %s\n", file.c_str(), why.c_str());
  return 0;
}

int lungs(const std::string& dir, const std::string& rtstruct, const std::string& out) {
  auto ct = read_ct_series(dir);
  if (!ct) return fail(ct.status());
  auto set = read_rtstruct(rtstruct);
  if (!set) return fail(set.status());
  auto names = find_lung_rois(set->names());
  if (!names) return fail(names.status());
  const Rasterized left = rasterize_contours(set->find(names->first)->contours, ct->info);
  const Rasterized right = rasterize_contours(set->find(names->second)->contours, ct->info);
  std::vector<uint8_t> labels(left.mask.size());
  for (size_t i = 0; i < labels.size(); ++i) labels[i] = right.mask[i] ? 1 : left.mask[i] ? 2 : 0;
  if (auto s = cairn::npy::write_uint8(out, volume_shape(ct->info), labels); !s) return fail(s);
  std::printf("left '%s' unmatched %d duplicates %d\nright '%s' unmatched %d duplicates %d\n", names->first.c_str(),
              left.unmatched, left.duplicates, names->second.c_str(), right.unmatched, right.duplicates);
  return 0;
}

int seg(const std::string& dir, const std::string& labels_path, const std::string& out) {
  auto ct = read_ct_series(dir);
  if (!ct) return fail(ct.status());
  auto array = cairn::npy::read_file(labels_path, int64_t{1} << 31);
  if (!array) return fail(array.status());
  std::vector<uint8_t> labels(array->data.begin(), array->data.end());
  std::vector<SegSegment> segments = {
      {1, "Right lung", {"3341006", "SCT", "Right lung"}, {"91723000", "SCT", "Anatomical Structure"}, {0, 128, 255}},
      {2, "Left lung", {"44029006", "SCT", "Left lung"}, {"91723000", "SCT", "Anatomical Structure"}, {255, 160, 0}},
  };
  SegOptions options;
  options.algorithm_name = "dicom_tool";
  options.algorithm_version = "1";
  options.content_description = "Expert lung contours rasterized by cairn_dicom";
  options.content_creator_name = "Cairn^Test";
  auto file = write_seg(ct->info, labels, segments, options);
  if (!file) return fail(file.status());
  if (auto s = write_file_bytes(out, file->bytes); !s) return fail(s);
  std::printf("wrote %s (%zu bytes, %zu frames)\n", out.c_str(), file->bytes.size(), file->frames);
  for (const std::string& warning : file->warnings) std::printf("warning: %s\n", warning.c_str());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  const std::vector<std::string> a(argv + 1, argv + argc);
  if (a.size() == 3 && a[0] == "series") return series(a[1], a[2]);
  if (a.size() == 4 && a[0] == "lungs") return lungs(a[1], a[2], a[3]);
  if (a.size() == 4 && a[0] == "seg") return seg(a[1], a[2], a[3]);
  std::cerr
      << "usage: cairn_dicom_tool series DIR HU.npy | lungs DIR RTSTRUCT LABELS.npy | seg DIR LABELS.npy OUT.dcm\n";
  return 2;
}
