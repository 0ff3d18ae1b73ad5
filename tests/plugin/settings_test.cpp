// The "Cairn" section of Orthanc's configuration.
#include "settings.hpp"

#include <gtest/gtest.h>

namespace cairn::plugin {
namespace {

Settings defaults() {
  Settings s;
  s.viewer_root = "/opt/cairn/viewer";
  s.models_root = "/opt/cairn/models";
  return s;
}

// The JSON grammar itself is tested with the engine's reader (engine/tests/segmentation_test.cpp); these are the
// limits the plugin sets for Orthanc's configuration, which is larger and deeper than a model's metadata.
TEST(Settings, ReadsALargeConfigurationAndSaysWhereABrokenOneIsBroken) {
  std::string large = R"({"Comment": ")" + std::string(200000, 'x') + R"(", "Deep": )" + std::string(40, '[') +
                      std::string(40, ']') + R"(, "Cairn": {"Enabled": false}})";
  SettingsResult r = read_settings(large, "/", defaults());
  ASSERT_TRUE(r.settings) << r.error;
  EXPECT_FALSE(r.settings->enabled);

  r = read_settings(R"({"HttpPort": 8042,, "Cairn": {}})", "/", defaults());
  EXPECT_FALSE(r.settings);
  EXPECT_NE(r.error.find("cannot read Orthanc's configuration: invalid JSON at byte 18"), std::string::npos) << r.error;

  r = read_settings(std::string(1000, '[') + std::string(1000, ']'), "/", defaults());
  EXPECT_FALSE(r.settings);
  EXPECT_NE(r.error.find("nesting deeper than 64"), std::string::npos) << r.error;
}

TEST(Settings, DefaultsWithoutASection) {
  SettingsResult r = read_settings(R"({"HttpPort": 8042})", "/etc/orthanc", defaults());
  ASSERT_TRUE(r.settings) << r.error;
  EXPECT_TRUE(r.settings->enabled);
  EXPECT_EQ(r.settings->viewer_root, "/opt/cairn/viewer");
  EXPECT_TRUE(r.settings->connect_src.empty());
}

TEST(Settings, ReadsTheSection) {
  SettingsResult r = read_settings(
      R"({"Cairn": {"Enabled": true, "ViewerRoot": "viewer", "ModelsRoot": "/srv/models",
                    "ConnectSrc": ["https://pacs.example.org", "https://b.example:8443"], "Viewerroot": 1}})",
      "/etc/orthanc", defaults());
  ASSERT_TRUE(r.settings) << r.error;
  EXPECT_EQ(r.settings->viewer_root, "/etc/orthanc/viewer");  // relative to the configuration's folder
  EXPECT_EQ(r.settings->models_root, "/srv/models");
  EXPECT_EQ(r.settings->connect_src.size(), 2u);
  bool typo_reported = false;
  for (const std::string& w : r.warnings) typo_reported |= w.find("Viewerroot") != std::string::npos;
  EXPECT_TRUE(typo_reported);
  EXPECT_NE(describe(*r.settings).find("ConnectSrc: [https://pacs.example.org, https://b.example:8443]"),
            std::string::npos);
}

TEST(Settings, Disabled) {
  SettingsResult r = read_settings(R"({"Cairn": {"Enabled": false}})", "/", defaults());
  ASSERT_TRUE(r.settings);
  EXPECT_FALSE(r.settings->enabled);
}

TEST(Settings, RefusesWrongTypesAndUnsafeSources) {
  for (const char* bad : {R"({"Cairn": []})", R"({"Cairn": {"Enabled": "yes"}})", R"({"Cairn": {"ViewerRoot": 3}})",
                          R"({"Cairn": {"ModelsRoot": ""}})", R"({"Cairn": {"ConnectSrc": "https://a"}})",
                          R"({"Cairn": {"ConnectSrc": ["'unsafe-eval'"]}})",
                          R"({"Cairn": {"ConnectSrc": ["https://a; script-src *"]}})",
                          R"({"Cairn": {"ConnectSrc": ["https://a https://b"]}})",
                          R"({"Cairn": {"ConnectSrc": ["https://a,b"]}})", R"({"Cairn": {"ConnectSrc": [""]}})",
                          "not json"}) {
    SettingsResult r = read_settings(bad, "/", defaults());
    EXPECT_FALSE(r.settings) << bad;
    EXPECT_FALSE(r.error.empty()) << bad;
  }
  EXPECT_TRUE(is_valid_connect_source("https://pacs.example.org:8443"));
  EXPECT_TRUE(is_valid_connect_source("https://*.example.org"));
  EXPECT_TRUE(is_valid_connect_source("http://[::1]:8042"));
}

}  // namespace
}  // namespace cairn::plugin
