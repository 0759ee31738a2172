#pragma once
// The HTTP(S) face of Central (cpp-httplib): POST /v1/enroll, POST /v1/batches,
// GET /v1/reference, GET /v1/health. Owns its listening thread; the handlers run on httplib's
// worker threads and call Central, which serialises them.
#include <memory>
#include <string>
#include <thread>

#include "central/central.hpp"

namespace httplib { class Server; }

namespace kiosk::central {

struct ServerOptions {
  std::string host = "127.0.0.1";
  int port = 0;            // 0: any free port (see Port())
  std::string cert_file;   // both set: HTTPS
  std::string key_file;
};

class Server {
 public:
  Server(Central& central, ServerOptions options);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Binds and starts serving on a thread; returns once requests are accepted.
  Status Start();
  int Port() const { return m_port; }
  void Stop();
  // Blocks until Stop() (from a signal handler thread) ends the server.
  void Wait();

 private:
  Central& m_central;
  ServerOptions m_options;
  std::unique_ptr<httplib::Server> m_http;
  std::thread m_thread;
  int m_port = 0;
};

}  // namespace kiosk::central
