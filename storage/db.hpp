#pragma once
// RAII SQLite database and statements: the only place outside storage/*.cpp that knows SQLite
// exists is this header's interface, and it exposes no sqlite3 types. Statements are prepared once
// per SQL text and reset and unbound after every use. Owned by one thread at a time.
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <unordered_map>
#include <vector>

#include "kiosk/core/result.hpp"

struct sqlite3;
struct sqlite3_stmt;

namespace kiosk::storage {

// One schema step: applied in order, inside one transaction with the user_version bump.
struct Migration {
  int version;          // user_version after this step
  const char* sql;      // one or more statements
};

struct DbOptions {
  std::filesystem::path path;
  uint32_t application_id = 0;          // PRAGMA application_id the file must carry (0: no check)
  const std::vector<Migration>* migrations = nullptr;  // the schema; newest version = last entry
  bool create = false;                  // create the file if missing
  bool read_only = false;               // open read-only: no migrations, every write fails
  bool quick_check = true;              // run PRAGMA quick_check on open
  int busy_timeout_ms = 5000;
  int64_t max_pages = 0;                // tests: PRAGMA max_page_count to provoke SQLITE_FULL
};

class Db;

// A prepared statement borrowed from Db's cache. Bind, Step, read columns; Reset() (or the
// Query guard) returns it to the cache clean.
class Statement {
 public:
  Statement(Db& db, sqlite3_stmt* stmt) : m_db(db), m_stmt(stmt) {}
  ~Statement();
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;

  Statement& Bind(int index, int64_t v);
  Statement& Bind(int index, int v) { return Bind(index, static_cast<int64_t>(v)); }
  Statement& Bind(int index, double v);
  Statement& Bind(int index, std::string_view v);
  Statement& Bind(int index, const std::string& v) { return Bind(index, std::string_view(v)); }
  Statement& Bind(int index, const char* v) { return Bind(index, std::string_view(v)); }
  Statement& BindNull(int index);
  template <typename... A>
  Statement& BindAll(const A&... args) {
    int i = 0;
    (Bind(++i, args), ...);
    return *this;
  }
  // Text bound without a copy: SQLite reads it in place until Reset. Only for values that outlive
  // the statement's use and don't change meanwhile (Db::Run and the Db::Scalar* calls: bound,
  // stepped and reset within one call, with the caller's arguments alive throughout).
  Statement& BindInPlace(int index, std::string_view v);
  template <typename... A>
  Statement& BindAllInPlace(const A&... args) {
    int i = 0;
    (BindOneInPlace(++i, args), ...);
    return *this;
  }

  Result<bool> Step();  // true: a row is ready; false: done
  void Reset();         // sqlite3_reset + clear bindings

  int64_t Int(int col) const;
  double Real(int col) const;
  std::string Text(int col) const;
  // Valid until the next Step/Reset: for hot loops that copy into reused buffers.
  std::string_view TextView(int col) const;
  bool IsNull(int col) const;

 private:
  template <typename T>
  void BindOneInPlace(int index, const T& v) {
    if constexpr (std::is_convertible_v<const T&, std::string_view>) BindInPlace(index, std::string_view(v));
    else Bind(index, v);
  }

  Db& m_db;
  sqlite3_stmt* m_stmt;
};

// Resets a statement when the scope ends, whatever path leaves it.
class Query {
 public:
  explicit Query(Statement& s) : m_s(s) {}
  ~Query() { m_s.Reset(); }
  Statement* operator->() { return &m_s; }
  Statement& operator*() { return m_s; }

 private:
  Statement& m_s;
};

class Db {
 public:
  static Result<std::unique_ptr<Db>> Open(const DbOptions& options);
  ~Db();
  Db(const Db&) = delete;
  Db& operator=(const Db&) = delete;

  // Prepared once per distinct SQL text; returns the cached statement, reset.
  Result<Statement*> Prepare(const std::string& sql);

  // Runs statements without parameters (schema, pragmas).
  Status ExecScript(const std::string& sql);
  // This connection's memory: bytes of the file memory-mapped, KiB of page cache.
  Status SetMemoryLimits(int64_t mmap_bytes, int64_t cache_kib);
  // Only the memory-mapped size (0: read through the page cache alone), page cache untouched.
  Status SetMmapSize(int64_t mmap_bytes);

  // Prepare + bind + step once (a write statement completes in its first step).
  template <typename... A>
  Status Run(const std::string& sql, const A&... args) {
    return FirstRow(sql, [](Statement&) {}, args...);
  }

  // Calls fn(row) for each row.
  template <typename Fn, typename... A>
  Status Each(const std::string& sql, Fn&& fn, const A&... args) {
    auto st = Prepare(sql);
    if (!st.ok()) return st.error();
    Query q(**st);
    q->BindAll(args...);
    for (;;) {
      auto r = q->Step();
      if (!r.ok()) return r.error();
      if (!*r) return {};
      fn(*q);
    }
  }

  // First column of the first row, if any.
  template <typename... A>
  Result<std::optional<int64_t>> ScalarInt(const std::string& sql, const A&... args) {
    std::optional<int64_t> out;
    auto s = FirstRow(sql, [&](Statement& row) { if (!row.IsNull(0)) out = row.Int(0); }, args...);
    if (!s.ok()) return s.error();
    return out;
  }
  template <typename... A>
  Result<std::optional<std::string>> ScalarText(const std::string& sql, const A&... args) {
    std::optional<std::string> out;
    auto s = FirstRow(sql, [&](Statement& row) { if (!row.IsNull(0)) out = row.Text(0); }, args...);
    if (!s.ok()) return s.error();
    return out;
  }

  Status Begin();  // BEGIN IMMEDIATE: writers queue here, not at commit
  Status Commit();
  void Rollback();
  bool InTransaction() const;

  int64_t Changes() const;
  int64_t LastInsertRowid() const;  // of this connection's last successful INSERT
  int SchemaVersion() const { return m_schema_version; }
  bool ReadOnly() const { return m_read_only; }
  // "ok", or one line for a person: how many problems quick_check found and the first of them.
  const std::string& Health() const { return m_health; }
  // Everything quick_check reported, one problem per line ("ok" when healthy): for --verbose.
  const std::string& HealthReport() const { return m_health_report; }
  const std::filesystem::path& Path() const { return m_path; }

  // Maps the last SQLite failure to an Error a person can act on.
  Error LastError(std::string_view context) const;

 private:
  Db() = default;
  // One step, fn(row) if it gave a row, then reset. Text is bound in place (see BindInPlace).
  template <typename Fn, typename... A>
  Status FirstRow(const std::string& sql, Fn&& fn, const A&... args) {
    auto st = Prepare(sql);
    if (!st.ok()) return st.error();
    Query q(**st);
    q->BindAllInPlace(args...);
    auto r = q->Step();
    if (!r.ok()) return r.error();
    if (*r) fn(*q);
    return {};
  }
  Status Configure(const DbOptions& options);
  Status Migrate(const DbOptions& options);

  sqlite3* m_db = nullptr;
  std::filesystem::path m_path;
  std::unordered_map<std::string, std::unique_ptr<Statement>> m_cache;
  int m_schema_version = 0;
  bool m_read_only = false;
  std::string m_health = "ok";
  std::string m_health_report = "ok";
};

// Rolls back unless Commit() was called: one action = one transaction, all or nothing.
class Transaction {
 public:
  explicit Transaction(Db& db) : m_db(db) {}
  ~Transaction() { if (m_open && !m_committed) m_db.Rollback(); }
  Status Begin() { auto s = m_db.Begin(); m_open = s.ok(); return s; }
  Status Commit() { auto s = m_db.Commit(); if (s.ok()) m_committed = true; return s; }

 private:
  Db& m_db;
  bool m_open = false;
  bool m_committed = false;
};

// Several reads as one snapshot: a deferred BEGIN takes SQLite's read locks once instead of once
// per statement (each costs fcntl calls on the database and -shm files). Does nothing inside a
// transaction that is already open, so it nests under a write Transaction.
class ReadSnapshot {
 public:
  explicit ReadSnapshot(Db& db) : m_db(db), m_own(!db.InTransaction() && db.Run("BEGIN").ok()) {}
  ~ReadSnapshot() { if (m_own) (void)m_db.Run("COMMIT"); }
  ReadSnapshot(const ReadSnapshot&) = delete;
  ReadSnapshot& operator=(const ReadSnapshot&) = delete;

 private:
  Db& m_db;
  bool m_own;
};

}  // namespace kiosk::storage
