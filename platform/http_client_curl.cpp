// HttpClient over libcurl's easy interface. The easy handle is kept so that connections are
// reused (keep-alive) across the sync client's batches.
#include <curl/curl.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>
#include <mutex>
#include <vector>

#include "platform/http_client_curl.hpp"

namespace kiosk::platform {
namespace {

// Where a response body goes: memory, or a file for a 2xx answer when the request names one.
struct BodySink {
  CURL* curl = nullptr;
  std::string* body = nullptr;
  std::FILE* file = nullptr;
  bool file_failed = false;
};

size_t WriteBody(char* ptr, size_t size, size_t n, void* user) {
  auto* sink = static_cast<BodySink*>(user);
  long status = 0;
  if (sink->file) curl_easy_getinfo(sink->curl, CURLINFO_RESPONSE_CODE, &status);
  if (sink->file && status >= 200 && status < 300) {
    if (std::fwrite(ptr, 1, size * n, sink->file) != size * n) {
      sink->file_failed = true;
      return 0;  // curl stops with CURLE_WRITE_ERROR
    }
    return size * n;
  }
  sink->body->append(ptr, size * n);
  return size * n;
}

size_t WriteHeader(char* ptr, size_t size, size_t n, void* user) {
  auto* headers = static_cast<std::vector<std::pair<std::string, std::string>>*>(user);
  std::string line(ptr, size * n);
  const size_t colon = line.find(':');
  if (line.rfind("HTTP/", 0) == 0) headers->clear();  // a new response (after 100-continue)
  if (colon != std::string::npos) {
    std::string name = line.substr(0, colon);
    std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) { return std::tolower(c); });
    std::string value = line.substr(colon + 1);
    while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.erase(value.begin());
    while (!value.empty() && (value.back() == '\r' || value.back() == '\n' || value.back() == ' ')) value.pop_back();
    headers->emplace_back(std::move(name), std::move(value));
  }
  return size * n;
}

class CurlHttpClient final : public HttpClient {
 public:
  explicit CurlHttpClient(CurlOptions options) : m_options(std::move(options)) {
    static std::once_flag once;
    std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
  }
  ~CurlHttpClient() override {
    for (CURL* c : m_idle) curl_easy_cleanup(c);
  }

  // Safe to call from several threads at once (the sync keeps several batches in flight): each call
  // takes an idle handle, with its kept-alive connection, or makes one.
  Result<HttpResponse> Send(const HttpRequest& r) override {
    CURL* c = nullptr;
    {
      std::lock_guard lock(m_mu);
      if (!m_idle.empty()) {
        c = m_idle.back();
        m_idle.pop_back();
      }
    }
    if (!c) c = curl_easy_init();
    if (!c) return MakeError(ErrorKind::Network, "net.init", "libcurl could not be initialised.");
    struct GiveBack {
      CurlHttpClient& self;
      CURL* c;
      ~GiveBack() {
        std::lock_guard lock(self.m_mu);
        self.m_idle.push_back(c);
      }
    } give_back{*this, c};
    curl_easy_reset(c);
    HttpResponse out;
    curl_easy_setopt(c, CURLOPT_URL, r.url.c_str());
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_TCP_NODELAY, 1L);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, static_cast<long>(r.timeout_ms));
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(r.connect_timeout_ms));
    BodySink sink{c, &out.body, nullptr, false};
    std::unique_ptr<std::FILE, int (*)(std::FILE*)> file(nullptr, &std::fclose);
    if (!r.body_file.empty()) {
      file.reset(std::fopen(r.body_file.c_str(), "wbe"));
      if (!file)
        return MakeError(ErrorKind::Storage, "net.download_file",
                         "Can't write the download to " + r.body_file + ": " + std::strerror(errno) +
                             ". Check that the data folder is writable and has space.",
                         {{"file", r.body_file}, {"detail", std::strerror(errno)}});
      sink.file = file.get();
    }
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, WriteBody);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &sink);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, WriteHeader);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, &out.headers);
    const std::string& ca_file = r.ca_file.empty() ? m_options.ca_file : r.ca_file;
    if (!ca_file.empty()) curl_easy_setopt(c, CURLOPT_CAINFO, ca_file.c_str());
    char curl_error[CURL_ERROR_SIZE] = "";
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, curl_error);
    if (!m_options.verify_peer) {
      curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 0L);
      curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 0L);
    }
    curl_slist* headers = nullptr;
    for (const auto& [k, v] : r.headers) headers = curl_slist_append(headers, (k + ": " + v).c_str());
    // A 1 MiB POST would otherwise wait for "100 Continue" first.
    headers = curl_slist_append(headers, "Expect:");
    if (r.method == "POST") {
      headers = curl_slist_append(headers, ("Content-Type: " + r.content_type).c_str());
      curl_easy_setopt(c, CURLOPT_POST, 1L);
      curl_easy_setopt(c, CURLOPT_POSTFIELDS, r.body.data());
      curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(r.body.size()));
    } else {
      curl_easy_setopt(c, CURLOPT_HTTPGET, 1L);
    }
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers);
    const CURLcode rc = curl_easy_perform(c);
    curl_slist_free_all(headers);
    if (file && (std::fflush(file.get()) != 0 || sink.file_failed))
      return MakeError(ErrorKind::Storage, "net.download_file",
                       "Can't write the download to " + r.body_file + " (the disk may be full). Nothing was applied.",
                       {{"file", r.body_file}}, "full");
    if (rc != CURLE_OK) {
      std::string code = "net.error";
      if (rc == CURLE_COULDNT_CONNECT) code = "net.refused";
      else if (rc == CURLE_OPERATION_TIMEDOUT) code = "net.timeout";
      else if (rc == CURLE_COULDNT_RESOLVE_HOST) code = "net.dns";
      else if (rc == CURLE_RECV_ERROR || rc == CURLE_SEND_ERROR || rc == CURLE_GOT_NOTHING) code = "net.reset";
      const std::string detail = curl_error[0] ? curl_error : curl_easy_strerror(rc);
      if (rc == CURLE_PEER_FAILED_VERIFICATION)
        return MakeError(ErrorKind::Network, "net.tls_untrusted",
                         "The central at " + r.url + " did not prove its identity: its certificate is not signed by " +
                             (ca_file.empty() ? std::string("a CA this system trusts") : "the CA in " + ca_file) +
                             " or does not name this address (" + detail +
                             "). Nothing was sent. Give the central's CA certificate with --ca FILE.",
                         {{"url", r.url}, {"ca", ca_file}, {"detail", detail}}, ca_file.empty() ? "" : "ca");
      if (rc == CURLE_SSL_CACERT_BADFILE)
        return MakeError(ErrorKind::Usage, "net.tls_ca_file",
                         "Can't use " + ca_file + " as the CA certificate (missing, unreadable or not PEM: " + detail +
                             "). Nothing was sent.",
                         {{"file", ca_file}, {"detail", detail}});
      if (rc == CURLE_SSL_CONNECT_ERROR) code = "net.tls";
      return MakeError(ErrorKind::Network, code, "Can't reach the central at " + r.url + ": " + detail + ".",
                       {{"url", r.url}, {"detail", detail}});
    }
    long status = 0;
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    out.status = static_cast<int>(status);
    return out;
  }

 private:
  CurlOptions m_options;
  std::mutex m_mu;
  std::vector<CURL*> m_idle;  // handles not in a Send, each keeping its connection alive
};

}  // namespace

std::unique_ptr<HttpClient> MakeCurlHttpClient(const CurlOptions& options) {
  return std::make_unique<CurlHttpClient>(options);
}

}  // namespace kiosk::platform
