// A small JSON reader for Orthanc's configuration (OrthancPluginGetConfiguration hands it over as one JSON
// string, comments already stripped). Reading is all the plugin needs, so there is no writer.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace cairn::plugin {

class JsonValue {
 public:
  enum class Kind { kNull, kBool, kNumber, kString, kArray, kObject };

  Kind kind() const { return kind_; }
  bool is_string() const { return kind_ == Kind::kString; }
  bool is_bool() const { return kind_ == Kind::kBool; }
  bool is_array() const { return kind_ == Kind::kArray; }
  bool is_object() const { return kind_ == Kind::kObject; }

  bool as_bool() const { return bool_; }
  double as_number() const { return number_; }
  const std::string& as_string() const { return string_; }
  const std::vector<JsonValue>& items() const { return items_; }
  const std::map<std::string, JsonValue, std::less<>>& members() const { return members_; }
  // The member named `key` of an object, or nullptr (also when this is not an object).
  const JsonValue* find(std::string_view key) const;

  static JsonValue make_null() { return JsonValue(Kind::kNull); }
  static JsonValue make_bool(bool b);
  static JsonValue make_number(double d);
  static JsonValue make_string(std::string s);
  static JsonValue make_array(std::vector<JsonValue> items);
  static JsonValue make_object(std::map<std::string, JsonValue, std::less<>> members);

 private:
  explicit JsonValue(Kind kind) : kind_(kind) {}
  Kind kind_ = Kind::kNull;
  bool bool_ = false;
  double number_ = 0;
  std::string string_;
  std::vector<JsonValue> items_;
  std::map<std::string, JsonValue, std::less<>> members_;
};

struct JsonParseResult {
  std::optional<JsonValue> value;  // empty on error
  std::string error;               // "line 3, column 7: expected ':'"
};

JsonParseResult parse_json(std::string_view text);

}  // namespace cairn::plugin
