#pragma once
// The libcurl adapter of sync's HttpClient port (kiosk/sync/http_client.hpp). Built by the
// composition root (the app, the CLI's sync commands, tests); the sync engine only sees the port.
#include <memory>
#include <string>

#include "kiosk/sync/http_client.hpp"

namespace kiosk::platform {

struct CurlOptions {
  std::string ca_file;       // extra CA bundle for a self-signed central (PEM); empty: system CAs
  bool verify_peer = true;
};

std::unique_ptr<HttpClient> MakeCurlHttpClient(const CurlOptions& options = {});

}  // namespace kiosk::platform
