#include "static_site.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <system_error>
#include <utility>

namespace cairn::plugin {
namespace {

constexpr size_t kMaxPathBytes = 1024;
constexpr size_t kMaxComponents = 16;
// OrthancPluginAnswerBuffer takes a 32-bit size; models are tens of MB, so a file this large is a mistake.
constexpr uint64_t kMaxFileBytes = uint64_t{1} << 31;

char lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

std::string lowercase(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(), lower);
  return out;
}

std::string_view extension_of(std::string_view file_name) {
  size_t dot = file_name.rfind('.');
  return dot == std::string_view::npos ? std::string_view() : file_name.substr(dot + 1);
}

std::string_view base_name(std::string_view path) {
  size_t slash = path.rfind('/');
  return slash == std::string_view::npos ? path : path.substr(slash + 1);
}

bool is_safe_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '-' ||
         c == '_' || c == '~' || c == '+' || c == '@' || c == '=' || c == ',';
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

std::string_view strip_weak(std::string_view tag) {
  if (tag.size() >= 2 && tag[0] == 'W' && tag[1] == '/') tag.remove_prefix(2);
  return tag;
}

}  // namespace

std::optional<std::vector<std::string>> split_safe_path(std::string_view relative) {
  if (relative.size() > kMaxPathBytes) return std::nullopt;
  std::vector<std::string> components;
  if (relative.empty()) return components;
  size_t start = 0;
  while (true) {
    size_t slash = relative.find('/', start);
    std::string_view part = relative.substr(start, slash == std::string_view::npos ? slash : slash - start);
    // Empty parts come from "//" or a leading "/" (an absolute path); a trailing "/" names a folder we do not list.
    if (part.empty() || part.front() == '.') return std::nullopt;
    if (!std::all_of(part.begin(), part.end(), is_safe_char)) return std::nullopt;
    components.emplace_back(part);
    if (components.size() > kMaxComponents) return std::nullopt;
    if (slash == std::string_view::npos) break;
    start = slash + 1;
  }
  return components;
}

std::optional<std::filesystem::path> resolve_inside(const std::filesystem::path& root,
                                                    const std::vector<std::string>& components) {
  std::error_code ec;
  std::filesystem::path real_root = std::filesystem::canonical(root, ec);
  if (ec) return std::nullopt;
  std::filesystem::path candidate = real_root;
  for (const std::string& c : components) candidate /= c;
  std::filesystem::path real = std::filesystem::canonical(candidate, ec);
  if (ec) return std::nullopt;
  // Inside means: the root's components are a prefix of the file's (not a string prefix: /srv/a vs /srv/ab).
  auto [root_end, real_it] = std::mismatch(real_root.begin(), real_root.end(), real.begin(), real.end());
  if (root_end != real_root.end() || real_it == real.end()) return std::nullopt;
  if (!std::filesystem::is_regular_file(real, ec)) return std::nullopt;
  return real;
}

std::string mime_type_for(std::string_view file_name) {
  std::string ext = lowercase(extension_of(base_name(file_name)));
  static const std::pair<const char*, const char*> kTypes[] = {
      {"html", "text/html; charset=utf-8"},
      {"js", "text/javascript; charset=utf-8"},
      {"mjs", "text/javascript; charset=utf-8"},
      {"css", "text/css; charset=utf-8"},
      {"json", "application/json"},
      {"map", "application/json"},
      {"webmanifest", "application/manifest+json"},
      {"wasm", "application/wasm"},
      {"svg", "image/svg+xml"},
      {"png", "image/png"},
      {"jpg", "image/jpeg"},
      {"jpeg", "image/jpeg"},
      {"gif", "image/gif"},
      {"webp", "image/webp"},
      {"ico", "image/x-icon"},
      {"woff2", "font/woff2"},
      {"woff", "font/woff"},
      {"txt", "text/plain; charset=utf-8"},
      {"md", "text/markdown; charset=utf-8"},
      {"onnx", "application/octet-stream"},
      {"npy", "application/octet-stream"},
  };
  for (const auto& [e, type] : kTypes) {
    if (ext == e) return type;
  }
  return "application/octet-stream";
}

bool is_content_hashed(std::string_view file_name) {
  std::string_view name = base_name(file_name);
  size_t dot = name.rfind('.');
  if (dot == std::string_view::npos || dot == 0) return false;
  std::string_view stem = name.substr(0, dot);
  size_t sep = stem.find_last_of("-.");
  if (sep == std::string_view::npos) return false;
  std::string_view hash = stem.substr(sep + 1);
  if (hash.size() < 8 || hash.size() > 64) return false;
  // NAME.HASH.EXT with a lowercase hexadecimal hash, as web/vite.config.ts names its outputs (all digits included).
  if (stem[sep] == '.' && hash.find_first_not_of("0123456789abcdef") == std::string_view::npos) return true;
  bool digit = false, letter = false;
  for (char c : hash) {
    if (c >= '0' && c <= '9') {
      digit = true;
    } else if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) {
      letter = true;
    } else if (c != '_') {
      return false;
    }
  }
  return digit && letter;
}

std::string cache_control_for(std::string_view file_name) {
  std::string_view name = base_name(file_name);
  // The entry points name the hashed assets and the models' checksums: always revalidated (cheap with the ETag).
  if (name == "index.html" || name == "catalog.json") return "no-cache";
  if (is_content_hashed(name)) return "public, max-age=31536000, immutable";
  return "no-cache";
}

std::string make_etag(uint64_t size, int64_t mtime_ns) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "\"%llx-%llx\"", static_cast<unsigned long long>(size),
                static_cast<unsigned long long>(mtime_ns));
  return buf;
}

bool etag_matches(std::string_view if_none_match, std::string_view etag) {
  if (trim(if_none_match) == "*") return true;
  while (!if_none_match.empty()) {
    size_t comma = if_none_match.find(',');
    std::string_view tag = trim(if_none_match.substr(0, comma));
    if (!tag.empty() && strip_weak(tag) == strip_weak(etag)) return true;
    if (comma == std::string_view::npos) break;
    if_none_match.remove_prefix(comma + 1);
  }
  return false;
}

std::string build_content_security_policy(const std::vector<std::string>& connect_src) {
  std::string connect = "connect-src 'self'";
  for (const std::string& s : connect_src) connect += " " + s;
  // 'wasm-unsafe-eval' lets the engine compile WebAssembly without allowing eval(); blob: workers are how some
  // bundlers start module workers; frames only from this origin (Orthanc Explorer may embed the viewer).
  return "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; worker-src 'self' blob:; " + connect +
         "; img-src 'self' data: blob:; style-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; "
         "form-action 'self'; frame-ancestors 'self'";
}

StaticSite::StaticSite(Settings settings)
    : settings_(std::move(settings)), csp_(build_content_security_policy(settings_.connect_src)) {}

void StaticSite::add_security_headers(Response& response) const {
  // Cross-origin isolation (SharedArrayBuffer, so the engine's threads) needs COOP and COEP on the page and on
  // every worker script; CORP keeps other origins from embedding these files.
  response.headers.push_back({"Cross-Origin-Opener-Policy", "same-origin"});
  response.headers.push_back({"Cross-Origin-Embedder-Policy", "require-corp"});
  response.headers.push_back({"Cross-Origin-Resource-Policy", "same-origin"});
  response.headers.push_back({"Content-Security-Policy", csp_});
  response.headers.push_back({"X-Content-Type-Options", "nosniff"});
  response.headers.push_back({"Referrer-Policy", "no-referrer"});
}

Response StaticSite::error(int status, std::string reason) const {
  Response r;
  r.status = status;
  r.mime_type = "text/plain; charset=utf-8";
  r.body = std::move(reason);
  add_security_headers(r);
  r.headers.push_back({"Cache-Control", "no-store"});
  return r;
}

Response StaticSite::serve(Method method, std::string_view path, std::string_view if_none_match) const {
  if (method == Method::kOther) return error(405, "only GET and HEAD are allowed here\n");
  if (!path.empty() && path.front() == '/') path.remove_prefix(1);
  if (path.empty()) path = "index.html";

  std::optional<std::vector<std::string>> components = split_safe_path(path);
  if (!components) return error(400, "this path is not allowed\n");

  const std::filesystem::path* root = &settings_.viewer_root;
  if (!components->empty() && (*components)[0] == "models") {
    root = &settings_.models_root;
    components->erase(components->begin());
    if (components->empty()) return error(404, "not found\n");
  }
  std::optional<std::filesystem::path> file = resolve_inside(*root, *components);
  if (!file) return error(404, "not found\n");

  std::error_code ec;
  uint64_t size = std::filesystem::file_size(*file, ec);
  if (ec) return error(404, "not found\n");
  auto mtime = std::filesystem::last_write_time(*file, ec);
  if (ec) return error(404, "not found\n");
  if (size >= kMaxFileBytes) return error(500, "file too large to serve\n");
  int64_t mtime_ns = std::chrono::duration_cast<std::chrono::nanoseconds>(mtime.time_since_epoch()).count();

  Response r;
  std::string etag = make_etag(size, mtime_ns);
  add_security_headers(r);
  r.headers.push_back({"Cache-Control", cache_control_for(components->back())});
  r.headers.push_back({"ETag", etag});
  if (!if_none_match.empty() && etag_matches(if_none_match, etag)) {
    r.status = 304;
    return r;
  }
  r.mime_type = mime_type_for(components->back());
  r.file = cache_.get(*file, size, mtime_ns);
  if (r.file == nullptr) return error(500, "cannot read the file\n");
  return r;
}

}  // namespace cairn::plugin
