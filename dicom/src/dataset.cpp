#include "cairn/dicom/dataset.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace cairn::dicom {
namespace {

bool is_padding(char c) { return c == ' ' || c == '\0'; }

std::string trim(std::string_view text) {
  size_t begin = 0, end = text.size();
  while (begin < end && is_padding(text[begin])) ++begin;
  while (end > begin && is_padding(text[end - 1])) --end;
  return std::string(text.substr(begin, end - begin));
}

bool is_text_vr(VR vr) {
  switch (vr) {
    case VR::AE:
    case VR::AS:
    case VR::CS:
    case VR::DA:
    case VR::DS:
    case VR::DT:
    case VR::IS:
    case VR::LO:
    case VR::LT:
    case VR::PN:
    case VR::SH:
    case VR::ST:
    case VR::TM:
    case VR::UC:
    case VR::UI:
    case VR::UR:
    case VR::UT:
      return true;
    default:
      return false;
  }
}

template <typename T>
void append_binary(const std::vector<uint8_t>& bytes, std::vector<double>& out) {
  for (size_t i = 0; i + sizeof(T) <= bytes.size(); i += sizeof(T)) {
    T v;
    std::memcpy(&v, bytes.data() + i, sizeof(T));  // little endian host (x86-64, wasm32)
    out.push_back(double(v));
  }
}

}  // namespace

const Element* DataSet::find(Tag tag) const {
  const auto it =
      std::lower_bound(elements_.begin(), elements_.end(), tag, [](const Element& e, Tag t) { return e.tag < t; });
  return it != elements_.end() && it->tag == tag ? &*it : nullptr;
}

std::optional<std::string> DataSet::text(Tag tag) const {
  const Element* e = find(tag);
  if (!e || e->vr == VR::SQ) return std::nullopt;
  return trim(std::string_view(reinterpret_cast<const char*>(e->value.data()), e->value.size()));
}

std::string DataSet::text_or(Tag tag, const std::string& fallback) const {
  auto value = text(tag);
  return value ? *value : fallback;
}

std::vector<std::string> DataSet::strings(Tag tag) const {
  std::vector<std::string> out;
  const auto whole = text(tag);
  if (!whole || whole->empty()) return out;
  size_t start = 0;
  while (true) {
    const size_t end = whole->find('\\', start);
    out.push_back(
        trim(std::string_view(*whole).substr(start, end == std::string::npos ? std::string::npos : end - start)));
    if (end == std::string::npos) break;
    start = end + 1;
  }
  return out;
}

std::optional<std::vector<double>> DataSet::numbers(Tag tag) const {
  const Element* e = find(tag);
  if (!e || e->vr == VR::SQ) return std::nullopt;
  VR vr = e->vr;
  if (vr == VR::kNone || vr == VR::UN) vr = dictionary_vr(tag);
  std::vector<double> out;
  switch (vr) {
    case VR::US:
      append_binary<uint16_t>(e->value, out);
      break;
    case VR::SS:
      append_binary<int16_t>(e->value, out);
      break;
    case VR::UL:
      append_binary<uint32_t>(e->value, out);
      break;
    case VR::SL:
      append_binary<int32_t>(e->value, out);
      break;
    case VR::FL:
      append_binary<float>(e->value, out);
      break;
    case VR::FD:
      append_binary<double>(e->value, out);
      break;
    default: {
      if (!is_text_vr(vr) && vr != VR::kNone && vr != VR::UN) return std::nullopt;
      for (const std::string& s : strings(tag)) {
        const auto v = parse_decimal(s);
        if (!v) return std::nullopt;
        out.push_back(*v);
      }
    }
  }
  if (out.empty()) return std::nullopt;
  return out;
}

std::optional<double> DataSet::number(Tag tag, size_t index) const {
  const auto values = numbers(tag);
  if (!values || index >= values->size()) return std::nullopt;
  return (*values)[index];
}

std::optional<int64_t> DataSet::integer(Tag tag, int64_t low, int64_t high, size_t index) const {
  const auto value = number(tag, index);
  // The comparisons are false for NaN; callers keep [low, high] within +-2^53 (exact in a double), so the cast is
  // defined.
  if (!value || !(*value >= double(low) && *value <= double(high)) || *value != std::floor(*value)) return std::nullopt;
  return int64_t(*value);
}

const std::vector<DataSet>* DataSet::sequence(Tag tag) const {
  const Element* e = find(tag);
  return e && e->vr == VR::SQ ? &e->items : nullptr;
}

Element& DataSet::slot(Tag tag) {
  auto it =
      std::lower_bound(elements_.begin(), elements_.end(), tag, [](const Element& e, Tag t) { return e.tag < t; });
  if (it == elements_.end() || it->tag != tag) {
    it = elements_.insert(it, Element{});
    it->tag = tag;
  }
  it->vr = dictionary_vr(tag);
  it->value.clear();
  it->items.clear();
  it->encapsulated = false;
  it->value_skipped = false;
  return *it;
}

void DataSet::set_text(Tag tag, const std::string& value) { slot(tag).value.assign(value.begin(), value.end()); }

void DataSet::set_strings(Tag tag, const std::vector<std::string>& values) {
  std::string joined;
  for (size_t i = 0; i < values.size(); ++i) joined += (i ? "\\" : "") + values[i];
  set_text(tag, joined);
}

void DataSet::set_uint16(Tag tag, std::vector<uint16_t> values) {
  Element& e = slot(tag);
  e.value.resize(values.size() * 2);
  for (size_t i = 0; i < values.size(); ++i) {
    e.value[2 * i] = uint8_t(values[i]);
    e.value[2 * i + 1] = uint8_t(values[i] >> 8);
  }
}

void DataSet::set_uint32(Tag tag, std::vector<uint32_t> values) {
  Element& e = slot(tag);
  e.value.resize(values.size() * 4);
  for (size_t i = 0; i < values.size(); ++i) {
    for (int b = 0; b < 4; ++b) e.value[4 * i + b] = uint8_t(values[i] >> (8 * b));
  }
}

void DataSet::set_tags(Tag tag, const std::vector<Tag>& values) {
  Element& e = slot(tag);
  for (Tag t : values) {
    e.value.insert(e.value.end(),
                   {uint8_t(t.group), uint8_t(t.group >> 8), uint8_t(t.element), uint8_t(t.element >> 8)});
  }
}

void DataSet::set_bytes(Tag tag, VR vr, std::vector<uint8_t> bytes) {
  Element& e = slot(tag);
  e.vr = vr;
  e.value = std::move(bytes);
}

void DataSet::set_sequence(Tag tag, std::vector<DataSet> items) {
  Element& e = slot(tag);
  e.vr = VR::SQ;
  e.items = std::move(items);
}

DataSet& DataSet::add_item(Tag sequence_tag) {
  auto it = std::lower_bound(elements_.begin(), elements_.end(), sequence_tag,
                             [](const Element& e, Tag t) { return e.tag < t; });
  if (it == elements_.end() || it->tag != sequence_tag || it->vr != VR::SQ) {
    Element& e = slot(sequence_tag);
    e.vr = VR::SQ;
    return e.items.emplace_back();
  }
  return it->items.emplace_back();
}

void DataSet::insert(Element element) {
  auto it = std::lower_bound(elements_.begin(), elements_.end(), element.tag,
                             [](const Element& e, Tag t) { return e.tag < t; });
  if (it != elements_.end() && it->tag == element.tag) {
    *it = std::move(element);
  } else {
    elements_.insert(it, std::move(element));
  }
}

void DataSet::erase(Tag tag) {
  std::erase_if(elements_, [tag](const Element& e) { return e.tag == tag; });
}

std::optional<double> parse_decimal(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\0')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\0')) text.remove_suffix(1);
  // The grammar of DS and IS: [+-] digits [. digits] [(e|E) [+-] digits], a digit in the mantissa. Checked here
  // because strtod also takes hexadecimal, "inf" and "nan" (and libc++ 19, of the WebAssembly build, has no
  // floating-point std::from_chars).
  size_t i = 0, mantissa_digits = 0;
  if (i < text.size() && (text[i] == '+' || text[i] == '-')) ++i;
  for (; i < text.size() && text[i] >= '0' && text[i] <= '9'; ++i) ++mantissa_digits;
  if (i < text.size() && text[i] == '.') {
    for (++i; i < text.size() && text[i] >= '0' && text[i] <= '9'; ++i) ++mantissa_digits;
  }
  if (mantissa_digits == 0) return std::nullopt;
  if (i < text.size() && (text[i] == 'e' || text[i] == 'E')) {
    ++i;
    if (i < text.size() && (text[i] == '+' || text[i] == '-')) ++i;
    size_t exponent_digits = 0;
    for (; i < text.size() && text[i] >= '0' && text[i] <= '9'; ++i) ++exponent_digits;
    if (exponent_digits == 0) return std::nullopt;
  }
  if (i != text.size()) return std::nullopt;
  const std::string copy(text);
  const double value = std::strtod(copy.c_str(), nullptr);  // the "C" locale: Cairn never sets another
  if (!std::isfinite(value)) return std::nullopt;
  return value;
}

std::string format_decimal_string(double value) {
  if (value == 0) return "0";
  // The most significant digits that fit 16 characters, in fixed or exponent form, whichever is shorter.
  for (int digits = 16; digits > 0; --digits) {
    char text[40];
    std::snprintf(text, sizeof text, "%.*g", digits, value);
    if (std::strlen(text) <= 16) return text;
  }
  return "0";
}

}  // namespace cairn::dicom
