// Fuzz target: the SEG writer's input checks, i.e. the C ABI that the viewer's worker calls with a JSON description
// of the series (DICOMweb metadata as the browser has it) and a label volume. The input is the JSON text, optionally
// followed by a NUL byte and label bytes; when the description names a small volume (rows x columns x slices of at
// most 64 Ki voxels) the label bytes are repeated to fill it exactly, else they are passed as they are.
// The description goes through cairn_seg_write, then (when a SEG was written) back through cairn_seg_info and
// cairn_seg_read, which must give back every voxel's segment; and through cairn_rtstruct_read with a fixed
// RT Structure Set (two lung ROIs), which rasterizes contours with the description's geometry.
// Invariant: a SEG or a Status; what is written reads back to the same labels; no crash or undefined behaviour.
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string_view>
#include <vector>

#include "cairn/dicom/dataset.hpp"
#include "cairn/dicom/part10.hpp"
#include "cairn/dicom/seg_c_api.h"
#include "util/json.hpp"

namespace {

using cairn::dicom::DataSet;
namespace tags = cairn::dicom::tags;

constexpr size_t kMaxVoxels = size_t{1} << 16;

// An RT Structure Set with a right and a left lung, each a square contour on the planes z = 0 and z = 1.
const std::vector<uint8_t>& structure_set() {
  static const std::vector<uint8_t> bytes = [] {
    DataSet d;
    d.set_text(tags::kSOPClassUID, "1.2.840.10008.5.1.4.1.1.481.3");
    d.set_text(tags::kSOPInstanceUID, "1.2.826.0.1.3680043.10.2.1");
    d.set_text(tags::kModality, "RTSTRUCT");
    d.add_item(tags::kReferencedFrameOfReferenceSequence).set_text(tags::kFrameOfReferenceUID, "1.2.826.0.1.3680043.10.3");
    const char* names[] = {"Lung_R", "Lung_L"};
    for (int r = 0; r < 2; ++r) {
      DataSet& roi = d.add_item(tags::kStructureSetROISequence);
      roi.set_text(tags::kROINumber, std::to_string(r + 1));
      roi.set_text(tags::kROIName, names[r]);
      DataSet& roi_contour = d.add_item(tags::kROIContourSequence);
      roi_contour.set_text(tags::kReferencedROINumber, std::to_string(r + 1));
      for (int z = 0; z < 2; ++z) {
        DataSet& contour = roi_contour.add_item(tags::kContourSequence);
        contour.set_text(tags::kContourGeometricType, "CLOSED_PLANAR");
        const double x0 = r == 0 ? -6 : 1, x1 = r == 0 ? -1 : 6;
        std::vector<std::string> points;
        for (double p : {x0, -5.0, double(z), x1, -5.0, double(z), x1, 5.0, double(z), x0, 5.0, double(z)}) {
          points.push_back(std::to_string(p));
        }
        contour.set_strings(tags::kContourData, points);
      }
    }
    auto written = cairn::dicom::write_part10(d);
    if (!written.is_ok()) std::abort();
    return *written;
  }();
  return bytes;
}

// rows x columns x slices when the description names a volume of at most kMaxVoxels, else 0.
size_t described_voxels(std::string_view json) {
  auto d = cairn::json::parse(json, {16u << 20, 8});
  if (!d.is_ok()) return 0;
  const auto* rows = d->find("rows");
  const auto* columns = d->find("columns");
  const auto* slices = d->find("slices");
  using Kind = cairn::json::Value::Kind;
  if (!rows || !columns || !slices || !rows->is(Kind::kNumber) || !columns->is(Kind::kNumber) ||
      !slices->is(Kind::kArray)) {
    return 0;
  }
  const double voxels = rows->number * columns->number * double(slices->items.size());
  return voxels >= 1 && voxels <= double(kMaxVoxels) ? size_t(voxels) : 0;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const char* text = reinterpret_cast<const char*>(data);
  const void* nul = std::memchr(data, 0, size);
  const size_t json_size = nul ? size_t(static_cast<const uint8_t*>(nul) - data) : size;
  const std::string_view json(text, json_size);
  const uint8_t* tail = nul ? data + json_size + 1 : nullptr;
  const size_t tail_size = nul ? size - json_size - 1 : 0;

  std::vector<uint8_t> labels(tail, tail + tail_size);
  if (const size_t voxels = described_voxels(json); voxels != 0) {
    labels.resize(voxels);
    for (size_t i = 0; i < voxels; ++i) labels[i] = tail_size ? tail[i % tail_size] : uint8_t(i % 3);
  }

  uint8_t* seg = nullptr;
  size_t seg_size = 0;
  char* info = nullptr;
  if (cairn_seg_write(json.data(), json.size(), labels.data(), labels.size(), &seg, &seg_size, &info) == 0) {
    cairn_seg_free(info);
    info = nullptr;
    if (cairn_seg_info(seg, seg_size, &info) != 0) std::abort();
    cairn_seg_free(info);
    // Segment numbers are the segments' order in the description: recover each voxel's expected number.
    auto d = cairn::json::parse(json, {16u << 20, 8});
    uint8_t number_of_value[256] = {};
    const auto* segments = d->find("segments");
    for (size_t s = 0; s < segments->items.size(); ++s) {
      number_of_value[size_t(segments->items[s].find("value")->number)] = uint8_t(s + 1);
    }
    std::vector<uint8_t> back(labels.size());
    int32_t placed = 0;
    if (cairn_seg_read(seg, seg_size, json.data(), json.size(), back.data(), back.size(), &placed) != 0) std::abort();
    for (size_t i = 0; i < labels.size(); ++i) {
      if (back[i] != number_of_value[labels[i]]) std::abort();
    }
    cairn_seg_free(seg);
  }

  std::vector<uint8_t> rasterized(labels.size());
  info = nullptr;
  const std::vector<uint8_t>& rtstruct = structure_set();
  if (cairn_rtstruct_read(rtstruct.data(), rtstruct.size(), json.data(), json.size(), rasterized.data(),
                          rasterized.size(), &info) == 0) {
    cairn_seg_free(info);
  }
  return 0;
}
