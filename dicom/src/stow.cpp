// STOW-RS on Cairn's HTTP/1.1 client (POSIX sockets, plain http).
#include "cairn/dicom/stow.hpp"

#include <netdb.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>

namespace cairn::dicom {
namespace {

constexpr size_t kMaxResponseBytes = size_t{64} << 20;

std::string lower(std::string text) {
  for (char& c : text) c = char(std::tolower(static_cast<unsigned char>(c)));
  return text;
}

std::string base64(const std::string& text) {
  static const char* alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  for (size_t i = 0; i < text.size(); i += 3) {
    const uint32_t b0 = uint8_t(text[i]);
    const uint32_t b1 = i + 1 < text.size() ? uint8_t(text[i + 1]) : 0;
    const uint32_t b2 = i + 2 < text.size() ? uint8_t(text[i + 2]) : 0;
    const uint32_t v = b0 << 16 | b1 << 8 | b2;
    out += alphabet[v >> 18 & 63];
    out += alphabet[v >> 12 & 63];
    out += i + 1 < text.size() ? alphabet[v >> 6 & 63] : '=';
    out += i + 2 < text.size() ? alphabet[v & 63] : '=';
  }
  return out;
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  return std::tolower(static_cast<unsigned char>(c)) - 'a' + 10;
}

std::string percent_decode(const std::string& text) {
  std::string out;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '%' && i + 2 < text.size() && std::isxdigit(uint8_t(text[i + 1])) &&
        std::isxdigit(uint8_t(text[i + 2]))) {
      out += char(hex_value(text[i + 1]) * 16 + hex_value(text[i + 2]));
      i += 2;
    } else {
      out += text[i];
    }
  }
  return out;
}

// An open TCP socket, closed on destruction.
class Socket {
 public:
  explicit Socket(int fd = -1) : fd_(fd) {}
  ~Socket() {
    if (fd_ >= 0) ::close(fd_);
  }
  Socket(const Socket&) = delete;
  Socket& operator=(const Socket&) = delete;
  int fd() const { return fd_; }

 private:
  int fd_;
};

// Connects to the first address of `host` that answers, waiting at most `timeout_s` for each.
Result<int> connect_to(const HttpUrl& url, int timeout_s) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* addresses = nullptr;
  const int rc = ::getaddrinfo(url.host.c_str(), url.port.c_str(), &hints, &addresses);
  if (rc != 0) return io_error("cannot resolve host '" + url.host + "': " + ::gai_strerror(rc));
  std::string last_error = "no address";
  int connected = -1;
  for (addrinfo* a = addresses; a && connected < 0; a = a->ai_next) {
    const int fd = ::socket(a->ai_family, a->ai_socktype, a->ai_protocol);
    if (fd < 0) {
      last_error = std::strerror(errno);
      continue;
    }
    timeval tv{timeout_s, 0};
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);  // Linux also bounds connect() with it
    if (::connect(fd, a->ai_addr, a->ai_addrlen) == 0) {
      connected = fd;
    } else {
      last_error = errno == EINPROGRESS || errno == EAGAIN ? "timed out" : std::strerror(errno);
      ::close(fd);
    }
  }
  ::freeaddrinfo(addresses);
  if (connected < 0) return io_error("cannot connect to " + url.host + ":" + url.port + ": " + last_error);
  return connected;
}

Status send_all(int fd, const uint8_t* data, size_t size, const HttpUrl& url) {
  while (size > 0) {
    const ssize_t n = ::send(fd, data, size, MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR) continue;
      return io_error("sending to " + url.host + ":" + url.port +
                      " failed: " + (errno == EAGAIN ? std::string("timed out") : std::strerror(errno)));
    }
    data += n;
    size -= size_t(n);
  }
  return Status::ok();
}

// Decodes a chunked transfer-encoded body.
Result<std::string> dechunk(const std::string& raw) {
  std::string out;
  size_t pos = 0;
  while (true) {
    const size_t line_end = raw.find("\r\n", pos);
    if (line_end == std::string::npos) return io_error("malformed chunked response");
    size_t size = 0;
    const std::string line = raw.substr(pos, line_end - pos);
    size_t i = 0;
    for (; i < line.size() && std::isxdigit(uint8_t(line[i])); ++i) {
      if (size > (kMaxResponseBytes >> 4)) return io_error("chunk too large in the response");
      size = size * 16 + size_t(hex_value(line[i]));
    }
    if (i == 0) return io_error("malformed chunk size in the response");
    pos = line_end + 2;
    if (size == 0) return out;
    if (raw.size() - pos < size) return io_error("truncated chunked response");
    out.append(raw, pos, size);
    pos += size + 2;
    if (pos > raw.size()) return io_error("truncated chunked response");
  }
}

// Whether a DICOM JSON answer lists failed instances: a FailedSOPSequence ("00081198") whose "Value" array has an
// item. Orthanc sends the attribute without a value when everything was stored.
bool lists_failed_sops(const std::string& json) {
  const size_t key = json.find("\"00081198\"");
  if (key == std::string::npos) return false;
  const size_t open = json.find('{', key);
  if (open == std::string::npos) return false;
  // The extent of the attribute's object: braces outside strings.
  size_t end = open;
  int depth = 0;
  bool in_string = false;
  for (; end < json.size(); ++end) {
    const char c = json[end];
    if (in_string) {
      if (c == '\\')
        ++end;
      else if (c == '"')
        in_string = false;
    } else if (c == '"') {
      in_string = true;
    } else if (c == '{' || c == '[') {
      ++depth;
    } else if ((c == '}' || c == ']') && --depth == 0) {
      break;
    }
  }
  const std::string attribute = json.substr(open, end - open);
  const size_t value = attribute.find("\"Value\"");
  if (value == std::string::npos) return false;
  const size_t bracket = attribute.find('[', value);
  if (bracket == std::string::npos) return false;
  const size_t next = attribute.find_first_not_of(" \t\r\n", bracket + 1);
  return next != std::string::npos && attribute[next] != ']';
}

}  // namespace

std::string HttpResponse::header(const std::string& lower_case_name) const {
  for (const auto& [name, value] : headers) {
    if (name == lower_case_name) return value;
  }
  return "";
}

Result<HttpUrl> parse_http_url(const std::string& url) {
  const size_t scheme_end = url.find("://");
  if (scheme_end == std::string::npos) {
    return invalid_argument("'" + url + "' is not a URL (expected http://host[:port]/path)");
  }
  const std::string scheme = lower(url.substr(0, scheme_end));
  if (scheme == "https") {
    return unsupported("'" + url +
                       "': https is not supported by cairn's built-in HTTP client, which speaks plain "
                       "http only; use an http:// URL on a trusted network (e.g. http://127.0.0.1:8042/dicom-web) or "
                       "a TLS-terminating proxy");
  }
  if (scheme != "http") return unsupported("'" + url + "': only http:// URLs are supported, not " + scheme + "://");
  HttpUrl out;
  std::string rest = url.substr(scheme_end + 3);
  const size_t slash = rest.find('/');
  std::string authority = rest.substr(0, slash);
  out.path = slash == std::string::npos ? "/" : rest.substr(slash);
  const size_t at = authority.rfind('@');
  if (at != std::string::npos) {
    const std::string credentials = authority.substr(0, at);
    authority = authority.substr(at + 1);
    const size_t colon = credentials.find(':');
    out.user = percent_decode(credentials.substr(0, colon));
    if (colon != std::string::npos) out.password = percent_decode(credentials.substr(colon + 1));
  }
  std::string port;
  if (!authority.empty() && authority[0] == '[') {
    const size_t close = authority.find(']');
    if (close == std::string::npos) return invalid_argument("'" + url + "': unterminated IPv6 address");
    out.host = authority.substr(1, close - 1);
    if (close + 1 < authority.size()) {
      if (authority[close + 1] != ':') return invalid_argument("'" + url + "': unexpected text after the IPv6 address");
      port = authority.substr(close + 2);
    }
  } else {
    const size_t colon = authority.rfind(':');
    out.host = authority.substr(0, colon);
    if (colon != std::string::npos) port = authority.substr(colon + 1);
  }
  if (out.host.empty()) return invalid_argument("'" + url + "' has no host");
  if (!port.empty()) {
    if (port.size() > 5 || !std::all_of(port.begin(), port.end(), [](char c) { return c >= '0' && c <= '9'; }) ||
        std::atoi(port.c_str()) < 1 || std::atoi(port.c_str()) > 65535) {
      return invalid_argument("'" + url + "': invalid port '" + port + "'");
    }
    out.port = port;
  }
  return out;
}

Result<HttpResponse> http_request(const std::string& method, const HttpUrl& url, const std::string& target,
                                  const std::vector<std::pair<std::string, std::string>>& headers,
                                  std::span<const uint8_t> body, int timeout_s) {
  CAIRN_ASSIGN_OR_RETURN(int fd, connect_to(url, timeout_s));
  Socket socket(fd);
  const bool ipv6 = url.host.find(':') != std::string::npos;
  std::string head = method + " " + target + " HTTP/1.1\r\nHost: " + (ipv6 ? "[" + url.host + "]" : url.host) +
                     (url.port == "80" ? "" : ":" + url.port) + "\r\nConnection: close\r\nUser-Agent: cairn\r\n";
  if (!url.user.empty()) head += "Authorization: Basic " + base64(url.user + ":" + url.password) + "\r\n";
  for (const auto& [name, value] : headers) head += name + ": " + value + "\r\n";
  head += "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n";
  CAIRN_RETURN_IF_ERROR(send_all(fd, reinterpret_cast<const uint8_t*>(head.data()), head.size(), url));
  CAIRN_RETURN_IF_ERROR(send_all(fd, body.data(), body.size(), url));

  std::string raw;
  char buffer[1 << 16];
  while (true) {
    const ssize_t n = ::recv(fd, buffer, sizeof buffer, 0);
    if (n == 0) break;
    if (n < 0) {
      if (errno == EINTR) continue;
      // A server that answered before reading the whole body may reset the connection: keep what came.
      if (errno == ECONNRESET && !raw.empty()) break;
      return io_error("no answer from " + url.host + ":" + url.port + ": " +
                      (errno == EAGAIN ? "timed out after " + std::to_string(timeout_s) + " s" : std::strerror(errno)));
    }
    raw.append(buffer, size_t(n));
    if (raw.size() > kMaxResponseBytes) return io_error("the answer of " + url.host + " is larger than 64 MB");
  }
  const size_t head_end = raw.find("\r\n\r\n");
  if (raw.compare(0, 5, "HTTP/") != 0 || head_end == std::string::npos) {
    return io_error(url.host + ":" + url.port + " did not answer with HTTP (" + std::to_string(raw.size()) + " bytes)");
  }
  HttpResponse response;
  const size_t line_end = raw.find("\r\n");
  const std::string status_line = raw.substr(0, line_end);
  const size_t space = status_line.find(' ');
  if (space == std::string::npos || status_line.size() < space + 4)
    return io_error("malformed status line: " + status_line);
  response.status = std::atoi(status_line.c_str() + space + 1);
  response.reason = space + 5 <= status_line.size() ? status_line.substr(space + 5) : "";
  for (size_t pos = line_end + 2; pos < head_end;) {
    const size_t end = raw.find("\r\n", pos);
    const std::string line = raw.substr(pos, end - pos);
    const size_t colon = line.find(':');
    if (colon != std::string::npos) {
      std::string value = line.substr(colon + 1);
      value.erase(0, value.find_first_not_of(" \t"));
      response.headers.emplace_back(lower(line.substr(0, colon)), value);
    }
    pos = end + 2;
  }
  std::string payload = raw.substr(head_end + 4);
  if (lower(response.header("transfer-encoding")).find("chunked") != std::string::npos) {
    CAIRN_ASSIGN_OR_RETURN(payload, dechunk(payload));
  } else if (const std::string length = response.header("content-length"); !length.empty()) {
    const size_t n = size_t(std::strtoull(length.c_str(), nullptr, 10));
    if (n < payload.size()) payload.resize(n);
  }
  response.body = std::move(payload);
  return response;
}

std::vector<uint8_t> stow_body(const std::vector<std::span<const uint8_t>>& instances, const std::string& boundary) {
  std::vector<uint8_t> out;
  auto append = [&out](const std::string& text) { out.insert(out.end(), text.begin(), text.end()); };
  for (const auto& instance : instances) {
    append("--" + boundary + "\r\nContent-Type: application/dicom\r\n\r\n");
    out.insert(out.end(), instance.begin(), instance.end());
    append("\r\n");
  }
  append("--" + boundary + "--\r\n");
  return out;
}

Result<StowResult> stow_rs(const std::string& base_url, const std::vector<std::span<const uint8_t>>& instances,
                           int timeout_s) {
  CAIRN_ASSIGN_OR_RETURN(HttpUrl url, parse_http_url(base_url));
  std::string target = url.path;
  while (target.size() > 1 && target.back() == '/') target.pop_back();
  target = (target == "/" ? "" : target) + "/studies";
  // A boundary that cannot occur in the data by chance.
  std::random_device device;
  char boundary[48];
  std::snprintf(boundary, sizeof boundary, "cairn-%08x%08x%08x", device(), device(), device());
  const std::vector<uint8_t> body = stow_body(instances, boundary);
  const std::string shown =
      "http://" + (url.host.find(':') != std::string::npos ? "[" + url.host + "]" : url.host) + ":" + url.port + target;
  const std::vector<std::pair<std::string, std::string>> headers = {
      {"Content-Type", std::string("multipart/related; type=\"application/dicom\"; boundary=") + boundary},
      {"Accept", "application/dicom+json"}};
  auto response = http_request("POST", url, target, headers, body, timeout_s);
  if (!response.is_ok()) return response.status().with_context("STOW-RS to " + shown);
  StowResult out;
  out.status = response->status;
  out.reason = response->reason;
  out.body = response->body;
  out.content_type = response->header("content-type");
  out.url = shown;
  out.has_failed_sops = lists_failed_sops(out.body);
  std::string excerpt = out.body.substr(0, 600);
  std::replace_if(
      excerpt.begin(), excerpt.end(), [](char c) { return c == '\r' || c == '\n' || c == '\t'; }, ' ');
  const std::string status_line = "HTTP " + std::to_string(out.status) + (out.reason.empty() ? "" : " " + out.reason);
  if (out.status >= 400) {
    return io_error("STOW-RS to " + shown + " failed: " + status_line + (excerpt.empty() ? "" : ": " + excerpt));
  }
  if (out.status < 200 || out.status >= 300) {
    return io_error("STOW-RS to " + shown + ": unexpected answer " + status_line);
  }
  if (out.has_failed_sops) {
    return io_error("STOW-RS to " + shown + ": the server (" + status_line + ") refused the instance: " + excerpt);
  }
  return out;
}

}  // namespace cairn::dicom
