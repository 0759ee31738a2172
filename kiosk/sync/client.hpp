#pragma once
// The kiosk's side of sync: SyncEngine does one exchange with the central (push, pull) over an
// injected HttpClient; SyncService runs it on a background thread for the touchscreen app.
// USB export and receipts (usb.cpp) share the engine's bookkeeping.
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "kiosk/services/kiosk.hpp"
#include "kiosk/sync/protocol.hpp"
#include "kiosk/sync/http_client.hpp"
#include "storage/sync_store.hpp"

namespace kiosk::sync {

enum class SyncPhase { Idle, Enrolling, Pushing, Pulling, Waiting, NotEnrolled, Stopped };
const char* ToString(SyncPhase p);

// What the UI's progress bar and the admin's sync-health panel show. Copied out under a lock.
struct SyncProgress {
  SyncPhase phase = SyncPhase::Idle;
  int64_t sent = 0;          // events acknowledged in this round
  int64_t total = 0;         // events pending when the round began
  int64_t pending = 0;       // events not yet acknowledged now
  std::string last_error;    // "" when the last round succeeded
  Error error;               // that failure's reason (code, values) for the screen's translation
  std::string last_sync;     // UTC of the last successful exchange
  int64_t next_attempt_ms = 0;  // while Waiting: ms until the next try
  int64_t rounds = 0;        // completed rounds (success or failure)
};

struct SyncReport {
  int64_t pushed = 0;          // events newly acknowledged
  int64_t batches = 0;
  int64_t acked_through = 0;
  int64_t pending = 0;         // still unacknowledged (new events arrived meanwhile)
  int64_t rejected = 0;        // verdicts other than accepted in this round
  int64_t adjusted = 0;
  bool pulled = false;         // reference data requested
  bool reference_applied = false;
  int64_t reference_version = 0;
};

struct EngineOptions {
  std::string central_url;        // "" = the one stored at enrolment
  std::string ca_file;            // PEM CA of an https central; "" = the one given at enrolment, if any
  int initial_batch_events = 512;
  int max_batch_events = 8192;    // also capped at kMaxBatchBytes
  int request_timeout_ms = 30000;
  // Batches sent before the oldest one's answer is back (see Push in engine.cpp). Three keep the
  // central's lock busy: with two, the next batch was often still on its way when one's
  // transaction ended (bench_sync: push/raw 0.48 with two, 0.51 with three, four pairs).
  int batches_in_flight = 3;
  bool pull = true;
};

// One thread, plus the senders of a push (batches_in_flight at once, so the HttpClient must take
// concurrent Sends). Owns no connection: the Kiosk and HttpClient are the caller's.
class SyncEngine {
 public:
  SyncEngine(Kiosk& kiosk, platform::HttpClient& http, EngineOptions options = {});

  // Exchanges the one-time code for this kiosk's enrolment (the journal key travels sealed
  // under a key derived from the code); stores the central's URL and public key.
  Status Enrol(const std::string& central_url, const std::string& code);
  bool Enrolled();

  // Push everything pending, then (if nothing is pending) pull reference data and push the
  // resulting reference.loaded event. `progress` is called after every batch.
  Result<SyncReport> RunOnce(const std::function<void(int64_t sent, int64_t total)>& progress = {});
  Result<SyncReport> Push(const std::function<void(int64_t sent, int64_t total)>& progress = {});
  Result<SyncReport> Pull();
  // `kiosk recover`: takes back from the central the events it holds of this kiosk after the
  // kiosk's acknowledged seq (GET /v1/journal, page by page), and hands them with the central's
  // signed anchor to Kiosk::Recover, which checks them and logs the kiosk's divergent events again
  // after them. Push afterwards to deliver those.
  Result<Kiosk::RecoveryReport> Recover();
  // The same without the network: from the file `kiosk-central export-journal --for KIOSK` wrote
  // (or the folder holding it: the newest for this kiosk is taken). usb.cpp.
  Result<Kiosk::RecoveryReport> RecoverFromFile(const std::filesystem::path& file_or_dir);

  // After a failed RunOnce: how long the central asked us to wait (Retry-After), or 0.
  int64_t RetryAfterMs() const { return m_retry_after_ms; }
  int BatchEvents() const { return m_batch_events; }

  // USB path.
  struct ExportReport {
    int64_t events = 0;
    int64_t from_seq = 0, to_seq = 0;
    std::vector<std::filesystem::path> files;
    std::filesystem::path manifest;
  };
  Result<ExportReport> ExportTo(const std::filesystem::path& dir);
  struct ReceiptReport {
    int64_t acked_before = 0, acked_through = 0;
    int64_t verdicts = 0, rejected = 0, adjusted = 0;
  };
  Result<ReceiptReport> ApplyReceipt(const std::filesystem::path& file);
  // The central's reference file (`kiosk-central export-reference`), or the newest one for this
  // kiosk in a folder: checked against the central's key from enrolment, then the reference data,
  // the verdicts and the acknowledgement are applied in one transaction, as a pull and an
  // acknowledgement would; the data counts as fresh from when the central wrote the file.
  struct ReferenceImportReport {
    std::filesystem::path file;
    int64_t version = 0, version_before = 0;
    bool full = true;
    std::string created_at;  // central UTC: the data is current as of then
    int64_t acked_through = 0;
    int64_t verdicts = 0, rejected = 0, adjusted = 0;
  };
  Result<ReferenceImportReport> ImportReference(const std::filesystem::path& file_or_dir);

  // sync_state by name, for tools and tests; the engine itself reads it through storage::SyncState.
  std::string State(const std::string& name, const std::string& def = "");
  Status SetState(const std::string& name, const std::string& value);
  std::string StoredCentralUrl();
  std::string LastSync();  // UTC of the last successful exchange; "" if never
  int64_t AckedThrough();
  // Every verdict up to this seq is known: a row, or a plain acceptance where there is none.
  int64_t VerdictsThrough();
  // Records a failed round for `kiosk status` (last_error) without touching anything else.
  void RecordError(const Error& e);

 private:
  Result<JournalKey> Key();
  std::string Url();
  std::string CaFile();
  Result<platform::HttpRequest> SignedRequest(const std::string& method, const std::string& path, std::string body);
  Result<platform::HttpResponse> Signed(const std::string& method, const std::string& path, const std::string& body);
  Result<std::vector<Event>> ReadPending(int64_t after_seq, int max_events, size_t max_bytes);
  // Stores the verdicts and the anchor; acked_through becomes `through` (default: the answer's).
  Status StoreAck(const BatchResponse& r, int64_t& rejected, int64_t& adjusted,
                  std::optional<int64_t> through = std::nullopt);
  // StoreAck's two halves: the checks of the anchor against the central's key and our journal,
  // and the writes (inside the caller's transaction).
  Status CheckAck(const BatchResponse& r);
  Status WriteAck(const BatchResponse& r, int64_t& rejected, int64_t& adjusted, std::optional<int64_t> through);
  Status StoreVerdicts(const std::vector<Verdict>& verdicts, int64_t& rejected, int64_t& adjusted);
  Error ErrorFrom(const platform::HttpResponse& r, nlohmann::json* extra = nullptr);

  Kiosk& m_kiosk;
  storage::SyncStore& m_store;  // the Kiosk's, over its connection (Kiosk::SyncStorage)
  storage::SyncState& m_state;  // m_store's typed sync_state
  platform::HttpClient& m_http;
  EngineOptions m_options;
  std::optional<JournalKey> m_key;
  int m_batch_events;
  int64_t m_time_offset_ms = 0;  // central clock minus ours, learned from auth.clock refusals
  int64_t m_retry_after_ms = 0;
};

struct SyncServiceOptions {
  std::filesystem::path data_dir;
  const Clock* clock = nullptr;  // default: SystemClock()
  std::function<std::unique_ptr<platform::HttpClient>()> make_http;  // required (curl in the app)
  EngineOptions engine;
  std::chrono::milliseconds interval{60000};      // between successful rounds
  std::chrono::milliseconds backoff_min{1000};    // full-jitter exponential backoff after failures
  std::chrono::milliseconds backoff_max{300000};
  int retention_days = 0;  // after a successful round, prune acknowledged events older than this (0: keep)
};

// Owned by the app; Start/Stop/SyncNow/Progress from the UI thread, the rounds on its own
// thread. on_change runs on the sync thread: keep it short (post to the UI and wake it).
class SyncService {
 public:
  SyncService(SyncServiceOptions options, std::function<void()> on_change = {});
  ~SyncService();
  SyncService(const SyncService&) = delete;
  SyncService& operator=(const SyncService&) = delete;

  void Start();
  void Stop();     // waits for the current request to finish (bounded by its timeout)
  void SyncNow();  // wakes the thread now, skipping any backoff wait
  SyncProgress Progress() const;

 private:
  void Run();
  void Update(const std::function<void(SyncProgress&)>& fn);
  // Waits up to `d` or until SyncNow/Stop; returns false when stopping.
  bool Wait(std::chrono::milliseconds d);

  SyncServiceOptions m_options;
  std::function<void()> m_on_change;
  mutable std::mutex m_mu;
  std::condition_variable m_cv;
  SyncProgress m_progress;
  bool m_stop = false;
  bool m_kick = false;
  std::thread m_thread;
};

// Full-jitter exponential backoff: uniform in [0, min(max, min_delay * 2^attempt)]; when the
// server gave a Retry-After, that instead plus up to half of it again (capped at max).
std::chrono::milliseconds BackoffDelay(int attempt, std::chrono::milliseconds min_delay,
                                       std::chrono::milliseconds max_delay, int64_t retry_after_ms);

}  // namespace kiosk::sync
