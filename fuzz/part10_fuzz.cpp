// Fuzz target: DICOM Part-10 files, as a PACS or a folder gives them, through every reader that takes one:
//  - parse_part10 (with and without the pixel data), then every typed view of every element at any depth
//    (text, strings, numbers, sequences) and native_pixel_data;
//  - write_part10 of what was read: Cairn must be able to read back what it writes;
//  - the SEG reader of the C ABI (cairn_seg_info, and cairn_seg_read onto a small fixed series) and the RT Structure
//    Set reader and rasterizer (cairn_rtstruct_read onto the same series), which the viewer calls on stored objects.
// Invariant: a value or a Status; no crash, out-of-bounds read, undefined behaviour or unbounded allocation.
#include <cstdint>
#include <cstdlib>
#include <span>
#include <string>
#include <vector>

#include "cairn/dicom/dataset.hpp"
#include "cairn/dicom/part10.hpp"
#include "cairn/dicom/seg_c_api.h"

namespace {

using cairn::dicom::DataSet;
using cairn::dicom::Element;

// The series that the SEG and RTSTRUCT seeds (fuzz/corpus/part10/) were made for: two 16x16 slices, 1 mm apart.
constexpr char kSeries[] =
    R"({"rows":16,"columns":16,"pixel_spacing":[1,1],"orientation":[1,0,0,0,1,0],)"
    R"("slices":[{"sop_instance_uid":"1.2.826.0.1.3680043.10.1.1","position":[-8,-8,0]},)"
    R"({"sop_instance_uid":"1.2.826.0.1.3680043.10.1.2","position":[-8,-8,1]}]})";
constexpr size_t kSeriesVoxels = 2 * 16 * 16;

size_t visit(const DataSet& dataset) {
  size_t sum = 0;
  for (const Element& e : dataset.elements()) {
    sum += dataset.text_or(e.tag, "").size() + dataset.strings(e.tag).size();
    if (auto numbers = dataset.numbers(e.tag)) sum += numbers->size();
    if (const auto* items = dataset.sequence(e.tag)) {
      for (const DataSet& item : *items) sum += visit(item);
    }
  }
  return sum;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::span<const uint8_t> bytes(data, size);
  cairn::dicom::ReadOptions headers_only;
  headers_only.skip_pixel_data = true;
  if (auto header = cairn::dicom::parse_part10(bytes, "fuzz", headers_only); header.is_ok()) visit(header->dataset);

  if (auto file = cairn::dicom::parse_part10(bytes, "fuzz"); file.is_ok()) {
    visit(file->dataset);
    (void)cairn::dicom::native_pixel_data(*file);
    if (auto written = cairn::dicom::write_part10(file->dataset); written.is_ok()) {
      if (!cairn::dicom::parse_part10(*written, "rewritten").is_ok()) std::abort();
    }
  }

  char* info = nullptr;
  if (cairn_seg_info(data, size, &info) == 0) cairn_seg_free(info);
  std::vector<uint8_t> labels(kSeriesVoxels);
  int32_t placed = 0;
  (void)cairn_seg_read(data, size, kSeries, sizeof kSeries - 1, labels.data(), labels.size(), &placed);
  info = nullptr;
  if (cairn_rtstruct_read(data, size, kSeries, sizeof kSeries - 1, labels.data(), labels.size(), &info) == 0) {
    cairn_seg_free(info);
  }
  return 0;
}
