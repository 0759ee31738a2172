#include "central/server.hpp"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <event2/thread.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <random>
#include <unordered_map>
#include <unordered_set>

#include "kiosk/core/domain.hpp"

namespace kiosk::central {

namespace {

using SteadyClock = std::chrono::steady_clock;

enum class Route { Enrol, Batch, Reference, Journal };

struct EventThread;

// One request read off a connection, waiting for a worker. `req` belongs to `owner`'s event
// thread: only that thread may touch it, so a worker hands the answer back through its mailbox.
struct Task {
  EventThread* owner = nullptr;
  evhttp_request* req = nullptr;
  Route route = Route::Batch;
  sync::SignedHeaders headers;
  std::string body;
  int64_t since = 0, verdicts_after = -1;
  bool has_verdicts_after = false;
  int64_t after = 0, limit = 0;  // GET /v1/journal
  std::string if_none_match;
  int64_t from_seq = -1;  // a batch's first seq, when the body is in the kiosk's compact form
  SteadyClock::time_point read_at;  // when the event thread had the whole request
};

struct Done {
  evhttp_request* req = nullptr;
  HttpAnswer answer;
  SteadyClock::time_point read_at;
};

// ---- Admission at the headers ----
//
// evhttp reads a request's whole body before the server sees it, and libevent 2.1 (Debian 12)
// has no hook on a server request before its headers are parsed (evhttp_set_newreqcb, which
// would allow evhttp_request_set_header_cb, came with 2.2). So each plain-HTTP connection reads
// through a bufferevent filter of ours that sees the byte stream first: at the end of each
// request's headers it decides. A POST /v1/batches with a Content-Length is given a place in the
// queue (a slot and its bytes) before its body is read, or, if the queue has no room, passed on
// to evhttp with `Content-Length: 0` and kAdmissionHeader "turned-away" while the filter drops
// its body as it arrives: evhttp hands the server a request without a body, answered 503 with
// Retry-After at once, and the connection stays in step for the kiosk's next request. Every other
// request passes through unchanged (kAdmissionHeader removed: only the filter may set it).
constexpr const char* kAdmissionHeader = "X-Kiosk-Central-Admission";
constexpr const char* kAdmissionHeaderLower = "x-kiosk-central-admission";  // as ReadHead compares names
constexpr size_t kMaxHeadBytes = 64 * 1024;  // as evhttp_set_max_headers_size below

struct Admission {
  EventThread* thread = nullptr;
  bufferevent* bev = nullptr;  // the filter evhttp reads from and writes to
  enum class State { Head, Pass, Discard, Through } state = State::Head;
  uint64_t left = 0;  // body bytes still to pass on (Pass) or to drop (Discard)
  // Places held by batches passed on whose request evhttp has not yet handed over, in order.
  std::deque<size_t> held;
  // libevent 2.1's filter moves what is written into it on to the socket only while its writing is
  // enabled, and evhttp writes an answer before it enables writing: without a nudge the answer
  // waits for an unrelated write event. So whenever evhttp adds output, `kick` runs once the
  // current callback is over and flushes it (holding a reference, so the bufferevent outlives it);
  // and after an answer, bytes of the next request already read off the socket are handed on.
  event* kick = nullptr;
  bool kick_pending = false;
};

// What the filter needs of a request's headers.
struct HeadFacts {
  std::string method, target;
  int64_t content_length = -1;  // -1: none; -2: unreadable or given twice
  bool transfer_encoding = false, expect = false, ours = false;
};

std::string Lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

// `head` ends with the empty line. Lines are split at CRLF (evhttp also takes a bare LF, which a
// kiosk never sends; such a head is passed on unchanged: see Gated).
HeadFacts ReadHead(const std::string& head) {
  HeadFacts f;
  size_t at = head.find("\r\n");
  const std::string first = head.substr(0, at);
  const size_t sp1 = first.find(' ');
  const size_t sp2 = sp1 == std::string::npos ? std::string::npos : first.find(' ', sp1 + 1);
  if (sp1 != std::string::npos) f.method = first.substr(0, sp1);
  if (sp2 != std::string::npos) f.target = first.substr(sp1 + 1, sp2 - sp1 - 1);
  while (at != std::string::npos && at + 2 < head.size()) {
    const size_t next = head.find("\r\n", at + 2);
    if (next == std::string::npos) break;
    const std::string line = head.substr(at + 2, next - at - 2);
    at = next;
    const size_t colon = line.find(':');
    if (colon == std::string::npos) continue;
    const std::string name = Lower(Trimmed(std::string_view(line).substr(0, colon)));
    const std::string value = Trimmed(std::string_view(line).substr(colon + 1));
    if (name == "content-length") {
      char* end = nullptr;
      const long long n = std::strtoll(value.c_str(), &end, 10);
      const bool ok = !value.empty() && end && *end == '\0' && n >= 0;
      f.content_length = (!ok || f.content_length != -1) ? -2 : n;
    } else if (name == "transfer-encoding") {
      f.transfer_encoding = true;
    } else if (name == "expect") {
      f.expect = true;
    } else if (name == kAdmissionHeaderLower) {
      f.ours = true;
    }
  }
  return f;
}

// The head with kAdmissionHeader's lines removed and, for a turned-away request, Content-Length
// set to 0; then `verdict` as kAdmissionHeader (none if empty).
std::string RewriteHead(const std::string& head, bool zero_length, const std::string& verdict) {
  std::string out;
  out.reserve(head.size() + 64);
  size_t at = head.find("\r\n");
  out.append(head, 0, at + 2);  // the request line
  at += 2;
  for (;;) {
    const size_t next = head.find("\r\n", at);
    if (next == std::string::npos || next == at) break;  // the empty line
    const std::string line = head.substr(at, next - at);
    at = next + 2;
    const size_t colon = line.find(':');
    const std::string name =
        colon == std::string::npos ? "" : Lower(Trimmed(std::string_view(line).substr(0, colon)));
    if (name == kAdmissionHeaderLower) continue;
    if (zero_length && name == "content-length") continue;
    out += line;
    out += "\r\n";
  }
  if (zero_length) out += "Content-Length: 0\r\n";
  if (!verdict.empty()) out += std::string(kAdmissionHeader) + ": " + verdict + "\r\n";
  out += "\r\n";
  return out;
}

// A token bucket per key (kiosk id or source address). Guarded by its owner's mutex.
struct Bucket {
  double tokens = 0;
  SteadyClock::time_point at;
};

class RateLimiter {
 public:
  RateLimiter(double per_s, double burst) : m_per_s(per_s), m_burst(burst) {}
  // True if the key may go ahead now; else `wait_s` is how long until it may.
  bool Take(const std::string& key, double& wait_s) {
    if (m_per_s <= 0) return true;
    const auto now = SteadyClock::now();
    std::lock_guard lock(m_mu);
    if (m_buckets.size() > 200000) Prune(now);
    auto [it, fresh] = m_buckets.try_emplace(key, Bucket{m_burst, now});
    Bucket& b = it->second;
    if (!fresh) {
      b.tokens = std::min(m_burst, b.tokens + std::chrono::duration<double>(now - b.at).count() * m_per_s);
      b.at = now;
    }
    if (b.tokens >= 1) {
      b.tokens -= 1;
      return true;
    }
    wait_s = (1 - b.tokens) / m_per_s;
    return false;
  }

 private:
  // A bucket that has refilled completely says nothing any more: dropped.
  void Prune(SteadyClock::time_point now) {
    const double full_after_s = m_burst / m_per_s;
    for (auto it = m_buckets.begin(); it != m_buckets.end();) {
      if (std::chrono::duration<double>(now - it->second.at).count() > full_after_s) it = m_buckets.erase(it);
      else ++it;
    }
  }
  double m_per_s, m_burst;
  std::mutex m_mu;
  std::unordered_map<std::string, Bucket> m_buckets;
};

const char* Reason(int status) {
  switch (status) {
    case 200: return "OK";
    case 304: return "Not Modified";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 409: return "Conflict";
    case 413: return "Payload Too Large";
    case 422: return "Unprocessable Entity";
    case 429: return "Too Many Requests";
    case 500: return "Internal Server Error";
    case 503: return "Service Unavailable";
    default: return "Status";
  }
}

std::string Header(evhttp_request* req, const char* name) {
  const char* v = evhttp_find_header(evhttp_request_get_input_headers(req), name);
  return v ? v : "";
}

// A batch's from_seq, read off the body's tail without parsing it: the kiosk writes members in
// sorted order, so it follows the events array, and inside a payload string the quotes are
// escaped. -1 when not found (another valid form: the worker parses it all the same).
int64_t FromSeqOf(const std::string& body) {
  const size_t tail = body.size() > 4096 ? body.size() - 4096 : 0;
  const size_t at = body.rfind("\"from_seq\":");
  if (at == std::string::npos || at < tail) return -1;
  char* end = nullptr;
  const long long n = std::strtoll(body.c_str() + at + 11, &end, 10);
  return end && (*end == ',' || *end == '}') ? n : -1;
}

}  // namespace

namespace {

struct EventThread {
  Server::Impl* impl = nullptr;
  event_base* base = nullptr;
  evhttp* http = nullptr;
  event* wake = nullptr;  // activated by workers when the mailbox has answers
  std::mutex mu;
  std::vector<Done> mailbox;
  // Connections that sent a request, for the health figure; touched on this thread only.
  std::unordered_set<evhttp_connection*> connections;
  // Each plain-HTTP connection's filter state, by the bufferevent evhttp holds.
  std::unordered_map<bufferevent*, Admission*> admissions;
  std::thread thread;
};

}  // namespace

struct Server::Impl {
  Impl(Central& c, const ServerOptions& o)
      : central(c),
        opt(o),
        kiosk_limits(o.kiosk_rate_per_s, o.kiosk_burst),
        enrol_limits(o.enrol_rate_per_min / 60.0, o.enrol_burst) {}

  Central& central;
  ServerOptions opt;
  SSL_CTX* ssl = nullptr;
  int listen_fd = -1;
  std::vector<std::unique_ptr<EventThread>> threads;
  std::vector<std::thread> workers;

  std::mutex queue_mu;
  std::condition_variable queue_cv;
  std::deque<std::unique_ptr<Task>> queue;
  size_t queue_bytes = 0;
  // Places given to batches at their headers whose body is still being read (Admission).
  int64_t reserved = 0;
  size_t reserved_bytes = 0;
  bool stopping = false;

  std::atomic<int64_t> busy{0}, served{0}, overloaded{0}, rate_limited{0}, connections{0};
  std::atomic<int64_t> turned_at_headers{0}, expired{0};
  std::atomic<int64_t> slowest_answer_ms{0}, answers_over_10s{0}, answers_over_30s{0}, longest_wait_ms{0};

  // A place in the queue for a body of `bytes` not yet read; false if there is none.
  bool Reserve(size_t bytes);
  void Unreserve(size_t bytes);
  // Room for a request read whole that holds no place; call with queue_mu held.
  bool HasRoomLocked(size_t bytes) const {
    return !stopping && static_cast<int64_t>(queue.size()) + reserved < opt.queue_limit &&
           (queue_bytes + reserved_bytes + bytes <= opt.queue_bytes || (queue.empty() && reserved == 0));
  }

  RateLimiter kiosk_limits;
  RateLimiter enrol_limits;

  // Kiosks whose batch was just turned away (503/429), and its from_seq: a later batch of the same
  // kiosk, sent before that answer reached it, would only hold a worker waiting for a predecessor
  // that is not coming (Central waits 0.5 s for it, then answers 409), so it is turned away too.
  struct TurnedAway {
    int64_t from_seq;
    SteadyClock::time_point at;
  };
  std::mutex turned_mu;
  std::unordered_map<std::string, TurnedAway> turned_away;
  bool FollowsTurnedAway(const Task& t);
  void NoteTurnedAway(const Task& t);

  // The Retry-After spread: how many requests the last second turned away against how many it
  // served, so that the rejected come back over about as many seconds as it takes to serve them.
  std::mutex spread_mu;
  SteadyClock::time_point window_start = SteadyClock::now();
  int64_t window_rejected = 0, window_served_base = 0;
  int spread_s = 1;

  std::mutex stop_mu;
  std::condition_variable stop_cv;
  bool stopped = false;

  // ---- event threads ----
  static void OnRequest(evhttp_request* req, void* arg);
  static void OnWake(evutil_socket_t, short, void* arg);
  static void OnClose(evhttp_connection* conn, void* arg);
  static bufferevent* MakeTlsBufferevent(event_base* base, void* arg);
  static bufferevent* MakeAdmissionBufferevent(event_base* base, void* arg);
  static bufferevent_filter_result FilterIn(evbuffer* src, evbuffer* dst, ev_ssize_t limit,
                                            bufferevent_flush_mode mode, void* ctx);
  static bufferevent_filter_result FilterOut(evbuffer* src, evbuffer* dst, ev_ssize_t limit,
                                             bufferevent_flush_mode mode, void* ctx);
  static void FreeAdmission(void* ctx);
  static void OnOutputAdded(evbuffer* buf, const evbuffer_cb_info* info, void* ctx);
  static void OnKick(evutil_socket_t, short, void* ctx);
  void AdmitHead(Admission& a, const std::string& head, evbuffer* src, evbuffer* dst);
  void Handle(EventThread& t, evhttp_request* req);
  void Reply(evhttp_request* req, const HttpAnswer& a);
  void ReplyError(evhttp_request* req, int status, const char* code, const std::string& message,
                  int retry_after_s = 0);
  int RetryAfterSeconds(bool count_rejection);

  ServerLoad LoadNow();

  // ---- workers ----
  void WorkerLoop();
  Done Run(Task& task);
};

void Server::Impl::Reply(evhttp_request* req, const HttpAnswer& a) {
  evkeyvalq* out = evhttp_request_get_output_headers(req);
  if (a.status != 304) evhttp_add_header(out, "Content-Type", "application/json");
  if (a.retry_after_s > 0) evhttp_add_header(out, "Retry-After", std::to_string(a.retry_after_s).c_str());
  if (!a.etag.empty()) evhttp_add_header(out, "ETag", a.etag.c_str());
  evbuffer* buf = evbuffer_new();
  if (a.status == 304) {
    // no body
  } else if (a.body_file) {
    // A big document: sent from its file (sendfile, or mapped for TLS), never copied into memory.
    struct stat st {};
    const int fd = ::dup(::fileno(a.body_file.get()));
    if (fd >= 0 && ::fstat(fd, &st) == 0) {
      if (st.st_size == 0) ::close(fd);
      else evbuffer_add_file(buf, fd, 0, st.st_size);  // takes the descriptor
    } else if (fd >= 0) {
      ::close(fd);
    }
  } else {
    evbuffer_add(buf, a.body.data(), a.body.size());
  }
  evhttp_send_reply(req, a.status, Reason(a.status), buf);
  evbuffer_free(buf);
}

void Server::Impl::ReplyError(evhttp_request* req, int status, const char* code, const std::string& message,
                              int retry_after_s) {
  HttpAnswer a;
  a.status = status;
  a.body = sync::ErrorBody(MakeError(status == 503 || status == 429 ? ErrorKind::Network : ErrorKind::Usage, code,
                                     message),
                           retry_after_s > 0 ? nlohmann::json{{"retry_after_s", retry_after_s}}
                                             : nlohmann::json::object());
  a.retry_after_s = retry_after_s;
  Reply(req, a);
}

bool Server::Impl::FollowsTurnedAway(const Task& t) {
  if (t.route != Route::Batch || t.from_seq < 0) return false;
  std::lock_guard lock(turned_mu);
  auto it = turned_away.find(t.headers.kiosk_id);
  if (it == turned_away.end()) return false;
  if (SteadyClock::now() - it->second.at > std::chrono::seconds(2) || t.from_seq <= it->second.from_seq) {
    turned_away.erase(it);  // stale, or the kiosk is back from where it was turned away
    return false;
  }
  return true;
}

void Server::Impl::NoteTurnedAway(const Task& t) {
  if (t.route != Route::Batch || t.from_seq < 0) return;
  std::lock_guard lock(turned_mu);
  if (turned_away.size() > 100000) {
    const auto now = SteadyClock::now();
    for (auto it = turned_away.begin(); it != turned_away.end();)
      it = now - it->second.at > std::chrono::seconds(2) ? turned_away.erase(it) : std::next(it);
  }
  auto [it, fresh] = turned_away.try_emplace(t.headers.kiosk_id, TurnedAway{t.from_seq, SteadyClock::now()});
  if (!fresh) it->second = TurnedAway{std::min(it->second.from_seq, t.from_seq), SteadyClock::now()};
}

int Server::Impl::RetryAfterSeconds(bool count_rejection) {
  thread_local std::mt19937 rng{std::random_device{}()};
  int spread;
  {
    std::lock_guard lock(spread_mu);
    if (count_rejection) ++window_rejected;
    const auto now = SteadyClock::now();
    if (now - window_start >= std::chrono::seconds(1)) {
      const double secs = std::chrono::duration<double>(now - window_start).count();
      const int64_t served_now = served.load();
      const double served_per_s = std::max(1.0, static_cast<double>(served_now - window_served_base) / secs);
      const double rejected_per_s = static_cast<double>(window_rejected) / secs;
      // Those turned away this second, spread over the seconds it takes to serve them.
      const int want = static_cast<int>(std::ceil(rejected_per_s / served_per_s));
      // Grows at once, shrinks slowly: a storm comes back in waves.
      spread_s = std::clamp(std::max(want, spread_s - 1), 1, std::max(1, opt.max_retry_after_s));
      window_start = now;
      window_rejected = 0;
      window_served_base = served_now;
    }
    spread = spread_s;
  }
  // At least two seconds' choice, so that even a small overload does not come back in lockstep.
  std::uniform_int_distribution<int> dist(1, std::max(2, spread));
  return dist(rng);
}

void Server::Impl::OnRequest(evhttp_request* req, void* arg) {
  auto& t = *static_cast<EventThread*>(arg);
  t.impl->Handle(t, req);
}

void Server::Impl::OnClose(evhttp_connection* conn, void* arg) {
  auto& t = *static_cast<EventThread*>(arg);
  if (t.connections.erase(conn)) --t.impl->connections;
}

void Server::Impl::Handle(EventThread& t, evhttp_request* req) {
  if (evhttp_connection* conn = evhttp_request_get_connection(req); conn && t.connections.insert(conn).second) {
    ++connections;
    evhttp_connection_set_closecb(conn, &Impl::OnClose, &t);
    // Answers go out as a header write and a sendfile: without TCP_NODELAY the second waits for
    // the kiosk's delayed ACK (about 40 ms).
    if (bufferevent* bev = evhttp_connection_get_bufferevent(conn)) {
      const int on = 1;
      ::setsockopt(bufferevent_getfd(bev), IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);
    }
  }
  // The admission filter's verdict on this request's headers (plain HTTP only; see Admission).
  size_t held = 0;
  bool holds_place = false, turned_away = false;
  if (evhttp_connection* conn = evhttp_request_get_connection(req)) {
    auto it = t.admissions.find(evhttp_connection_get_bufferevent(conn));
    if (it != t.admissions.end()) {
      const std::string verdict = Header(req, kAdmissionHeader);
      if (verdict == "admitted" && !it->second->held.empty()) {
        held = it->second->held.front();
        it->second->held.pop_front();
        holds_place = true;
      } else if (verdict == "turned-away") {
        turned_away = true;
      }
    }
  }
  // A place that ends up unused (a 404, a 429, ...) is given back.
  struct Place {
    Impl* impl;
    size_t bytes;
    bool held;
    ~Place() {
      if (held) impl->Unreserve(bytes);
    }
  } place{this, held, holds_place};
  if (turned_away) {
    ++overloaded;
    ++turned_at_headers;
    ReplyError(req, 503, "central.busy", "The central is busy; retry after the time given in Retry-After.",
               RetryAfterSeconds(true));
    return;
  }

  const evhttp_uri* uri = evhttp_request_get_evhttp_uri(req);
  const char* raw_path = uri ? evhttp_uri_get_path(uri) : nullptr;
  const std::string path = raw_path ? raw_path : "";
  const evhttp_cmd_type method = evhttp_request_get_command(req);

  if (path == "/v1/health" && method == EVHTTP_REQ_GET) {
    const ServerLoad l = LoadNow();
    const double fill = static_cast<double>(l.queued) / std::max<int64_t>(1, l.queue_limit);
    const char* state = fill >= 1.0 ? "overloaded" : (fill >= 0.5 || l.busy_workers >= l.workers) ? "busy" : "ok";
    nlohmann::json j{{"ok", true},
                     {"server", std::string("kiosk-central ") + KIOSK_VERSION},
                     {"state", state},
                     {"load",
                      {{"queued", l.queued},
                       {"queue_limit", l.queue_limit},
                       {"busy_workers", l.busy_workers},
                       {"workers", l.workers},
                       {"connections", l.connections},
                       {"served", l.served},
                       {"overloaded_503", l.overloaded},
                       {"rate_limited_429", l.rate_limited},
                       {"turned_away_at_headers", l.turned_away_at_headers},
                       {"expired_in_queue", l.expired_in_queue},
                       {"reading", l.reading},
                       {"reading_bytes", l.reading_bytes},
                       {"queued_bytes", l.queued_bytes},
                       {"slowest_answer_ms", l.slowest_answer_ms},
                       {"answers_over_10s", l.answers_over_10s},
                       {"answers_over_30s", l.answers_over_30s},
                       {"longest_queue_wait_ms", l.longest_queue_wait_ms},
                       {"retry_after_spread_s", l.retry_after_spread_s}}}};
    HttpAnswer a;
    a.body = j.dump();
    Reply(req, a);
    return;
  }

  auto task = std::make_unique<Task>();
  task->owner = &t;
  task->req = req;
  if (path == "/v1/enroll" && method == EVHTTP_REQ_POST) {
    task->route = Route::Enrol;
    // Attempts per source address: a code has 100 bits and 5 tries, but a flood of guesses
    // still costs the store a write each.
    char* peer = nullptr;  // libevent's own string, not ours to free
    ev_uint16_t port = 0;
    if (evhttp_connection* conn = evhttp_request_get_connection(req)) evhttp_connection_get_peer(conn, &peer, &port);
    double wait_s = 0;
    if (!enrol_limits.Take(peer ? peer : "?", wait_s)) {
      ++rate_limited;
      ReplyError(req, 429, "enrol.rate_limited",
                 "Too many enrolment attempts from this address; wait and try again.",
                 static_cast<int>(std::ceil(wait_s)) + RetryAfterSeconds(false) - 1);
      return;
    }
  } else if (path == "/v1/batches" && method == EVHTTP_REQ_POST) {
    task->route = Route::Batch;
  } else if (path == "/v1/reference" && method == EVHTTP_REQ_GET) {
    task->route = Route::Reference;
    task->if_none_match = Header(req, "If-None-Match");
    if (const char* q = evhttp_uri_get_query(uri)) {
      evkeyvalq params{};
      if (evhttp_parse_query_str(q, &params) == 0) {
        auto int_param = [&](const char* name, int64_t def, bool* present) {
          const char* v = evhttp_find_header(&params, name);
          if (present) *present = v != nullptr;
          if (!v || !*v) return def;
          char* end = nullptr;
          const long long n = std::strtoll(v, &end, 10);
          return end && *end == '\0' ? static_cast<int64_t>(n) : def;
        };
        task->since = int_param("since", 0, nullptr);
        task->verdicts_after = int_param("verdicts_after", -1, &task->has_verdicts_after);
      }
      evhttp_clear_headers(&params);
    }
  } else if (path == "/v1/journal" && method == EVHTTP_REQ_GET) {
    task->route = Route::Journal;
    if (const char* q = evhttp_uri_get_query(uri)) {
      evkeyvalq params{};
      if (evhttp_parse_query_str(q, &params) == 0) {
        auto int_param = [&](const char* name) -> int64_t {
          const char* v = evhttp_find_header(&params, name);
          if (!v || !*v) return 0;
          char* end = nullptr;
          const long long n = std::strtoll(v, &end, 10);
          return end && *end == '\0' ? static_cast<int64_t>(n) : 0;
        };
        task->after = int_param("after");
        task->limit = int_param("limit");
      }
      evhttp_clear_headers(&params);
    }
  } else {
    ReplyError(req, 404, "request.not_found", "No such endpoint: " + path + ".");
    return;
  }

  evbuffer* in = evhttp_request_get_input_buffer(req);
  const size_t n = evbuffer_get_length(in);
  task->read_at = SteadyClock::now();
  task->body.resize(n);
  if (n) evbuffer_copyout(in, task->body.data(), n);
  if (task->route == Route::Batch) task->from_seq = FromSeqOf(task->body);

  if (task->route != Route::Enrol) {
    task->headers.kiosk_id = Header(req, sync::kHeaderKioskId);
    task->headers.time_ms = std::strtoll(Header(req, sync::kHeaderTime).c_str(), nullptr, 10);
    task->headers.nonce = Header(req, sync::kHeaderNonce);
    task->headers.signature = Header(req, sync::kHeaderSignature);
    // Per kiosk id, before any work: the id is not yet authenticated, so a forger can spend a
    // kiosk's budget, but not more than that kiosk's.
    double wait_s = 0;
    if (!kiosk_limits.Take(task->headers.kiosk_id, wait_s)) {
      ++rate_limited;
      NoteTurnedAway(*task);
      ReplyError(req, 429, "request.rate_limited", "Too many requests from this kiosk; slow down.",
                 static_cast<int>(std::ceil(wait_s)) + RetryAfterSeconds(false) - 1);
      return;
    }
  }

  if (!FollowsTurnedAway(*task)) {
    std::unique_lock lock(queue_mu);
    bool room;
    if (place.held) {
      // Its place was kept for it while its body was read.
      place.held = false;
      --reserved;
      reserved_bytes -= place.bytes;
      room = !stopping;
    } else {
      room = HasRoomLocked(n);
    }
    if (room) {
      queue_bytes += n;
      queue.push_back(std::move(task));
      lock.unlock();
      queue_cv.notify_one();
      return;
    }
  }
  NoteTurnedAway(*task);
  ++overloaded;
  ReplyError(req, 503, "central.busy", "The central is busy; retry after the time given in Retry-After.",
             RetryAfterSeconds(true));
}

void Server::Impl::OnWake(evutil_socket_t, short, void* arg) {
  auto& t = *static_cast<EventThread*>(arg);
  std::vector<Done> done;
  {
    std::lock_guard lock(t.mu);
    done.swap(t.mailbox);
  }
  const auto now = SteadyClock::now();
  for (auto& d : done) {
    const int64_t ms = std::chrono::duration_cast<std::chrono::milliseconds>(now - d.read_at).count();
    Impl& impl = *t.impl;
    for (int64_t seen = impl.slowest_answer_ms.load(); ms > seen && !impl.slowest_answer_ms.compare_exchange_weak(seen, ms);) {
    }
    if (ms > 10000) ++impl.answers_over_10s;
    if (ms > 30000) ++impl.answers_over_30s;
    impl.Reply(d.req, d.answer);
  }
}

Done Server::Impl::Run(Task& task) {
  Done d;
  d.req = task.req;
  try {
    switch (task.route) {
      case Route::Enrol:
        d.answer = central.HandleEnrol(task.body);
        break;
      case Route::Batch:
        d.answer = central.HandleBatch(task.headers, task.body);
        break;
      case Route::Reference: {
        // The path the kiosk signed, rebuilt as it writes it.
        std::string signed_path = "/v1/reference?since=" + std::to_string(task.since);
        if (task.has_verdicts_after) signed_path += "&verdicts_after=" + std::to_string(task.verdicts_after);
        d.answer = central.HandleReference(task.headers, signed_path, task.since, task.verdicts_after,
                                           task.if_none_match);
        break;
      }
      case Route::Journal: {
        const std::string signed_path =
            "/v1/journal?after=" + std::to_string(task.after) + "&limit=" + std::to_string(task.limit);
        d.answer = central.HandleJournal(task.headers, signed_path, task.after, task.limit);
        break;
      }
    }
  } catch (const std::exception&) {
    d.answer = HttpAnswer{};
    d.answer.status = 500;
    d.answer.body =
        R"({"error":{"code":"central.internal","message":"The central hit an internal error; retry later."}})";
  }
  return d;
}

void Server::Impl::WorkerLoop() {
  for (;;) {
    std::unique_ptr<Task> task;
    {
      std::unique_lock lock(queue_mu);
      queue_cv.wait(lock, [&] { return stopping || !queue.empty(); });
      if (stopping) return;
      task = std::move(queue.front());
      queue.pop_front();
      queue_bytes -= task->body.size();
    }
    const auto waited = SteadyClock::now() - task->read_at;
    const int64_t waited_ms = std::chrono::duration_cast<std::chrono::milliseconds>(waited).count();
    for (int64_t seen = longest_wait_ms.load(); waited_ms > seen && !longest_wait_ms.compare_exchange_weak(seen, waited_ms);) {
    }
    Done d;
    if (opt.max_queue_wait_s > 0 && waited > std::chrono::seconds(opt.max_queue_wait_s)) {
      // Too late to be worth doing: the kiosk is about to give up on it (see ServerOptions).
      NoteTurnedAway(*task);
      ++overloaded;
      ++expired;
      d.req = task->req;
      const int retry_after_s = RetryAfterSeconds(true);
      d.answer.status = 503;
      d.answer.retry_after_s = retry_after_s;
      d.answer.body = sync::ErrorBody(
          MakeError(ErrorKind::Network, "central.busy", "The central is busy; retry after the time given in Retry-After."),
          nlohmann::json{{"retry_after_s", retry_after_s}});
    } else {
      ++busy;
      d = Run(*task);
      --busy;
      ++served;
    }
    d.read_at = task->read_at;
    EventThread& t = *task->owner;
    {
      std::lock_guard lock(t.mu);
      t.mailbox.push_back(std::move(d));
    }
    event_active(t.wake, EV_READ, 0);
  }
}

bufferevent* Server::Impl::MakeTlsBufferevent(event_base* base, void* arg) {
  auto& impl = *static_cast<Impl*>(arg);
  SSL* ssl = SSL_new(impl.ssl);
  if (!ssl) return nullptr;
  return bufferevent_openssl_socket_new(base, -1, ssl, BUFFEREVENT_SSL_ACCEPTING, BEV_OPT_CLOSE_ON_FREE);
}

ServerLoad Server::Impl::LoadNow() {
  ServerLoad l;
  {
    std::lock_guard lock(queue_mu);
    l.queued = static_cast<int64_t>(queue.size());
    l.queued_bytes = static_cast<int64_t>(queue_bytes);
    l.reading = reserved;
    l.reading_bytes = static_cast<int64_t>(reserved_bytes);
  }
  l.queue_limit = opt.queue_limit;
  l.busy_workers = busy.load();
  l.workers = static_cast<int64_t>(workers.size());
  l.connections = connections.load();
  l.served = served.load();
  l.overloaded = overloaded.load();
  l.rate_limited = rate_limited.load();
  l.turned_away_at_headers = turned_at_headers.load();
  l.expired_in_queue = expired.load();
  l.slowest_answer_ms = slowest_answer_ms.load();
  l.answers_over_10s = answers_over_10s.load();
  l.answers_over_30s = answers_over_30s.load();
  l.longest_queue_wait_ms = longest_wait_ms.load();
  std::lock_guard lock(spread_mu);
  l.retry_after_spread_s = spread_s;
  return l;
}

bool Server::Impl::Reserve(size_t bytes) {
  std::lock_guard lock(queue_mu);
  if (!HasRoomLocked(bytes)) return false;
  ++reserved;
  reserved_bytes += bytes;
  return true;
}

void Server::Impl::Unreserve(size_t bytes) {
  std::lock_guard lock(queue_mu);
  --reserved;
  reserved_bytes -= bytes;
}

bufferevent* Server::Impl::MakeAdmissionBufferevent(event_base* base, void* arg) {
  auto& t = *static_cast<EventThread*>(arg);
  bufferevent* socket = bufferevent_socket_new(base, -1, BEV_OPT_CLOSE_ON_FREE);
  if (!socket) return nullptr;
  auto* a = new Admission;
  a->thread = &t;
  a->bev = bufferevent_filter_new(socket, &Impl::FilterIn, &Impl::FilterOut, BEV_OPT_CLOSE_ON_FREE,
                                  &Impl::FreeAdmission, a);
  if (!a->bev) {
    delete a;
    bufferevent_free(socket);
    return nullptr;
  }
  a->kick = event_new(base, -1, 0, &Impl::OnKick, a);
  evbuffer_add_cb(bufferevent_get_output(a->bev), &Impl::OnOutputAdded, a);
  t.admissions.emplace(a->bev, a);
  return a->bev;
}

void Server::Impl::OnOutputAdded(evbuffer*, const evbuffer_cb_info* info, void* ctx) {
  auto& a = *static_cast<Admission*>(ctx);
  if (info->n_added == 0 || a.kick_pending || !a.kick) return;
  a.kick_pending = true;
  bufferevent_incref(a.bev);
  event_active(a.kick, EV_WRITE, 0);
}

void Server::Impl::OnKick(evutil_socket_t, short, void* ctx) {
  auto& a = *static_cast<Admission*>(ctx);
  bufferevent* bev = a.bev;
  a.kick_pending = false;
  bufferevent_flush(bev, EV_WRITE, BEV_NORMAL);
  // The answer may have let evhttp read on: what the socket already gave is passed on now, as
  // the filter would only look at it when more arrives.
  // (Not once evhttp has let go of the connection: it clears the callbacks then.)
  bufferevent_event_cb on_event = nullptr;
  bufferevent_getcb(bev, nullptr, nullptr, &on_event, nullptr);
  bufferevent* socket = bufferevent_get_underlying(bev);
  if (on_event && socket && evbuffer_get_length(bufferevent_get_input(socket)) > 0)
    bufferevent_trigger(socket, EV_READ, BEV_TRIG_IGNORE_WATERMARKS);
  bufferevent_decref(bev);  // may free it, and `a` with it
}

// With the connection (at the latest when the server stops): places still held by batches whose
// body never came whole (the kiosk hung up mid-body, or the idle timeout) are given back.
void Server::Impl::FreeAdmission(void* ctx) {
  auto* a = static_cast<Admission*>(ctx);
  for (size_t bytes : a->held) a->thread->impl->Unreserve(bytes);
  a->thread->admissions.erase(a->bev);
  if (a->kick) event_free(a->kick);
  delete a;
}

void Server::Impl::AdmitHead(Admission& a, const std::string& head, evbuffer* src, evbuffer* dst) {
  const HeadFacts f = ReadHead(head);
  if (f.transfer_encoding || f.content_length == -2) {
    // Chunked (no kiosk sends it) or an unclear length: the rest of this connection goes to evhttp
    // as it comes, and evhttp decides, as without the filter.
    a.state = Admission::State::Through;
    if (f.ours) {
      evbuffer_drain(src, head.size());
      const std::string clean = RewriteHead(head, false, "");
      evbuffer_add(dst, clean.data(), clean.size());
    } else {
      evbuffer_remove_buffer(src, dst, head.size());
    }
    return;
  }
  const uint64_t length = f.content_length > 0 ? static_cast<uint64_t>(f.content_length) : 0;
  const bool gated = f.method == "POST" && (f.target == "/v1/batches" || f.target.rfind("/v1/batches?", 0) == 0) &&
                     length > 0 && length <= sync::kMaxRequestBytes && !f.expect;
  std::string verdict;
  bool turned_away = false;
  if (gated) {
    if (a.thread->impl->Reserve(length)) {
      a.held.push_back(length);
      verdict = "admitted";
    } else {
      turned_away = true;
      verdict = "turned-away";
    }
  }
  if (verdict.empty() && !f.ours) {
    evbuffer_remove_buffer(src, dst, head.size());
  } else {
    evbuffer_drain(src, head.size());
    const std::string out = RewriteHead(head, turned_away, verdict);
    evbuffer_add(dst, out.data(), out.size());
  }
  a.left = length;
  a.state = length == 0 ? Admission::State::Head : turned_away ? Admission::State::Discard : Admission::State::Pass;
}

// From the socket to evhttp: see Admission. Returns BEV_OK when it moved or dropped anything.
bufferevent_filter_result Server::Impl::FilterIn(evbuffer* src, evbuffer* dst, ev_ssize_t, bufferevent_flush_mode,
                                                 void* ctx) {
  auto& a = *static_cast<Admission*>(ctx);
  bool progress = false;
  for (;;) {
    const size_t have = evbuffer_get_length(src);
    if (have == 0) break;
    if (a.state == Admission::State::Through) {
      evbuffer_add_buffer(dst, src);
      progress = true;
      break;
    }
    if (a.state == Admission::State::Pass || a.state == Admission::State::Discard) {
      const size_t n = static_cast<size_t>(std::min<uint64_t>(have, a.left));
      if (a.state == Admission::State::Pass) evbuffer_remove_buffer(src, dst, n);
      else evbuffer_drain(src, n);  // a turned-away body: dropped as it comes
      a.left -= n;
      progress = true;
      if (a.left == 0) a.state = Admission::State::Head;
      continue;
    }
    const evbuffer_ptr end = evbuffer_search(src, "\r\n\r\n", 4, nullptr);
    if (end.pos < 0) {
      // Headers too long for evhttp (it answers them), or not HTTP: passed on as they are.
      if (have > kMaxHeadBytes) a.state = Admission::State::Through;
      else break;
      continue;
    }
    const size_t head_len = static_cast<size_t>(end.pos) + 4;
    if (head_len > kMaxHeadBytes) {
      a.state = Admission::State::Through;
      continue;
    }
    std::string head(head_len, '\0');
    evbuffer_copyout(src, head.data(), head_len);
    a.thread->impl->AdmitHead(a, head, src, dst);
    progress = true;
  }
  return progress ? BEV_OK : BEV_NEED_MORE;
}

// From evhttp to the socket. evhttp counts an answer sent (and, on a closing connection, closes
// it) as soon as the filter has taken it, so the filter writes it to the socket itself first;
// only what the socket does not take at once (a big document) is left to the socket
// bufferevent below, which sends it after evhttp has moved on to the next request.
bufferevent_filter_result Server::Impl::FilterOut(evbuffer* src, evbuffer* dst, ev_ssize_t, bufferevent_flush_mode,
                                                  void* ctx) {
  auto& a = *static_cast<Admission*>(ctx);
  if (evbuffer_get_length(dst) == 0) {
    const evutil_socket_t fd = bufferevent_getfd(a.bev);
    while (fd >= 0 && evbuffer_get_length(src) > 0)
      if (evbuffer_write(src, fd) <= 0) break;
  }
  if (evbuffer_get_length(src) > 0) evbuffer_add_buffer(dst, src);
  return BEV_OK;
}

// ---- Server -----------------------------------------------------------------------------------

Server::Server(Central& central, ServerOptions options) : m_central(central), m_options(std::move(options)) {}

Server::~Server() { Stop(); }

namespace {

Result<int> Listen(const std::string& host, int port, int backlog) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
  addrinfo* found = nullptr;
  const std::string where = host + ":" + std::to_string(port);
  if (::getaddrinfo(host.empty() ? nullptr : host.c_str(), std::to_string(port).c_str(), &hints, &found) != 0 || !found)
    return MakeError(ErrorKind::Network, "serve.bind", "Can't listen on " + where + " (not an address of this machine).");
  int fd = -1;
  int err = 0;
  for (addrinfo* a = found; a && fd < 0; a = a->ai_next) {
    fd = ::socket(a->ai_family, a->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, a->ai_protocol);
    if (fd < 0) continue;
    const int on = 1;
    ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);
    if (::bind(fd, a->ai_addr, a->ai_addrlen) != 0 || ::listen(fd, backlog) != 0) {
      err = errno;
      ::close(fd);
      fd = -1;
    }
  }
  ::freeaddrinfo(found);
  if (fd < 0)
    return MakeError(ErrorKind::Network, "serve.bind",
                     "Can't listen on " + where + " (" + std::strerror(err) + "; in use, or not an address of this machine).");
  return fd;
}

}  // namespace

Status Server::Start() {
  static std::once_flag once;
  std::call_once(once, [] {
    evthread_use_pthreads();
    // A kiosk that hangs up while its answer is written must not kill the central.
    ::signal(SIGPIPE, SIG_IGN);
  });
  auto impl = std::make_unique<Impl>(m_central, m_options);
  const ServerOptions& o = impl->opt;

  if (!o.cert_file.empty() || !o.key_file.empty()) {
    if (o.cert_file.empty() || o.key_file.empty())
      return MakeError(ErrorKind::Usage, "serve.tls", "Give both --cert and --key for HTTPS.");
    impl->ssl = SSL_CTX_new(TLS_server_method());
    SSL_CTX_set_min_proto_version(impl->ssl, TLS1_2_VERSION);
    if (SSL_CTX_use_certificate_chain_file(impl->ssl, o.cert_file.c_str()) != 1 ||
        SSL_CTX_use_PrivateKey_file(impl->ssl, o.key_file.c_str(), SSL_FILETYPE_PEM) != 1 ||
        SSL_CTX_check_private_key(impl->ssl) != 1) {
      ERR_clear_error();
      SSL_CTX_free(impl->ssl);
      impl->ssl = nullptr;
      return MakeError(ErrorKind::Usage, "serve.tls",
                       "Can't use the certificate " + o.cert_file + " with the key " + o.key_file +
                           " (unreadable, not PEM, or they don't match).");
    }
  }

  auto fd = Listen(o.host, o.port, o.backlog);
  if (!fd.ok()) {
    if (impl->ssl) SSL_CTX_free(impl->ssl);
    return fd.error();
  }
  impl->listen_fd = *fd;
  sockaddr_storage ss{};
  socklen_t len = sizeof ss;
  ::getsockname(impl->listen_fd, reinterpret_cast<sockaddr*>(&ss), &len);
  m_port = ntohs(ss.ss_family == AF_INET6 ? reinterpret_cast<sockaddr_in6*>(&ss)->sin6_port
                                          : reinterpret_cast<sockaddr_in*>(&ss)->sin_port);

  const int n_threads = std::max(1, o.event_threads);
  for (int i = 0; i < n_threads; ++i) {
    auto t = std::make_unique<EventThread>();
    t->impl = impl.get();
    t->base = event_base_new();
    t->http = t->base ? evhttp_new(t->base) : nullptr;
    if (!t->http) {
      if (t->base) event_base_free(t->base);
      for (auto& done : impl->threads) {
        evhttp_free(done->http);
        event_free(done->wake);
        event_base_free(done->base);
      }
      ::close(impl->listen_fd);
      if (impl->ssl) SSL_CTX_free(impl->ssl);
      return MakeError(ErrorKind::Network, "serve.event", "Can't set up libevent's HTTP server.");
    }
    evhttp_set_max_body_size(t->http, static_cast<ev_ssize_t>(sync::kMaxRequestBytes));
    evhttp_set_max_headers_size(t->http, 64 * 1024);
    evhttp_set_timeout(t->http, o.idle_timeout_s);
    evhttp_set_allowed_methods(t->http, EVHTTP_REQ_GET | EVHTTP_REQ_POST);
    // A refused body (413) is read to its end before the close, so the kiosk gets the answer,
    // not a reset.
    evhttp_set_flags(t->http, EVHTTP_SERVER_LINGERING_CLOSE);
    evhttp_set_gencb(t->http, &Impl::OnRequest, t.get());
    // TLS connections read and write through OpenSSL's bufferevent without the admission filter
    // (their bodies are weighed when read whole, as before); plain ones through it.
    if (impl->ssl) evhttp_set_bevcb(t->http, &Impl::MakeTlsBufferevent, impl.get());
    else evhttp_set_bevcb(t->http, &Impl::MakeAdmissionBufferevent, t.get());
    // Every event thread accepts on its own copy of the one listening socket: the kernel wakes
    // them all, one wins each connection, and it stays on that thread.
    evhttp_accept_socket(t->http, ::dup(impl->listen_fd));
    t->wake = event_new(t->base, -1, EV_PERSIST, &Impl::OnWake, t.get());
    impl->threads.push_back(std::move(t));
  }
  for (auto& t : impl->threads)
    t->thread = std::thread([base = t->base] { event_base_loop(base, EVLOOP_NO_EXIT_ON_EMPTY); });
  for (int i = 0; i < std::max(1, o.workers); ++i) impl->workers.emplace_back([p = impl.get()] { p->WorkerLoop(); });
  m_impl = std::move(impl);
  return {};
}

ServerLoad Server::Load() const { return m_impl ? m_impl->LoadNow() : ServerLoad{}; }

void Server::Stop() {
  if (!m_impl) return;
  Impl& impl = *m_impl;
  {
    std::lock_guard lock(impl.stop_mu);
    if (impl.stopped) return;
  }
  // Workers first: each finishes the request in hand; what is still queued is dropped with its
  // connection below (the kiosk resends it, the store is untouched by it).
  {
    std::lock_guard lock(impl.queue_mu);
    impl.stopping = true;
  }
  impl.queue_cv.notify_all();
  for (auto& w : impl.workers) w.join();
  // loopexit, not loopbreak: it is an event the loop runs whenever it starts, so a Stop right
  // after Start (before a thread entered its loop, which clears a pending break) still ends it.
  for (auto& t : impl.threads) event_base_loopexit(t->base, nullptr);
  for (auto& t : impl.threads) t->thread.join();
  for (auto& t : impl.threads) {
    evhttp_free(t->http);  // closes its connections and frees their requests
    event_free(t->wake);
    event_base_free(t->base);
  }
  impl.queue.clear();
  ::close(impl.listen_fd);
  if (impl.ssl) SSL_CTX_free(impl.ssl);
  {
    std::lock_guard lock(impl.stop_mu);
    impl.stopped = true;
  }
  impl.stop_cv.notify_all();
  // Kept for Wait() callers on other threads; freed with the Server.
}

void Server::Wait() {
  if (!m_impl) return;
  std::unique_lock lock(m_impl->stop_mu);
  m_impl->stop_cv.wait(lock, [&] { return m_impl->stopped; });
}

}  // namespace kiosk::central
