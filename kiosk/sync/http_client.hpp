#pragma once
// HttpClient: the narrow HTTP interface the sync client talks through, a port owned by kiosk/sync.
// The libcurl adapter lives in platform/http_client_curl.*; tests may inject their own. One instance is used
// by one thread at a time (it keeps one connection alive between requests).
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "kiosk/core/result.hpp"

namespace kiosk::platform {

struct HttpRequest {
  std::string method = "GET";  // GET or POST
  std::string url;             // "http://host:port/v1/batches"
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  std::string content_type = "application/json";
  int timeout_ms = 30000;      // whole request
  int connect_timeout_ms = 5000;
  std::string ca_file;         // PEM CA(s) to verify an https server with; empty: the client's own
  // If set, a 2xx response's body is written to this file (created or truncated) instead of
  // HttpResponse::body, so a big download never sits in memory; other statuses' bodies still
  // come in `body`. A client that can't do this may fill `body` instead: callers accept both.
  std::string body_file;
};

struct HttpResponse {
  int status = 0;
  std::vector<std::pair<std::string, std::string>> headers;  // names lowercased
  std::string body;
  std::string Header(const std::string& lowercase_name) const {
    for (const auto& [k, v] : headers)
      if (k == lowercase_name) return v;
    return "";
  }
};

class HttpClient {
 public:
  virtual ~HttpClient() = default;
  // Any HTTP status is a response; only transport failures (refused, reset, timeout, TLS) are
  // errors, of kind Network with code "net.*" and a message naming the URL and the cause.
  virtual Result<HttpResponse> Send(const HttpRequest& request) = 0;
};

}  // namespace kiosk::platform
