#include "kiosk/cli/output.hpp"

#include <iostream>

#include "kiosk/core/kiosk.hpp"

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
  return std::move(*k);
}

}  // namespace kiosk::cli
