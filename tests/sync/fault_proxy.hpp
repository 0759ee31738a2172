#pragma once
// A small HTTP/1.1 proxy on loopback that injects faults between the kiosk and the central:
// an error status instead of forwarding, a connection reset before forwarding, or the central's
// response dropped after the central committed. One thread per client connection; requests on
// a connection are handled one after the other (no pipelining, like curl).
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cstring>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace kiosk::test {

enum class Fault { None, Status500, Status503, ResetBeforeForward, DropResponseAfterCommit };

class FaultProxy {
 public:
  explicit FaultProxy(int upstream_port) : m_upstream(upstream_port) {
    m_listen = ::socket(AF_INET, SOCK_STREAM, 0);
    int one = 1;
    ::setsockopt(m_listen, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(m_listen, reinterpret_cast<sockaddr*>(&a), sizeof a);
    socklen_t len = sizeof a;
    ::getsockname(m_listen, reinterpret_cast<sockaddr*>(&a), &len);
    m_port = ntohs(a.sin_port);
    ::listen(m_listen, 64);
    m_accept = std::thread([this] { AcceptLoop(); });
  }
  ~FaultProxy() {
    m_stop = true;
    ::shutdown(m_listen, SHUT_RDWR);
    ::close(m_listen);
    m_accept.join();
    std::lock_guard lock(m_mu);
    for (int fd : m_open) ::shutdown(fd, SHUT_RDWR);
    for (auto& t : m_threads) t.join();
  }
  int Port() const { return m_port; }
  std::string Url() const { return "http://127.0.0.1:" + std::to_string(m_port); }

  // The next `count` requests get `fault`; then requests pass again.
  void Inject(Fault fault, int count) {
    std::lock_guard lock(m_mu);
    for (int i = 0; i < count; ++i) m_plan.push_back(fault);
  }
  int FaultsDone() const { return m_done; }
  int Requests() const { return m_requests; }

 private:
  static bool ReadMessage(int fd, std::string& buf, std::string& msg) {
    // Headers, then Content-Length bytes of body.
    for (;;) {
      const size_t end = buf.find("\r\n\r\n");
      if (end != std::string::npos) {
        size_t len = 0;
        std::string head = buf.substr(0, end);
        for (auto& c : head) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        const size_t cl = head.find("content-length:");
        if (cl != std::string::npos) len = std::strtoul(head.c_str() + cl + 15, nullptr, 10);
        while (buf.size() < end + 4 + len) {
          char tmp[65536];
          const ssize_t n = ::recv(fd, tmp, sizeof tmp, 0);
          if (n <= 0) return false;
          buf.append(tmp, static_cast<size_t>(n));
        }
        msg = buf.substr(0, end + 4 + len);
        buf.erase(0, end + 4 + len);
        return true;
      }
      char tmp[65536];
      const ssize_t n = ::recv(fd, tmp, sizeof tmp, 0);
      if (n <= 0) return false;
      buf.append(tmp, static_cast<size_t>(n));
    }
  }
  static bool SendAll(int fd, const std::string& s) {
    size_t done = 0;
    while (done < s.size()) {
      const ssize_t n = ::send(fd, s.data() + done, s.size() - done, MSG_NOSIGNAL);
      if (n <= 0) return false;
      done += static_cast<size_t>(n);
    }
    return true;
  }
  static void Reset(int fd) {
    linger l{1, 0};
    ::setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof l);
    ::close(fd);
  }

  void AcceptLoop() {
    while (!m_stop) {
      const int c = ::accept(m_listen, nullptr, nullptr);
      if (c < 0) return;
      std::lock_guard lock(m_mu);
      m_open.push_back(c);
      m_threads.emplace_back([this, c] { Serve(c); });
    }
  }

  void Serve(int client) {
    int up = -1;
    std::string cbuf, ubuf;
    auto done = [&] {
      if (up >= 0) ::close(up);
    };
    for (;;) {
      std::string req;
      if (!ReadMessage(client, cbuf, req)) break;
      ++m_requests;
      Fault f = Fault::None;
      {
        std::lock_guard lock(m_mu);
        if (!m_plan.empty()) {
          f = m_plan.front();
          m_plan.erase(m_plan.begin());
        }
      }
      if (f != Fault::None) ++m_done;
      if (f == Fault::ResetBeforeForward) {
        Reset(client);
        done();
        return;
      }
      if (f == Fault::Status500 || f == Fault::Status503) {
        const std::string body = R"({"error":{"code":"test.injected","message":"injected by the test proxy"}})";
        const std::string resp = std::string("HTTP/1.1 ") + (f == Fault::Status500 ? "500 Internal Server Error" : "503 Service Unavailable") +
                                 "\r\nContent-Type: application/json\r\nRetry-After: 0\r\nContent-Length: " +
                                 std::to_string(body.size()) + "\r\n\r\n" + body;
        if (!SendAll(client, resp)) break;
        continue;
      }
      if (up < 0) {
        up = ::socket(AF_INET, SOCK_STREAM, 0);
        int one = 1;
        ::setsockopt(up, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        sockaddr_in a{};
        a.sin_family = AF_INET;
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        a.sin_port = htons(static_cast<uint16_t>(m_upstream));
        if (::connect(up, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
          Reset(client);
          done();
          return;
        }
      }
      std::string resp;
      if (!SendAll(up, req) || !ReadMessage(up, ubuf, resp)) {
        Reset(client);
        done();
        return;
      }
      if (f == Fault::DropResponseAfterCommit) {
        Reset(client);
        done();
        return;
      }
      if (!SendAll(client, resp)) break;
    }
    ::close(client);
    done();
  }

  int m_upstream;
  int m_listen = -1;
  int m_port = 0;
  std::atomic<bool> m_stop{false};
  std::atomic<int> m_done{0};
  std::atomic<int> m_requests{0};
  std::mutex m_mu;
  std::vector<Fault> m_plan;
  std::vector<int> m_open;
  std::vector<std::thread> m_threads;
  std::thread m_accept;
};

}  // namespace kiosk::test
