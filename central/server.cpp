#include "central/server.hpp"

#include <httplib.h>

#include <algorithm>
#include <chrono>
#include <cstdio>

namespace kiosk::central {

namespace {

constexpr size_t kServerThreads = 64;

void Reply(httplib::Response& res, const HttpAnswer& a) {
  res.status = a.status;
  if (a.retry_after_s > 0) res.set_header("Retry-After", std::to_string(a.retry_after_s));
  if (!a.body_file) {
    res.set_content(a.body, "application/json");
    return;
  }
  // A big document: sent from its file in 64 KiB pieces, the file closed when the send ends.
  std::shared_ptr<FILE> file = a.body_file;
  std::fseek(file.get(), 0, SEEK_END);
  const long size = std::ftell(file.get());
  res.set_content_provider(
      static_cast<size_t>(size < 0 ? 0 : size), "application/json",
      [file](size_t offset, size_t length, httplib::DataSink& sink) {
        char buf[65536];
        if (std::fseek(file.get(), static_cast<long>(offset), SEEK_SET) != 0) return false;
        const size_t n = std::fread(buf, 1, std::min(length, sizeof buf), file.get());
        return n > 0 && sink.write(buf, n);
      },
      [file](bool) {});
}

sync::SignedHeaders HeadersOf(const httplib::Request& req) {
  sync::SignedHeaders h;
  h.kiosk_id = req.get_header_value(sync::kHeaderKioskId);
  h.time_ms = std::strtoll(req.get_header_value(sync::kHeaderTime).c_str(), nullptr, 10);
  h.nonce = req.get_header_value(sync::kHeaderNonce);
  h.signature = req.get_header_value(sync::kHeaderSignature);
  return h;
}

int64_t ParamInt(const httplib::Request& req, const char* name, int64_t def) {
  if (!req.has_param(name)) return def;
  const std::string v = req.get_param_value(name);
  char* end = nullptr;
  const long long n = std::strtoll(v.c_str(), &end, 10);
  return end && *end == '\0' && !v.empty() ? n : def;
}

}  // namespace

Server::Server(Central& central, ServerOptions options) : m_central(central), m_options(std::move(options)) {}

Server::~Server() { Stop(); }

Status Server::Start() {
  if (!m_options.cert_file.empty() || !m_options.key_file.empty()) {
    if (m_options.cert_file.empty() || m_options.key_file.empty())
      return MakeError(ErrorKind::Usage, "serve.tls", "Give both --cert and --key for HTTPS.");
    auto tls = std::make_unique<httplib::SSLServer>(m_options.cert_file.c_str(), m_options.key_file.c_str());
    if (!tls->is_valid())
      return MakeError(ErrorKind::Usage, "serve.tls",
                       "Can't use the certificate " + m_options.cert_file + " with the key " + m_options.key_file +
                           " (unreadable, not PEM, or they don't match).");
    m_http = std::move(tls);
  } else {
    m_http = std::make_unique<httplib::Server>();
  }
  httplib::Server& s = *m_http;
  // Without TCP_NODELAY every response waits ~40 ms for delayed ACKs; the default keep-alive
  // of 5 requests would reopen the kiosk's connection every 5 batches.
  s.set_tcp_nodelay(true);
  s.set_keep_alive_max_count(100000);
  s.set_keep_alive_timeout(5);  // an idle kiosk connection also delays stop() this long
  s.set_read_timeout(30, 0);
  s.set_write_timeout(30, 0);
  s.set_payload_max_length(sync::kMaxRequestBytes);
  // One thread per open connection, and each pushing kiosk keeps two open (two batches in
  // flight) for the keep-alive time: httplib's default of 8 threads would serve four kiosks and
  // queue the fifth's connections until one of them closed.
  s.new_task_queue = [] { return new httplib::ThreadPool(kServerThreads); };

  s.Post("/v1/enroll", [this](const httplib::Request& req, httplib::Response& res) {
    Reply(res, m_central.HandleEnrol(req.body));
  });
  s.Post("/v1/batches", [this](const httplib::Request& req, httplib::Response& res) {
    Reply(res, m_central.HandleBatch(HeadersOf(req), req.body));
  });
  s.Get("/v1/reference", [this](const httplib::Request& req, httplib::Response& res) {
    const int64_t since = ParamInt(req, "since", 0);
    const int64_t after = ParamInt(req, "verdicts_after", -1);
    std::string path = "/v1/reference?since=" + std::to_string(since);
    if (req.has_param("verdicts_after")) path += "&verdicts_after=" + std::to_string(after);
    Reply(res, m_central.HandleReference(HeadersOf(req), path, since, after));
  });
  s.Get("/v1/health", [](const httplib::Request&, httplib::Response& res) {
    res.set_content(std::string("{\"ok\":true,\"server\":\"kiosk-central ") + KIOSK_VERSION + "\"}",
                    "application/json");
  });
  s.set_exception_handler([](const httplib::Request&, httplib::Response& res, std::exception_ptr) {
    res.status = 500;
    res.set_content(R"({"error":{"code":"central.internal","message":"The central hit an internal error; retry later."}})",
                    "application/json");
  });

  if (m_options.port == 0) {
    m_port = s.bind_to_any_port(m_options.host);
    if (m_port <= 0)
      return MakeError(ErrorKind::Network, "serve.bind", "Can't listen on " + m_options.host + " (any port).");
  } else {
    if (!s.bind_to_port(m_options.host, m_options.port))
      return MakeError(ErrorKind::Network, "serve.bind",
                       "Can't listen on " + m_options.host + ":" + std::to_string(m_options.port) +
                           " (in use, or not an address of this machine).");
    m_port = m_options.port;
  }
  m_thread = std::thread([this] { m_http->listen_after_bind(); });
  for (int i = 0; i < 500 && !m_http->is_running(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(2));
  return {};
}

void Server::Stop() {
  if (m_http) m_http->stop();
  if (m_thread.joinable()) m_thread.join();
}

void Server::Wait() {
  if (m_thread.joinable()) m_thread.join();
}

}  // namespace kiosk::central
