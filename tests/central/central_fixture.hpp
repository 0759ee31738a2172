#pragma once
// A real kiosk-central (store + Central + HTTP server on a free loopback port) in a temporary
// folder, and a scripted kiosk that makes correctly signed events without a kiosk database.
#include <chrono>
#include <filesystem>
#include <fstream>
#include <memory>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include "central/central.hpp"
#include "central/server.hpp"
#include "central/open_store.hpp"
#include "central/sqlite_store.hpp"
#include "kiosk/core/crypto.hpp"
#include "kiosk/sync/protocol.hpp"
#include "platform/http_client_curl.hpp"
#include "support/pg_cluster.hpp"

namespace kiosk::test {

inline std::filesystem::path TempDir(const std::string& tag) {
  std::random_device rd;
  auto dir = std::filesystem::temp_directory_path() /
             ("kiosk-" + tag + "-" + std::to_string(::getpid()) + "-" + std::to_string(rd()));
  std::filesystem::create_directories(dir);
  return dir;
}

// A batch the central answered 200, parsed; fails the test case (with the body) otherwise.
inline sync::BatchResponse AcceptedBatch(const platform::HttpResponse& r) {
  INFO(r.body);
  REQUIRE(r.status == 200);
  auto parsed = sync::ParseBatchResponse(r.body);
  REQUIRE(parsed.ok());
  return *parsed;
}

inline std::string ReadFile(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

inline int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// The central database of a test: a SQLite file in `dir`, or with KIOSK_TEST_STORE=postgresql a
// fresh database in this process's throwaway PostgreSQL cluster. Either opens with OpenStore.
inline std::string TestCentralDb(const std::filesystem::path& dir) {
  if (PgCluster::Wanted()) return PgCluster::Shared().NewDatabase();
  return (dir / "central.db").string();
}

// A kiosk's journal in memory, signed with its own key.
struct ScriptedKiosk {
  std::string id;
  JournalKey key;
  std::vector<Event> events;
  std::string boot_id = "boot-1";
  int64_t clock_offset_ms = 0;  // added to wall_time (a wrong device clock)

  explicit ScriptedKiosk(std::string kiosk_id) : id(std::move(kiosk_id)) { crypto::RandomBytes(key.bytes); }

  const Event& Add(const std::string& type, const nlohmann::json& payload, const std::string& actor = "BDG-10017") {
    Event e;
    e.seq = static_cast<int64_t>(events.size()) + 1;
    e.event_id = NewUuidV7(NowMs());
    e.kiosk_id = id;
    e.type = type;
    e.payload = payload.dump();
    e.actor = actor;
    e.wall_time = FormatUtc(std::chrono::system_clock::now() + std::chrono::milliseconds(clock_offset_ms));
    e.mono_ms = MonoMs();
    e.boot_id = boot_id;
    e.prev_hash = events.empty() ? GenesisHash(id) : events.back().hash;
    e.hash = ComputeEventHash(key, e);
    events.push_back(e);
    return events.back();
  }
  static int64_t MonoMs() {
    timespec ts{};
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return static_cast<int64_t>(ts.tv_sec) * 1000 + ts.tv_nsec / 1000000;
  }
  sync::Batch MakeBatch(int64_t from, int64_t to) const {
    sync::Batch b;
    b.kiosk_id = id;
    b.from_seq = from;
    b.to_seq = to;
    b.prev_hash = events[static_cast<size_t>(from - 1)].prev_hash;
    b.sent_at = FormatUtc(std::chrono::system_clock::now() + std::chrono::milliseconds(clock_offset_ms));
    b.mono_ms = MonoMs();
    b.boot_id = boot_id;
    for (int64_t s = from; s <= to; ++s) b.events.push_back(events[static_cast<size_t>(s - 1)]);
    return b;
  }
};

struct CentralFixture {
  std::filesystem::path dir = TempDir("central");
  std::unique_ptr<central::CentralStore> store;
  std::unique_ptr<central::Central> central;
  std::unique_ptr<central::Server> server;
  std::unique_ptr<platform::HttpClient> http = platform::MakeCurlHttpClient();
  std::string url;

  // `clock`: the central's (a test that moves time passes its own; it must outlive the fixture).
  explicit CentralFixture(central::ServerOptions options = {}, const Clock& clock = SystemClock()) {
    const std::string db = TestCentralDb(dir);
    auto opened = central::OpenStore(db);
    if (!opened.ok()) throw std::runtime_error(opened.error().message);
    store = std::move(*opened);
    central = std::make_unique<central::Central>(*store, clock);
    (void)central->Init();
    if (central::IsPostgresUri(db)) {  // as `kiosk-central serve`: a connection per worker for batches
      std::vector<std::unique_ptr<central::CentralStore>> lanes;
      for (int i = 0; i < options.workers; ++i) {
        auto lane = central::OpenStore(db);
        if (!lane.ok()) throw std::runtime_error(lane.error().message);
        lanes.push_back(std::move(*lane));
      }
      central->AddIngestStores(std::move(lanes));
    }
    server = std::make_unique<central::Server>(*central, options);
    (void)server->Start();
    url = "http://127.0.0.1:" + std::to_string(server->Port());
  }
  ~CentralFixture() {
    http.reset();  // close our kept-alive connection first: the server waits for open ones
    server->Stop();
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
  }

  void LoadDemoReference() {
    auto r = central->LoadReference(ReadFile(std::string(KIOSK_TEST_ASSETS) + "/demo/showroom.json"));
    if (!r.ok()) throw std::runtime_error(r.error().message);
  }

  platform::HttpResponse Post(const std::string& path, const std::string& body,
                              std::vector<std::pair<std::string, std::string>> headers = {}) {
    platform::HttpRequest req;
    req.method = "POST";
    req.url = url + path;
    req.body = body;
    req.headers = std::move(headers);
    auto r = http->Send(req);
    if (!r.ok()) throw std::runtime_error(r.error().message);
    return *r;
  }

  platform::HttpResponse Enrol(const ScriptedKiosk& k, const std::string& code_override = "") {
    auto code = central->CreateEnrolment(k.id);
    const std::string c = code_override.empty() ? *code : code_override;
    const std::string secret = sync::DeriveEnrolSecret(sync::NormalizeEnrolCode(c), k.id);
    auto sealed = sync::SealJournalKey(secret, k.id, k.key);
    nlohmann::json body{{"kiosk_id", k.id}, {"sealed_key", {{"iv", sealed.iv}, {"ct", sealed.ct}, {"tag", sealed.tag}}}};
    return Post("/v1/enroll", body.dump());
  }

  static std::vector<std::pair<std::string, std::string>> HeadersFor(const sync::SignedHeaders& h) {
    return {{sync::kHeaderKioskId, h.kiosk_id},
            {sync::kHeaderTime, std::to_string(h.time_ms)},
            {sync::kHeaderNonce, h.nonce},
            {sync::kHeaderSignature, h.signature}};
  }

  // Signs with `signing_key` (default: the kiosk's own) and posts.
  platform::HttpResponse PushBody(const ScriptedKiosk& k, const std::string& body, const JournalKey* signing_key = nullptr,
                                  sync::SignedHeaders* sent = nullptr) {
    auto h = sync::SignRequest(signing_key ? *signing_key : k.key, "POST", "/v1/batches", k.id, NowMs(), body);
    if (sent) *sent = h;
    return Post("/v1/batches", body, HeadersFor(h));
  }
  platform::HttpResponse Push(const ScriptedKiosk& k, int64_t from, int64_t to) {
    return PushBody(k, sync::SerializeBatch(k.MakeBatch(from, to)));
  }

  std::string ErrorCode(const platform::HttpResponse& r) {
    auto j = nlohmann::json::parse(r.body, nullptr, false);
    if (!j.is_object() || !j.contains("error")) return "";
    return j["error"].value("code", "");
  }
};

}  // namespace kiosk::test
