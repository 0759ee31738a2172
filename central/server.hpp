#pragma once
// The HTTP(S) face of Central on libevent's evhttp: POST /v1/enroll, POST /v1/batches,
// GET /v1/reference, GET /v1/health.
//
// Threads: a few event threads hold every connection (any number: an idle kiosk's keep-alive
// costs a socket and a few KiB, no thread); a fixed pool of workers runs Central's handlers
// (verification, the store); between them one bounded queue. A request that finds the queue full
// is answered 503 with a jittered Retry-After at once, never left hanging. The health answer,
// the rate limits and the overload answers are written on the event threads, so they still come
// back when every worker is busy. Owned by kiosk-central's main (or a test); Start/Stop from one
// thread.
#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "central/central.hpp"

namespace kiosk::central {

struct ServerOptions {
  std::string host = "127.0.0.1";
  int port = 0;            // 0: any free port (see Port())
  std::string cert_file;   // both set: HTTPS
  std::string key_file;
  int event_threads = 2;   // threads holding connections (accept, read, write)
  int workers = 4;         // threads running the handlers; the store serialises writes anyway
  int queue_limit = 256;   // requests read and waiting for a worker; beyond it: 503
  // Bodies waiting for a worker or still being read; beyond it: 503. A batch is weighed by its
  // Content-Length when its headers arrive (plain HTTP): one that would not fit is answered 503
  // without its body being kept (the body is read and dropped as it comes).
  size_t queue_bytes = size_t{96} << 20;
  // A request that waited this long in the queue is answered 503 instead of being run: the kiosk
  // gives up after 30 s and resends, so work done after that is wasted and the answer is late.
  int max_queue_wait_s = 20;
  int idle_timeout_s = 120;  // a connection with no request for this long is closed
  int backlog = 4096;        // listen() backlog (the kernel caps it at net.core.somaxconn)
  // Per kiosk id (X-Kiosk-Id), all requests but enrolment: a token bucket; over it: 429.
  double kiosk_rate_per_s = 100;
  double kiosk_burst = 200;
  // Per source address, POST /v1/enroll: a token bucket; over it: 429.
  double enrol_rate_per_min = 60;
  double enrol_burst = 120;
  int max_retry_after_s = 60;  // the spread of Retry-After under overload grows up to this
};

// What GET /v1/health reports (also for tests and the benchmark).
struct ServerLoad {
  int64_t queued = 0, queue_limit = 0;
  int64_t busy_workers = 0, workers = 0;
  int64_t connections = 0;        // open connections that sent a request
  int64_t served = 0;             // answers from the workers since start
  int64_t overloaded = 0;         // 503 for a full queue since start
  int64_t rate_limited = 0;       // 429 since start
  int64_t turned_away_at_headers = 0;  // of `overloaded`: answered before their body was read
  int64_t expired_in_queue = 0;        // of `overloaded`: waited max_queue_wait_s in the queue
  int64_t reading = 0, reading_bytes = 0;  // batches admitted at their headers, body being read
  int64_t queued_bytes = 0;
  // From a request read whole to its answer handed to the socket: the slowest, and how many took
  // over 10 s and over 30 s (a kiosk gives up at 30 s).
  int64_t slowest_answer_ms = 0, answers_over_10s = 0, answers_over_30s = 0;
  int64_t longest_queue_wait_ms = 0;
  int retry_after_spread_s = 1;   // Retry-After is drawn from 1..this now
};

class Server {
 public:
  Server(Central& central, ServerOptions options);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Binds and starts serving; returns once requests are accepted.
  Status Start();
  int Port() const { return m_port; }
  void Stop();
  // Blocks until Stop() (from another thread) ends the server.
  void Wait();
  ServerLoad Load() const;

  struct Impl;  // libevent state, kept out of this header

 private:
  Central& m_central;
  ServerOptions m_options;
  std::unique_ptr<Impl> m_impl;
  int m_port = 0;
};

}  // namespace kiosk::central
