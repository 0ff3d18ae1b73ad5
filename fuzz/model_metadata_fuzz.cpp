// Fuzz target: what a model file says about its own processing. The bytes are read twice:
//  - as one JSON document, by the strict reader (engine/src/util/json.hpp) that parses cairn.labels, the SEG
//    description and other JSON; any string it reads must come back unchanged through json::quote;
//  - as ONNX metadata_props, one "key=value" pair per line (cairn.* keys, docs/model-metadata.md), by
//    read_segmentation_spec; a spec it accepts must round-trip through segmentation_metadata.
// Invariant: a value or a Status; no crash, no undefined behaviour, no stack exhaustion on deep nesting.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "cairn/segmentation.hpp"
#include "util/json.hpp"

namespace {

void check_strings_round_trip(const cairn::json::Value& value) {
  using Kind = cairn::json::Value::Kind;
  if (value.is(Kind::kString)) {
    auto back = cairn::json::parse(cairn::json::quote(value.string), {1u << 20, 1});
    if (!back.is_ok() || !back->is(Kind::kString) || back->string != value.string) std::abort();
  }
  for (const cairn::json::Value& item : value.items) check_strings_round_trip(item);
  for (const auto& [key, member] : value.members) check_strings_round_trip(member);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  if (auto document = cairn::json::parse(text); document.is_ok()) check_strings_round_trip(*document);

  std::vector<std::pair<std::string, std::string>> metadata;
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    const std::string_view line = text.substr(start, end - start);
    const size_t equals = line.find('=');
    if (equals != std::string_view::npos) metadata.emplace_back(line.substr(0, equals), line.substr(equals + 1));
    start = end + 1;
  }
  auto spec = cairn::read_segmentation_spec(metadata);
  if (!spec.is_ok()) return 0;
  auto again = cairn::read_segmentation_spec(cairn::segmentation_metadata(*spec));
  if (!again.is_ok() || again->labels.size() != spec->labels.size() || again->input_height != spec->input_height ||
      again->input_width != spec->input_width || again->threshold != spec->threshold) {
    std::abort();
  }
  return 0;
}
