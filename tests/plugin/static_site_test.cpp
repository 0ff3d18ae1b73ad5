// The plugin's answers without Orthanc: path checks, roots and symbolic links, MIME types, caching, ETags, CSP.
#include "static_site.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <unistd.h>

namespace cairn::plugin {
namespace {

namespace fs = std::filesystem;

class TempSite : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (fs::temp_directory_path() / "cairn-site-XXXXXX").string();
    ASSERT_NE(mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
    write("viewer/index.html", "<!doctype html>");
    write("viewer/assets/index-3f2a9c1b.js", "js");
    write("viewer/assets/engine.wasm", std::string("\0asm\1\0\0\0", 8));
    write("models/catalog.json", "{}");
    write("models/unet/model.onnx", "onnx");
    write("secret.txt", "secret");
    write("viewer-other/x.txt", "other");
    fs::create_symlink(dir_ / "secret.txt", dir_ / "viewer" / "out.txt");
    fs::create_symlink(dir_ / "viewer" / "index.html", dir_ / "viewer" / "in.html");
    settings_.viewer_root = dir_ / "viewer";
    settings_.models_root = dir_ / "models";
  }
  void TearDown() override { fs::remove_all(dir_); }

  void write(const std::string& relative, const std::string& data) {
    fs::path p = dir_ / relative;
    fs::create_directories(p.parent_path());
    std::ofstream(p, std::ios::binary) << data;
  }

  static std::string header(const Response& r, const std::string& name) {
    for (const Header& h : r.headers) {
      if (h.name == name) return h.value;
    }
    return "";
  }

  fs::path dir_;
  Settings settings_;
};

TEST(SplitSafePath, AcceptsOrdinaryPaths) {
  auto parts = split_safe_path("assets/index-3f2a9c1b.js");
  ASSERT_TRUE(parts);
  EXPECT_EQ(*parts, (std::vector<std::string>{"assets", "index-3f2a9c1b.js"}));
  EXPECT_TRUE(split_safe_path(""));
  EXPECT_TRUE(split_safe_path("models/lung_unet-v1.2/model.onnx"));
}

TEST(SplitSafePath, RefusesEverythingThatCouldLeaveTheRoot) {
  for (const char* bad : {"..", "../x", "a/../../x", "a/..", ".", "./a", "a/./b", "/etc/passwd", "a//b", "a/",
                          ".hidden", "a/.git/config", "a\\..\\b", "..\\x", "%2e%2e/x", "a%2fb", "%252e%252e",
                          "c:/windows", "a b", "a\tb", "a\nb", "\x7f"}) {
    EXPECT_FALSE(split_safe_path(bad)) << bad;
  }
  EXPECT_FALSE(split_safe_path(std::string("a\0b", 3)));
  EXPECT_FALSE(split_safe_path(std::string(2000, 'a')));
  std::string deep;
  for (int i = 0; i < 20; ++i) deep += "d/";
  EXPECT_FALSE(split_safe_path(deep + "f"));
}

TEST(MimeTypes, ByExtension) {
  EXPECT_EQ(mime_type_for("engine.wasm"), "application/wasm");
  EXPECT_EQ(mime_type_for("a/b/index-3f2a9c1b.js"), "text/javascript; charset=utf-8");
  EXPECT_EQ(mime_type_for("worker.mjs"), "text/javascript; charset=utf-8");
  EXPECT_EQ(mime_type_for("INDEX.HTML"), "text/html; charset=utf-8");
  EXPECT_EQ(mime_type_for("style.css"), "text/css; charset=utf-8");
  EXPECT_EQ(mime_type_for("catalog.json"), "application/json");
  EXPECT_EQ(mime_type_for("icon.svg"), "image/svg+xml");
  EXPECT_EQ(mime_type_for("model.onnx"), "application/octet-stream");
  EXPECT_EQ(mime_type_for("README"), "application/octet-stream");
  EXPECT_EQ(mime_type_for("dir.v2/README"), "application/octet-stream");
}

TEST(Caching, ContentHashedNames) {
  EXPECT_TRUE(is_content_hashed("index-3f2a9c1b.js"));
  EXPECT_TRUE(is_content_hashed("index-BxC3k9aZ.js"));
  EXPECT_TRUE(is_content_hashed("cairn-relaxed-mt.0a1b2c3d4e.wasm"));
  EXPECT_TRUE(is_content_hashed("index.15673064.css"));  // web/vite.config.ts's hex hashes, digits only too
  EXPECT_TRUE(is_content_hashed("worker.cbfadeab.js"));
  EXPECT_FALSE(is_content_hashed("index-15673064.css"));  // after '-', all digits is a number, not a hash
  EXPECT_FALSE(is_content_hashed("notes.1234567.txt"));   // 7 characters
  EXPECT_FALSE(is_content_hashed("index.html"));
  EXPECT_FALSE(is_content_hashed("cairn-relaxed-mt.wasm"));
  EXPECT_FALSE(is_content_hashed("thread_pool.js"));
  EXPECT_FALSE(is_content_hashed("engine-worker.js"));
  EXPECT_FALSE(is_content_hashed("index-abcdefgh.js"));  // no digit: a word, not a hash
  EXPECT_FALSE(is_content_hashed("v-12345678.js"));      // no letter
  EXPECT_EQ(cache_control_for("index-3f2a9c1b.js"), "public, max-age=31536000, immutable");
  EXPECT_EQ(cache_control_for("index.html"), "no-cache");
  EXPECT_EQ(cache_control_for("catalog.json"), "no-cache");
  EXPECT_EQ(cache_control_for("model.onnx"), "no-cache");
}

TEST(ETags, Matching) {
  std::string etag = make_etag(1234, 5678);
  EXPECT_EQ(etag, "\"4d2-162e\"");
  EXPECT_TRUE(etag_matches(etag, etag));
  EXPECT_TRUE(etag_matches("W/" + etag, etag));
  EXPECT_TRUE(etag_matches("\"a\", " + etag + " ,\"b\"", etag));
  EXPECT_TRUE(etag_matches(" * ", etag));
  EXPECT_FALSE(etag_matches("\"4d2-162f\"", etag));
  EXPECT_FALSE(etag_matches("", etag));
  EXPECT_FALSE(etag_matches(",,", etag));
}

TEST(ContentSecurityPolicy, StrictWithConfiguredOrigins) {
  std::string csp = build_content_security_policy({"https://pacs.example.org", "https://b.example:8443"});
  EXPECT_NE(csp.find("default-src 'self'"), std::string::npos);
  EXPECT_NE(csp.find("script-src 'self' 'wasm-unsafe-eval';"), std::string::npos);
  EXPECT_NE(csp.find("connect-src 'self' https://pacs.example.org https://b.example:8443;"), std::string::npos);
  EXPECT_NE(csp.find("object-src 'none'"), std::string::npos);
  EXPECT_NE(csp.find("base-uri 'none'"), std::string::npos);
  EXPECT_NE(csp.find("frame-ancestors 'self'"), std::string::npos);
  EXPECT_EQ(csp.find("unsafe-inline"), std::string::npos);
}

TEST_F(TempSite, ServesTheViewerAndTheModels) {
  StaticSite site(settings_);
  Response r = site.serve(Method::kGet, "", "");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.content(), "<!doctype html>");
  EXPECT_EQ(r.mime_type, "text/html; charset=utf-8");
  EXPECT_EQ(header(r, "Cross-Origin-Opener-Policy"), "same-origin");
  EXPECT_EQ(header(r, "Cross-Origin-Embedder-Policy"), "require-corp");
  EXPECT_EQ(header(r, "Cross-Origin-Resource-Policy"), "same-origin");
  EXPECT_EQ(header(r, "Content-Security-Policy"), site.content_security_policy());
  EXPECT_EQ(header(r, "Cache-Control"), "no-cache");
  EXPECT_EQ(site.serve(Method::kGet, "/", "").content(), "<!doctype html>");

  r = site.serve(Method::kGet, "/assets/engine.wasm", "");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.mime_type, "application/wasm");
  EXPECT_EQ(r.content().size(), 8u);
  r = site.serve(Method::kGet, "/assets/index-3f2a9c1b.js", "");
  EXPECT_EQ(header(r, "Cache-Control"), "public, max-age=31536000, immutable");
  r = site.serve(Method::kGet, "/models/catalog.json", "");
  EXPECT_EQ(r.content(), "{}");
  EXPECT_EQ(header(r, "Cache-Control"), "no-cache");
  EXPECT_EQ(site.serve(Method::kGet, "/models/unet/model.onnx", "").content(), "onnx");
  EXPECT_EQ(site.serve(Method::kGet, "/in.html", "").status, 200);  // a link that stays inside the root
}

TEST_F(TempSite, RevalidatesWithETag) {
  StaticSite site(settings_);
  Response first = site.serve(Method::kGet, "/index.html", "");
  std::string etag = header(first, "ETag");
  ASSERT_FALSE(etag.empty());
  Response again = site.serve(Method::kGet, "/index.html", etag);
  EXPECT_EQ(again.status, 304);
  EXPECT_TRUE(again.content().empty());
  EXPECT_EQ(header(again, "ETag"), etag);
  EXPECT_EQ(header(again, "Cross-Origin-Embedder-Policy"), "require-corp");
  EXPECT_EQ(site.serve(Method::kGet, "/index.html", "\"other\"").status, 200);
}

TEST_F(TempSite, SharesOneCopyOfAFileBetweenRequestsAndRereadsAChangedOne) {
  StaticSite site(settings_);
  Response first = site.serve(Method::kGet, "/models/unet/model.onnx", "");
  Response second = site.serve(Method::kGet, "/models/unet/model.onnx", "");
  ASSERT_NE(first.file, nullptr);
  EXPECT_EQ(first.file, second.file);  // the same bytes in memory, not a copy per request
  write("models/unet/model.onnx", "onnx, version 2");
  Response third = site.serve(Method::kGet, "/models/unet/model.onnx", "");
  EXPECT_EQ(third.content(), "onnx, version 2");
  EXPECT_EQ(first.content(), "onnx");  // a request still sending the old bytes keeps them
}

TEST_F(TempSite, RefusesAndNeverLeavesTheRoots) {
  StaticSite site(settings_);
  for (const char* bad : {"/../secret.txt", "/assets/../../secret.txt", "/models/../secret.txt", "/%2e%2e/secret.txt",
                          "//secret.txt", "/..\\secret.txt", "/.hidden", "/../viewer-other/x.txt"}) {
    Response r = site.serve(Method::kGet, bad, "");
    EXPECT_EQ(r.status, 400) << bad;
    EXPECT_EQ(r.body.find("secret"), std::string::npos) << bad;
  }
  EXPECT_EQ(site.serve(Method::kGet, "/out.txt", "").status, 404);  // a link out of the root
  EXPECT_EQ(site.serve(Method::kGet, "/missing.js", "").status, 404);
  EXPECT_EQ(site.serve(Method::kGet, "/assets", "").status, 404);
  EXPECT_EQ(site.serve(Method::kGet, "/models", "").status, 404);
  EXPECT_EQ(site.serve(Method::kOther, "/index.html", "").status, 405);
  EXPECT_EQ(resolve_inside(dir_ / "viewer", {"..", "secret.txt"}), std::nullopt);
  EXPECT_EQ(resolve_inside(dir_ / "viewer", {"..", "viewer-other", "x.txt"}), std::nullopt);
  EXPECT_EQ(resolve_inside(dir_ / "missing-root", {"index.html"}), std::nullopt);
}

}  // namespace
}  // namespace cairn::plugin
