#pragma once
// Output helpers shared by every subcommand: human text by default, JSON with --json, and one
// way of reporting an Error (message on stderr, exit code from its kind).
#include <iosfwd>
#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "kiosk/cli/cli.hpp"
#include "kiosk/core/result.hpp"

namespace kiosk {
class Kiosk;
}

namespace kiosk::cli {

// Prints the error (stderr, or a JSON object on stdout with --json) and sets the exit code.
void ReportError(Context& ctx, const Error& error);
// Prints `data` as JSON (with --json) or `human` text.
void Emit(Context& ctx, const nlohmann::json& data, const std::string& human);
// Says on stderr, in one line, that the database failed its integrity check and what to do
// (with --verbose, SQLite's whole report follows), and makes the process exit 3.
void ReportDamage(Context& ctx, const std::string& summary, const std::string& report);
// "1 event", "2 events": a count with its English noun in the right number.
std::string Count(int64_t n, const char* one, const char* other);
// Opens the kiosk of ctx.data_dir, reporting any error. Null on failure. A damaged database is
// opened read-only and reported through ReportDamage.
std::unique_ptr<Kiosk> OpenKiosk(Context& ctx, bool read_only = false);

}  // namespace kiosk::cli
