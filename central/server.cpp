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
};

struct Done {
  evhttp_request* req = nullptr;
  HttpAnswer answer;
};

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
  bool stopping = false;

  std::atomic<int64_t> busy{0}, served{0}, overloaded{0}, rate_limited{0}, connections{0};

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
  void Handle(EventThread& t, evhttp_request* req);
  void Reply(evhttp_request* req, const HttpAnswer& a);
  void ReplyError(evhttp_request* req, int status, const char* code, const std::string& message,
                  int retry_after_s = 0);
  int RetryAfterSeconds(bool count_rejection);

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
  const evhttp_uri* uri = evhttp_request_get_evhttp_uri(req);
  const char* raw_path = uri ? evhttp_uri_get_path(uri) : nullptr;
  const std::string path = raw_path ? raw_path : "";
  const evhttp_cmd_type method = evhttp_request_get_command(req);

  if (path == "/v1/health" && method == EVHTTP_REQ_GET) {
    const ServerLoad l{static_cast<int64_t>([&] {
                         std::lock_guard lock(queue_mu);
                         return queue.size();
                       }()),
                       opt.queue_limit, busy.load(), static_cast<int64_t>(workers.size()), connections.load(),
                       served.load(), overloaded.load(), rate_limited.load(), [&] {
                         std::lock_guard lock(spread_mu);
                         return spread_s;
                       }()};
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
    if (!stopping && static_cast<int>(queue.size()) < opt.queue_limit &&
        (queue_bytes + n <= opt.queue_bytes || queue.empty())) {
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
  for (auto& d : done) t.impl->Reply(d.req, d.answer);
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
    ++busy;
    Done d = Run(*task);
    --busy;
    ++served;
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
    if (impl->ssl) evhttp_set_bevcb(t->http, &Impl::MakeTlsBufferevent, impl.get());
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

ServerLoad Server::Load() const {
  ServerLoad l;
  if (!m_impl) return l;
  {
    std::lock_guard lock(m_impl->queue_mu);
    l.queued = static_cast<int64_t>(m_impl->queue.size());
  }
  l.queue_limit = m_impl->opt.queue_limit;
  l.busy_workers = m_impl->busy.load();
  l.workers = static_cast<int64_t>(m_impl->workers.size());
  l.connections = m_impl->connections.load();
  l.served = m_impl->served.load();
  l.overloaded = m_impl->overloaded.load();
  l.rate_limited = m_impl->rate_limited.load();
  std::lock_guard lock(m_impl->spread_mu);
  l.retry_after_spread_s = m_impl->spread_s;
  return l;
}

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
