// The "Cairn" section of Orthanc's configuration, read once when the plugin starts:
//   "Cairn": { "Enabled": true, "ViewerRoot": "...", "ModelsRoot": "...", "ConnectSrc": ["https://pacs.example"] }
// Relative roots are taken from the folder of the configuration file, as Orthanc does for its own paths.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace cairn::plugin {

struct Settings {
  bool enabled = true;
  std::filesystem::path viewer_root;     // the built viewer: index.html, hashed assets, engine .wasm
  std::filesystem::path models_root;     // catalog.json and one folder per model
  std::vector<std::string> connect_src;  // origins added to the CSP's connect-src (other DICOMweb servers)
};

struct SettingsResult {
  std::optional<Settings> settings;   // empty when the section is wrong
  std::string error;                  // what is wrong, for the log
  std::vector<std::string> warnings;  // unknown options (likely typos), missing roots
};

// `orthanc_config` is OrthancPluginGetConfiguration()'s JSON; `config_dir` the folder relative roots start from.
SettingsResult read_settings(std::string_view orthanc_config, const std::filesystem::path& config_dir,
                             const Settings& defaults);

// A CSP source expression we accept in ConnectSrc: scheme://host[:port] or a bare host, with no quote, space,
// comma or semicolon that could smuggle in another directive or keyword.
bool is_valid_connect_source(std::string_view source);

// One line per option, for the log at start.
std::string describe(const Settings& settings);

}  // namespace cairn::plugin
