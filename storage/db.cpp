#include "storage/db.hpp"

#include <sqlite3.h>

#include <cstdio>
#include <mutex>
#include <system_error>

namespace kiosk::storage {

// ---- Statement -----------------------------------------------------------------------------

Statement::~Statement() { sqlite3_finalize(m_stmt); }

Statement& Statement::Bind(int index, int64_t v) {
  sqlite3_bind_int64(m_stmt, index, v);
  return *this;
}
Statement& Statement::Bind(int index, double v) {
  sqlite3_bind_double(m_stmt, index, v);
  return *this;
}
Statement& Statement::Bind(int index, std::string_view v) {
  sqlite3_bind_text(m_stmt, index, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
  return *this;
}
Statement& Statement::BindInPlace(int index, std::string_view v) {
  sqlite3_bind_text(m_stmt, index, v.data(), static_cast<int>(v.size()), SQLITE_STATIC);
  return *this;
}
Statement& Statement::BindNull(int index) {
  sqlite3_bind_null(m_stmt, index);
  return *this;
}

Result<bool> Statement::Step() {
  int rc = sqlite3_step(m_stmt);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  return m_db.LastError(sqlite3_sql(m_stmt));
}

void Statement::Reset() {
  sqlite3_reset(m_stmt);
  sqlite3_clear_bindings(m_stmt);
}

int64_t Statement::Int(int col) const { return sqlite3_column_int64(m_stmt, col); }
double Statement::Real(int col) const { return sqlite3_column_double(m_stmt, col); }
std::string Statement::Text(int col) const {
  const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(m_stmt, col));
  if (!p) return {};
  return std::string(p, static_cast<size_t>(sqlite3_column_bytes(m_stmt, col)));
}
std::string_view Statement::TextView(int col) const {
  const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(m_stmt, col));
  if (!p) return {};
  return std::string_view(p, static_cast<size_t>(sqlite3_column_bytes(m_stmt, col)));
}

bool Statement::IsNull(int col) const { return sqlite3_column_type(m_stmt, col) == SQLITE_NULL; }

// ---- Db ------------------------------------------------------------------------------------

namespace {

// quick_check lists up to 100 problems, each a line such as "Tree 5 page 7 cell 0: invalid page
// number 1234"; a person needs one line: how bad, and where it starts. The first problem is cut
// at a word boundary, never mid-word.
std::string HealthSummary(const std::vector<std::string>& problems) {
  if (problems.empty()) return "quick_check reported nothing";
  std::string first = problems.front();
  for (char& c : first)
    if (c == '\n' || c == '\r' || c == '\t') c = ' ';
  constexpr size_t kMax = 120;
  if (first.size() > kMax) {
    size_t cut = first.rfind(' ', kMax);
    first = first.substr(0, cut == std::string::npos || cut < kMax / 2 ? kMax : cut) + " ...";
  }
  const std::string n = problems.size() >= 100 ? "100 or more" : std::to_string(problems.size());
  return "quick_check found " + n + (problems.size() == 1 ? " problem" : " problems") + ", first: " + first;
}

}  // namespace

Db::~Db() {
  m_cache.clear();  // finalize statements before closing
  if (m_db) sqlite3_close_v2(m_db);
}

Error Db::LastError(std::string_view context) const {
  const int rc = m_db ? sqlite3_extended_errcode(m_db) : SQLITE_CANTOPEN;
  const std::string detail = m_db ? sqlite3_errmsg(m_db) : "no connection";
  const std::string where = m_path.string();
  switch (rc & 0xff) {
    case SQLITE_FULL:
      return MakeError(ErrorKind::Storage, "disk.full",
                       "The disk is full, so this action was not saved. Everything logged before it is "
                       "intact. Free space on the kiosk's disk (or ask an admin), then try again.");
    case SQLITE_READONLY:
      return MakeError(ErrorKind::Storage, "db.read_only",
                       "The database " + where + " is read-only, so this action was not saved (" + detail +
                       "). Check the file's permissions and the disk, then try again.");
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
      return MakeError(ErrorKind::Integrity, "db.corrupt",
                       "The database " + where + " is damaged (" + detail +
                       "). Nothing more is written to it. Read out what you can with `kiosk journal --json`, "
                       "then restore the data folder from a backup.");
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      return MakeError(ErrorKind::Storage, "db.busy",
                       "The database is busy in another program; try again in a moment.");
    case SQLITE_IOERR:
      return MakeError(ErrorKind::Storage, "disk.io_error",
                       "The disk reported an error writing " + where + " (" + detail +
                       "). The action was not saved; check the disk.");
    case SQLITE_CANTOPEN:
      return MakeError(ErrorKind::Storage, "db.cant_open",
                       "Can't open the database " + where + " (" + detail + ").");
    case SQLITE_CONSTRAINT:
      return MakeError(ErrorKind::Storage, "db.constraint",
                       "The database refused inconsistent data (" + detail + ").");
    default:
      return MakeError(ErrorKind::Storage, "db.error",
                       "Database error (" + detail + ") while " + std::string(context.substr(0, 120)) + ".");
  }
}

Result<std::unique_ptr<Db>> Db::Open(const DbOptions& options) {
  std::unique_ptr<Db> db(new Db());
  db->m_path = options.path;
  std::error_code ec;
  const bool existed = std::filesystem::exists(options.path, ec);
  if (!existed && !options.create)
    return MakeError(ErrorKind::NotFound, "db.missing",
                     "There is no kiosk database at " + options.path.string() +
                         ". Create one with `kiosk init` (or `kiosk init --demo`).");
  // No allocation statistics (nothing reads them): each of SQLite's allocations would otherwise
  // take a global mutex to count itself. Must precede SQLite's initialisation, hence here.
  static std::once_flag configured_once;
  std::call_once(configured_once, [] { sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0); });
  int flags = SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_EXRESCODE;
  flags |= options.read_only ? SQLITE_OPEN_READONLY : (SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
  if (sqlite3_open_v2(options.path.c_str(), &db->m_db, flags, nullptr) != SQLITE_OK)
    return db->LastError("opening the database");
  sqlite3_extended_result_codes(db->m_db, 1);
  sqlite3_busy_timeout(db->m_db, options.busy_timeout_ms);
  db->m_read_only = options.read_only;
  Status configured = db->Configure(options);
  if (!configured.ok() && options.read_only && configured.error().code == "db.read_only") {
    // A WAL database in a folder this user can't write has no -shm to share: read it as an
    // immutable snapshot instead (there is no -wal either, or a writer would have left a -shm).
    db->m_cache.clear();
    sqlite3_close_v2(db->m_db);
    db->m_db = nullptr;
    std::string uri = "file:";
    for (char c : options.path.string()) {
      if (c == '?' || c == '#' || c == '%') {
        char buf[4];
        std::snprintf(buf, sizeof buf, "%%%02X", static_cast<unsigned char>(c));
        uri += buf;
      } else {
        uri += c;
      }
    }
    uri += "?immutable=1";
    if (sqlite3_open_v2(uri.c_str(), &db->m_db, SQLITE_OPEN_READONLY | SQLITE_OPEN_URI | SQLITE_OPEN_NOMUTEX, nullptr) !=
        SQLITE_OK)
      return db->LastError("opening the database read-only");
    configured = db->Configure(options);
  }
  if (!configured.ok()) return configured.error();
  return db;
}

Status Db::Configure(const DbOptions& options) {
  // The first read tells a kiosk database from anything else (SQLITE_NOTADB on garbage).
  auto app_id = ScalarInt("PRAGMA application_id");
  if (!app_id.ok()) return app_id.error();
  auto version = ScalarInt("PRAGMA user_version");
  if (!version.ok()) return version.error();
  auto tables = ScalarInt("SELECT count(*) FROM sqlite_master");
  if (!tables.ok()) return tables.error();
  m_schema_version = static_cast<int>(version->value_or(0));
  const bool fresh = tables->value_or(0) == 0 && m_schema_version == 0;

  if (options.application_id != 0 && !fresh &&
      static_cast<uint32_t>(app_id->value_or(0)) != options.application_id)
    return MakeError(ErrorKind::Integrity, "db.foreign",
                     m_path.string() + " is an SQLite database, but not a kiosk database. Nothing was changed. "
                                       "Point --data at the kiosk's data folder.");
  const int newest = options.migrations && !options.migrations->empty() ? options.migrations->back().version : 0;
  if (options.migrations && m_schema_version > newest)
    return MakeError(ErrorKind::Integrity, "db.too_new",
                     "The database was written by a newer kiosk version (schema " + std::to_string(m_schema_version) +
                         ", this build knows up to " + std::to_string(newest) +
                         "). Nothing was changed. Install the newer kiosk software, or restore a backup.");

  if (options.quick_check && !fresh) {
    std::vector<std::string> problems;
    auto s = Each("PRAGMA quick_check", [&](Statement& row) { problems.push_back(row.Text(0)); });
    if (!s.ok()) problems.push_back(s.error().message);
    if (!(problems.size() == 1 && problems[0] == "ok")) {
      // A damaged file is never written again: reads go on as far as they can.
      m_health_report.clear();
      for (const auto& p : problems) m_health_report += p + "\n";
      m_health = HealthSummary(problems);
      m_read_only = true;
      sqlite3_exec(m_db, "PRAGMA query_only=1", nullptr, nullptr, nullptr);
      return {};
    }
  }
  if (m_read_only) {
    sqlite3_exec(m_db, "PRAGMA query_only=1", nullptr, nullptr, nullptr);
    return {};
  }
  // mmap lets lookups read pages without a syscall each (barcode-to-entity p99 on 100k devices);
  // an 8 MiB page cache keeps the hot index pages of a showroom's data resident.
  KIOSK_TRY(ExecScript("PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON; "
                       "PRAGMA mmap_size=67108864; PRAGMA cache_size=-8192;"));
  if (options.max_pages > 0) KIOSK_TRY(ExecScript("PRAGMA max_page_count=" + std::to_string(options.max_pages)));
  if (fresh && options.application_id != 0)
    KIOSK_TRY(ExecScript("PRAGMA application_id=" + std::to_string(static_cast<int32_t>(options.application_id))));
  return Migrate(options);
}

Status Db::Migrate(const DbOptions& options) {
  if (!options.migrations) return {};
  for (const Migration& m : *options.migrations) {
    if (m.version <= m_schema_version) continue;
    Transaction tx(*this);
    KIOSK_TRY(tx.Begin());
    KIOSK_TRY(ExecScript(m.sql));
    KIOSK_TRY(ExecScript("PRAGMA user_version=" + std::to_string(m.version)));
    KIOSK_TRY(tx.Commit());
    m_schema_version = m.version;
  }
  return {};
}

Result<Statement*> Db::Prepare(const std::string& sql) {
  if (auto it = m_cache.find(sql); it != m_cache.end()) return it->second.get();
  sqlite3_stmt* stmt = nullptr;
  if (sqlite3_prepare_v3(m_db, sql.c_str(), static_cast<int>(sql.size()), SQLITE_PREPARE_PERSISTENT, &stmt,
                         nullptr) != SQLITE_OK)
    return LastError(sql);
  auto owned = std::make_unique<Statement>(*this, stmt);
  Statement* raw = owned.get();
  m_cache.emplace(sql, std::move(owned));
  return raw;
}

Status Db::SetMemoryLimits(int64_t mmap_bytes, int64_t cache_kib) {
  return ExecScript("PRAGMA mmap_size=" + std::to_string(mmap_bytes) + "; PRAGMA cache_size=-" +
                    std::to_string(cache_kib) + ";");
}

Status Db::SetMmapSize(int64_t mmap_bytes) {
  return ExecScript("PRAGMA mmap_size=" + std::to_string(mmap_bytes) + ";");
}

Status Db::ExecScript(const std::string& sql) {
  char* msg = nullptr;
  if (sqlite3_exec(m_db, sql.c_str(), nullptr, nullptr, &msg) != SQLITE_OK) {
    sqlite3_free(msg);
    return LastError(sql);
  }
  return {};
}

Status Db::Begin() { return ExecScript("BEGIN IMMEDIATE"); }
Status Db::Commit() {
  auto s = ExecScript("COMMIT");
  if (!s.ok()) Rollback();  // a failed COMMIT (disk full) must not leave the transaction open
  return s;
}
void Db::Rollback() {
  if (!sqlite3_get_autocommit(m_db)) sqlite3_exec(m_db, "ROLLBACK", nullptr, nullptr, nullptr);
}
bool Db::InTransaction() const { return !sqlite3_get_autocommit(m_db); }
int64_t Db::Changes() const { return sqlite3_changes64(m_db); }
int64_t Db::LastInsertRowid() const { return sqlite3_last_insert_rowid(m_db); }

}  // namespace kiosk::storage
