// STOW-RS (PS3.18 10.5): storing instances on a DICOMweb server by HTTP POST of a multipart/related body
// (type="application/dicom") to {base}/studies. The HTTP/1.1 client is Cairn's own, on POSIX sockets, and speaks
// plain http:// only: https:// is refused with an error that says so (put a TLS-terminating proxy in front, or use
// the viewer, which the browser connects over https).
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "cairn/status.hpp"

namespace cairn::dicom {

struct HttpUrl {
  std::string host;  // without brackets for IPv6
  std::string port = "80";
  std::string path;            // begins with '/', "/" when the URL has none
  std::string user, password;  // from user:password@host (HTTP basic authentication)
};

// http://[user:password@]host[:port][/path]. Errors: another scheme (https named explicitly), no host, bad port.
Result<HttpUrl> parse_http_url(const std::string& url);

struct HttpResponse {
  int status = 0;
  std::string reason;
  std::vector<std::pair<std::string, std::string>> headers;  // names in lower case
  std::string body;                                          // de-chunked
  std::string header(const std::string& lower_case_name) const;
};

// One HTTP/1.1 request ("Connection: close"); `timeout_s` bounds connecting and each wait for data.
Result<HttpResponse> http_request(const std::string& method, const HttpUrl& url, const std::string& target,
                                  const std::vector<std::pair<std::string, std::string>>& headers,
                                  std::span<const uint8_t> body, int timeout_s = 60);

// The multipart/related body of a STOW-RS request: each instance as a part with Content-Type application/dicom.
std::vector<uint8_t> stow_body(const std::vector<std::span<const uint8_t>>& instances, const std::string& boundary);

struct StowResult {
  int status = 0;
  std::string reason;
  std::string body;  // the server's answer (usually application/dicom+json)
  std::string content_type;
  std::string url;               // where it was sent
  bool has_failed_sops = false;  // the answer's FailedSOPSequence (0008,1198) has an item
};

// Sends the instances to {base_url}/studies. HTTP 4xx and 5xx, and a 200/202 whose answer lists failed instances,
// are errors carrying the status line and the start of the server's answer; connection failures name the host.
Result<StowResult> stow_rs(const std::string& base_url, const std::vector<std::span<const uint8_t>>& instances,
                           int timeout_s = 60);

}  // namespace cairn::dicom
