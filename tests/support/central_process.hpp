#pragma once
// A `kiosk-central serve` child process for tests that kill and restart it (SIGKILL, several
// processes on one database): a free loopback port, the start, and the wait for /v1/health.
// Used by tests/sync/sigkill_test.cpp and tests/central/pg_concurrency_test.cpp.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "platform/http_client_curl.hpp"

namespace kiosk::test {

// A port that was free a moment ago (bound to port 0 and closed again).
inline int FreePort() {
  int s = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(s, reinterpret_cast<sockaddr*>(&a), sizeof a);
  socklen_t len = sizeof a;
  ::getsockname(s, reinterpret_cast<sockaddr*>(&a), &len);
  ::close(s);
  return ntohs(a.sin_port);
}

// Starts build/central/kiosk-central serving `db` on 127.0.0.1:port (with `serve_args` after
// `serve --listen ...`), its output to /dev/null.
inline pid_t StartCentralProcess(const std::string& db, int port, std::vector<std::string> serve_args = {}) {
  const std::string bin = std::string(KIOSK_BINARY_DIR) + "/central/kiosk-central";
  std::vector<std::string> args{bin, "--db", db, "serve", "--listen", "127.0.0.1:" + std::to_string(port)};
  args.insert(args.end(), serve_args.begin(), serve_args.end());
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  pid_t pid = ::fork();
  if (pid == 0) {
    int devnull = ::open("/dev/null", O_WRONLY);
    ::dup2(devnull, 1);
    ::dup2(devnull, 2);
    ::execv(bin.c_str(), argv.data());
    ::_exit(127);
  }
  return pid;
}

inline bool CentralHealthy(int port) {
  auto http = platform::MakeCurlHttpClient();
  platform::HttpRequest req;
  req.url = "http://127.0.0.1:" + std::to_string(port) + "/v1/health";
  req.timeout_ms = 500;
  auto r = http->Send(req);
  return r.ok() && r->status == 200;
}

// Polls /v1/health every 20 ms, `tries` times at most.
inline bool WaitCentralHealthy(int port, int tries = 300) {
  for (int i = 0; i < tries; ++i) {
    if (CentralHealthy(port)) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return false;
}

}  // namespace kiosk::test
