// The dictionary built from CAIRN_DICOM_TAGS: a table sorted by tag, searched by bisection.
#include <algorithm>
#include <array>
#include <cstdio>

#include "cairn/dicom/tags.hpp"

namespace cairn::dicom {
namespace {

struct Entry {
  uint32_t key;
  VR vr;
  const char* keyword;
};

constexpr auto make_table() {
  std::array table = {
#define CAIRN_DICOM_TAG_ENTRY(keyword, group, element, vr) Entry{uint32_t(group) << 16 | (element), VR::vr, #keyword},
      CAIRN_DICOM_TAGS(CAIRN_DICOM_TAG_ENTRY)
#undef CAIRN_DICOM_TAG_ENTRY
  };
  std::sort(table.begin(), table.end(), [](const Entry& a, const Entry& b) { return a.key < b.key; });
  return table;
}

constexpr auto kTable = make_table();

const Entry* lookup(Tag tag) {
  const auto it = std::lower_bound(kTable.begin(), kTable.end(), tag.key(),
                                   [](const Entry& e, uint32_t key) { return e.key < key; });
  return it != kTable.end() && it->key == tag.key() ? &*it : nullptr;
}

constexpr std::array kKnownVrs = {VR::AE, VR::AS, VR::AT, VR::CS, VR::DA, VR::DS, VR::DT, VR::FD, VR::FL,
                                  VR::IS, VR::LO, VR::LT, VR::OB, VR::OD, VR::OF, VR::OL, VR::OV, VR::OW,
                                  VR::PN, VR::SH, VR::SL, VR::SQ, VR::SS, VR::ST, VR::SV, VR::TM, VR::UC,
                                  VR::UI, VR::UL, VR::UN, VR::UR, VR::US, VR::UT, VR::UV};

}  // namespace

bool is_known_vr(uint16_t code) { return std::find(kKnownVrs.begin(), kKnownVrs.end(), VR(code)) != kKnownVrs.end(); }

bool has_long_length(VR vr) {
  switch (vr) {
    case VR::OB:
    case VR::OD:
    case VR::OF:
    case VR::OL:
    case VR::OV:
    case VR::OW:
    case VR::SQ:
    case VR::SV:
    case VR::UC:
    case VR::UN:
    case VR::UR:
    case VR::UT:
    case VR::UV:
      return true;
    default:
      return false;
  }
}

std::string vr_name(VR vr) {
  if (vr == VR::kNone) return "??";
  const auto code = uint16_t(vr);
  return std::string{char(code >> 8), char(code & 0xFF)};
}

VR dictionary_vr(Tag tag) {
  if (tag.element == 0 && tag.group != 0xFFFE) return VR::UL;  // group length
  const Entry* entry = lookup(tag);
  return entry ? entry->vr : VR::kNone;
}

std::string describe_tag(Tag tag) {
  char text[16];
  std::snprintf(text, sizeof text, "(%04X,%04X)", tag.group, tag.element);
  const Entry* entry = lookup(tag);
  return entry ? std::string(text) + " " + entry->keyword : std::string(text);
}

}  // namespace cairn::dicom
