// Files outside SQLite are replaced whole or not at all: a cut injected before each step of the
// write (create, write, fsync, rename, fsync of the folder) leaves the old file or the new one.
#include <doctest/doctest.h>
#include <sys/stat.h>

#include <fstream>
#include <sstream>

#include "kiosk/core/atomic_file.hpp"
#include "kiosk/core/journal.hpp"
#include "support/test_support.hpp"

using namespace kiosk;
using namespace kiosk::test;

namespace {

std::string Slurp(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

constexpr AtomicStep kSteps[] = {AtomicStep::kCreate, AtomicStep::kWrite, AtomicStep::kSyncFile, AtomicStep::kRename,
                                 AtomicStep::kSyncDir};

}  // namespace

TEST_CASE("atomic file: a cut before any step leaves the old content or the new, never a torn file") {
  TempDir dir;
  const auto path = dir / "manifest.json";
  const std::string old_text(10000, 'o');
  const std::string new_text(20000, 'n');
  for (AtomicStep cut_at : kSteps) {
    CAPTURE(static_cast<int>(cut_at));
    REQUIRE(WriteFileAtomically(path, old_text).ok());
    auto s = WriteFileAtomically(path, new_text, {.before_step = [&](AtomicStep s) { return s != cut_at; }});
    CHECK_FALSE(s.ok());
    const std::string after = Slurp(path);
    // Before the rename the old file stands; from the rename on, the new one.
    if (cut_at <= AtomicStep::kRename) CHECK(after == old_text);
    else CHECK(after == new_text);
    // A write after the cut (a NAME.tmp may be left over, half written) replaces the file whole.
    REQUIRE(WriteFileAtomically(path, new_text).ok());
    CHECK(Slurp(path) == new_text);
    CHECK_FALSE(std::filesystem::exists(dir / "manifest.json.tmp"));
  }
}

TEST_CASE("atomic file: a failure says what and where, and leaves the old file and no NAME.tmp") {
  TempDir dir;
  const auto path = dir / "batch.json";
  REQUIRE(WriteFileAtomically(path, "old").ok());
  // A folder where NAME.tmp should go makes the create fail, as a read-only stick would.
  std::filesystem::create_directory(dir / "batch.json.tmp");
  auto s = WriteFileAtomically(path, "new", {.error_code = "export.write", .hint = "Is the stick full?"});
  REQUIRE_FALSE(s.ok());
  CHECK(s.error().code == "export.write");
  CHECK(s.error().message.find("batch.json") != std::string::npos);
  CHECK(s.error().message.find("Is the stick full?") != std::string::npos);
  CHECK(Slurp(path) == "old");
}

TEST_CASE("atomic file: the key file is written 0600, even over an old NAME.tmp left by a cut") {
  TempDir dir;
  const auto path = dir / "kiosk.key";
  std::ofstream(dir / "kiosk.key.tmp") << "half a ke";
  ::chmod((dir / "kiosk.key.tmp").c_str(), 0644);
  JournalKey key;
  REQUIRE(CreateKeyFile(path.string(), key).ok());
  struct stat st {};
  REQUIRE(::stat(path.c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600);
  auto loaded = LoadKeyFile(path.string());
  REQUIRE(loaded.ok());
  CHECK(std::equal(std::begin(key.bytes), std::end(key.bytes), std::begin(loaded->bytes)));
}
