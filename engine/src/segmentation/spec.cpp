// cairn.* metadata_props <-> SegmentationSpec (docs/model-metadata.md, schema 1).
#include <cmath>
#include <cstdlib>
#include <map>
#include <set>

#include "cairn/segmentation.hpp"
#include "util/json.hpp"

namespace cairn {

const SegmentationLabel* SegmentationSpec::label(int value) const {
  for (const SegmentationLabel& l : labels) {
    if (l.value == value) return &l;
  }
  return nullptr;
}

const SegmentationLabel* SegmentationSpec::union_label() const {
  return label(split_left_right ? kMaskUnion : 1);
}

namespace {

constexpr const char* kPrefix = "cairn.";
constexpr const char* kDocument = " (docs/model-metadata.md)";

// Every key of schema 1; a cairn.* key outside this list is an error (a typo must not be silently ignored).
const std::set<std::string>& known_keys() {
  static const std::set<std::string> keys = {
      "cairn.schema",         "cairn.task",
      "cairn.name",           "cairn.version",
      "cairn.description",    "cairn.input.modality",
      "cairn.input.hu_clip",  "cairn.input.center",
      "cairn.input.scale",    "cairn.input.size",
      "cairn.input.resample", "cairn.output.activation",
      "cairn.output.threshold", "cairn.output.resample",
      "cairn.postprocess.components", "cairn.postprocess.fill_holes",
      "cairn.postprocess.split", "cairn.labels",
  };
  return keys;
}

Status bad(const std::string& key, const std::string& value, const std::string& expected) {
  return invalid_model("metadata " + key + " is \"" + value + "\": expected " + expected + kDocument);
}

// A decimal number in JSON syntax (strtod alone would take "inf", "0x10" and leading spaces).
bool parse_number(const std::string& text, double& out) {
  auto parsed = json::parse(text, {256, 1});
  if (!parsed.is_ok() || !parsed->is(json::Value::Kind::kNumber)) return false;
  out = parsed->number;
  return true;
}

bool parse_float(const std::string& text, float& out) {
  double d = 0;
  if (!parse_number(text, d) || std::fabs(d) > 3.0e38) return false;
  out = float(d);
  return true;
}

bool parse_int(const std::string& text, int lo, int hi, int& out) {
  if (text.empty() || text.size() > 9) return false;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] < '0' || text[i] > '9' || (i == 0 && text[i] == '0' && text.size() > 1)) return false;
  }
  const long value = std::strtol(text.c_str(), nullptr, 10);
  if (value < lo || value > hi) return false;
  out = int(value);
  return true;
}

class MetadataReader {
 public:
  explicit MetadataReader(const std::vector<std::pair<std::string, std::string>>& metadata) : metadata_(metadata) {}

  Status check_keys() {
    for (const auto& [key, value] : metadata_) {
      if (key.rfind(kPrefix, 0) != 0) continue;
      if (!known_keys().count(key)) {
        return invalid_model("metadata " + key + " is not a key of cairn.schema 1" + std::string(kDocument));
      }
      if (!values_.emplace(key, value).second) return invalid_model("metadata " + key + " appears twice");
    }
    return Status::ok();
  }

  // The value of a key that must be present.
  Status get(const std::string& key, std::string& out) const {
    auto it = values_.find(key);
    if (it == values_.end()) return invalid_model("metadata " + key + " is missing" + std::string(kDocument));
    out = it->second;
    return Status::ok();
  }
  bool has(const std::string& key) const { return values_.count(key) != 0; }

  Status get_choice(const std::string& key, const std::vector<std::string>& choices, std::string& out) const {
    CAIRN_RETURN_IF_ERROR(get(key, out));
    for (const std::string& c : choices) {
      if (out == c) return Status::ok();
    }
    std::string list;
    for (const std::string& c : choices) list += (list.empty() ? "" : " or ") + ("\"" + c + "\"");
    return unsupported("metadata " + key + " is \"" + out + "\": this engine knows " + list + kDocument);
  }

  Status get_float(const std::string& key, float& out) const {
    std::string text;
    CAIRN_RETURN_IF_ERROR(get(key, text));
    if (!parse_float(text, out)) return bad(key, text, "a finite decimal number");
    return Status::ok();
  }

 private:
  const std::vector<std::pair<std::string, std::string>>& metadata_;
  std::map<std::string, std::string> values_;
};

Status parse_hu_clip(const std::string& text, float& lo, float& hi) {
  const size_t comma = text.find(',');
  if (comma == std::string::npos || !parse_float(text.substr(0, comma), lo) ||
      !parse_float(text.substr(comma + 1), hi) || !(lo < hi)) {
    return bad("cairn.input.hu_clip", text, "\"LOW,HIGH\" with LOW < HIGH, e.g. \"-1024,600\"");
  }
  return Status::ok();
}

Status parse_size(const std::string& text, int& height, int& width) {
  const size_t x = text.find('x');
  if (x == std::string::npos || !parse_int(text.substr(0, x), 1, 1 << 30, height) ||
      !parse_int(text.substr(x + 1), 1, 1 << 30, width)) {
    return bad("cairn.input.size", text, "\"HEIGHTxWIDTH\", e.g. \"256x256\"");
  }
  if (height > kMaxSegmentationSide || width > kMaxSegmentationSide) {
    return resource_limit("metadata cairn.input.size is \"" + text + "\": sides above " +
                          std::to_string(kMaxSegmentationSide) + " are refused");
  }
  return Status::ok();
}

Status label_error(size_t index, const std::string& what) {
  return invalid_model("metadata cairn.labels[" + std::to_string(index) + "]: " + what + kDocument);
}

Status parse_label(const json::Value& item, size_t index, SegmentationLabel& label) {
  using Kind = json::Value::Kind;
  if (!item.is(Kind::kObject)) return label_error(index, "expected an object");
  for (const auto& [key, value] : item.members) {
    if (key != "value" && key != "name" && key != "snomed" && key != "meaning" && key != "color") {
      return label_error(index, "unknown field \"" + key + "\" (fields: value, name, snomed, meaning, color)");
    }
  }
  const json::Value* value = item.find("value");
  if (value == nullptr || !value->is(Kind::kNumber) || value->number != std::floor(value->number) ||
      value->number < 1 || value->number > 255) {
    return label_error(index, "\"value\" must be an integer from 1 to 255");
  }
  label.value = int(value->number);
  const json::Value* name = item.find("name");
  if (name == nullptr || !name->is(Kind::kString) || name->string.empty() || name->string.size() > 64) {
    return label_error(index, "\"name\" must be a string of 1 to 64 bytes");
  }
  label.name = name->string;
  const json::Value* snomed = item.find("snomed");
  const json::Value* meaning = item.find("meaning");
  if ((snomed == nullptr) != (meaning == nullptr)) {
    return label_error(index, "\"snomed\" and \"meaning\" go together");
  }
  if (snomed != nullptr) {
    const std::string& code = snomed->is(Kind::kString) ? snomed->string : std::string();
    bool digits = !code.empty() && code.size() <= 18 && code[0] != '0';
    for (const char c : code) digits = digits && c >= '0' && c <= '9';
    if (!digits) return label_error(index, "\"snomed\" must be a SNOMED CT concept id (a string of digits)");
    if (!meaning->is(Kind::kString) || meaning->string.empty() || meaning->string.size() > 64) {
      return label_error(index, "\"meaning\" must be a string of 1 to 64 bytes");
    }
    label.snomed_code = code;
    label.snomed_meaning = meaning->string;
  }
  const json::Value* color = item.find("color");
  bool color_ok = color != nullptr && color->is(Kind::kArray) && color->items.size() == 3;
  for (size_t c = 0; color_ok && c < 3; ++c) {
    const json::Value& v = color->items[c];
    color_ok = v.is(Kind::kNumber) && v.number == std::floor(v.number) && v.number >= 0 && v.number <= 255;
    if (color_ok) label.color[c] = uint8_t(v.number);
  }
  if (!color_ok) return label_error(index, "\"color\" must be [red, green, blue], integers from 0 to 255");
  return Status::ok();
}

Status parse_labels(const std::string& text, bool split, std::vector<SegmentationLabel>& labels) {
  auto parsed = json::parse(text, {16 * 1024, 4});
  if (!parsed.is_ok()) return invalid_model("metadata cairn.labels: " + parsed.status().message());
  if (!parsed->is(json::Value::Kind::kArray) || parsed->items.empty()) {
    return invalid_model("metadata cairn.labels must be a non-empty JSON array of label objects" +
                         std::string(kDocument));
  }
  std::set<int> values;
  for (size_t i = 0; i < parsed->items.size(); ++i) {
    SegmentationLabel label;
    CAIRN_RETURN_IF_ERROR(parse_label(parsed->items[i], i, label));
    if (!values.insert(label.value).second) {
      return label_error(i, "value " + std::to_string(label.value) + " is used twice");
    }
    labels.push_back(std::move(label));
  }
  const std::set<int> expected = split ? std::set<int>{kMaskRight, kMaskLeft, kMaskUnion} : std::set<int>{1};
  if (values != expected) {
    return invalid_model(std::string("metadata cairn.labels must have exactly the values ") +
                         (split ? "1 (right), 2 (left) and 255 (both, unsplit) since cairn.postprocess.split is "
                                  "left_right"
                                : "1 since cairn.postprocess.split is none") +
                         kDocument);
  }
  return Status::ok();
}

std::string labels_json(const std::vector<SegmentationLabel>& labels) {
  std::string out = "[";
  for (const SegmentationLabel& l : labels) {
    if (out.size() > 1) out += ",";
    out += "{\"value\":" + std::to_string(l.value) + ",\"name\":" + json::quote(l.name);
    if (!l.snomed_code.empty()) {
      out += ",\"snomed\":" + json::quote(l.snomed_code) + ",\"meaning\":" + json::quote(l.snomed_meaning);
    }
    out += ",\"color\":[" + std::to_string(l.color[0]) + "," + std::to_string(l.color[1]) + "," +
           std::to_string(l.color[2]) + "]}";
  }
  return out + "]";
}

}  // namespace

Result<SegmentationSpec> read_segmentation_spec(const std::vector<std::pair<std::string, std::string>>& metadata) {
  MetadataReader reader(metadata);
  CAIRN_RETURN_IF_ERROR(reader.check_keys());
  if (!reader.has("cairn.schema")) {
    return invalid_model("the model does not describe its pre- and post-processing: metadata cairn.schema is missing" +
                         std::string(kDocument));
  }
  std::string text;
  CAIRN_RETURN_IF_ERROR(reader.get_choice("cairn.schema", {"1"}, text));
  CAIRN_RETURN_IF_ERROR(reader.get_choice("cairn.task", {"segmentation"}, text));

  SegmentationSpec spec;
  CAIRN_RETURN_IF_ERROR(reader.get("cairn.name", spec.name));
  if (spec.name.empty()) return bad("cairn.name", spec.name, "a non-empty name");
  CAIRN_RETURN_IF_ERROR(reader.get("cairn.version", spec.version));
  if (spec.version.empty()) return bad("cairn.version", spec.version, "a non-empty version");
  if (reader.has("cairn.description")) CAIRN_RETURN_IF_ERROR(reader.get("cairn.description", spec.description));

  CAIRN_RETURN_IF_ERROR(reader.get_choice("cairn.input.modality", {"CT"}, spec.modality));
  CAIRN_RETURN_IF_ERROR(reader.get("cairn.input.hu_clip", text));
  CAIRN_RETURN_IF_ERROR(parse_hu_clip(text, spec.hu_min, spec.hu_max));
  CAIRN_RETURN_IF_ERROR(reader.get_float("cairn.input.center", spec.center));
  CAIRN_RETURN_IF_ERROR(reader.get_float("cairn.input.scale", spec.scale));
  if (!(spec.scale > 0)) return bad("cairn.input.scale", json::format_float(spec.scale), "a positive number");
  CAIRN_RETURN_IF_ERROR(reader.get("cairn.input.size", text));
  CAIRN_RETURN_IF_ERROR(parse_size(text, spec.input_height, spec.input_width));
  CAIRN_RETURN_IF_ERROR(reader.get_choice("cairn.input.resample", {"area"}, spec.resample));

  CAIRN_RETURN_IF_ERROR(reader.get_choice("cairn.output.activation", {"sigmoid", "none"}, spec.activation));
  CAIRN_RETURN_IF_ERROR(reader.get_float("cairn.output.threshold", spec.threshold));
  if (!(spec.threshold > 0 && spec.threshold < 1)) {
    return bad("cairn.output.threshold", json::format_float(spec.threshold), "a probability between 0 and 1");
  }
  CAIRN_RETURN_IF_ERROR(reader.get_choice("cairn.output.resample", {"bilinear"}, spec.output_resample));

  CAIRN_RETURN_IF_ERROR(reader.get("cairn.postprocess.components", text));
  if (!parse_int(text, 0, 255, spec.keep_components)) {
    return bad("cairn.postprocess.components", text, "an integer from 0 (keep all) to 255");
  }
  CAIRN_RETURN_IF_ERROR(reader.get_choice("cairn.postprocess.fill_holes", {"slice", "none"}, text));
  spec.fill_holes = text == "slice";
  CAIRN_RETURN_IF_ERROR(reader.get_choice("cairn.postprocess.split", {"left_right", "none"}, text));
  spec.split_left_right = text == "left_right";

  CAIRN_RETURN_IF_ERROR(reader.get("cairn.labels", text));
  CAIRN_RETURN_IF_ERROR(parse_labels(text, spec.split_left_right, spec.labels));
  return spec;
}

Result<SegmentationSpec> read_segmentation_spec(const Model& model) { return read_segmentation_spec(model.metadata()); }

std::vector<std::pair<std::string, std::string>> segmentation_metadata(const SegmentationSpec& spec) {
  std::vector<std::pair<std::string, std::string>> out = {
      {"cairn.schema", "1"},
      {"cairn.task", "segmentation"},
      {"cairn.name", spec.name},
      {"cairn.version", spec.version},
      {"cairn.description", spec.description},
      {"cairn.input.modality", spec.modality},
      {"cairn.input.hu_clip", json::format_float(spec.hu_min) + "," + json::format_float(spec.hu_max)},
      {"cairn.input.center", json::format_float(spec.center)},
      {"cairn.input.scale", json::format_float(spec.scale)},
      {"cairn.input.size", std::to_string(spec.input_height) + "x" + std::to_string(spec.input_width)},
      {"cairn.input.resample", spec.resample},
      {"cairn.output.activation", spec.activation},
      {"cairn.output.threshold", json::format_float(spec.threshold)},
      {"cairn.output.resample", spec.output_resample},
      {"cairn.postprocess.components", std::to_string(spec.keep_components)},
      {"cairn.postprocess.fill_holes", spec.fill_holes ? "slice" : "none"},
      {"cairn.postprocess.split", spec.split_left_right ? "left_right" : "none"},
      {"cairn.labels", labels_json(spec.labels)},
  };
  return out;
}

ColumnDirection column_direction_from_orientation(const double row_cosines[3]) {
  return row_cosines[0] < 0 ? ColumnDirection::kMirrored : ColumnDirection::kStandard;
}

}  // namespace cairn
