// The "Cairn" section of Orthanc's configuration, and the JSON reader under it.
#include "settings.hpp"

#include <gtest/gtest.h>

#include "json_value.hpp"

namespace cairn::plugin {
namespace {

Settings defaults() {
  Settings s;
  s.viewer_root = "/opt/cairn/viewer";
  s.models_root = "/opt/cairn/models";
  return s;
}

TEST(Json, ReadsWhatOrthancWrites) {
  JsonParseResult r = parse_json(R"({"a": [1, -2.5e3, true, false, null], "s": "x\"\\\/\u00e9\ud83d\ude00\n",
                                     "o": {}})");
  ASSERT_TRUE(r.value) << r.error;
  const JsonValue* a = r.value->find("a");
  ASSERT_TRUE(a && a->is_array());
  EXPECT_EQ(a->items().size(), 5u);
  EXPECT_EQ(a->items()[1].as_number(), -2500);
  EXPECT_EQ(r.value->find("s")->as_string(), "x\"\\/\xc3\xa9\xf0\x9f\x98\x80\n");
  EXPECT_TRUE(r.value->find("o")->is_object());
  EXPECT_EQ(r.value->find("missing"), nullptr);
}

TEST(Json, ReportsWhereItIsBroken) {
  for (const char* bad : {"", "{", "{\"a\" 1}", "[1,]", "{\"a\":1,}", "\"\\ud800\"", "01x", "[1] [2]", "tru",
                          "\"a\nb\""}) {
    JsonParseResult r = parse_json(bad);
    EXPECT_FALSE(r.value) << bad;
    EXPECT_NE(r.error.find("line "), std::string::npos) << bad;
  }
  std::string deep(1000, '[');
  EXPECT_FALSE(parse_json(deep).value);
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
