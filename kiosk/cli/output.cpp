#include "kiosk/cli/output.hpp"

#include <iostream>

#include "kiosk/services/kiosk.hpp"

namespace kiosk::cli {

void ReportError(Context& ctx, const Error& error) {
  if (ctx.json) {
    std::cout << nlohmann::json{{"ok", false},
                                {"error", {{"kind", ToString(error.kind)}, {"code", error.code}, {"message", error.message}}}}
                     .dump(2)
              << "\n";
  } else {
    std::cerr << "error: " << error.message << " [" << error.code << "]\n";
  }
  ctx.exit_code = ExitCodeFor(error.kind);
}

void Emit(Context& ctx, const nlohmann::json& data, const std::string& human) {
  if (ctx.json) std::cout << data.dump(2) << "\n";
  else std::cout << human << (human.empty() || human.back() == '\n' ? "" : "\n");
}

void ReportDamage(Context& ctx, const std::string& summary, const std::string& report) {
  ctx.integrity_failed = true;
  std::cerr << "error: the kiosk database is damaged (" << summary
            << "). Nothing more is written to it; save what can be read with `kiosk journal --json > rescue.json`, "
               "then restore the data folder (README: Recovering)."
            << (ctx.verbose ? "" : " --verbose shows SQLite's full report.") << " [db.damaged]\n";
  if (ctx.verbose) std::cerr << "SQLite quick_check report:\n" << report << (report.ends_with('\n') ? "" : "\n");
}

std::string Count(int64_t n, const char* one, const char* other) {
  return std::to_string(n) + " " + (n == 1 || n == -1 ? one : other);
}

std::unique_ptr<Kiosk> OpenKiosk(Context& ctx, bool read_only) {
  auto k = Kiosk::Open({.data_dir = ctx.data_dir});
  // Commands that only read still work on a database that can't be written (read-only file
  // system, permissions): they fall back to a read-only connection.
  if (!k.ok() && read_only && k.error().kind == ErrorKind::Storage)
    k = Kiosk::Open({.data_dir = ctx.data_dir, .read_only = true});
  if (!k.ok()) {
    ReportError(ctx, k.error());
    return nullptr;
  }
  const StatusView s = (*k)->Status(Kiosk::StatusDetail::kSyncState);
  if (s.database_health != "ok") ReportDamage(ctx, s.database_health, s.database_report);
  return std::move(*k);
}

}  // namespace kiosk::cli
