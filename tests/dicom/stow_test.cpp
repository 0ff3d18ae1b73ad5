// STOW-RS: URL parsing (https refused with a clear message), the multipart body, and requests to a one-shot HTTP
// server on 127.0.0.1 that records what it receives and answers as told (success, 4xx/5xx, chunked, failed SOPs).
#include "cairn/dicom/stow.hpp"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <string>
#include <thread>

namespace cairn::dicom {
namespace {

TEST(HttpUrl, Parses) {
  auto url = parse_http_url("http://127.0.0.1:8042/dicom-web");
  ASSERT_TRUE(url.is_ok()) << url.status().message();
  EXPECT_EQ(url->host, "127.0.0.1");
  EXPECT_EQ(url->port, "8042");
  EXPECT_EQ(url->path, "/dicom-web");
  url = parse_http_url("HTTP://orthanc:secret%21@pacs.local");
  ASSERT_TRUE(url.is_ok());
  EXPECT_EQ(url->host, "pacs.local");
  EXPECT_EQ(url->port, "80");
  EXPECT_EQ(url->path, "/");
  EXPECT_EQ(url->user, "orthanc");
  EXPECT_EQ(url->password, "secret!");
  url = parse_http_url("http://[::1]:8080/x/");
  ASSERT_TRUE(url.is_ok());
  EXPECT_EQ(url->host, "::1");
  EXPECT_EQ(url->port, "8080");

  auto https = parse_http_url("https://pacs.example.org/dicom-web");
  ASSERT_FALSE(https.is_ok());
  EXPECT_EQ(https.status().code(), StatusCode::kUnsupported);
  EXPECT_NE(https.status().message().find("https is not supported"), std::string::npos) << https.status().message();
  EXPECT_FALSE(parse_http_url("ftp://host/").is_ok());
  EXPECT_FALSE(parse_http_url("pacs:8042").is_ok());
  EXPECT_FALSE(parse_http_url("http://:8042/").is_ok());
  EXPECT_FALSE(parse_http_url("http://host:99999/").is_ok());
  EXPECT_FALSE(parse_http_url("http://host:80a/").is_ok());
}

TEST(Stow, MultipartBody) {
  const std::vector<uint8_t> a = {'D', 'I', 'C', 'M'}, b = {0, 1, 2};
  const std::vector<uint8_t> body = stow_body({a, b}, "XYZ");
  const std::string expected = std::string("--XYZ\r\nContent-Type: application/dicom\r\n\r\nDICM\r\n") +
                               "--XYZ\r\nContent-Type: application/dicom\r\n\r\n" + std::string("\0\1\2", 3) +
                               "\r\n--XYZ--\r\n";
  EXPECT_EQ(std::string(body.begin(), body.end()), expected);
}

// Accepts one connection, reads the request (headers, then Content-Length bytes), answers `response`, closes.
class OneShotServer {
 public:
  explicit OneShotServer(std::string response) : response_(std::move(response)) {
    listener_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    EXPECT_EQ(::bind(listener_, reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
    EXPECT_EQ(::listen(listener_, 1), 0);
    socklen_t length = sizeof address;
    ::getsockname(listener_, reinterpret_cast<sockaddr*>(&address), &length);
    port_ = ntohs(address.sin_port);
    thread_ = std::thread([this] { serve(); });
  }
  ~OneShotServer() {
    if (thread_.joinable()) thread_.join();
    ::close(listener_);
  }
  std::string url(const std::string& path) const { return "http://127.0.0.1:" + std::to_string(port_) + path; }
  const std::string& request() {
    if (thread_.joinable()) thread_.join();
    return request_;
  }

 private:
  void serve() {
    const int client = ::accept(listener_, nullptr, nullptr);
    if (client < 0) return;
    char buffer[65536];
    size_t expected = std::string::npos;
    while (request_.size() < expected) {
      const ssize_t n = ::recv(client, buffer, sizeof buffer, 0);
      if (n <= 0) break;
      request_.append(buffer, size_t(n));
      const size_t head_end = request_.find("\r\n\r\n");
      const size_t length_at = request_.find("Content-Length: ");
      if (head_end != std::string::npos && length_at != std::string::npos && length_at < head_end) {
        expected = head_end + 4 + std::stoul(request_.substr(length_at + 16));
      }
    }
    ::send(client, response_.data(), response_.size(), MSG_NOSIGNAL);
    ::close(client);
  }

  std::string response_;
  int listener_ = -1;
  int port_ = 0;
  std::thread thread_;
  std::string request_;
};

const std::vector<uint8_t> kInstance = {'f', 'a', 'k', 'e', 0, 1};

TEST(Stow, PostsMultipartRelatedToStudies) {
  const std::string json = R"([{"00081199":{"vr":"SQ","Value":[{}]}}])";
  OneShotServer server("HTTP/1.1 200 OK\r\nContent-Type: application/dicom+json\r\nContent-Length: " +
                       std::to_string(json.size()) + "\r\n\r\n" + json);
  auto result = stow_rs(server.url("/dicom-web/"), {kInstance});
  ASSERT_TRUE(result.is_ok()) << result.status().message();
  EXPECT_EQ(result->status, 200);
  EXPECT_EQ(result->body, json);
  EXPECT_EQ(result->content_type, "application/dicom+json");
  EXPECT_FALSE(result->has_failed_sops);
  const std::string& request = server.request();
  EXPECT_EQ(request.rfind("POST /dicom-web/studies HTTP/1.1\r\n", 0), 0u) << request.substr(0, 200);
  const size_t type_at = request.find("Content-Type: multipart/related; type=\"application/dicom\"; boundary=");
  ASSERT_NE(type_at, std::string::npos);
  const size_t boundary_at = request.find("boundary=", type_at) + 9;
  const std::string boundary = request.substr(boundary_at, request.find("\r\n", boundary_at) - boundary_at);
  const std::string body = request.substr(request.find("\r\n\r\n") + 4);
  const std::vector<uint8_t> expected = stow_body({kInstance}, boundary);
  EXPECT_EQ(body, std::string(expected.begin(), expected.end()));
  EXPECT_NE(request.find("Accept: application/dicom+json\r\n"), std::string::npos);
}

TEST(Stow, AnEmptyFailedSopSequenceIsSuccess) {
  // Orthanc lists FailedSOPSequence without a value when every instance was stored.
  const std::string json =
      R"({ "00081198" : { "vr" : "SQ" }, "00081199" : { "Value" : [ { "x" : "]}" } ], "vr" : "SQ" } })";
  OneShotServer server("HTTP/1.1 200 OK\r\nContent-Length: " + std::to_string(json.size()) + "\r\n\r\n" + json);
  auto result = stow_rs(server.url("/"), {kInstance});
  ASSERT_TRUE(result.is_ok()) << result.status().message();
  EXPECT_FALSE(result->has_failed_sops);
}

TEST(Stow, SendsBasicAuthenticationAndReadsChunkedAnswers) {
  OneShotServer server("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n4\r\n[{}]\r\n2\r\n  \r\n0\r\n\r\n");
  std::string url = server.url("");
  url.insert(7, "orthanc:orthanc@");
  auto result = stow_rs(url, {kInstance});
  ASSERT_TRUE(result.is_ok()) << result.status().message();
  EXPECT_EQ(result->body, "[{}]  ");
  const std::string& request = server.request();
  EXPECT_EQ(request.rfind("POST /studies HTTP/1.1\r\n", 0), 0u);
  EXPECT_NE(request.find("Authorization: Basic b3J0aGFuYzpvcnRoYW5j\r\n"), std::string::npos);
}

TEST(Stow, ServerErrorsAreErrors) {
  {
    OneShotServer server("HTTP/1.1 409 Conflict\r\nContent-Length: 13\r\n\r\nalready there");
    auto result = stow_rs(server.url("/dicom-web"), {kInstance});
    ASSERT_FALSE(result.is_ok());
    const std::string& m = result.status().message();
    EXPECT_NE(m.find("HTTP 409 Conflict"), std::string::npos) << m;
    EXPECT_NE(m.find("already there"), std::string::npos) << m;
    EXPECT_NE(m.find("/dicom-web/studies"), std::string::npos) << m;
  }
  {
    OneShotServer server("HTTP/1.1 500 Internal Server Error\r\nContent-Length: 0\r\n\r\n");
    auto result = stow_rs(server.url("/"), {kInstance});
    ASSERT_FALSE(result.is_ok());
    EXPECT_NE(result.status().message().find("HTTP 500"), std::string::npos);
  }
  {
    const std::string json = R"({"00081198":{"vr":"SQ","Value":[{"00081197":{"vr":"US","Value":[272]}}]}})";
    OneShotServer server("HTTP/1.1 202 Accepted\r\nContent-Length: " + std::to_string(json.size()) + "\r\n\r\n" + json);
    auto result = stow_rs(server.url("/"), {kInstance});
    ASSERT_FALSE(result.is_ok());
    EXPECT_NE(result.status().message().find("refused the instance"), std::string::npos) << result.status().message();
  }
  {
    OneShotServer server("garbage");
    auto result = stow_rs(server.url("/"), {kInstance});
    ASSERT_FALSE(result.is_ok());
    EXPECT_NE(result.status().message().find("did not answer with HTTP"), std::string::npos);
  }
}

TEST(Stow, ConnectionRefusedNamesTheServer) {
  // A port that was just free: bind, read its number, close.
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
  socklen_t length = sizeof address;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length);
  const int port = ntohs(address.sin_port);
  ::close(fd);
  auto result = stow_rs("http://127.0.0.1:" + std::to_string(port) + "/dicom-web", {kInstance}, 5);
  ASSERT_FALSE(result.is_ok());
  EXPECT_NE(result.status().message().find("cannot connect to 127.0.0.1:" + std::to_string(port)), std::string::npos)
      << result.status().message();
  auto unresolved = stow_rs("http://no-such-host.invalid/dicom-web", {kInstance}, 5);
  ASSERT_FALSE(unresolved.is_ok());
  EXPECT_NE(unresolved.status().message().find("no-such-host.invalid"), std::string::npos);
}

}  // namespace
}  // namespace cairn::dicom
