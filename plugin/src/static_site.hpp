// What the plugin answers under /cairn/: files of the viewer root and, under /cairn/models/, of the models root,
// with the headers that make the page cross-origin isolated (threads), a strict CSP, the right MIME types, caching
// by content hash and ETag revalidation. Independent of Orthanc, so that it can be tested on its own.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "file_cache.hpp"
#include "settings.hpp"

namespace cairn::plugin {

enum class Method { kGet, kHead, kOther };

struct Header {
  std::string name;
  std::string value;
};

struct Response {
  int status = 200;                         // 200, 304, 400, 404, 405 or 500
  std::string mime_type;                    // for 200, and text/plain for the reasons
  std::string body;                         // a one-line reason, for the errors
  std::shared_ptr<const std::string> file;  // for 200: the file's bytes, shared with the other requests for it
  std::vector<Header> headers;

  std::string_view content() const { return file != nullptr ? std::string_view(*file) : std::string_view(body); }
};

class StaticSite {
 public:
  explicit StaticSite(Settings settings);

  // `path` is what follows "/cairn" in the URL, already percent-decoded by the HTTP server: "", "/",
  // "/index.html", "/models/catalog.json"... `if_none_match` is the request's If-None-Match header, or empty.
  Response serve(Method method, std::string_view path, std::string_view if_none_match) const;

  const std::string& content_security_policy() const { return csp_; }

 private:
  Response error(int status, std::string reason) const;
  void add_security_headers(Response& response) const;

  Settings settings_;
  std::string csp_;
  // The viewer (a few MB) and the models (tens of MB) fit; a file over 64 MiB is read for each request.
  mutable FileCache cache_{uint64_t{64} << 20, uint64_t{256} << 20};
};

// The components of a path relative to a root, or nothing when the path could leave the root or name something
// we never serve: "..", ".", hidden names, empty components (absolute paths), backslashes, NUL and other control
// characters, percent signs (Orthanc has decoded once already; a second decoding is how %252e%252e escapes) and
// anything outside a conservative character set.
std::optional<std::vector<std::string>> split_safe_path(std::string_view relative);

// The file under `root` named by `components`, if it is a regular file whose real path (symbolic links resolved)
// is inside the real path of `root`.
std::optional<std::filesystem::path> resolve_inside(const std::filesystem::path& root,
                                                    const std::vector<std::string>& components);

std::string mime_type_for(std::string_view file_name);

// True for build outputs whose name carries a content hash, like "index-3f2a9c1b.js" or Vite's "index-BxC3k9aZ.js":
// a last "-" or "." separated part, before the extension, of 8 to 64 letters, digits or '_' with at least one
// digit and one letter. Those never change, so they are cached for a year.
bool is_content_hashed(std::string_view file_name);

std::string cache_control_for(std::string_view file_name);

// A strong validator from the file's size and modification time (nanoseconds), like nginx's.
std::string make_etag(uint64_t size, int64_t mtime_ns);

// True when If-None-Match lists `etag` (weak comparison, as RFC 9110 asks for If-None-Match) or is "*".
bool etag_matches(std::string_view if_none_match, std::string_view etag);

std::string build_content_security_policy(const std::vector<std::string>& connect_src);

}  // namespace cairn::plugin
