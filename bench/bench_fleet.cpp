// bench_fleet: a fleet of virtual kiosks against a real kiosk-central process on loopback.
//
// Each virtual kiosk is a protocol client of its own: its own journal key, enrolled through the
// real POST /v1/enroll (sealed key, confirmation checked), its own seq and HMAC chain, signed
// requests, anchors checked against the central's public key, Retry-After honoured with the
// kiosk's own backoff (sync::BackoffDelay). All of them run on one libevent loop in this process;
// their sockets are spread over several 127.0.0.x source addresses. The schedule is open-loop:
// latency counts from the time a batch or an event was meant to go, not from when the loop got
// round to it.
//
// One shortcut, stated: the one-time code's PBKDF2 (100,000 rounds, ~40 ms on each side) is not
// run per kiosk. The harness writes each kiosk's enrolment secret straight into the central's
// store, where `kiosk-central enroll` would have written the derived one; the kiosk seals its key
// under that secret and the enrolment request and answer are the real ones.
//
// Scenarios (--scenario):
//   idle    N kiosks enrol and hold their connections, each polling /v1/health every --poll s,
//           for --hold s: the central's RSS and CPU are sampled.
//   storm   N kiosks with --events each connect within --window s and push them.
//   peak    N kiosks with --events each push at once, flat out (batches of --batch).
//   steady  N kiosks hold connections; events arrive at --rate per second in all (Poisson) for
//           --duration s, each pushed by its kiosk at once.
//   pull    N kiosks poll GET /v1/reference with If-None-Match for --duration s (304s/s).
// Faults: --kill-every T (SIGKILL the central every T s and restart it; at most --kills times),
// --lose P (each request's connection is reset after the request is sent, with probability P:
// the answer is lost, the request may or may not have been stored).
// At the end the central is stopped and its store checked against what each kiosk saw
// acknowledged: every acknowledged event there exactly once, seqs contiguous from 1, the chain
// linked and its head at the kiosk's acknowledged seq equal to the kiosk's. Exit status 1 on any
// difference or on a kiosk that did not finish.
// The store (--pg / --db / --centrals): by default one SQLite file. --pg starts a throwaway
// PostgreSQL cluster (tests/support/pg_cluster.hpp, fsync on) and uses a fresh database in it;
// --db postgresql://... names one. --centrals 2 runs a second central process on the same
// database, and every other kiosk talks to it (kills hit the first one only).
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>

#include <CLI/CLI.hpp>

#include "central/open_store.hpp"
#include "tests/support/pg_cluster.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <deque>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "bench_common.hpp"
#include "central/central.hpp"
#include "central/sqlite_store.hpp"
#include "kiosk/core/crypto.hpp"
#include "kiosk/sync/client.hpp"
#include "kiosk/sync/protocol.hpp"

namespace fs = std::filesystem;
using nlohmann::json;
using SteadyClock = std::chrono::steady_clock;

namespace {

[[noreturn]] void Die(const std::string& why) {
  std::fprintf(stderr, "bench_fleet: %s\n", why.c_str());
  std::exit(2);
}

struct Options {
  std::string scenario = "storm";
  int kiosks = 2000;
  int events = 200;        // per kiosk (storm, peak)
  int batch = 512;         // events per batch at most (the kiosk starts at 512)
  double window_s = 60;    // storm: kiosks start within this
  double rate = 35;        // steady: events per second, whole fleet
  double duration_s = 60;  // steady, pull
  double hold_s = 60;      // idle
  double poll_s = 60;      // idle: each kiosk's health poll interval
  double kill_every_s = 0;
  int kills = 1000000;
  double lose = 0;
  int addresses = 16;      // 127.0.0.1 .. 127.0.0.N as source addresses
  int enrol_concurrency = 256;
  double timeout_s = 900;  // the whole push phase
  std::string central_bin;
  std::string dir;
  std::string event_type = "sellout.reported";
  std::vector<std::string> central_args;  // passed to `serve`
  std::string db;     // "" = central.db in the work folder
  bool pg = false;    // a throwaway PostgreSQL cluster
  int centrals = 1;   // central processes on the one database
  std::string real_kiosk;  // idle: a `kiosk` binary that enrols and pushes 100 events mid-hold
  uint64_t seed = 0;
};

double Seconds(SteadyClock::time_point since) {
  return std::chrono::duration<double>(SteadyClock::now() - since).count();
}

int64_t UnixMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// ---- The central, as a child process ------------------------------------------------------------

class CentralProcess {
 public:
  CentralProcess(std::string bin, std::string db, fs::path log, std::vector<std::string> args)
      : m_bin(std::move(bin)), m_db(std::move(db)), m_log(std::move(log)), m_args(std::move(args)) {}

  void Start(int port) {
    m_port = port;
    const pid_t harness = ::getpid();
    const pid_t pid = ::fork();
    if (pid < 0) Die("fork failed");
    if (pid == 0) {
      // Dies with the harness (Ctrl-C, a kill): a central left behind would hold its port and its
      // database connections. Start runs on the main thread only, which lives as long as the run.
      ::prctl(PR_SET_PDEATHSIG, SIGKILL);
      if (::getppid() != harness) std::_Exit(127);  // it died before prctl
      const int fd = ::open(m_log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
      if (fd >= 0) {
        ::dup2(fd, 1);
        ::dup2(fd, 2);
      }
      std::vector<std::string> argv{m_bin, "--db", m_db, "serve", "--listen", "127.0.0.1:" + std::to_string(port)};
      argv.insert(argv.end(), m_args.begin(), m_args.end());
      std::vector<char*> cargv;
      for (auto& a : argv) cargv.push_back(a.data());
      cargv.push_back(nullptr);
      ::execv(m_bin.c_str(), cargv.data());
      std::_Exit(127);
    }
    m_pid = pid;
    // Up when it accepts a connection.
    const auto t0 = SteadyClock::now();
    for (;;) {
      const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
      sockaddr_in a{};
      a.sin_family = AF_INET;
      a.sin_port = htons(static_cast<uint16_t>(port));
      a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
      const bool up = ::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
      ::close(fd);
      if (up) break;
      int status = 0;
      if (::waitpid(m_pid, &status, WNOHANG) == m_pid) Die("kiosk-central exited at start; see " + m_log.string());
      if (Seconds(t0) > 20) Die("kiosk-central did not listen within 20 s; see " + m_log.string());
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    m_cpu_base = 0;
  }
  void Kill() {
    if (m_pid <= 0) return;
    NoteHwm();
    m_dead_cpu += CpuSeconds();
    ::kill(m_pid, SIGKILL);
    ::waitpid(m_pid, nullptr, 0);
    m_pid = -1;
  }
  void Stop() {
    if (m_pid <= 0) return;
    ::kill(m_pid, SIGTERM);
    const auto t0 = SteadyClock::now();
    int status = 0;
    while (::waitpid(m_pid, &status, WNOHANG) == 0) {
      if (Seconds(t0) > 60) {
        ::kill(m_pid, SIGKILL);
        ::waitpid(m_pid, &status, 0);
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    m_pid = -1;
  }
  // CPU seconds of the live process (user + system).
  double CpuSeconds() const { return m_pid > 0 ? std::max(0.0, kiosk::bench::ProcessCpuSeconds(m_pid)) : 0; }
  // All CPU the central used so far, killed incarnations included.
  double TotalCpuSeconds() const { return m_dead_cpu + CpuSeconds(); }
  long RssKb() const { return m_pid > 0 ? static_cast<long>(std::max<int64_t>(0, kiosk::bench::ProcessStatusKb(m_pid, "VmRSS:"))) : 0; }
  int Port() const { return m_port; }
  pid_t Pid() const { return m_pid; }
  // The peak resident set (VmHWM) of any incarnation so far, this one included.
  void NoteHwm() {
    if (m_pid > 0) m_hwm_kb = std::max<long>(m_hwm_kb, static_cast<long>(kiosk::bench::ProcessStatusKb(m_pid, "VmHWM:")));
  }
  long PeakRssKb() {
    NoteHwm();
    return m_hwm_kb;
  }

 private:
  std::string m_bin, m_db;
  fs::path m_log;
  std::vector<std::string> m_args;
  pid_t m_pid = -1;
  int m_port = 0;
  double m_cpu_base = 0, m_dead_cpu = 0;
  long m_hwm_kb = 0;
};

// GET /v1/health from the central, blocking (a few ms; the loop is not running). "" on failure.
std::string FetchHealth(int port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return "";
  const timeval tv{5, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<uint16_t>(port));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  std::string out;
  if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0) {
    const std::string req = "GET /v1/health HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n";
    if (::send(fd, req.data(), req.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(req.size())) {
      char buf[4096];
      ssize_t n;
      while ((n = ::recv(fd, buf, sizeof buf, 0)) > 0) out.append(buf, static_cast<size_t>(n));
    }
  }
  ::close(fd);
  const size_t body = out.find("\r\n\r\n");
  return body == std::string::npos ? "" : out.substr(body + 4);
}

int FreePort() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) Die("no free port");
  socklen_t len = sizeof a;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  ::close(fd);
  return ntohs(a.sin_port);
}

// ---- A virtual kiosk -----------------------------------------------------------------------------

struct Response {
  int status = 0;  // 0: no answer (connection failed, reset, timed out)
  std::string error;
  std::string body;
  int64_t retry_after_ms = 0;
  std::string etag;
};

class Fleet;

struct VKiosk {
  Fleet* fleet = nullptr;
  int index = 0;
  std::string id;
  kiosk::JournalKey key;
  std::string secret_hex;
  std::string central_public;
  bool enrolled = false;
  bool keep_connection = true;
  uint32_t source_addr = 0;  // network order

  // The journal: events 1..total exist; 1..acked are acknowledged, head_hash is acked's hash.
  int64_t total = 0;
  int64_t acked = 0;
  std::string head_hash;
  std::deque<double> event_due;  // steady: intended time of each unacknowledged event
  bool pushing = false;
  double batch_due = -1;         // intended send time of the batch being pushed
  int attempt = 0;               // failures in a row, for the backoff
  // The batch being pushed, made once: a resend (after a 503 or a lost answer) is the same
  // events, so only its clocks (mono_ms, sent_at) are written again and it is signed again.
  int64_t cached_from = 0, cached_to = 0;
  std::string cached_head, cached_mid, cached_tail;  // the body around mono_ms and sent_at
  std::shared_ptr<std::vector<std::string>> cached_hashes;
  double finished_at = -1;
  bool failed = false;

  // pull
  int64_t ref_version = -1;
  std::string etag;

  // The one connection and its one request.
  bufferevent* bev = nullptr;
  bool awaiting = false;
  bool connected = false;
  double sent_at = -1, written_at = -1;  // this request: handed to the socket, fully written
  bool lose_answer = false;
  size_t head_len = 0, body_len = 0;
  Response partial;
  bool close_after = false;
  std::function<void(const Response&)> on_answer;
  event* timer = nullptr;
  std::function<void()> on_timer;
};

struct Stats {
  int64_t requests = 0, answers_200 = 0, answers_304 = 0, answers_503 = 0, answers_429 = 0, answers_other = 0;
  int64_t socket_errors = 0, injected_losses = 0, connects = 0, idle_closed = 0;
  std::map<std::string, int64_t> socket_error_kinds;  // why, for the socket errors above
  int64_t events_acked = 0, batches_acked = 0;
  int64_t kills = 0;
  std::vector<double> latency_ms;  // accepted batches (storm, peak) or events (steady)
  // From a request fully written to its answer read, as this process saw it.
  double slowest_answer_s = 0;
  int64_t answers_over_10s = 0;
  int64_t batches_made = 0, batches_resent_from_cache = 0;
  // This process's own event loop: how late a 100 ms timer ran (it runs every kiosk).
  double loop_lag_max_s = 0;
  int64_t loop_lag_over_1s = 0, loop_lag_over_5s = 0;
  std::vector<std::string> problems;
};

class Fleet {
 public:
  CentralProcess* m_second = nullptr;  // --centrals 2: odd kiosks talk to this one
  Fleet(Options o, event_base* base, CentralProcess& central) : m_opt(std::move(o)), m_base(base), m_central(central) {
    m_t0 = SteadyClock::now();
    m_rng.seed(m_opt.seed ? m_opt.seed : std::random_device{}());
  }
  double Now() const { return Seconds(m_t0); }
  Stats& stats() { return m_stats; }
  std::vector<std::unique_ptr<VKiosk>>& kiosks() { return m_kiosks; }
  const Options& opt() const { return m_opt; }
  event_base* base() const { return m_base; }
  int64_t base_ms() const { return m_base_ms; }

  void Add(std::unique_ptr<VKiosk> k) {
    k->fleet = this;
    k->timer = evtimer_new(m_base, &Fleet::OnTimer, k.get());
    k->head_hash = kiosk::GenesisHash(k->id);
    m_kiosks.push_back(std::move(k));
  }

  // ---- HTTP/1.1 over one kept-alive connection per kiosk ----
  void Send(VKiosk& k, const std::string& method, const std::string& path, const std::string& body,
            const std::vector<std::pair<std::string, std::string>>& headers, std::function<void(const Response&)> done) {
    k.on_answer = std::move(done);
    if (!k.bev && !Connect(k)) {
      Response r;
      r.error = "connect";
      ++m_stats.socket_errors;
      ++m_stats.socket_error_kinds["connect: " + std::string(std::strerror(errno))];
      Deliver(k, r);
      return;
    }
    std::string req = method + " " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\n";
    for (const auto& [n, v] : headers) req += n + ": " + v + "\r\n";
    if (method == "POST") req += "Content-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) + "\r\n";
    req += "\r\n";
    req += body;
    k.awaiting = true;
    k.sent_at = Now();
    k.written_at = -1;
    k.lose_answer = m_faults && m_opt.lose > 0 && std::uniform_real_distribution<double>(0, 1)(m_rng) < m_opt.lose;
    k.head_len = 0;
    ++m_stats.requests;
    evbuffer_add(bufferevent_get_output(k.bev), req.data(), req.size());
    const timeval tv{30, 0};
    bufferevent_set_timeouts(k.bev, &tv, &tv);
  }

  void After(VKiosk& k, double seconds, std::function<void()> fn) {
    k.on_timer = std::move(fn);
    const double s = std::max(0.0, seconds);
    timeval tv{static_cast<time_t>(s), static_cast<suseconds_t>((s - std::floor(s)) * 1e6)};
    evtimer_add(k.timer, &tv);
  }
  void At(VKiosk& k, double t, std::function<void()> fn) { After(k, t - Now(), std::move(fn)); }

  // A failed request: again after the kiosk's backoff, never before Retry-After.
  void Retry(VKiosk& k, const Response& r, std::function<void()> fn) {
    const auto d = kiosk::sync::BackoffDelay(k.attempt++, std::chrono::milliseconds(1000),
                                             std::chrono::milliseconds(300000), r.retry_after_ms);
    After(k, static_cast<double>(d.count()) / 1000.0, std::move(fn));
  }

  void Problem(VKiosk& k, const std::string& what) {
    k.failed = true;
    if (m_stats.problems.size() < 20) m_stats.problems.push_back(k.id + ": " + what);
    Drop(k);
    KioskDone(k);
  }

  // ---- Enrolment ----
  void Enrol(VKiosk& k, std::function<void()> then) {
    const auto sealed = kiosk::sync::SealJournalKey(k.secret_hex, k.id, k.key);
    const json body{{"kiosk_id", k.id}, {"sealed_key", {{"iv", sealed.iv}, {"ct", sealed.ct}, {"tag", sealed.tag}}}};
    Send(k, "POST", "/v1/enroll", body.dump(), {}, [this, &k, then](const Response& r) {
      if (r.status == 200) {
        const json j = json::parse(r.body, nullptr, false);
        const std::string pub = j.is_object() ? j.value("central_public_key", "") : "";
        const std::string confirm = j.is_object() ? j.value("confirm", "") : "";
        if (pub.empty() || confirm != kiosk::sync::EnrolConfirmation(k.secret_hex, k.id, pub))
          return Problem(k, "enrolment answer not confirmed");
        k.central_public = pub;
        k.enrolled = true;
        k.attempt = 0;
        if (!k.keep_connection) Drop(k);
        then();
      } else if (r.status == 0 || r.status == 503 || r.status == 429) {
        Retry(k, r, [this, &k, then] { Enrol(k, then); });
      } else {
        Problem(k, "enrolment refused: HTTP " + std::to_string(r.status) + " " + r.body.substr(0, 200));
      }
    });
  }

  // ---- Push ----
  kiosk::Event MakeEvent(const VKiosk& k, int64_t seq, const std::string& prev, kiosk::EventHasher& hasher) {
    // Deterministic in (kiosk, seq): a batch sent again after a lost answer is the same events.
    kiosk::Event e;
    e.seq = seq;
    const int64_t t = m_base_ms + seq * 10;
    char id[40];
    std::snprintf(id, sizeof id, "%08llx-%04llx-7%03x-8%03x-%012llx", static_cast<unsigned long long>(t >> 16),
                  static_cast<unsigned long long>(t & 0xffff), static_cast<unsigned>(k.index >> 12) & 0xfff,
                  static_cast<unsigned>(k.index & 0xfff), static_cast<unsigned long long>(seq) & 0xffffffffffffULL);
    e.event_id = id;
    e.kiosk_id = k.id;
    e.type = m_opt.event_type;
    if (e.type == "sellout.reported") {
      const int i = k.index * 1000003 + static_cast<int>(seq);
      e.payload = json{{"card", kiosk::bench::SyntheticCard(i % 1000)},
                       {"partner_id", "P-XX-" + std::to_string(i % 10)},
                       {"units",
                        {{{"gtin", kiosk::bench::SyntheticGtin(i % 50)},
                          {"serial", "FL" + std::to_string(k.index) + "-" + std::to_string(seq)}}}}}
                      .dump();
    } else {
      e.payload = json{{"by", "BDG-10017"},
                       {"devices", {{{"asset_tag", "DEMO-00001"}, {"serial", "FL" + std::to_string(seq)}}}}}
                      .dump();
    }
    e.actor = "BDG-10017";
    e.wall_time = kiosk::FormatUtc(std::chrono::system_clock::time_point(std::chrono::milliseconds(t)));
    e.mono_ms = m_base_mono_ms + seq * 10;
    e.boot_id = "fleet-boot";
    e.prev_hash = prev;
    e.hash = hasher.Hash(e);
    return e;
  }

  void StartPush(VKiosk& k) {
    if (k.pushing || k.failed) return;
    k.pushing = true;
    k.batch_due = -1;
    PushNext(k);
  }

  void PushNext(VKiosk& k) {
    if (k.acked >= k.total) {
      k.pushing = false;
      k.batch_due = -1;
      KioskDone(k);
      return;
    }
    if (k.batch_due < 0) k.batch_due = k.event_due.empty() ? Now() : k.event_due.front();
    const int64_t from = k.acked + 1;
    const int64_t to = std::min(k.total, k.acked + m_opt.batch);
    const std::string sent_at = kiosk::FormatUtc(std::chrono::system_clock::now());
    const int64_t mono_ms = MonoMs();
    std::string body;
    if (k.cached_from == from && k.cached_to == to && k.cached_hashes) {
      ++m_stats.batches_resent_from_cache;
      body.reserve(k.cached_head.size() + k.cached_mid.size() + k.cached_tail.size() + 64);
      body += k.cached_head;
      body += std::to_string(mono_ms);
      body += k.cached_mid;
      body += '"' + sent_at + '"';
      body += k.cached_tail;
    } else {
      ++m_stats.batches_made;
      kiosk::sync::Batch b;
      b.kiosk_id = k.id;
      b.from_seq = from;
      b.to_seq = to;
      b.prev_hash = k.head_hash;
      b.sent_at = sent_at;
      b.mono_ms = mono_ms;
      b.boot_id = "fleet-boot";
      kiosk::EventHasher hasher(k.key);
      std::string prev = k.head_hash;
      auto hashes = std::make_shared<std::vector<std::string>>();
      for (int64_t s = from; s <= to; ++s) {
        b.events.push_back(MakeEvent(k, s, prev, hasher));
        prev = b.events.back().hash;
        hashes->push_back(prev);
      }
      body = kiosk::sync::SerializeBatch(b);
      // SerializeBatch writes the members in order: ..."mono_ms":N,"prev_hash":"...","sent_at":"...","to_seq":N}
      const size_t mono = body.rfind(",\"mono_ms\":");
      const size_t prev_at = body.find(",\"prev_hash\":", mono);
      const size_t sent = body.find(",\"sent_at\":", prev_at);
      const size_t to_at = body.find(",\"to_seq\":", sent);
      if (mono == std::string::npos || prev_at == std::string::npos || sent == std::string::npos || to_at == std::string::npos)
        Die("SerializeBatch's layout changed: bench_fleet's batch cache needs updating");
      k.cached_head = body.substr(0, mono + 11);
      k.cached_mid = body.substr(prev_at, sent + 11 - prev_at);
      k.cached_tail = body.substr(to_at);
      k.cached_from = from;
      k.cached_to = to;
      k.cached_hashes = std::move(hashes);
    }
    auto hashes = k.cached_hashes;
    const auto h = kiosk::sync::SignRequest(k.key, "POST", "/v1/batches", k.id, UnixMs(), body);
    Send(k, "POST", "/v1/batches", body, HeadersOf(h), [this, &k, from, to, hashes](const Response& r) {
      if (r.status == 200) {
        auto resp = kiosk::sync::ParseBatchResponse(r.body);
        if (!resp.ok()) return Problem(k, "unreadable batch answer: " + resp.error().message);
        const int64_t through = std::min(resp->acked_through, to);
        if (through < from) return Retry(k, r, [this, &k] { PushNext(k); });
        const auto& a = resp->anchor;
        if (a.kiosk_id != k.id || !kiosk::sync::VerifySigned(k.central_public, kiosk::sync::AnchorSigningString(a), a.signature))
          return Problem(k, "anchor signature does not check");
        if (a.seq >= from && a.seq <= to && a.hash != (*hashes)[static_cast<size_t>(a.seq - from)])
          return Problem(k, "anchor hash differs from the kiosk's at seq " + std::to_string(a.seq));
        const double now = Now();
        if (m_opt.scenario == "steady") {
          for (int64_t s = from; s <= through && !k.event_due.empty(); ++s) {
            m_stats.latency_ms.push_back((now - k.event_due.front()) * 1000);
            k.event_due.pop_front();
          }
        } else {
          m_stats.latency_ms.push_back((now - k.batch_due) * 1000);
        }
        m_stats.events_acked += through - k.acked;
        ++m_stats.batches_acked;
        k.acked = through;
        k.head_hash = (*hashes)[static_cast<size_t>(through - from)];
        k.attempt = 0;
        k.batch_due = -1;
        k.cached_from = k.cached_to = 0;
        k.cached_head.clear();
        k.cached_head.shrink_to_fit();
        k.cached_mid.clear();
        k.cached_tail.clear();
        k.cached_hashes.reset();
        PushNext(k);
      } else if (r.status == 0 || r.status == 503 || r.status == 429 || r.status >= 500) {
        Retry(k, r, [this, &k] { PushNext(k); });
      } else {
        Problem(k, "batch " + std::to_string(from) + ".." + std::to_string(to) + " refused: HTTP " +
                       std::to_string(r.status) + " " + r.body.substr(0, 300));
      }
    });
  }

  // ---- Pull ----
  void Pull(VKiosk& k) {
    if (Now() >= m_pull_end) return KioskDone(k);
    const int64_t since = std::max<int64_t>(0, k.ref_version);
    const std::string path = "/v1/reference?since=" + std::to_string(since) + "&verdicts_after=0";
    const auto h = kiosk::sync::SignRequest(k.key, "GET", path, k.id, UnixMs(), "");
    auto headers = HeadersOf(h);
    if (!k.etag.empty()) headers.emplace_back("If-None-Match", k.etag);
    Send(k, "GET", path, "", headers, [this, &k](const Response& r) {
      if (r.status == 200) {
        const json j = json::parse(r.body, nullptr, false);
        if (!j.is_object()) return Problem(k, "unreadable reference document");
        k.ref_version = j.value("version", int64_t{0});
        k.etag = r.etag;
        k.attempt = 0;
        Pull(k);
      } else if (r.status == 304) {
        if (Now() >= m_pull_measure_from) ++m_pull_304;
        k.attempt = 0;
        Pull(k);
      } else if (r.status == 0 || r.status == 503 || r.status == 429) {
        Retry(k, r, [this, &k] { Pull(k); });
      } else {
        Problem(k, "reference refused: HTTP " + std::to_string(r.status) + " " + r.body.substr(0, 200));
      }
    });
  }

  // ---- Idle ----
  void Poll(VKiosk& k) {
    if (Now() >= m_idle_end) return;
    Send(k, "GET", "/v1/health", "", {}, [this, &k](const Response& r) {
      if (r.status != 200) ++m_idle_poll_failures;
      After(k, m_opt.poll_s, [this, &k] { Poll(k); });
    });
  }

  // ---- Phases, driven from main ----
  void SetBaseTimes(int64_t base_ms, int64_t base_mono_ms) {
    m_base_ms = base_ms;
    m_base_mono_ms = base_mono_ms;
  }
  // Enrols every kiosk, `concurrency` at a time; runs the loop until done.
  void EnrolAll() {
    m_pending = static_cast<int64_t>(m_kiosks.size());
    size_t next = 0;
    std::function<void()> start_one;
    start_one = [&] {
      if (next >= m_kiosks.size()) return;
      VKiosk& k = *m_kiosks[next++];
      Enrol(k, [&, kp = &k] {
        (void)kp;
        --m_pending;
        start_one();
        if (m_pending == 0) event_base_loopbreak(m_base);
      });
    };
    for (int i = 0; i < m_opt.enrol_concurrency; ++i) start_one();
    m_on_done = [&] {
      --m_pending;
      start_one();
      if (m_pending == 0) event_base_loopbreak(m_base);
    };
    event_base_dispatch(m_base);
    m_on_done = nullptr;
  }
  // Runs the loop until every kiosk reported done (or the deadline).
  bool RunUntilAllDone(double deadline_s) {
    m_pending = 0;
    for (auto& k : m_kiosks)
      if (!k->failed) ++m_pending;
    m_on_done = [&] {
      if (--m_pending == 0) event_base_loopbreak(m_base);
    };
    event* deadline = event_new(m_base, -1, 0, &Fleet::OnDeadline, m_base);
    timeval tv{static_cast<time_t>(deadline_s), 0};
    evtimer_add(deadline, &tv);
    if (m_pending > 0) event_base_dispatch(m_base);
    event_free(deadline);
    m_on_done = nullptr;
    return m_pending == 0;
  }
  void RunFor(double seconds) {
    timeval tv{static_cast<time_t>(seconds), static_cast<suseconds_t>((seconds - std::floor(seconds)) * 1e6)};
    event_base_loopexit(m_base, &tv);
    event_base_dispatch(m_base);
  }

  void SetPullWindow(double measure_from, double end) {
    m_pull_measure_from = measure_from;
    m_pull_end = end;
  }
  int64_t pull_304() const { return m_pull_304; }
  void SetIdleEnd(double end) { m_idle_end = end; }
  int64_t idle_poll_failures() const { return m_idle_poll_failures; }

  // SIGKILL and restart of the central, every kill_every_s, from a loop timer.
  void ScheduleKills() {
    if (m_opt.kill_every_s <= 0 || m_opt.kills <= 0) return;
    m_kill_timer = event_new(m_base, -1, EV_PERSIST, &Fleet::OnKill, this);
    const timeval tv{static_cast<time_t>(m_opt.kill_every_s),
                     static_cast<suseconds_t>((m_opt.kill_every_s - std::floor(m_opt.kill_every_s)) * 1e6)};
    evtimer_add(m_kill_timer, &tv);
  }
  // A 100 ms timer on the loop: how late it runs is how far behind this process is.
  void StartLagMonitor() {
    m_lag_timer = event_new(m_base, -1, EV_PERSIST, &Fleet::OnLagTick, this);
    const timeval tv{0, 100000};
    m_lag_expected = Now() + 0.1;
    evtimer_add(m_lag_timer, &tv);
  }
  void StopLagMonitor() {
    if (m_lag_timer) event_free(m_lag_timer);
    m_lag_timer = nullptr;
  }
  static void OnLagTick(evutil_socket_t, short, void* arg) {
    auto& f = *static_cast<Fleet*>(arg);
    const double now = f.Now();
    const double lag = std::max(0.0, now - f.m_lag_expected);
    f.m_stats.loop_lag_max_s = std::max(f.m_stats.loop_lag_max_s, lag);
    if (lag > 1) ++f.m_stats.loop_lag_over_1s;
    if (lag > 5) ++f.m_stats.loop_lag_over_5s;
    f.m_lag_expected = now + 0.1;
  }

  void StopKills() {
    if (m_kill_timer) event_free(m_kill_timer);
    m_kill_timer = nullptr;
  }

  static void OnKill(evutil_socket_t, short, void* arg) {
    auto& f = *static_cast<Fleet*>(arg);
    if (f.m_stats.kills >= f.m_opt.kills) return f.StopKills();
    f.m_central.Kill();
    ++f.m_stats.kills;
    std::printf("  %.1f s: central killed (SIGKILL #%lld), restarting\n", f.Now(), static_cast<long long>(f.m_stats.kills));
    std::fflush(stdout);
    f.m_central.Start(f.m_central.Port());
  }

  void Drop(VKiosk& k) {
    if (k.bev) bufferevent_free(k.bev);
    k.bev = nullptr;
    k.awaiting = false;
    k.connected = false;
  }

  static int64_t MonoMs() {
    timespec ts{};
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return static_cast<int64_t>(ts.tv_sec) * 1000 + ts.tv_nsec / 1000000;
  }

 private:
  static std::vector<std::pair<std::string, std::string>> HeadersOf(const kiosk::sync::SignedHeaders& h) {
    return {{kiosk::sync::kHeaderKioskId, h.kiosk_id},
            {kiosk::sync::kHeaderTime, std::to_string(h.time_ms)},
            {kiosk::sync::kHeaderNonce, h.nonce},
            {kiosk::sync::kHeaderSignature, h.signature}};
  }

  void KioskDone(VKiosk& k) {
    if (k.finished_at < 0) k.finished_at = Now();
    if (m_on_done) m_on_done();
  }

  bool Connect(VKiosk& k) {
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) return false;
    const int on = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);
    // The port is picked at connect(), per destination: each source address has its own range.
    ::setsockopt(fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &on, sizeof on);
    sockaddr_in src{};
    src.sin_family = AF_INET;
    src.sin_addr.s_addr = k.source_addr;
    if (::bind(fd, reinterpret_cast<sockaddr*>(&src), sizeof src) != 0) {
      ::close(fd);
      return false;
    }
    k.bev = bufferevent_socket_new(m_base, fd, BEV_OPT_CLOSE_ON_FREE);
    bufferevent_setcb(k.bev, &Fleet::OnRead, &Fleet::OnWrite, &Fleet::OnEvent, &k);
    bufferevent_enable(k.bev, EV_READ | EV_WRITE);
    sockaddr_in dst{};
    dst.sin_family = AF_INET;
    const CentralProcess& to = m_second && k.index % 2 == 1 ? *m_second : m_central;
    dst.sin_port = htons(static_cast<uint16_t>(to.Port()));
    dst.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (bufferevent_socket_connect(k.bev, reinterpret_cast<sockaddr*>(&dst), sizeof dst) != 0) {
      bufferevent_free(k.bev);
      k.bev = nullptr;
      return false;
    }
    ++m_stats.connects;
    return true;
  }

  void Deliver(VKiosk& k, const Response& r) {
    if (r.status == 200) ++m_stats.answers_200;
    else if (r.status == 304) ++m_stats.answers_304;
    else if (r.status == 503) ++m_stats.answers_503;
    else if (r.status == 429) ++m_stats.answers_429;
    else if (r.status != 0) ++m_stats.answers_other;
    auto fn = std::move(k.on_answer);
    k.on_answer = nullptr;
    if (fn) fn(r);
  }

  void Fail(VKiosk& k, const std::string& why, bool count_socket_error) {
    const bool was_awaiting = k.awaiting;
    Drop(k);
    if (!was_awaiting) {
      ++m_stats.idle_closed;
      return;
    }
    if (count_socket_error) {
      ++m_stats.socket_errors;
      // Where in the exchange it broke: the request unsent, sent with no answer yet, or half an answer.
      const char* stage = k.head_len > 0 ? "mid-answer" : "awaiting answer";
      ++m_stats.socket_error_kinds[why + " (" + stage + ")"];
    }
    Response r;
    r.error = why;
    Deliver(k, r);
  }

  static void OnDeadline(evutil_socket_t, short, void* base) { event_base_loopbreak(static_cast<event_base*>(base)); }

  static void OnTimer(evutil_socket_t, short, void* arg) {
    auto& k = *static_cast<VKiosk*>(arg);
    auto fn = std::move(k.on_timer);
    k.on_timer = nullptr;
    if (fn) fn();
  }

  static void OnWrite(bufferevent* bev, void* arg) {
    auto& k = *static_cast<VKiosk*>(arg);
    if (k.awaiting && k.written_at < 0 && evbuffer_get_length(bufferevent_get_output(bev)) == 0)
      k.written_at = k.fleet->Now();
    if (!k.awaiting || !k.lose_answer || evbuffer_get_length(bufferevent_get_output(bev)) != 0) return;
    // The request is on its way; the answer will be lost: a reset, as when a NAT drops the flow.
    Fleet& f = *k.fleet;
    ++f.m_stats.injected_losses;
    const linger l{1, 0};
    ::setsockopt(bufferevent_getfd(bev), SOL_SOCKET, SO_LINGER, &l, sizeof l);
    f.Fail(k, "answer lost (injected)", false);
  }

  static void OnEvent(bufferevent*, short what, void* arg) {
    auto& k = *static_cast<VKiosk*>(arg);
    if (what & BEV_EVENT_CONNECTED) {
      k.connected = true;
      return;
    }
    const int err = EVUTIL_SOCKET_ERROR();
    // A timeout says where the request was: not yet accepted by the central's kernel (connect
    // pending), accepted but not all written, or written and no answer.
    const std::string timeout = !k.connected        ? "timeout (30 s), connect pending"
                                : k.written_at < 0  ? "timeout (30 s), request not fully written"
                                                    : "timeout (30 s)";
    k.fleet->Fail(k,
                  (what & BEV_EVENT_TIMEOUT) ? timeout
                  : (what & BEV_EVENT_EOF)   ? std::string("closed by the central")
                                             : "socket error: " + std::string(evutil_socket_error_to_string(err)),
                  true);
  }

  static void OnRead(bufferevent* bev, void* arg) {
    auto& k = *static_cast<VKiosk*>(arg);
    Fleet& f = *k.fleet;
    evbuffer* in = bufferevent_get_input(bev);
    if (!k.awaiting) {
      evbuffer_drain(in, evbuffer_get_length(in));
      return;
    }
    if (k.head_len == 0) {
      const evbuffer_ptr p = evbuffer_search(in, "\r\n\r\n", 4, nullptr);
      if (p.pos < 0) {
        if (evbuffer_get_length(in) > 65536) f.Fail(k, "header too long", true);
        return;
      }
      k.head_len = static_cast<size_t>(p.pos) + 4;
      std::string head(k.head_len, '\0');
      evbuffer_copyout(in, head.data(), k.head_len);
      k.partial = Response{};
      k.partial.status = std::atoi(head.c_str() + head.find(' ') + 1);
      k.body_len = 0;
      k.close_after = false;
      size_t at = head.find("\r\n") + 2;
      while (at < k.head_len - 2) {
        const size_t end = head.find("\r\n", at);
        std::string line = head.substr(at, end - at);
        at = end + 2;
        const size_t colon = line.find(':');
        if (colon == std::string::npos) continue;
        std::string name = line.substr(0, colon);
        std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) { return std::tolower(c); });
        std::string value = line.substr(colon + 1);
        value.erase(0, value.find_first_not_of(' '));
        if (name == "content-length") k.body_len = static_cast<size_t>(std::atoll(value.c_str()));
        else if (name == "retry-after") k.partial.retry_after_ms = std::atoll(value.c_str()) * 1000;
        else if (name == "etag") k.partial.etag = value;
        else if (name == "connection" && (value == "close" || value == "Close")) k.close_after = true;
      }
    }
    if (evbuffer_get_length(in) < k.head_len + k.body_len) return;
    evbuffer_drain(in, k.head_len);
    k.partial.body.resize(k.body_len);
    if (k.body_len) evbuffer_remove(in, k.partial.body.data(), k.body_len);
    k.head_len = 0;
    k.awaiting = false;
    if (k.written_at >= 0) {
      const double took = f.Now() - k.written_at;
      f.m_stats.slowest_answer_s = std::max(f.m_stats.slowest_answer_s, took);
      if (took > 10) ++f.m_stats.answers_over_10s;
    }
    bufferevent_set_timeouts(bev, nullptr, nullptr);
    Response r = std::move(k.partial);
    if (k.close_after || !k.keep_connection) f.Drop(k);
    f.Deliver(k, r);
  }

  Options m_opt;
  event_base* m_base;
  CentralProcess& m_central;
  SteadyClock::time_point m_t0;
  std::mt19937_64 m_rng;
  std::vector<std::unique_ptr<VKiosk>> m_kiosks;
  Stats m_stats;
  int64_t m_pending = 0;
  std::function<void()> m_on_done;
  int64_t m_base_ms = 0, m_base_mono_ms = 0;
  double m_pull_measure_from = 0, m_pull_end = 0;
  int64_t m_pull_304 = 0;
  double m_idle_end = 0;
  int64_t m_idle_poll_failures = 0;
  event* m_kill_timer = nullptr;
  event* m_lag_timer = nullptr;
  double m_lag_expected = 0;
  bool m_faults = false;  // answers are lost only in the measured phase, not at enrolment

 public:
  void SetFaults(bool on) { m_faults = on; }
};

std::string RunCommand(const std::string& cmd) {
  std::string out;
  FILE* p = ::popen(cmd.c_str(), "r");
  if (!p) return out;
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  ::pclose(p);
  return out;
}

void RaiseFileLimit(size_t need) {
  rlimit rl{};
  ::getrlimit(RLIMIT_NOFILE, &rl);
  if (rl.rlim_max < need) {
    rlimit more{need, need};
    if (::setrlimit(RLIMIT_NOFILE, &more) == 0) return;  // root may raise the hard limit
  }
  rl.rlim_cur = rl.rlim_max;
  ::setrlimit(RLIMIT_NOFILE, &rl);
  ::getrlimit(RLIMIT_NOFILE, &rl);
  if (rl.rlim_cur < need)
    std::printf("  note: only %llu file descriptors (wanted %zu); expect connect failures\n",
                static_cast<unsigned long long>(rl.rlim_cur), need);
}

void PrintLatency(const char* what, std::vector<double> ms) {
  const auto p = kiosk::bench::Summarise(std::move(ms));
  std::printf("%s_ms p50 %.1f p90 %.1f p99 %.1f max %.1f\n", what, p.p50, p.p90, p.p99, p.max);
}

// The central's store against what each kiosk saw acknowledged. Returns the number of problems.
int CheckStore(const std::string& db, Fleet& fleet, bool expect_all) {
  auto store = kiosk::central::OpenStore(db);
  if (!store.ok()) Die("can't open the central's store: " + store.error().message);
  int problems = 0;
  int64_t events = 0;
  auto problem = [&](const std::string& s) {
    if (++problems <= 20) std::printf("  CHECK FAILED: %s\n", s.c_str());
  };
  for (auto& kp : fleet.kiosks()) {
    VKiosk& k = *kp;
    if (!k.enrolled) continue;
    auto rec = (*store)->GetKiosk(k.id);
    if (!rec.ok() || !*rec) {
      problem(k.id + ": not at the central");
      continue;
    }
    int64_t expect_seq = 1;
    std::string prev = kiosk::GenesisHash(k.id);
    std::string hash_at_acked = k.acked == 0 ? prev : "";
    bool broken = false;
    auto s = (*store)->ForEachEvent(k.id, 1, [&](const kiosk::central::StoredEvent& se) {
      if (broken) return;
      const auto& e = se.event;
      if (e.seq != expect_seq) {
        problem(k.id + ": seq " + std::to_string(e.seq) + " where " + std::to_string(expect_seq) + " was due (lost or twice)");
        broken = true;
        return;
      }
      if (e.prev_hash != prev) {
        problem(k.id + ": chain broken at seq " + std::to_string(e.seq));
        broken = true;
        return;
      }
      if (e.event_id.find("/dup/") != std::string::npos) problem(k.id + ": seq " + std::to_string(e.seq) + " stored as a duplicate id");
      prev = e.hash;
      if (e.seq == k.acked) hash_at_acked = e.hash;
      ++expect_seq;
    });
    if (!s.ok()) problem(k.id + ": " + s.error().message);
    const int64_t held = expect_seq - 1;
    events += held;
    if (held < k.acked) problem(k.id + ": acknowledged " + std::to_string(k.acked) + ", central holds " + std::to_string(held));
    if ((*rec)->acked_through != held)
      problem(k.id + ": central's acked_through " + std::to_string((*rec)->acked_through) + " but it holds " + std::to_string(held));
    if (!broken && hash_at_acked != k.head_hash) problem(k.id + ": chain head at the kiosk's acknowledged seq differs");
    if (expect_all && k.acked != k.total)
      problem(k.id + ": " + std::to_string(k.total - k.acked) + " events never acknowledged");
  }
  std::printf("check: %zu kiosks, %lld events at the central, %d problems\n", fleet.kiosks().size(),
              static_cast<long long>(events), problems);
  return problems;
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  CLI::App app{"bench_fleet: virtual kiosks against a real kiosk-central"};
  app.add_option("--scenario", o.scenario)->check(CLI::IsMember({"idle", "storm", "peak", "steady", "pull"}));
  app.add_option("--kiosks", o.kiosks)->check(CLI::Range(1, 1000000));
  app.add_option("--events", o.events, "events per kiosk (storm, peak)");
  app.add_option("--batch", o.batch, "events per batch at most");
  app.add_option("--window", o.window_s, "storm: seconds within which the kiosks start");
  app.add_option("--rate", o.rate, "steady: events per second, whole fleet");
  app.add_option("--duration", o.duration_s, "steady, pull: seconds");
  app.add_option("--hold", o.hold_s, "idle: seconds the connections are held");
  app.add_option("--poll", o.poll_s, "idle: seconds between each kiosk's health polls");
  app.add_option("--kill-every", o.kill_every_s, "SIGKILL the central every T seconds and restart it");
  app.add_option("--kills", o.kills, "at most this many kills");
  app.add_option("--lose", o.lose, "probability that a request's answer is lost (connection reset)");
  app.add_option("--addresses", o.addresses, "source addresses 127.0.0.1..N")->check(CLI::Range(1, 250));
  app.add_option("--enrol-concurrency", o.enrol_concurrency);
  app.add_option("--timeout", o.timeout_s, "seconds the push phase may take");
  app.add_option("--central", o.central_bin, "kiosk-central binary (default: next to this build)");
  app.add_option("--dir", o.dir, "work folder (default: a new temporary one, removed after)");
  app.add_option("--event-type", o.event_type)->check(CLI::IsMember({"sellout.reported", "device.audited"}));
  app.add_option("--seed", o.seed);
  app.add_option("--real-kiosk", o.real_kiosk, "idle: a kiosk binary that enrols and pushes 100 events mid-hold");
  app.add_option("--serve-arg", o.central_args, "extra argument for `kiosk-central serve` (repeat)");
  app.add_option("--db", o.db, "the central's database (a file, or postgresql://...; default: central.db in --dir)");
  app.add_flag("--pg", o.pg, "a throwaway PostgreSQL cluster of this run for the central's database");
  app.add_option("--centrals", o.centrals, "central processes on the one database (2: needs PostgreSQL)")
      ->check(CLI::Range(1, 2));
  CLI11_PARSE(app, argc, argv);

  if (o.central_bin.empty())
    o.central_bin = (fs::canonical("/proc/self/exe").parent_path().parent_path() / "central" / "kiosk-central").string();
  const bool own_dir = o.dir.empty();
  std::random_device rd;
  const fs::path dir = own_dir ? fs::temp_directory_path() / ("bench-fleet-" + std::to_string(::getpid()) + "-" +
                                                              std::to_string(rd()))
                               : fs::path(o.dir);
  fs::create_directories(dir);
  std::string db = o.db.empty() ? (dir / "central.db").string() : o.db;
  if (o.pg) {
    ::setenv("KIOSK_TEST_PG_FSYNC", "on", 1);
    db = kiosk::test::PgCluster::Shared().NewDatabase();
  }
  if (!kiosk::central::IsPostgresUri(db)) {
    fs::remove(db);
    fs::remove(db + "-wal");
    fs::remove(db + "-shm");
  }
  if (o.centrals > 1 && !kiosk::central::IsPostgresUri(db)) Die("--centrals 2 wants PostgreSQL (--pg or --db postgresql://...)");
  ::signal(SIGPIPE, SIG_IGN);
  RaiseFileLimit(static_cast<size_t>(o.kiosks) + 1024);

  std::printf("bench_fleet: scenario %s, %d kiosks, central %s, work folder %s\n", o.scenario.c_str(), o.kiosks,
              o.central_bin.c_str(), dir.c_str());
  char load[128] = "";
  if (FILE* f = std::fopen("/proc/loadavg", "r")) {
    if (!std::fgets(load, sizeof load, f)) load[0] = 0;
    std::fclose(f);
  }
  std::printf("  machine: %u cores, load average %s", std::thread::hardware_concurrency(), load);

  // ---- The central's store: reference data and an open enrolment per kiosk ----
  std::vector<std::unique_ptr<VKiosk>> made;
  {
    const auto t0 = SteadyClock::now();
    auto store = kiosk::central::OpenStore(db);
    if (!store.ok()) Die(store.error().message);
    kiosk::central::Central central(**store, kiosk::SystemClock());
    if (auto s = central.Init(); !s.ok()) Die(s.error().message);
    if (auto r = central.LoadReference(kiosk::bench::SyntheticReference(1000, 1000)); !r.ok()) Die(r.error().message);
    if (auto s = (*store)->Begin(); !s.ok()) Die(s.error().message);
    for (int i = 0; i < o.kiosks; ++i) {
      auto k = std::make_unique<VKiosk>();
      k->index = i;
      char id[32];
      std::snprintf(id, sizeof id, "FLEET-%06d", i);
      k->id = id;
      kiosk::crypto::RandomBytes(k->key.bytes);
      unsigned char secret[32];
      kiosk::crypto::RandomBytes(secret);
      k->secret_hex = kiosk::crypto::Hex(secret);
      k->source_addr = htonl(INADDR_LOOPBACK + static_cast<uint32_t>(i % o.addresses));
      if (auto s = (*store)->PutEnrolment({k->id, k->secret_hex, UnixMs() + 72 * 3'600'000LL, 0}); !s.ok())
        Die(s.error().message);
      made.push_back(std::move(k));
    }
    if (auto s = (*store)->Commit(); !s.ok()) Die(s.error().message);
    std::printf("  setup: %d enrolment secrets and a reference snapshot stored in %.1f s\n", o.kiosks, Seconds(t0));
  }

  std::vector<std::string> serve_args = o.central_args;
  // The fleet enrols from a few addresses: the per-address enrolment limit is for strangers.
  serve_args.insert(serve_args.end(), {"--enrol-rate", "0"});
  CentralProcess central(o.central_bin, db, dir / "central.log", serve_args);
  central.Start(FreePort());
  CentralProcess second(o.central_bin, db, dir / "central2.log", serve_args);
  if (o.centrals > 1) second.Start(FreePort());
  event_config* cfg = event_config_new();
  event_base* base = event_base_new_with_config(cfg);
  event_config_free(cfg);
  Fleet fleet(o, base, central);
  if (o.centrals > 1) fleet.m_second = &second;
  const int64_t base_ms = UnixMs();
  fleet.SetBaseTimes(base_ms, Fleet::MonoMs());
  for (auto& k : made) fleet.Add(std::move(k));

  // ---- Enrolment through the real endpoint ----
  {
    const auto t0 = SteadyClock::now();
    fleet.EnrolAll();
    int enrolled = 0;
    for (auto& k : fleet.kiosks()) enrolled += k->enrolled;
    std::printf("enrolled %d of %d kiosks in %.1f s (%.0f per s)\n", enrolled, o.kiosks, Seconds(t0),
                enrolled / std::max(1e-9, Seconds(t0)));
    if (enrolled != o.kiosks) {
      for (const auto& p : fleet.stats().problems) std::printf("  PROBLEM: %s\n", p.c_str());
      Die("not every kiosk enrolled");
    }
    // A storm's kiosks come back over new connections.
    if (o.scenario == "storm" || o.scenario == "peak")
      for (auto& k : fleet.kiosks()) fleet.Drop(*k);
  }
  Stats& st = fleet.stats();
  st = Stats{};
  int failures = 0;
  bool pushed_events = false;
  const double cpu0 = central.TotalCpuSeconds();
  const double t_start = fleet.Now();

  if (o.scenario == "idle") {
    const double end = fleet.Now() + o.hold_s;
    fleet.SetIdleEnd(end);
    std::mt19937 rng(7);
    for (auto& k : fleet.kiosks()) {
      VKiosk& kr = *k;
      fleet.After(kr, std::uniform_real_distribution<double>(0, std::min(o.poll_s, o.hold_s))(rng),
                  [&fleet, &kr] { fleet.Poll(kr); });
    }
    // A real kiosk (the `kiosk` CLI) with 100 events, enrolled and pushed halfway through.
    const fs::path kdir = dir / "real-kiosk";
    std::thread real;
    std::string real_report;
    if (!o.real_kiosk.empty()) {
      RunCommand(o.real_kiosk + " --data '" + kdir.string() + "' init --demo --kiosk-id REAL-1 2>&1");
      for (int i = 0; i < 98; ++i)  // init logged 2 events
        RunCommand(o.real_kiosk + " --data '" + kdir.string() + "' audit --by BDG-10017 DEMO-00001 2>&1");
      real = std::thread([&, half = o.hold_s / 2] {
        std::this_thread::sleep_for(std::chrono::duration<double>(half));
        const std::string out = RunCommand(o.central_bin + " --db '" + db + "' enroll REAL-1 2>&1");
        const size_t at = out.find("--code ");
        const std::string code = at == std::string::npos ? "" : out.substr(at + 7, 23);
        const std::string url = "http://127.0.0.1:" + std::to_string(central.Port());
        const auto t0 = SteadyClock::now();
        const std::string e = RunCommand(o.real_kiosk + " --data '" + kdir.string() + "' enroll --central " + url +
                                         " --code " + code + " 2>&1; echo rc=$?");
        const double enrol_s = Seconds(t0);
        const auto t1 = SteadyClock::now();
        const std::string p = RunCommand(o.real_kiosk + " --data '" + kdir.string() + "' sync --once 2>&1; echo rc=$?");
        const double sync_s = Seconds(t1);
        const std::string st = RunCommand(o.real_kiosk + " --data '" + kdir.string() + "' status 2>&1");
        const bool ok = e.find("rc=0") != std::string::npos && p.find("rc=0") != std::string::npos &&
                        st.find("sync:      0 events waiting") != std::string::npos;
        char buf[256];
        std::snprintf(buf, sizeof buf, "real kiosk: enrol %.2f s, sync (push 100 events, pull) %.2f s, together %.2f s: %s\n",
                      enrol_s, sync_s, enrol_s + sync_s, ok ? "all acknowledged" : "FAILED");
        real_report = buf;
        if (!ok) real_report += e + p + st;
      });
    }
    long rss_max = 0;
    double cpu_start = 0;
    const double warmup = std::min(10.0, o.hold_s / 4);
    for (double t = 0; t < o.hold_s; t += 5) {
      fleet.RunFor(std::min(5.0, o.hold_s - t));
      rss_max = std::max(rss_max, central.RssKb());
      if (t < warmup && t + 5 >= warmup) cpu_start = central.TotalCpuSeconds();
    }
    const double measured = o.hold_s - warmup;
    int64_t open = 0;
    for (auto& k : fleet.kiosks()) open += k->bev != nullptr;
    std::printf("idle: %lld connections open at the end of %.0f s; central RSS max %.1f MB, CPU %.2f %% of a core "
                "(after a %.0f s warm-up); health polls failed %lld\n",
                static_cast<long long>(open), o.hold_s, rss_max / 1024.0,
                100.0 * (central.TotalCpuSeconds() - cpu_start) / std::max(1.0, measured), warmup,
                static_cast<long long>(fleet.idle_poll_failures()));
    if (open < o.kiosks) ++failures;
    if (real.joinable()) {
      real.join();
      std::printf("%s", real_report.c_str());
      if (real_report.find("FAILED") != std::string::npos) ++failures;
    }
  } else if (o.scenario == "pull") {
    const double warm = std::min(5.0, o.duration_s / 5);
    fleet.SetPullWindow(fleet.Now() + warm, fleet.Now() + warm + o.duration_s);
    for (auto& k : fleet.kiosks()) fleet.Pull(*k);
    fleet.RunUntilAllDone(warm + o.duration_s + 60);
    std::printf("pull: %lld answers 304 in %.1f s: %.0f per s (200: %lld, 503: %lld, 429: %lld)\n",
                static_cast<long long>(fleet.pull_304()), o.duration_s, fleet.pull_304() / o.duration_s,
                static_cast<long long>(st.answers_200), static_cast<long long>(st.answers_503),
                static_cast<long long>(st.answers_429));
  } else {
    pushed_events = true;
    fleet.StartLagMonitor();
    fleet.ScheduleKills();
    fleet.SetFaults(true);
    std::mt19937 rng(11);
    if (o.scenario == "storm" || o.scenario == "peak") {
      for (auto& k : fleet.kiosks()) {
        k->total = o.events;
        VKiosk& kr = *k;
        const double at = o.scenario == "storm" ? std::uniform_real_distribution<double>(0, o.window_s)(rng) : 0;
        fleet.After(kr, at, [&fleet, &kr] { fleet.StartPush(kr); });
      }
      const bool all = fleet.RunUntilAllDone(o.timeout_s);
      const double secs = fleet.Now() - t_start;
      double last = 0;
      for (auto& k : fleet.kiosks()) last = std::max(last, k->finished_at - t_start);
      std::printf("%s: %lld events from %d kiosks acknowledged in %.1f s: %.0f events per s; %s\n", o.scenario.c_str(),
                  static_cast<long long>(st.events_acked), o.kiosks, secs, st.events_acked / std::max(1e-9, secs),
                  all ? "every kiosk done" : "NOT every kiosk done before the timeout");
      std::printf("  last kiosk done at %.1f s\n", last);
      PrintLatency("accepted_batch_latency", st.latency_ms);
      if (!all) ++failures;
    } else {  // steady
      // Poisson arrivals at `rate`, each to a random kiosk; open-loop: due times are fixed first.
      std::exponential_distribution<double> gap(o.rate);
      std::uniform_int_distribution<size_t> pick(0, fleet.kiosks().size() - 1);
      struct Arrival {
        double at;
        size_t kiosk;
      };
      auto arrivals = std::make_shared<std::vector<Arrival>>();
      for (double t = fleet.Now() + gap(rng); t < t_start + o.duration_s; t += gap(rng)) arrivals->push_back({t, pick(rng)});
      auto next = std::make_shared<size_t>(0);
      struct Ctx {
        Fleet* fleet;
        std::shared_ptr<std::vector<Arrival>> arrivals;
        std::shared_ptr<size_t> next;
        event* ev;
      };
      auto* ctx = new Ctx{&fleet, arrivals, next, nullptr};
      ctx->ev = event_new(base, -1, 0, [](evutil_socket_t, short, void* arg) {
        auto& c = *static_cast<Ctx*>(arg);
        const double now = c.fleet->Now();
        while (*c.next < c.arrivals->size() && (*c.arrivals)[*c.next].at <= now) {
          const Arrival& a = (*c.arrivals)[(*c.next)++];
          VKiosk& k = *c.fleet->kiosks()[a.kiosk];
          ++k.total;
          k.event_due.push_back(a.at);
          c.fleet->StartPush(k);
        }
        if (*c.next < c.arrivals->size()) {
          const double d = std::max(0.0, (*c.arrivals)[*c.next].at - now);
          timeval tv{static_cast<time_t>(d), static_cast<suseconds_t>((d - std::floor(d)) * 1e6)};
          evtimer_add(c.ev, &tv);
        }
      }, ctx);
      const timeval zero{0, 0};
      evtimer_add(ctx->ev, &zero);
      fleet.RunFor(o.duration_s);
      // Drain what is still on its way.
      bool drained = false;
      for (int i = 0; i < 600 && !drained; ++i) {
        drained = true;
        for (auto& k : fleet.kiosks()) drained = drained && k->acked == k->total;
        if (!drained) fleet.RunFor(0.1);
      }
      event_free(ctx->ev);
      delete ctx;
      const double secs = fleet.Now() - t_start;
      const double cpu = central.TotalCpuSeconds() - cpu0;
      std::printf("steady: %zu events at %.1f per s over %.0f s, %lld acknowledged; central CPU %.2f %% of a core, RSS %.1f MB\n",
                  arrivals->size(), o.rate, o.duration_s, static_cast<long long>(st.events_acked),
                  100.0 * cpu / std::max(1e-9, secs), central.RssKb() / 1024.0);
      PrintLatency("event_latency", st.latency_ms);
      if (!drained) ++failures;
    }
    fleet.StopKills();
    fleet.StopLagMonitor();
    // The central's own view (since its last start): how long its answers took.
    const json h = json::parse(FetchHealth(central.Port()), nullptr, false);
    if (h.is_object() && h.contains("load")) {
      const json& l = h["load"];
      std::printf("central (since its last start): 503 %lld (at the headers %lld, expired in the queue %lld); slowest "
                  "answer %.1f s from the request read to the answer written, %lld over 10 s, %lld over 30 s; longest "
                  "queue wait %.1f s\n",
                  static_cast<long long>(l.value("overloaded_503", int64_t{0})),
                  static_cast<long long>(l.value("turned_away_at_headers", int64_t{0})),
                  static_cast<long long>(l.value("expired_in_queue", int64_t{0})),
                  static_cast<double>(l.value("slowest_answer_ms", int64_t{0})) / 1000.0,
                  static_cast<long long>(l.value("answers_over_10s", int64_t{0})),
                  static_cast<long long>(l.value("answers_over_30s", int64_t{0})),
                  static_cast<double>(l.value("longest_queue_wait_ms", int64_t{0})) / 1000.0);
    }
    std::printf("harness: slowest answer %.1f s from the request written to the answer read, %lld over 10 s; "
                "event loop late by up to %.2f s (%lld ticks over 1 s, %lld over 5 s); batches made %lld, resent from "
                "the cache %lld\n",
                st.slowest_answer_s, static_cast<long long>(st.answers_over_10s), st.loop_lag_max_s,
                static_cast<long long>(st.loop_lag_over_1s), static_cast<long long>(st.loop_lag_over_5s),
                static_cast<long long>(st.batches_made), static_cast<long long>(st.batches_resent_from_cache));
    std::printf("central peak RSS (VmHWM, every incarnation): %.1f MB\n", central.PeakRssKb() / 1024.0);
  }
  const double cpu_all = central.TotalCpuSeconds() + second.TotalCpuSeconds() - cpu0;
  if (o.centrals > 1)
    std::printf("central processes: 2 on %s; CPU %.1f s and %.1f s, RSS now %.1f MB and %.1f MB\n",
                kiosk::central::IsPostgresUri(db) ? "PostgreSQL" : "SQLite", central.TotalCpuSeconds(),
                second.TotalCpuSeconds(), central.RssKb() / 1024.0, second.RssKb() / 1024.0);
  if (o.pg) {
    // PostgreSQL's own processes: the postmaster and its children.
    const std::string data = kiosk::test::PgCluster::Shared().Dir() + "/pg";
    const double pg_cpu = kiosk::bench::PgCpuSeconds(data);
    const int64_t pg_rss = kiosk::bench::PgPssKb(data);
    std::printf("PostgreSQL: CPU %.1f s over the run (all its processes), Pss now %.1f MB\n", pg_cpu,
                static_cast<double>(pg_rss) / 1024.0);
  }
  std::printf("requests %lld: 200 %lld, 304 %lld, 503 %lld, 429 %lld, other %lld; socket errors %lld, answers lost "
              "(injected) %lld, connects %lld, idle connections closed %lld, central kills %lld, central CPU %.1f s\n",
              static_cast<long long>(st.requests), static_cast<long long>(st.answers_200),
              static_cast<long long>(st.answers_304), static_cast<long long>(st.answers_503),
              static_cast<long long>(st.answers_429), static_cast<long long>(st.answers_other),
              static_cast<long long>(st.socket_errors), static_cast<long long>(st.injected_losses),
              static_cast<long long>(st.connects), static_cast<long long>(st.idle_closed),
              static_cast<long long>(st.kills), cpu_all);
  for (const auto& [why, n] : st.socket_error_kinds)
    std::printf("  socket errors: %lld %s\n", static_cast<long long>(n), why.c_str());
  for (const auto& p : st.problems) std::printf("  PROBLEM: %s\n", p.c_str());
  failures += static_cast<int>(st.problems.size());

  for (auto& k : fleet.kiosks()) {
    fleet.Drop(*k);
    event_free(k->timer);
    k->timer = nullptr;
  }
  central.Stop();
  second.Stop();
  event_base_free(base);
  if (pushed_events) failures += CheckStore(db, fleet, true);
  if (own_dir && failures == 0) fs::remove_all(dir);
  std::printf("%s\n", failures == 0 ? "bench_fleet: OK" : "bench_fleet: FAILED");
  return failures == 0 ? 0 : 1;
}
