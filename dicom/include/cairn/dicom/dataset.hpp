// A DICOM data set in memory: elements in ascending tag order, each with its VR, its value bytes (little endian, as
// in the file, padding included) and, for sequences, its items. Readers get typed views of values whatever the VR
// the file used; writers set values with the dictionary's VR (tags.hpp).
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "cairn/dicom/tags.hpp"

namespace cairn::dicom {

class DataSet;

struct Element {
  Tag tag;
  VR vr = VR::kNone;
  std::vector<uint8_t> value;  // empty for sequences
  std::vector<DataSet> items;  // SQ only
  bool encapsulated = false;   // compressed pixel data (fragments are skipped, not kept)
  bool value_skipped = false;  // pixel data left out on request (ReadOptions::skip_pixel_data)
};

class DataSet {
 public:
  const std::vector<Element>& elements() const { return elements_; }
  const Element* find(Tag tag) const;
  bool has(Tag tag) const { return find(tag) != nullptr; }

  // Text values: the whole value without trailing padding (spaces, NULs) and leading spaces; std::nullopt when the
  // element is absent. strings() splits a multi-valued text at '\'.
  std::optional<std::string> text(Tag tag) const;
  std::string text_or(Tag tag, const std::string& fallback) const;
  std::vector<std::string> strings(Tag tag) const;
  // Numbers from decimal/integer strings (DS, IS) or binary values (US, SS, UL, SL, FL, FD; an implicit VR element
  // of an unknown tag is read by the dictionary's VR). std::nullopt when absent, empty, or not a number.
  std::optional<std::vector<double>> numbers(Tag tag) const;
  std::optional<double> number(Tag tag, size_t index = 0) const;
  // An integer value within [low, high] (Rows, NumberOfFrames, ROINumber...): std::nullopt when absent, not a number,
  // not a whole number, or outside the range, so that callers never cast a hostile value (NaN, 1e300) to an integer.
  std::optional<int64_t> integer(Tag tag, int64_t low, int64_t high, size_t index = 0) const;
  // The items of a sequence; nullptr when absent or not a sequence.
  const std::vector<DataSet>* sequence(Tag tag) const;

  // Writing: each setter replaces an element of the same tag, keeping tag order. The VR is the dictionary's.
  void set_text(Tag tag, const std::string& value);                   // padded when written
  void set_strings(Tag tag, const std::vector<std::string>& values);  // joined with '\'
  void set_uint16(Tag tag, std::vector<uint16_t> values);             // US
  void set_uint32(Tag tag, std::vector<uint32_t> values);             // UL
  void set_tags(Tag tag, const std::vector<Tag>& values);             // AT
  void set_bytes(Tag tag, VR vr, std::vector<uint8_t> bytes);         // OB, OW, or a value already encoded
  void set_sequence(Tag tag, std::vector<DataSet> items);
  DataSet& add_item(Tag sequence_tag);  // appends an empty item to a sequence (created when absent)
  void insert(Element element);         // as parsed (any VR); replaces a same-tag element
  void erase(Tag tag);

 private:
  Element& slot(Tag tag);
  std::vector<Element> elements_;
};

// Parses a decimal string (DS, IS) as the standard writes it: optional sign, digits, '.', exponent; leading and
// trailing spaces allowed. std::nullopt for anything else.
std::optional<double> parse_decimal(std::string_view text);
// A DS value of at most 16 characters that reads back as close to `value` as 16 characters allow.
std::string format_decimal_string(double value);

}  // namespace cairn::dicom
