#include "settings.hpp"

#include <system_error>

#include "util/json.hpp"

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

// Orthanc hands over its whole configuration, written by its own JSON writer: far larger than a model's metadata
// may be, but still bounded, and nested no deeper than a person would write it.
json::Limits configuration_limits() {
  json::Limits limits;
  limits.max_bytes = size_t{16} << 20;
  limits.max_depth = 64;
  return limits;
}

bool read_root(const json::Value& section, std::string_view key, const std::filesystem::path& config_dir,
               std::filesystem::path& root, SettingsResult& result) {
  const json::Value* v = section.find(key);
  if (v == nullptr) return true;
  if (!v->is(json::Value::Kind::kString) || v->string.empty()) {
    result.error = "\"Cairn\"." + std::string(key) + " must be a non-empty string (a folder)";
    return false;
  }
  std::filesystem::path p(v->string);
  root = p.is_absolute() ? p : config_dir / p;
  return true;
}

}  // namespace

SettingsResult read_settings(std::string_view orthanc_config, const std::filesystem::path& config_dir,
                             const Settings& defaults) {
  SettingsResult result;
  Result<json::Value> parsed = json::parse(orthanc_config, configuration_limits());
  if (!parsed.is_ok()) {
    result.error = "cannot read Orthanc's configuration: " + parsed.status().message();
    return result;
  }
  Settings settings = defaults;
  const json::Value* section = parsed->find("Cairn");
  if (section != nullptr) {
    if (!section->is(json::Value::Kind::kObject)) {
      result.error = "\"Cairn\" must be an object";
      return result;
    }
    if (const json::Value* v = section->find("Enabled")) {
      if (!v->is(json::Value::Kind::kBool)) {
        result.error = "\"Cairn\".Enabled must be true or false";
        return result;
      }
      settings.enabled = v->boolean;
    }
    if (!read_root(*section, "ViewerRoot", config_dir, settings.viewer_root, result)) return result;
    if (!read_root(*section, "ModelsRoot", config_dir, settings.models_root, result)) return result;
    if (const json::Value* v = section->find("ConnectSrc")) {
      if (!v->is(json::Value::Kind::kArray)) {
        result.error = "\"Cairn\".ConnectSrc must be a list of origins such as \"https://pacs.example.org\"";
        return result;
      }
      for (const json::Value& item : v->items) {
        const bool is_string = item.is(json::Value::Kind::kString);
        if (!is_string || !is_valid_connect_source(item.string)) {
          result.error = "\"Cairn\".ConnectSrc: each entry must be an origin such as \"https://pacs.example.org\" "
                         "(letters, digits and . - : / * _ only)";
          if (is_string) result.error += "; got \"" + item.string + "\"";
          return result;
        }
        settings.connect_src.push_back(item.string);
      }
    }
    for (const auto& [key, value] : section->members) {
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
