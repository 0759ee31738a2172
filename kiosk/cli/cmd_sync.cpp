// Sync subcommands (issue 5): enroll, sync, recover, export, import-receipt, import-reference, verdicts.
#include <signal.h>

#include <CLI/CLI.hpp>

#include <iostream>
#include <mutex>
#include <sstream>

#include "kiosk/cli/cli.hpp"
#include "kiosk/cli/output.hpp"
#include "kiosk/core/clock.hpp"
#include "kiosk/core/config.hpp"
#include "kiosk/services/kiosk.hpp"
#include "kiosk/sync/client.hpp"
#include "platform/http_client_curl.hpp"

namespace kiosk::cli {

using nlohmann::json;

namespace {

struct SyncArgs {
  std::string central;
  std::string code;
  std::string ca_file;
  bool once = false;
  std::string dir;
  std::string file;
  bool all = false;      // verdicts --all
  bool no_sync = false;  // recover --no-sync
  int interval_s = 0;  // 0: sync_interval_s from the config (the kiosk's own schedule)
};

platform::CurlOptions CurlFor(const SyncArgs& a) {
  platform::CurlOptions o;
  o.ca_file = a.ca_file;
  return o;
}

json ReportJson(const sync::SyncReport& r) {
  return json{{"pushed", r.pushed},       {"batches", r.batches},   {"acked_through", r.acked_through},
              {"pending", r.pending},     {"rejected", r.rejected}, {"adjusted", r.adjusted},
              {"pulled", r.pulled},       {"reference_applied", r.reference_applied},
              {"reference_version", r.reference_version}};
}

int RunForeground(Context& ctx, const SyncArgs& a) {
  // SIGINT/SIGTERM end the loop; they are taken by sigwait here, not by the sync thread.
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  sync::SyncServiceOptions o;
  o.data_dir = ctx.data_dir;
  o.engine.central_url = a.central;
  o.engine.ca_file = a.ca_file;
  int interval_s = a.interval_s;
  if (interval_s <= 0) {
    // The same schedule as the touchscreen's background sync: the config's, or its default.
    auto config = LoadConfigFromEnvironment();
    if (!config.ok()) {
      ReportError(ctx, config.error());
      return ctx.exit_code;
    }
    interval_s = config->sync_interval_s;
  }
  o.interval = std::chrono::seconds(interval_s);
  const platform::CurlOptions curl = CurlFor(a);
  o.make_http = [curl] { return platform::MakeCurlHttpClient(curl); };
  std::mutex print_mu;
  int64_t last_rounds = -1;
  sync::SyncService* service_ptr = nullptr;
  sync::SyncService service(o, [&] {
    if (!service_ptr) return;
    const sync::SyncProgress p = service_ptr->Progress();
    std::lock_guard lock(print_mu);
    if (p.rounds == last_rounds) return;  // one line per round
    last_rounds = p.rounds;
    if (p.last_error.empty())
      std::cout << FormatUtc(std::chrono::system_clock::now()) << "  in sync: " << p.pending
                << " pending; next round in " << p.next_attempt_ms / 1000 << " s" << std::endl;
    else
      std::cout << FormatUtc(std::chrono::system_clock::now()) << "  sync failed: " << p.last_error << "  (retry in "
                << (p.next_attempt_ms + 999) / 1000 << " s)" << std::endl;
  });
  service_ptr = &service;
  service.Start();
  std::cout << "Syncing every " << interval_s << " s; Ctrl+C stops." << std::endl;
  int sig = 0;
  sigwait(&set, &sig);
  service.Stop();
  return 0;
}

}  // namespace

void RegisterSyncCommands(CLI::App& app, Context& ctx) {
  auto a = std::make_shared<SyncArgs>();

  CLI::App* enroll = app.add_subcommand("enroll", "Enrol this kiosk with a central, using the code it printed");
  enroll->add_option("--central", a->central, "The central's address, e.g. https://central.example:8443")->required();
  enroll->add_option("--code", a->code, "The one-time code from `kiosk-central enroll KIOSK_ID`")->required();
  enroll->add_option("--ca", a->ca_file, "CA certificate (PEM) for a central with its own certificate; kept for later syncs");
  enroll->callback([&ctx, a] {
    auto kiosk = OpenKiosk(ctx);
    if (!kiosk) return;
    auto http = platform::MakeCurlHttpClient(CurlFor(*a));
    sync::EngineOptions eo;
    eo.ca_file = a->ca_file;
    sync::SyncEngine engine(*kiosk, *http, eo);
    if (Status s = engine.Enrol(a->central, a->code); !s.ok()) return ReportError(ctx, s.error());
    Emit(ctx, json{{"ok", true}, {"kiosk_id", kiosk->KioskId()}, {"central", a->central}},
         "Kiosk " + kiosk->KioskId() + " is enrolled with " + a->central +
             ".\nNext: `kiosk sync --once` sends the journal and fetches the central's data.");
  });

  CLI::App* sync_cmd = app.add_subcommand("sync", "Send the journal to the central and fetch its data");
  sync_cmd->add_option("--central", a->central, "The central's address (default: the one given at enrolment)");
  sync_cmd->add_flag("--once", a->once, "One round, then exit (exit code 3 if the central can't be reached)");
  sync_cmd->add_option("--ca", a->ca_file, "CA certificate (PEM) for a central with its own certificate");
  sync_cmd->add_option("--interval", a->interval_s, "Seconds between rounds without --once (default: sync_interval_s from the config, 300)")
      ->check(CLI::Range(1, 86400));
  sync_cmd->callback([&ctx, a] {
    if (!a->once) {
      ctx.exit_code = RunForeground(ctx, *a);
      return;
    }
    auto kiosk = OpenKiosk(ctx);
    if (!kiosk) return;
    auto http = platform::MakeCurlHttpClient(CurlFor(*a));
    sync::EngineOptions eo;
    eo.central_url = a->central;
    eo.ca_file = a->ca_file;
    sync::SyncEngine engine(*kiosk, *http, eo);
    auto r = engine.RunOnce([&](int64_t sent, int64_t total) {
      if (!ctx.json && total > 2000) std::cerr << "\r  sent " << sent << " / " << total << std::flush;
    });
    if (!ctx.json) std::cerr << "\r";
    if (!r.ok()) return ReportError(ctx, r.error());
    std::ostringstream o;
    o << "Sent " << Count(r->pushed, "event", "events") << " in " << Count(r->batches, "batch", "batches")
      << "; the central holds everything through seq "
      << r->acked_through << ".";
    if (r->rejected || r->adjusted)
      o << "\n" << r->rejected << " rejected and " << r->adjusted << " adjusted by the central: see `kiosk verdicts`.";
    if (r->reference_applied) o << "\nReference data updated to version " << r->reference_version << ".";
    else if (r->pulled) o << "\nReference data is current (version " << r->reference_version << ").";
    if (r->pending)
      o << "\n" << Count(r->pending, "event", "events") << (r->pending == 1 ? " arrived meanwhile and waits" : " arrived meanwhile and wait")
        << " for the next round.";
    Emit(ctx, ReportJson(*r), o.str());
  });

  CLI::App* recover = app.add_subcommand(
      "recover", "After a restore from an older backup: take back the central's events, log this kiosk's own again");
  recover->add_option("--central", a->central, "The central's address (default: the one given at enrolment)");
  recover->add_option("--ca", a->ca_file, "CA certificate (PEM) for a central with its own certificate");
  recover->add_flag("--no-sync", a->no_sync, "Do not send the events logged again right away (the next sync does)");
  recover->add_option("--from", a->file,
                      "Without the network: the file `kiosk-central export-journal --for KIOSK_ID` wrote, or the "
                      "folder holding it (USB stick)");
  recover->callback([&ctx, a] {
    auto kiosk = OpenKiosk(ctx);
    if (!kiosk) return;
    auto http = platform::MakeCurlHttpClient(CurlFor(*a));
    sync::EngineOptions eo;
    eo.central_url = a->central;
    eo.ca_file = a->ca_file;
    sync::SyncEngine engine(*kiosk, *http, eo);
    const bool from_file = !a->file.empty();
    auto r = from_file ? engine.RecoverFromFile(a->file) : engine.Recover();
    if (!r.ok()) return ReportError(ctx, r.error());
    json relogged = json::array();
    for (const auto& [from, to] : r->relogged) relogged.push_back(json{{"replaces", from}, {"seq", to}});
    std::ostringstream o;
    o << "Recovered: took back " << Count(r->adopted, "event", "events") << " of the central (seq " << r->fork_seq << ".."
      << r->central_seq << ")";
    if (r->relogged.empty())
      o << "; this kiosk had logged nothing of its own since the restore.";
    else
      o << "; logged " << Count(static_cast<int64_t>(r->relogged.size()), "action", "actions")
        << " of this kiosk again as seq " << r->relogged.front().second << ".." << r->relogged.back().second
        << ", each linked to the event it replaces.";
    json out{{"fork_seq", r->fork_seq}, {"adopted", r->adopted}, {"central_seq", r->central_seq}, {"relogged", relogged}};
    if (from_file) {
      o << "\nNext: kiosk export --to DIR carries them to the central (or kiosk sync, with the network).";
    } else if (!a->no_sync) {
      auto synced = engine.RunOnce();
      if (!synced.ok()) {
        o << "\nThe sync that followed failed: " << synced.error().message << " Run `kiosk sync --once` again.";
        out["sync"] = json{{"ok", false}, {"code", synced.error().code}, {"message", synced.error().message}};
      } else {
        o << "\nSynced: the central holds everything through seq " << synced->acked_through << ".";
        out["sync"] = ReportJson(*synced);
      }
    }
    Emit(ctx, out, o.str());
  });

  CLI::App* exp = app.add_subcommand("export", "Write the unsent journal to a folder (USB stick) for the central");
  exp->add_option("--to", a->dir, "Folder to write into (created if missing)")->required();
  exp->callback([&ctx, a] {
    auto kiosk = OpenKiosk(ctx);
    if (!kiosk) return;
    auto http = platform::MakeCurlHttpClient();
    sync::SyncEngine engine(*kiosk, *http);
    auto r = engine.ExportTo(a->dir);
    if (!r.ok()) return ReportError(ctx, r.error());
    json files = json::array();
    for (const auto& f : r->files) files.push_back(f.string());
    std::ostringstream o;
    if (r->events == 0)
      o << "Nothing to export: the central has acknowledged every event. (A manifest was written anyway.)";
    else
      o << "Exported " << Count(r->events, "event", "events") << " (seq " << r->from_seq << ".." << r->to_seq << ") in "
        << Count(static_cast<int64_t>(r->files.size()), "file", "files") << " to " << a->dir << ".\nAt the central: kiosk-central import " << a->dir
        << " and kiosk-central export-reference --for " << kiosk->KioskId() << " --out " << a->dir
        << "\nThen bring the stick back and run: kiosk import-receipt FILE and kiosk import-reference " << a->dir;
    Emit(ctx,
         json{{"events", r->events}, {"from_seq", r->from_seq}, {"to_seq", r->to_seq}, {"files", files},
              {"manifest", r->manifest.string()}},
         o.str());
  });

  CLI::App* rec = app.add_subcommand("import-receipt", "Apply the central's receipt for an exported journal");
  rec->add_option("FILE", a->file, "The receipt file written by kiosk-central import")->required();
  rec->callback([&ctx, a] {
    auto kiosk = OpenKiosk(ctx);
    if (!kiosk) return;
    auto http = platform::MakeCurlHttpClient();
    sync::SyncEngine engine(*kiosk, *http);
    auto r = engine.ApplyReceipt(a->file);
    if (!r.ok()) return ReportError(ctx, r.error());
    std::ostringstream o;
    o << "Receipt applied: the central holds this kiosk's journal through seq " << r->acked_through << " (was "
      << r->acked_before << "); " << Count(r->verdicts, "verdict", "verdicts") << ", " << r->rejected << " rejected, " << r->adjusted
      << " adjusted.";
    if (r->rejected || r->adjusted) o << " See `kiosk verdicts`.";
    Emit(ctx,
         json{{"acked_before", r->acked_before}, {"acked_through", r->acked_through}, {"verdicts", r->verdicts},
              {"rejected", r->rejected}, {"adjusted", r->adjusted}},
         o.str());
  });

  CLI::App* ref = app.add_subcommand("import-reference",
                                     "Apply the central's signed reference data, verdicts and decisions from a USB stick");
  ref->add_option("PATH", a->file,
                  "The file written by kiosk-central export-reference, or the folder holding it (the newest for this "
                  "kiosk is taken)")
      ->required();
  ref->callback([&ctx, a] {
    auto kiosk = OpenKiosk(ctx);
    if (!kiosk) return;
    auto http = platform::MakeCurlHttpClient();
    sync::SyncEngine engine(*kiosk, *http);
    auto r = engine.ImportReference(a->file);
    if (!r.ok()) return ReportError(ctx, r.error());
    const StatusView s = kiosk->Status();
    std::ostringstream o;
    o << "Reference data version " << r->version << " applied (" << (r->full ? "full snapshot" : "delta") << "; was "
      << r->version_before << "), as the central had it at " << r->created_at << ".\nThe central holds this kiosk's journal through seq "
      << r->acked_through << "; " << Count(r->verdicts, "verdict", "verdicts") << " with something to say, " << r->rejected
      << " rejected, " << r->adjusted << " adjusted.";
    if (r->rejected || r->adjusted) o << " See `kiosk verdicts`.";
    if (s.stale)
      o << "\nThe file is older than the kiosk's limit for fresh data: redemptions and demo orders stay paused until "
           "newer data arrives (kiosk-central export-reference again, or kiosk sync).";
    else
      o << "\nThe data is fresh: redemptions and demo orders are allowed.";
    Emit(ctx,
         json{{"file", r->file.string()}, {"version", r->version}, {"version_before", r->version_before},
              {"full", r->full}, {"created_at", r->created_at}, {"acked_through", r->acked_through},
              {"verdicts", r->verdicts}, {"rejected", r->rejected}, {"adjusted", r->adjusted}, {"stale", s.stale}},
         o.str());
  });

  CLI::App* ver = app.add_subcommand("verdicts", "List the central's rejected and adjusted items");
  ver->add_flag("--all", a->all, "Also list accepted events that carry a remark (clock, ...)");
  ver->callback([&ctx, a] {
    auto kiosk = OpenKiosk(ctx, true);
    if (!kiosk) return;
    json arr = json::array();
    std::ostringstream o;
    auto s = kiosk->Verdicts(a->all);
    if (!s.ok()) return ReportError(ctx, s.error());
    for (const VerdictView& v : *s) {
      arr.push_back(json{{"seq", v.seq}, {"verdict", v.verdict}, {"code", v.code}, {"message", v.message},
                         {"received_at", v.received_at}, {"type", v.type}, {"wall_time", v.wall_time}});
      o << "#" << v.seq << "  " << v.type << "  " << v.verdict << " [" << v.code << "]\n    " << v.message << "\n";
    }
    Emit(ctx, arr, arr.empty() ? "No rejected or adjusted items." : o.str());
  });
}

}  // namespace kiosk::cli
