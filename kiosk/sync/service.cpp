// SyncService: the background sync thread of the touchscreen app. It opens its own Kiosk (its
// own SQLite connection: WAL lets the UI's connection keep working) and its own HttpClient.
#include "kiosk/sync/client.hpp"

namespace kiosk::sync {

SyncService::SyncService(SyncServiceOptions options, std::function<void()> on_change)
    : m_options(std::move(options)), m_on_change(std::move(on_change)) {}

SyncService::~SyncService() { Stop(); }

void SyncService::Start() {
  std::lock_guard lock(m_mu);
  if (m_thread.joinable()) return;
  m_stop = false;
  m_thread = std::thread([this] { Run(); });
}

void SyncService::Stop() {
  {
    std::lock_guard lock(m_mu);
    m_stop = true;
  }
  m_cv.notify_all();
  if (m_thread.joinable()) m_thread.join();
  Update([](SyncProgress& p) { p.phase = SyncPhase::Stopped; });
}

void SyncService::SyncNow() {
  {
    std::lock_guard lock(m_mu);
    m_kick = true;
  }
  m_cv.notify_all();
}

SyncProgress SyncService::Progress() const {
  std::lock_guard lock(m_mu);
  return m_progress;
}

void SyncService::Update(const std::function<void(SyncProgress&)>& fn) {
  {
    std::lock_guard lock(m_mu);
    fn(m_progress);
  }
  if (m_on_change) m_on_change();
}

bool SyncService::Wait(std::chrono::milliseconds d) {
  std::unique_lock lock(m_mu);
  m_cv.wait_for(lock, d, [&] { return m_stop || m_kick; });
  m_kick = false;
  return !m_stop;
}

void SyncService::Run() {
  int attempt = 0;
  std::unique_ptr<Kiosk> kiosk;
  std::unique_ptr<platform::HttpClient> http;
  std::unique_ptr<SyncEngine> engine;
  for (;;) {
    {
      std::lock_guard lock(m_mu);
      if (m_stop) return;
      m_kick = false;
    }
    std::string error;
    Error reason;
    int64_t retry_after = 0;
    bool not_enrolled = false;
    if (!engine) {
      auto k = Kiosk::Open({.data_dir = m_options.data_dir, .clock = m_options.clock});
      if (!k.ok()) {
        error = k.error().message;
        reason = k.error();
      } else {
        kiosk = std::move(*k);
        http = m_options.make_http ? m_options.make_http() : nullptr;
        if (!http) {
          error = "No HTTP client was configured for sync.";
        } else {
          engine = std::make_unique<SyncEngine>(*kiosk, *http, m_options.engine);
        }
      }
    }
    if (engine) {
      const int64_t pending_before = std::max<int64_t>(0, kiosk->Status(Kiosk::StatusDetail::kSyncState).pending_events);
      Update([&](SyncProgress& p) {
        p.phase = SyncPhase::Pushing;
        p.sent = 0;
        p.total = pending_before;
        p.pending = pending_before;
        p.next_attempt_ms = 0;
      });
      auto r = engine->RunOnce([&](int64_t sent, int64_t total) {
        Update([&](SyncProgress& p) {
          p.sent = sent;
          p.total = total;
          p.pending = std::max<int64_t>(0, total - sent);
        });
      });
      if (r.ok()) {
        attempt = 0;
        // Retention: only events the central has acknowledged are ever removed.
        if (m_options.retention_days > 0) (void)kiosk->PruneAcknowledged(m_options.retention_days);
        const std::string last_sync = engine->LastSync();
        Update([&](SyncProgress& p) {
          p.phase = SyncPhase::Waiting;
          p.pending = r->pending;
          p.last_error.clear();
          p.error = {};
          p.last_sync = last_sync;
          p.next_attempt_ms = m_options.interval.count();
          ++p.rounds;
        });
        if (!Wait(m_options.interval)) return;
        continue;
      }
      error = r.error().message;
      reason = r.error();
      retry_after = engine->RetryAfterMs();
      not_enrolled = r.error().code == "sync.not_enrolled";
    }
    const auto delay = BackoffDelay(attempt++, m_options.backoff_min, m_options.backoff_max, retry_after);
    const int64_t pending = kiosk ? std::max<int64_t>(0, kiosk->Status(Kiosk::StatusDetail::kSyncState).pending_events) : 0;
    Update([&](SyncProgress& p) {
      p.phase = not_enrolled ? SyncPhase::NotEnrolled : SyncPhase::Waiting;
      p.last_error = error;
      p.error = reason;
      p.pending = pending;
      p.next_attempt_ms = delay.count();
      ++p.rounds;
    });
    if (!Wait(delay)) return;
  }
}

}  // namespace kiosk::sync
