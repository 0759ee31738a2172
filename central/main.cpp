// kiosk-central: the reference central server. Each subcommand opens the database, does one
// thing and exits; `serve` runs until SIGINT/SIGTERM.
#include <signal.h>
#include <sys/resource.h>

#include <CLI/CLI.hpp>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <tuple>
#include <vector>

#include <nlohmann/json.hpp>

#include "central/central.hpp"
#include "central/open_store.hpp"
#include "kiosk/core/atomic_file.hpp"
#include "kiosk/core/signature.hpp"
#include "central/server.hpp"

namespace {

using kiosk::Error;

int Fail(const Error& e) {
  std::cerr << "error: " << e.message << " [" << e.code << "]\n";
  return kiosk::ExitCodeFor(e.kind);
}

std::string CsvCell(const std::string& s) {
  if (s.find_first_of(",\"\n\r") == std::string::npos) return s;
  std::string out = "\"";
  for (char c : s) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

// The database as printed: a password in a connection string is not for the log.
std::string Printable(const std::string& db) {
  const size_t scheme = db.find("://");
  const size_t at = db.find('@');
  if (scheme == std::string::npos || at == std::string::npos) return db;
  const size_t colon = db.find(':', scheme + 3);
  if (colon == std::string::npos || colon > at) return db;
  return db.substr(0, colon + 1) + "***" + db.substr(at);
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"kiosk-central: the Showroom Kiosk reference central server"};
  app.set_version_flag("--version", std::string("kiosk-central ") + KIOSK_VERSION);
  std::string db_path;
  app.add_option("--db", db_path,
                 "Central database: a SQLite file, or postgresql://USER@HOST/DB?... for PostgreSQL (default: "
                 "\"db\" of the --config file, else $KIOSK_CENTRAL_DB, else ./central.db)");
  const char* config_env = std::getenv("KIOSK_CENTRAL_CONFIG");
  std::string config_path = config_env ? config_env : "/etc/kiosk/central.json";
  auto* config_opt = app.add_option("--config", config_path,
                                    "Settings file, JSON: {\"db\": \"postgresql://...\"} (default: $KIOSK_CENTRAL_CONFIG "
                                    "or /etc/kiosk/central.json when it exists)");
  app.require_subcommand(1);
  // `kiosk-central serve --db FILE` as well as `kiosk-central --db FILE serve`: a subcommand
  // hands the options it does not know to the top level.
  app.fallthrough();

  std::string listen = "127.0.0.1:8443", cert, key;
  auto* serve = app.add_subcommand("serve", "Serve kiosks over HTTP(S) until SIGINT/SIGTERM");
  serve->add_option("--listen", listen, "HOST:PORT to listen on (PORT 0: any free port, printed)");
  serve->add_option("--cert", cert, "TLS certificate (PEM); with --key serves HTTPS");
  serve->add_option("--key", key, "TLS private key (PEM)");
  kiosk::central::ServerOptions serve_opt;  // the defaults; docs/deployment.md's capacity section
  size_t queue_mb = serve_opt.queue_bytes >> 20;
  serve->add_option("--event-threads", serve_opt.event_threads, "Threads holding connections (default 2)")
      ->check(CLI::Range(1, 64));
  serve->add_option("--workers", serve_opt.workers, "Threads verifying and storing requests (default 4)")
      ->check(CLI::Range(1, 256));
  int ingest_connections = -1;
  serve->add_option("--ingest-connections", ingest_connections,
                    "PostgreSQL: connections of their own on which batches are stored side by side (default: as "
                    "many as --workers; 0: one batch at a time on the main connection). Ignored for SQLite")
      ->check(CLI::Range(0, 256));
  serve->add_option("--queue", serve_opt.queue_limit,
                    "Requests waiting for a worker before the central answers 503 (default 256)")
      ->check(CLI::Range(1, 1000000));
  serve->add_option("--queue-mb", queue_mb,
                    "MiB of request bodies queued or being read before the central answers 503 (default 96)")
      ->check(CLI::Range(1, 1 << 20));
  serve->add_option("--queue-wait", serve_opt.max_queue_wait_s,
                    "Seconds a request may wait for a worker; after that it is answered 503 (default 20; 0: no limit)")
      ->check(CLI::Range(0, 3600));
  serve->add_option("--idle-timeout", serve_opt.idle_timeout_s, "Seconds an idle connection is kept (default 120)")
      ->check(CLI::Range(1, 86400));
  serve->add_option("--backlog", serve_opt.backlog, "listen() backlog (default 4096; capped by net.core.somaxconn)")
      ->check(CLI::Range(16, 1 << 20));
  serve->add_option("--kiosk-rate", serve_opt.kiosk_rate_per_s,
                    "Requests per second per kiosk before 429 (default 100; 0: no limit)")
      ->check(CLI::Range(0.0, 1e9));
  serve->add_option("--kiosk-burst", serve_opt.kiosk_burst, "Burst of requests per kiosk (default 200)")
      ->check(CLI::Range(1.0, 1e9));
  serve->add_option("--enrol-rate", serve_opt.enrol_rate_per_min,
                    "Enrolment attempts per minute per source address before 429 (default 60; 0: no limit)")
      ->check(CLI::Range(0.0, 1e9));
  serve->add_option("--enrol-burst", serve_opt.enrol_burst, "Burst of enrolment attempts per address (default 120)")
      ->check(CLI::Range(1.0, 1e9));

  std::string kiosk_id;
  int valid_hours = 72;
  auto* enroll = app.add_subcommand("enroll", "Print a one-time enrolment code for a kiosk");
  enroll->add_option("KIOSK_ID", kiosk_id, "The kiosk's id (kiosk status shows it)")->required();
  enroll->add_option("--valid-hours", valid_hours, "Hours the code stays valid (default 72)")->check(CLI::Range(1, 720));

  std::string ref_file;
  auto* load = app.add_subcommand("load-reference", "Publish reference data (docs/reference-format.md)");
  load->add_option("FILE", ref_file, "Reference JSON file")->required()->check(CLI::ExistingFile);

  std::vector<std::string> import_files;
  std::string receipt_dir;
  auto* import = app.add_subcommand("import", "Import batch files exported by `kiosk export` (USB stick)");
  import->add_option("FILE", import_files, "Batch files (.skb) or folders holding them")->required();
  import->add_option("--receipts", receipt_dir, "Folder for the receipt files (default: next to the batch files)");

  // The way back for a kiosk synced only by stick: what a pull would bring it, signed.
  std::string ref_for, ref_out;
  int64_t ref_since = 0;
  auto* export_ref = app.add_subcommand(
      "export-reference", "Write a kiosk's reference data, verdicts and deal decisions, signed, to a folder (USB stick)");
  export_ref->add_option("--for", ref_for, "The kiosk's id (kiosk status shows it)")->required();
  export_ref->add_option("--out", ref_out, "Folder to write into, e.g. the stick (created if missing)")->required();
  export_ref->add_option("--since", ref_since,
                         "The kiosk's reference version, for a delta (default 0: a full snapshot, which any kiosk "
                         "can apply)")
      ->check(CLI::NonNegativeNumber);

  // The journal back to a kiosk restored from an older backup, without the network.
  std::string journal_for, journal_out;
  int64_t journal_after = 0;
  auto* export_journal = app.add_subcommand(
      "export-journal", "Write the events the central holds of a kiosk, with a signed anchor, to a folder (USB stick)");
  export_journal->add_option("--for", journal_for, "The kiosk's id (kiosk status shows it)")->required();
  export_journal->add_option("--out", journal_out, "Folder to write into, e.g. the stick (created if missing)")->required();
  export_journal->add_option("--after", journal_after,
                             "Only the events after this seq (default 0: all; the kiosk needs its own event there)")
      ->check(CLI::NonNegativeNumber);

  std::string report_name;
  bool csv = false;
  auto* report = app.add_subcommand("report", "Print a report");
  {
    std::string names;
    for (const auto& n : kiosk::central::ReportNames()) names += (names.empty() ? "" : " | ") + n;
    report->add_option("NAME", report_name, names)->required()->check(CLI::IsMember(kiosk::central::ReportNames()));
  }
  report->add_flag("--csv", csv, "CSV output (the only format so far)");
  // The custody report's evidence: each drawn signature as a file beside the CSV.
  std::string report_signatures, report_signature_format;
  report->add_option("--signatures", report_signatures,
                     "custody: write each drawn signature into this folder (KIOSK-SEQ.svg); the signature column "
                     "then names the file");
  report->add_option("--signature-format", report_signature_format, "svg (default) or png, with --signatures");

  // Deals the vendor decides (kiosk/core/rules/deals.hpp): within 2 business days of registration.
  auto* deals = app.add_subcommand("deals", "List deals and decide them (approve, reject), set the vendor's policy");
  deals->require_subcommand(1);
  std::string deals_status = "pending", deals_kiosk, deal_id, deal_text, deal_by;
  bool deals_csv = false;
  auto* deals_list = deals->add_subcommand("list", "List deals: pending ones with their age and due time");
  deals_list->add_option("--status", deals_status, "pending (default), approved, rejected or all")
      ->check(CLI::IsMember({"pending", "approved", "rejected", "all"}));
  deals_list->add_option("--kiosk", deals_kiosk, "Only deals registered at this kiosk");
  deals_list->add_flag("--csv", deals_csv, "CSV output");
  const char* user_env = std::getenv("USER");
  deal_by = user_env && *user_env ? user_env : "vendor";
  auto* deals_approve = deals->add_subcommand("approve", "Approve a pending deal (ID as `deals list` prints it)");
  deals_approve->add_option("ID", deal_id, "KIOSK:SEQ")->required();
  deals_approve->add_option("--note", deal_text, "A note the kiosk shows with the approval");
  deals_approve->add_option("--by", deal_by, "Who decides (default: $USER)");
  auto* deals_reject = deals->add_subcommand("reject", "Reject a pending deal, saying why");
  deals_reject->add_option("ID", deal_id, "KIOSK:SEQ")->required();
  deals_reject->add_option("--reason", deal_text, "Why: the kiosk shows it to staff and the partner")->required();
  deals_reject->add_option("--by", deal_by, "Who decides (default: $USER)");
  std::string policy_auto, policy_limit;
  auto* deals_policy = deals->add_subcommand(
      "policy", "Show or set what the central decides on arrival (duplicates and suspended partners: always rejected)");
  deals_policy->add_option("--auto-approve", policy_auto,
                           "on: approve on arrival what passes the refusals; off (the default): the vendor decides "
                           "every deal")
      ->check(CLI::IsMember({"on", "off"}));
  deals_policy->add_option("--auto-approve-limit", policy_limit,
                           "EUR: a deal above this value waits for the vendor even with --auto-approve on (0: no limit)");

  auto* kiosks = app.add_subcommand("kiosks", "List enrolled kiosks and what the central holds of each");

  // Shared reward stock (issue 17), for scripts: CSV (the default) or --json; exit 0 done, 1 refused
  // or not found, 2 usage, 3 storage.
  auto* rewards = app.add_subcommand("rewards", "Reward stock for the channel and the kiosks' allocations of it");
  rewards->require_subcommand(1);
  bool rewards_json = false, rewards_by_kiosk = false, alloc_clear = false;
  std::string reward_id, alloc_kiosk;
  std::optional<int64_t> stock_set, stock_add, alloc_units, alloc_add;
  auto* rewards_list = rewards->add_subcommand("list", "Stock, allocated, used and unallocated units per reward");
  rewards_list->add_flag("--allocations", rewards_by_kiosk, "One row per kiosk's allocation instead");
  rewards_list->add_option("--kiosk", alloc_kiosk, "With --allocations: only this kiosk's");
  rewards_list->add_flag("--json", rewards_json, "JSON output");
  auto* rewards_stock = rewards->add_subcommand("stock", "Set or change a reward's stock for the whole channel");
  rewards_stock->add_option("REWARD", reward_id, "The reward id, e.g. R-001")->required();
  auto* stock_set_opt = rewards_stock->add_option("--set", stock_set, "The units the channel holds now");
  rewards_stock->add_option("--add", stock_add, "Units received (negative: units written off)")->excludes(stock_set_opt);
  rewards_stock->add_flag("--json", rewards_json, "JSON output: the reward's stock as it is now");
  auto* rewards_allocate = rewards->add_subcommand(
      "allocate", "Allocate units of a reward to a kiosk: what that showroom may hand out offline");
  rewards_allocate->add_option("REWARD", reward_id, "The reward id, e.g. R-001")->required();
  rewards_allocate->add_option("--kiosk", alloc_kiosk, "The kiosk id")->required();
  auto* units_opt = rewards_allocate->add_option("--units", alloc_units, "The kiosk's allocation in all (used ones count)");
  auto* alloc_add_opt =
      rewards_allocate->add_option("--add", alloc_add, "Units more for the kiosk")->excludes(units_opt);
  rewards_allocate
      ->add_flag("--clear", alloc_clear, "No allocation of its own: the kiosk gets the default share again")
      ->excludes(units_opt)
      ->excludes(alloc_add_opt);
  rewards_allocate->add_flag("--json", rewards_json, "JSON output: the allocation as it is now");

  // Demo orders (issue 17): the list, and the moves through the lifecycle, for scripts: CSV (the
  // default) or --json, exit 0 done, 1 refused or not found, 2 usage, 3 storage.
  auto* orders = app.add_subcommand("orders", "Demo orders: list them, move one through its lifecycle");
  orders->require_subcommand(1);
  kiosk::central::OrderFilter order_filter;
  bool orders_json = false, orders_csv = false;
  auto* orders_list = orders->add_subcommand("list", "List demo orders (CSV, or --json)");
  orders_list->add_option("--state", order_filter.state,
                          "Only orders in this state: ordered, confirmed, shipped, delivered, cancelled, rejected");
  orders_list->add_option("--partner", order_filter.partner_id, "Only this partner's orders (partner id)");
  orders_list->add_option("--kiosk", order_filter.kiosk_id, "Only the orders logged at this kiosk");
  orders_list->add_flag("--csv", orders_csv, "CSV output (the default)");
  orders_list->add_flag("--json", orders_json, "JSON output: a list of orders");
  std::string order_id;
  kiosk::central::OrderMove order_move;
  std::vector<std::pair<CLI::App*, std::string>> order_moves;
  for (const auto& [name, state, help] :
       std::vector<std::tuple<const char*, const char*, const char*>>{
           {"confirm", "confirmed", "The vendor confirmed the order"},
           {"ship", "shipped", "The order left the warehouse"},
           {"deliver", "delivered", "The unit arrived: closes the order (and with --asset-tag adds it to the demo devices)"},
           {"cancel", "cancelled", "Cancel an open order: frees the partner's quota"}}) {
    auto* move = orders->add_subcommand(name, help);
    move->add_option("ORDER", order_id, "The order, KIOSK:SEQ as `orders list` shows it")->required();
    move->add_option("--note", order_move.note, "A note kept with the move (a tracking number, a reason)");
    move->add_flag("--json", orders_json, "JSON output: the order as it is now");
    if (std::string(name) == "deliver") {
      move->add_option("--serial", order_move.serial, "The delivered unit's serial number");
      move->add_option("--asset-tag", order_move.asset_tag,
                       "Add the unit to the showroom's demo devices under this asset tag (needs --serial)");
      move->add_option("--location", order_move.location, "Where the new demo unit stands (with --asset-tag)");
    }
    order_moves.emplace_back(move, state);
  }

  // A checkout's signature as the kiosk journaled it: evidence beside the custody report.
  std::string sig_kiosk, sig_out, sig_format;
  int64_t sig_seq = 0;
  auto* signature =
      app.add_subcommand("signature", "Write a checkout's signature as SVG or PNG (custody report: kiosk_id, seq)");
  signature->add_option("--kiosk", sig_kiosk, "The kiosk's id")->required();
  signature->add_option("--seq", sig_seq, "The checkout's seq")->required();
  signature->add_option("--out", sig_out, "Write it to this file (a .png name writes PNG; default: SVG to the terminal)");
  signature->add_option("--format", sig_format, "svg or png (default: by the --out file's extension, else svg)");

  // PostgreSQL only: the events' monthly partitions (run monthly, e.g. from a systemd timer).
  int months_ahead = 3;
  auto* partitions = app.add_subcommand("partitions", "PostgreSQL: make the next months' event partitions, list all");
  partitions->add_option("--ahead", months_ahead, "Months to make ahead of this one (default 3)")
      ->check(CLI::Range(0, 36));
  std::string retention_before, retention_export;
  auto* retention = app.add_subcommand(
      "retention", "PostgreSQL: export each month of events before MONTH to CSV, then drop it");
  retention->add_option("--before", retention_before, "First month kept, YYYY-MM")->required();
  retention->add_option("--export", retention_export, "Folder for events-YYYYMM.csv (written before the drop)")
      ->required();

  // For bench/bench_sync: the store's raw batched durable insert rate of the events in batch
  // files (no verification, no rules), one transaction per file, in this process.
  std::vector<std::string> bench_files;
  auto* bench_insert = app.add_subcommand("bench-insert", "")->group("");
  bench_insert->add_option("FILE", bench_files)->required();
  // Also for bench_sync: the central's whole ingest of the same files (each event's HMAC, the
  // chain, the rules, verdicts) with no HTTP, in this process, into a fresh store that knows the
  // kiosk by the key in KEY_FILE: what bounds a push when the kiosk has cores of its own.
  std::string bench_key_file;
  auto* bench_ingest = app.add_subcommand("bench-ingest", "")->group("");
  bench_ingest->add_option("--key-file", bench_key_file)->required();
  bench_ingest->add_option("FILE", bench_files)->required();

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int rc = app.exit(e);
    return rc == 0 ? 0 : 2;
  }

  // The database: --db, else the settings file's "db" (where a PostgreSQL connection string with
  // its password belongs: a file only the central reads, not a command line), else the
  // environment, else ./central.db.
  if (db_path.empty() && (config_opt->count() > 0 || config_env || std::filesystem::exists(config_path))) {
    std::ifstream in(config_path);
    std::stringstream text;
    text << in.rdbuf();
    const auto config = nlohmann::json::parse(text.str(), nullptr, false);
    if (!in || !config.is_object() || (config.contains("db") && !config["db"].is_string())) {
      std::cerr << "error: " << config_path << " can't be read as a JSON object with \"db\" a string, e.g. "
                << "{\"db\": \"postgresql://kiosk_central@db1/kiosk_central\"}\n";
      return 2;
    }
    db_path = config.value("db", "");
  }
  const char* env_db = std::getenv("KIOSK_CENTRAL_DB");
  const char* db_source = !db_path.empty() ? "--db or the settings file" : env_db && *env_db ? "$KIOSK_CENTRAL_DB"
                          : "the default; give --db FILE, a settings file or KIOSK_CENTRAL_DB";
  if (db_path.empty()) db_path = env_db && *env_db ? env_db : "central.db";
  // Reading commands never create a SQLite database: a report of a mistyped or forgotten --db
  // would otherwise be an empty CSV and exit 0, which looks like "no sales" rather than "wrong file".
  const bool reads_only = *report || *kiosks || *signature || *export_ref || *orders || *deals_list || *rewards ||
                          (*deals_policy && policy_auto.empty() && policy_limit.empty());
  if (reads_only && !kiosk::central::IsPostgresUri(db_path) &&
      !std::filesystem::exists(db_path)) {
    std::cerr << "error: there is no central database at " << db_path << " (" << db_source
              << "). Nothing was created. [central.no_database]\n";
    return 1;
  }
  // A postgresql:// URI selects PostgreSQL; anything else is a SQLite file.
  auto store = kiosk::central::OpenStore(db_path);
  if (!store.ok()) return Fail(store.error());
  if (*partitions) {
    auto list = kiosk::central::PgEnsurePartitions(**store, months_ahead);
    if (!list.ok()) return Fail(list.error());
    std::cout << "partition,month,rows_estimate\n";
    for (const auto& p : *list) std::cout << p.name << "," << p.month << "," << p.rows << "\n";
    return 0;
  }
  if (*retention) {
    int y = 0, m = 0;
    if (std::sscanf(retention_before.c_str(), "%4d-%2d", &y, &m) != 2 || m < 1 || m > 12) {
      std::cerr << "error: --before wants a month as YYYY-MM, e.g. 2026-01\n";
      return 2;
    }
    auto dropped = kiosk::central::PgDropMonthsBefore(**store, y * 100 + m, retention_export);
    if (!dropped.ok()) return Fail(dropped.error());
    for (int month : *dropped)
      std::cout << "exported and dropped " << month / 100 << "-" << (month % 100 < 10 ? "0" : "") << month % 100
                << " (" << retention_export << "/events-" << month << ".csv)\n";
    if (dropped->empty()) std::cout << "no month before " << retention_before << " to drop\n";
    return 0;
  }
  kiosk::central::Central central(**store, kiosk::SystemClock());
  if (auto s = central.Init(); !s.ok()) return Fail(s.error());

  if (*serve) {
    kiosk::central::ServerOptions opt = serve_opt;
    opt.queue_bytes = queue_mb << 20;
    const size_t colon = listen.rfind(':');
    if (colon == std::string::npos) {
      std::cerr << "error: --listen wants HOST:PORT, e.g. 0.0.0.0:8443\n";
      return 2;
    }
    opt.host = listen.substr(0, colon);
    opt.port = std::atoi(listen.c_str() + colon + 1);
    opt.cert_file = cert;
    opt.key_file = key;
    // A socket per connected kiosk: the soft descriptor limit (often 1024) goes up to the hard one
    // (systemd's LimitNOFILE, packaging/systemd/kiosk-central.service).
    if (rlimit rl{}; getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
      rl.rlim_cur = rl.rlim_max;
      setrlimit(RLIMIT_NOFILE, &rl);
    }
    // Signals are taken by sigwait below, not by whichever thread happens to run.
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &set, nullptr);
    if (kiosk::central::IsPostgresUri(db_path)) {
      // A connection per worker: each batch's transaction (and its commit's wait for the disk)
      // beside the others', as if each were a central process of its own (docs/deployment.md).
      const int n = ingest_connections < 0 ? opt.workers : ingest_connections;
      std::vector<std::unique_ptr<kiosk::central::CentralStore>> lanes;
      for (int i = 0; i < n; ++i) {
        auto lane = kiosk::central::OpenStore(db_path);
        if (!lane.ok()) return Fail(lane.error());
        lanes.push_back(std::move(*lane));
      }
      central.AddIngestStores(std::move(lanes));
    }
    kiosk::central::Server server(central, opt);
    if (auto s = server.Start(); !s.ok()) return Fail(s.error());
    std::cout << "kiosk-central listening on " << (cert.empty() ? "http" : "https") << "://" << opt.host << ":"
              << server.Port() << " (database " << Printable(db_path) << ")" << std::endl;
    int sig = 0;
    sigwait(&set, &sig);
    server.Stop();
    std::cout << "kiosk-central stopped" << std::endl;
    return 0;
  }
  if (*enroll) {
    auto code = central.CreateEnrolment(kiosk_id, valid_hours);
    if (!code.ok()) return Fail(code.error());
    std::cout << "Enrolment code for " << kiosk_id << " (valid " << valid_hours << " hours, one use):\n\n    " << *code
              << "\n\nOn the kiosk: kiosk enroll --central URL --code " << *code << "\n";
    return 0;
  }
  if (*load) {
    std::ifstream in(ref_file, std::ios::binary);
    std::stringstream text;
    text << in.rdbuf();
    auto r = central.LoadReference(text.str());
    if (!r.ok()) return Fail(r.error());
    std::cout << "Reference data published as version " << r->version << " (" << (r->full ? "full snapshot" : "delta")
              << ", " << r->records << " records).\n";
    return 0;
  }
  if (*import) {
    std::vector<std::filesystem::path> files;
    for (const auto& f : import_files) {
      std::error_code ec;
      if (std::filesystem::is_directory(f, ec)) {
        for (const auto& entry : std::filesystem::directory_iterator(f, ec))
          if (entry.path().extension() == ".skb") files.push_back(entry.path());
      } else {
        files.emplace_back(f);
      }
    }
    if (files.empty()) {
      std::cerr << "error: no batch files (.skb) found in the given paths\n";
      return 2;
    }
    auto r = central.ImportFiles(files, receipt_dir);
    if (!r.ok()) return Fail(r.error());
    bool all_ok = true;
    for (const auto& f : r->files) {
      if (f.ok)
        std::cout << "ok        " << f.file << ": " << f.kiosk_id << " seq " << f.from_seq << ".." << f.to_seq << ", "
                  << f.new_events << " new, " << f.duplicates << " already here\n";
      else
        std::cout << "REJECTED  " << f.file << ": " << f.problem << "\n";
      all_ok = all_ok && f.ok;
    }
    for (const auto& p : r->receipts)
      std::cout << "receipt   " << p.string() << "  (take it back: kiosk import-receipt FILE)\n";
    return all_ok ? 0 : 1;
  }
  if (*export_ref) {
    auto r = central.ExportReference(ref_for, ref_out, ref_since);
    if (!r.ok()) return Fail(r.error());
    std::cout << "Reference data version " << r->version << " (" << (r->full ? "full snapshot" : "delta") << ", "
              << r->bytes << " bytes) for " << ref_for << " written to " << r->file.string()
              << ",\nsigned by this central, with its verdicts on the kiosk's journal through seq " << r->acked_through
              << " (" << r->rejected << " rejected, " << r->adjusted << " adjusted).\n"
              << "On the kiosk: kiosk import-reference " << r->file.string() << "\n";
    return 0;
  }
  if (*export_journal) {
    auto r = central.ExportJournal(journal_for, journal_out, journal_after);
    if (!r.ok()) return Fail(r.error());
    std::cout << "The journal of " << journal_for << " as this central holds it, with its signed anchor, written to "
              << r->string() << ".\nOn the kiosk (restored from an older backup): kiosk recover --from " << r->string()
              << "\n";
    return 0;
  }
  if (*signature) {
    auto format = kiosk::ChooseSignatureFormat(sig_format, sig_out);
    if (!format.ok()) return Fail(format.error());
    auto r = central.SignatureOf(sig_kiosk, sig_seq);
    if (!r.ok()) return Fail(r.error());
    auto doc = kiosk::SignatureDocument(*r, *format);
    if (!doc.ok()) return Fail(doc.error());
    if (sig_out.empty()) {
      std::cout << *doc;
      return 0;
    }
    if (auto w = kiosk::WriteFileAtomically(sig_out, *doc); !w.ok()) return Fail(w.error());
    std::cout << kiosk::SignatureWritten(*r, sig_out) << "\n";
    return 0;
  }
  if (*report) {
    (void)csv;
    auto print = [](const std::vector<std::string>& row) {
      for (size_t i = 0; i < row.size(); ++i) std::cout << (i ? "," : "") << CsvCell(row[i]);
      std::cout << "\n";
    };
    if (!report_signatures.empty() || !report_signature_format.empty()) {
      if (report_name != "custody" || report_signatures.empty())
        return Fail(kiosk::MakeError(kiosk::ErrorKind::Usage, "signature.dir",
                                     "--signatures DIR (and --signature-format) go with the custody report: "
                                     "kiosk-central report custody --signatures DIR."));
      // A folder of files, never the terminal: png needs no --out here.
      auto format = kiosk::ChooseSignatureFormat(report_signature_format, "folder");
      if (!format.ok()) return Fail(format.error());
      auto s = central.CustodyWithSignatures(report_signatures, *format, print);
      if (!s.ok()) return Fail(s.error());
      return 0;
    }
    auto s = central.Report(report_name, print);
    if (!s.ok()) return Fail(s.error());
    return 0;
  }
  std::vector<kiosk::sync::Batch> batches;  // bench-insert's and bench-ingest's, read before the clock starts
  for (const auto& f : bench_files) {
    std::ifstream in(f, std::ios::binary);
    std::stringstream text;
    text << in.rdbuf();
    auto file = kiosk::sync::SplitBatchFile(text.str());
    if (!file.ok()) return Fail(file.error());
    auto b = kiosk::sync::ParseBatch(file->body);
    if (!b.ok()) return Fail(b.error());
    batches.push_back(std::move(*b));
  }
  if (*bench_ingest) {
    std::ifstream key_in(bench_key_file);
    std::string key_hex;
    key_in >> key_hex;
    if (key_hex.size() != 64)
      return Fail(kiosk::MakeError(kiosk::ErrorKind::Usage, "bench.key", "No kiosk key (64 hex) in " + bench_key_file));
    const std::string kiosk_id = batches.front().kiosk_id;
    const std::string now = kiosk::FormatUtc(std::chrono::system_clock::now());
    kiosk::central::CentralStore& s = **store;
    if (auto known = s.GetKiosk(kiosk_id); !known.ok() || *known)
      return Fail(kiosk::MakeError(kiosk::ErrorKind::Usage, "bench.not_fresh",
                                   "bench-ingest wants a fresh database; " + db_path + " already knows " + kiosk_id));
    if (auto st = s.Begin(); !st.ok()) return Fail(st.error());
    if (auto st = s.PutKiosk({kiosk_id, key_hex, now, 0, kiosk::GenesisHash(kiosk_id), ""}); !st.ok())
      return Fail(st.error());
    if (auto st = s.Commit(); !st.ok()) return Fail(st.error());
    const auto t0 = std::chrono::steady_clock::now();
    int64_t n = 0;
    std::optional<kiosk::sync::Verdict> odd;  // a verdict that is not a plain accept: another workload
    for (const auto& b : batches) {
      auto r = central.Ingest(b, "file");
      if (!r.ok()) return Fail(r.error());
      for (const auto& v : r->verdicts)
        if (!odd && !kiosk::sync::IsPlainAccept(v)) odd = v;
      n += static_cast<int64_t>(b.events.size());
    }
    const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    if (odd)
      return Fail(kiosk::MakeError(kiosk::ErrorKind::Usage, "bench.not_accepted",
                                   "seq " + std::to_string(odd->seq) + " was not plainly accepted (" + odd->code +
                                       ": " + odd->message + "); the figure would be of another workload"));
    std::cout << "ingest_events " << n << " batches " << batches.size() << " seconds " << secs << " events_per_s "
              << static_cast<int64_t>(static_cast<double>(n) / secs) << std::endl;
    return 0;
  }
  if (*bench_insert) {
    kiosk::central::CentralStore& s = **store;
    const auto t0 = std::chrono::steady_clock::now();
    int64_t n = 0;
    const std::string now = kiosk::FormatUtc(std::chrono::system_clock::now());
    for (const auto& b : batches) {
      // One InsertEvents per file: SQLite's cached insert per event, PostgreSQL's prepared unnest
      // insert of the whole file in one statement.
      if (auto st = s.Begin(); !st.ok()) return Fail(st.error());
      std::vector<kiosk::central::Reception> receptions(b.events.size());
      std::vector<kiosk::central::EventInsert> rows;
      for (size_t i = 0; i < b.events.size(); ++i) {
        receptions[i].received_at = now;
        receptions[i].via = "bench";
        receptions[i].verdict.seq = b.events[i].seq;
        rows.push_back({&b.events[i], &receptions[i]});
      }
      auto inserted = s.InsertEvents(rows);
      if (!inserted.ok()) return Fail(inserted.error());
      for (size_t i = 0; i < rows.size(); ++i)
        if (!(*inserted)[i])
          return Fail(kiosk::MakeError(kiosk::ErrorKind::Usage, "bench.duplicate_id",
                                       "event id " + b.events[i].event_id + " is already stored"));
      n += static_cast<int64_t>(rows.size());
      if (auto st = s.Commit(); !st.ok()) return Fail(st.error());
    }
    const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    std::cout << "raw_insert_events " << n << " batches " << batches.size() << " seconds " << secs
              << " events_per_s " << static_cast<int64_t>(n / secs) << std::endl;
    return 0;
  }
  if (*rewards) {
    auto alloc_json = [](const kiosk::central::RewardAllocationRecord& a) {
      return nlohmann::json{{"reward_id", a.reward_id}, {"kiosk_id", a.kiosk_id}, {"allocated", a.allocated},
                            {"used", a.used},           {"left", std::max<int64_t>(0, a.allocated - a.used)}};
    };
    auto stock_json = [](const kiosk::central::RewardStockSummary& r) {
      return nlohmann::json{{"reward_id", r.reward_id},
                            {"stock", r.stock},
                            {"allocated", r.allocated},
                            {"used", r.used},
                            {"reserved", r.reserved},
                            {"unallocated", std::max<int64_t>(0, r.stock - r.reserved)},
                            {"kiosks", r.kiosks}};
    };
    if (*rewards_list && rewards_by_kiosk) {
      auto list = central.RewardAllocations("", alloc_kiosk);
      if (!list.ok()) return Fail(list.error());
      nlohmann::json j = nlohmann::json::array();
      if (!rewards_json) std::cout << "reward_id,kiosk_id,allocated,used,left\n";
      for (const auto& a : *list) {
        if (rewards_json) j.push_back(alloc_json(a));
        else
          std::cout << CsvCell(a.reward_id) << "," << CsvCell(a.kiosk_id) << "," << a.allocated << "," << a.used << ","
                    << std::max<int64_t>(0, a.allocated - a.used) << "\n";
      }
      if (rewards_json) std::cout << j.dump(2) << "\n";
      return 0;
    }
    if (*rewards_list) {
      auto list = central.RewardStock();
      if (!list.ok()) return Fail(list.error());
      nlohmann::json j = nlohmann::json::array();
      if (!rewards_json) std::cout << "reward_id,stock,allocated,used,reserved,unallocated,kiosks\n";
      for (const auto& r : *list) {
        if (rewards_json) j.push_back(stock_json(r));
        else
          std::cout << CsvCell(r.reward_id) << "," << r.stock << "," << r.allocated << "," << r.used << "," << r.reserved
                    << "," << std::max<int64_t>(0, r.stock - r.reserved) << "," << r.kiosks << "\n";
      }
      if (rewards_json) std::cout << j.dump(2) << "\n";
      return 0;
    }
    if (*rewards_stock) {
      if (!stock_set && !stock_add)
        return Fail(kiosk::MakeError(kiosk::ErrorKind::Usage, "reward.stock_option", "Give --set N or --add N."));
      auto r = central.SetRewardStock(reward_id, stock_set ? *stock_set : *stock_add, !stock_set);
      if (!r.ok()) return Fail(r.error());
      if (rewards_json) std::cout << stock_json(*r).dump(2) << "\n";
      else
        std::cout << "Reward " << r->reward_id << ": the channel holds " << r->stock << " (" << r->reserved
                  << " allocated to kiosks and not used, " << std::max<int64_t>(0, r->stock - r->reserved)
                  << " unallocated); reference version " << r->version
                  << " carries the kiosks' allocations with their next sync or stick file.\n";
      return 0;
    }
    if (*rewards_allocate) {
      if (!alloc_units && !alloc_add && !alloc_clear)
        return Fail(kiosk::MakeError(kiosk::ErrorKind::Usage, "reward.units", "Give --units N, --add N or --clear."));
      auto a = central.Allocate(reward_id, alloc_kiosk, alloc_units ? *alloc_units : alloc_add.value_or(0),
                                !alloc_units, alloc_clear);
      if (!a.ok()) return Fail(a.error());
      if (rewards_json) std::cout << alloc_json(*a).dump(2) << "\n";
      else if (alloc_clear)
        std::cout << a->kiosk_id << " has no allocation of " << a->reward_id
                  << " of its own now: it gets the default share of the unallocated stock.\n";
      else
        std::cout << a->kiosk_id << " may hand out " << a->allocated << " of " << a->reward_id << " (" << a->used
                  << " used, " << std::max<int64_t>(0, a->allocated - a->used) << " left); reference version "
                  << a->version << " carries it with the kiosk's next sync or stick file.\n";
      return 0;
    }
    return 2;
  }
  if (*orders) {
    auto print_json = [](const std::vector<kiosk::central::OrderRecord>& list, bool one) {
      nlohmann::json j = nlohmann::json::array();
      for (const auto& o : list) j.push_back(kiosk::central::OrderJson(o));
      std::cout << (one ? j[0] : j).dump(2) << "\n";
    };
    if (*orders_list) {
      auto list = central.Orders(order_filter);
      if (!list.ok()) return Fail(list.error());
      if (orders_json) {
        print_json(*list, false);
        return 0;
      }
      (void)orders_csv;
      std::cout << "order,kiosk_id,seq,partner_id,gtin,model,qty,state,ordered_at,confirmed_at,shipped_at,delivered_at,"
                   "cancelled_at,serial,asset_tag,note\n";
      for (const auto& o : *list)
        std::cout << CsvCell(kiosk::central::OrderId(o)) << "," << CsvCell(o.kiosk_id) << "," << o.seq << ","
                  << CsvCell(o.partner_id) << "," << CsvCell(o.gtin) << "," << CsvCell(o.model) << "," << o.qty << ","
                  << o.state << "," << o.ordered_at << "," << o.confirmed_at << "," << o.shipped_at << ","
                  << o.delivered_at << "," << o.cancelled_at << "," << CsvCell(o.serial) << ","
                  << CsvCell(o.asset_tag) << "," << CsvCell(o.note) << "\n";
      return 0;
    }
    for (const auto& [cmd, state] : order_moves) {
      if (!*cmd) continue;
      auto moved = central.MoveOrder(order_id, state, order_move);
      if (!moved.ok()) return Fail(moved.error());
      if (orders_json) {
        print_json({*moved}, true);
      } else {
        std::cout << "Order " << kiosk::central::OrderId(*moved) << " (" << moved->qty << " x " << moved->model
                  << " for " << moved->partner_id << ") is now " << moved->state << "; reference version "
                  << moved->version << " carries it to " << moved->kiosk_id << " with its next sync or stick file.\n";
        if (!moved->asset_tag.empty())
          std::cout << "Demo unit " << moved->asset_tag << " (serial " << moved->serial
                    << ") added to the showroom's demo devices.\n";
      }
      return 0;
    }
    return 2;
  }
  if (*deals_policy) {
    auto policy = central.GetDealPolicy();
    if (!policy.ok()) return Fail(policy.error());
    if (!policy_auto.empty()) policy->auto_approve = policy_auto == "on";
    if (!policy_limit.empty()) {
      char* end = nullptr;
      const double eur = std::strtod(policy_limit.c_str(), &end);
      if (end == policy_limit.c_str() || *end != '\0' || !(eur >= 0) || eur > 1e9) {
        std::cerr << "error: --auto-approve-limit wants an amount in EUR, e.g. 5000 (0: no limit)\n";
        return 2;
      }
      policy->auto_approve_limit_cents = static_cast<int64_t>(std::llround(eur * 100));
    }
    if (!policy_auto.empty() || !policy_limit.empty())
      if (auto st = central.SetDealPolicy(*policy); !st.ok()) return Fail(st.error());
    std::cout << "Deals on arrival: a duplicate of another partner's approved deal, a partner not in the program "
                 "or suspended: rejected.\n";
    if (!policy->auto_approve)
      std::cout << "Every other deal waits for the vendor (kiosk-central deals list; approve or reject within 2 "
                   "business days).\n";
    else if (policy->auto_approve_limit_cents > 0)
      std::cout << "Other deals up to EUR " << policy->auto_approve_limit_cents / 100 << "."
                << (policy->auto_approve_limit_cents % 100 < 10 ? "0" : "") << policy->auto_approve_limit_cents % 100
                << " are approved on arrival; above that they wait for the vendor.\n";
    else
      std::cout << "Every other deal is approved on arrival.\n";
    return 0;
  }
  if (*deals_list) {
    kiosk::central::DealFilter filter;
    filter.status = deals_status == "all" ? "" : deals_status;
    filter.kiosk_id = deals_kiosk;
    auto list = central.ListDeals(filter);
    if (!list.ok()) return Fail(list.error());
    auto money = [](int64_t cents) {
      return std::to_string(cents / 100) + "." + (cents % 100 < 10 ? "0" : "") + std::to_string(cents % 100);
    };
    if (deals_csv) {
      std::cout << "id,kiosk_id,seq,partner_id,partner,customer,product,value_eur,close_date,status,registered_at,"
                   "age,due,overdue,decided_at,decided_by,reason\n";
      for (const auto& l : *list) {
        const auto& d = l.deal;
        const std::vector<std::string> cells = {l.id, d.kiosk_id, std::to_string(d.seq), d.partner_id,
                                                l.partner_name, d.customer, d.product, money(d.value_cents),
                                                d.close_date, d.status, d.registered_at, l.age, l.due,
                                                l.overdue ? "yes" : "no", d.decided_at, d.decided_by, d.reason};
        for (size_t i = 0; i < cells.size(); ++i) std::cout << (i ? "," : "") << CsvCell(cells[i]);
        std::cout << "\n";
      }
      return 0;
    }
    if (list->empty()) {
      std::cout << (deals_status == "pending" ? "No deals wait for a decision." : "No deals.") << "\n";
      return 0;
    }
    for (const auto& l : *list) {
      const auto& d = l.deal;
      std::cout << l.id << "  " << l.partner_name << ": " << d.customer << " / " << d.product << ", EUR "
                << money(d.value_cents) << ", closes " << d.close_date << "\n    ";
      if (d.status == "pending")
        std::cout << "pending for " << (l.age.empty() ? "?" : l.age) << ", due " << (l.due.empty() ? "?" : l.due)
                  << (l.overdue ? "  OVERDUE" : "");
      else
        std::cout << d.status << " " << d.decided_at << " by " << d.decided_by
                  << (d.reason.empty() ? "" : ": " + d.reason);
      std::cout << "\n";
    }
    return 0;
  }
  if (*deals_approve || *deals_reject) {
    auto r = central.DecideDeal(deal_id, deals_approve->parsed(), deal_text, deal_by);
    if (!r.ok()) return Fail(r.error());
    std::cout << "Deal " << r->id << " (" << r->partner_name << ": " << r->deal.customer << " / " << r->deal.product
              << ") " << r->deal.status << " by " << r->deal.decided_by << "; published as reference version "
              << r->deal.version << ": the kiosk learns it at its next sync (or `kiosk-central export-reference --for "
              << r->deal.kiosk_id << "`).\n";
    return 0;
  }
  if (*kiosks) {
    auto list = central.Kiosks();
    if (!list.ok()) return Fail(list.error());
    std::cout << "kiosk_id,acked_through,head_hash,enrolled_at,last_seen\n";
    for (const auto& k : *list)
      std::cout << k.kiosk_id << "," << k.acked_through << "," << k.head_hash << "," << k.enrolled_at << ","
                << k.last_seen << "\n";
    return 0;
  }
  return 0;
}
