// Part-10 writer: explicit VR little endian, sequences and items of defined length.
#include "cairn/dicom/part10.hpp"

namespace cairn::dicom {
namespace {

void put16(std::vector<uint8_t>& out, uint16_t v) { out.insert(out.end(), {uint8_t(v), uint8_t(v >> 8)}); }
void put32(std::vector<uint8_t>& out, uint32_t v) {
  out.insert(out.end(), {uint8_t(v), uint8_t(v >> 8), uint8_t(v >> 16), uint8_t(v >> 24)});
}

uint8_t padding_for(VR vr) {
  switch (vr) {
    case VR::UI:
    case VR::OB:
    case VR::OD:
    case VR::OF:
    case VR::OL:
    case VR::OV:
    case VR::OW:
    case VR::UN:
    case VR::US:
    case VR::SS:
    case VR::UL:
    case VR::SL:
    case VR::FL:
    case VR::FD:
    case VR::AT:
    case VR::SV:
    case VR::UV:
    case VR::kNone:
      return 0;
    default:
      return ' ';
  }
}

void put_header(std::vector<uint8_t>& out, Tag tag, VR vr, uint32_t length) {
  put16(out, tag.group);
  put16(out, tag.element);
  const auto code = uint16_t(vr);
  out.push_back(uint8_t(code >> 8));
  out.push_back(uint8_t(code & 0xFF));
  if (has_long_length(vr)) {
    put16(out, 0);
    put32(out, length);
  } else {
    put16(out, uint16_t(length));
  }
}

Status write_elements(const DataSet& dataset, std::vector<uint8_t>& out, bool skip_meta);

Status write_element(const Element& e, std::vector<uint8_t>& out) {
  if (e.encapsulated || e.value_skipped) {
    return invalid_argument(describe_tag(e.tag) + ": compressed or skipped pixel data cannot be written");
  }
  if (e.vr == VR::SQ) {
    std::vector<uint8_t> body;
    for (const DataSet& item : e.items) {
      std::vector<uint8_t> content;
      CAIRN_RETURN_IF_ERROR(write_elements(item, content, false).with_context(describe_tag(e.tag)));
      if (content.size() >= 0xFFFFFFFFu) return invalid_argument(describe_tag(e.tag) + ": item too long");
      put16(body, 0xFFFE);
      put16(body, 0xE000);
      put32(body, uint32_t(content.size()));
      body.insert(body.end(), content.begin(), content.end());
    }
    if (body.size() >= 0xFFFFFFFFu) return invalid_argument(describe_tag(e.tag) + ": sequence too long");
    put_header(out, e.tag, VR::SQ, uint32_t(body.size()));
    out.insert(out.end(), body.begin(), body.end());
    return Status::ok();
  }
  const VR vr = e.vr == VR::kNone ? VR::UN : e.vr;
  const size_t length = e.value.size() + e.value.size() % 2;
  const size_t limit = has_long_length(vr) ? 0xFFFFFFFEu : 0xFFFFu;
  if (length > limit) {
    return invalid_argument(describe_tag(e.tag) + ": a value of " + std::to_string(length) +
                            " bytes is too long for VR " + vr_name(vr));
  }
  put_header(out, e.tag, vr, uint32_t(length));
  out.insert(out.end(), e.value.begin(), e.value.end());
  if (e.value.size() % 2) out.push_back(padding_for(vr));
  return Status::ok();
}

Status write_elements(const DataSet& dataset, std::vector<uint8_t>& out, bool skip_meta) {
  for (const Element& e : dataset.elements()) {
    if (skip_meta && e.tag.group == 0x0002) continue;
    CAIRN_RETURN_IF_ERROR(write_element(e, out));
  }
  return Status::ok();
}

}  // namespace

Result<std::vector<uint8_t>> write_part10(const DataSet& dataset) {
  const auto sop_class = dataset.text(tags::kSOPClassUID);
  const auto sop_instance = dataset.text(tags::kSOPInstanceUID);
  if (!sop_class || sop_class->empty() || !sop_instance || sop_instance->empty()) {
    return invalid_argument("a Part-10 file needs the data set's SOPClassUID and SOPInstanceUID");
  }
  DataSet meta;
  meta.set_bytes(tags::kFileMetaInformationVersion, VR::OB, {0x00, 0x01});
  meta.set_text(tags::kMediaStorageSOPClassUID, *sop_class);
  meta.set_text(tags::kMediaStorageSOPInstanceUID, *sop_instance);
  meta.set_text(tags::kTransferSyntaxUID, kExplicitVrLittleEndian);
  meta.set_text(tags::kImplementationClassUID, kImplementationClassUid);
  meta.set_text(tags::kImplementationVersionName, kImplementationVersionName);
  std::vector<uint8_t> meta_bytes;
  CAIRN_RETURN_IF_ERROR(write_elements(meta, meta_bytes, false));

  std::vector<uint8_t> out(128, 0);
  out.insert(out.end(), {'D', 'I', 'C', 'M'});
  put_header(out, tags::kFileMetaInformationGroupLength, VR::UL, 4);
  put32(out, uint32_t(meta_bytes.size()));
  out.insert(out.end(), meta_bytes.begin(), meta_bytes.end());
  CAIRN_RETURN_IF_ERROR(write_elements(dataset, out, true));
  return out;
}

}  // namespace cairn::dicom
