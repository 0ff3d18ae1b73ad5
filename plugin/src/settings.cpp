#include "settings.hpp"

#include <system_error>

#include "json_value.hpp"

namespace cairn::plugin {

bool is_valid_connect_source(std::string_view source) {
  if (source.empty() || source.size() > 256) return false;
  for (char c : source) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '-' ||
              c == ':' || c == '/' || c == '*' || c == '_' || c == '[' || c == ']';
    if (!ok) return false;
  }
  return true;
}

namespace {

bool read_root(const JsonValue& section, std::string_view key, const std::filesystem::path& config_dir,
               std::filesystem::path& root, SettingsResult& result) {
  const JsonValue* v = section.find(key);
  if (v == nullptr) return true;
  if (!v->is_string() || v->as_string().empty()) {
    result.error = "\"Cairn\"." + std::string(key) + " must be a non-empty string (a folder)";
    return false;
  }
  std::filesystem::path p(v->as_string());
  root = p.is_absolute() ? p : config_dir / p;
  return true;
}

}  // namespace

SettingsResult read_settings(std::string_view orthanc_config, const std::filesystem::path& config_dir,
                             const Settings& defaults) {
  SettingsResult result;
  JsonParseResult parsed = parse_json(orthanc_config);
  if (!parsed.value) {
    result.error = "cannot read Orthanc's configuration: " + parsed.error;
    return result;
  }
  Settings settings = defaults;
  const JsonValue* section = parsed.value->find("Cairn");
  if (section != nullptr) {
    if (!section->is_object()) {
      result.error = "\"Cairn\" must be an object";
      return result;
    }
    if (const JsonValue* v = section->find("Enabled")) {
      if (!v->is_bool()) {
        result.error = "\"Cairn\".Enabled must be true or false";
        return result;
      }
      settings.enabled = v->as_bool();
    }
    if (!read_root(*section, "ViewerRoot", config_dir, settings.viewer_root, result)) return result;
    if (!read_root(*section, "ModelsRoot", config_dir, settings.models_root, result)) return result;
    if (const JsonValue* v = section->find("ConnectSrc")) {
      if (!v->is_array()) {
        result.error = "\"Cairn\".ConnectSrc must be a list of origins such as \"https://pacs.example.org\"";
        return result;
      }
      for (const JsonValue& item : v->items()) {
        if (!item.is_string() || !is_valid_connect_source(item.as_string())) {
          result.error = "\"Cairn\".ConnectSrc: each entry must be an origin such as \"https://pacs.example.org\" "
                         "(letters, digits and . - : / * _ only)";
          if (item.is_string()) result.error += "; got \"" + item.as_string() + "\"";
          return result;
        }
        settings.connect_src.push_back(item.as_string());
      }
    }
    for (const auto& [key, value] : section->members()) {
      if (key != "Enabled" && key != "ViewerRoot" && key != "ModelsRoot" && key != "ConnectSrc") {
        result.warnings.push_back("unknown option \"Cairn\"." + key + " ignored (known: Enabled, ViewerRoot, "
                                  "ModelsRoot, ConnectSrc)");
      }
    }
  }
  if (settings.enabled) {
    std::error_code ec;
    if (!std::filesystem::is_directory(settings.viewer_root, ec)) {
      result.warnings.push_back("ViewerRoot " + settings.viewer_root.string() +
                                " is not a folder: /cairn/ will answer 404 until the viewer is built there");
    }
    if (!std::filesystem::is_directory(settings.models_root, ec)) {
      result.warnings.push_back("ModelsRoot " + settings.models_root.string() +
                                " is not a folder: /cairn/models/ will answer 404");
    }
  }
  result.settings = std::move(settings);
  return result;
}

std::string describe(const Settings& settings) {
  std::string s = "Enabled: " + std::string(settings.enabled ? "true" : "false");
  s += "; ViewerRoot: " + settings.viewer_root.string();
  s += "; ModelsRoot: " + settings.models_root.string();
  s += "; ConnectSrc: [";
  for (size_t i = 0; i < settings.connect_src.size(); ++i) s += (i ? ", " : "") + settings.connect_src[i];
  return s + "]";
}

}  // namespace cairn::plugin
