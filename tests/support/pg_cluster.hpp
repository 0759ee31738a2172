#pragma once
// A throwaway PostgreSQL cluster for the tests, one per test process: initdb in a temporary folder
// (as the `postgres` user when the tests run as root, since initdb refuses root), a Unix socket in
// that folder and no TCP port, stopped (`pg_ctl -m immediate`) and removed at the end. The
// machine's own cluster is never touched. A watchdog child stops it too if the test process dies
// without cleaning up (a crash, a SIGKILL from ctest's timeout).
//
// KIOSK_TEST_STORE=postgresql makes the central and sync fixtures run on it (tests/central:
// TestCentralDb); the suites register that run as one ctest test per executable, so one cluster
// serves all its cases.
#include <fcntl.h>
#include <pwd.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <memory>
#include <random>
#include <string>
#include <vector>

namespace kiosk::test {

class PgCluster {
 public:
  // The process's cluster, started on first use. When PostgreSQL is truly unavailable here (no
  // server binaries, no unprivileged user to run them), says why and exits with 77, which ctest
  // reports as skipped.
  static PgCluster& Shared() {
    static std::unique_ptr<PgCluster> cluster = [] {
      auto c = std::unique_ptr<PgCluster>(new PgCluster());
      std::string why;
      if (!c->Init(why)) {
        std::cerr << "SKIPPED: PostgreSQL is unavailable for the tests: " << why << "\n";
        std::fflush(nullptr);
        std::_Exit(77);
      }
      return c;
    }();
    return *cluster;
  }

  static bool Wanted() {
    const char* s = std::getenv("KIOSK_TEST_STORE");
    return s && std::string(s) == "postgresql";
  }

  // A fresh, empty database; its URI.
  std::string NewDatabase() {
    const std::string name = "t" + std::to_string(++m_databases);
    RunAsOwner({m_bin + "/createdb", "-h", m_dir, "-U", "kiosk", name});
    return Uri(name);
  }
  // Runs SQL on a database (its URI from NewDatabase) with psql; psql's exit code.
  // quiet = false: psql's output goes to this process's stdout and stderr.
  int Psql(const std::string& uri, const std::string& sql, bool quiet = true) const {
    const size_t from = uri.find("@/") + 2, to = uri.find('?');
    return RunAsOwner({m_bin + "/psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-h", m_dir, "-U", "kiosk", "-d",
                       uri.substr(from, to - from), "-c", sql},
                      quiet);
  }
  std::string Uri(const std::string& db) const { return "postgresql://kiosk@/" + db + "?host=" + m_dir; }
  const std::string& Dir() const { return m_dir; }

  // `pg_ctl stop -m immediate`: the server dies as in a power cut (without the disk's part).
  void StopImmediate() { RunAsOwner({m_bin + "/pg_ctl", "-D", m_dir + "/pg", "-m", "immediate", "-w", "stop"}); }
  // KIOSK_TEST_PG_OPTIONS adds server options, e.g. "-c shared_preload_libraries=pg_stat_statements"
  // to see where a benchmark's statements spend their time.
  bool Start() {
    const char* extra = std::getenv("KIOSK_TEST_PG_OPTIONS");
    return RunAsOwner({m_bin + "/pg_ctl", "-D", m_dir + "/pg", "-w", "-t", "60", "-l", m_dir + "/log", "-o",
                       "-k " + m_dir + " -c listen_addresses='' -c max_connections=60 -c fsync=" + Fsync() + " " +
                           (extra ? extra : ""),
                       "start"}) == 0;
  }

  // Tests run with fsync off (a killed server loses nothing the OS holds); a benchmark sets
  // KIOSK_TEST_PG_FSYNC=on for durable commits.
  static std::string Fsync() {
    const char* f = std::getenv("KIOSK_TEST_PG_FSYNC");
    return f && std::string(f) == "on" ? "on" : "off";
  }

  ~PgCluster() {
    if (m_watchdog > 0) {
      ::close(m_pipe);  // the watchdog stops the server and removes the folder
      ::waitpid(m_watchdog, nullptr, 0);
    }
  }

 private:
  PgCluster() = default;

  bool Init(std::string& why) {
    for (const char* v : {"17", "16", "15", "14"}) {
      const std::string bin = std::string("/usr/lib/postgresql/") + v + "/bin";
      if (std::filesystem::exists(bin + "/initdb")) {
        m_bin = bin;
        break;
      }
    }
    if (m_bin.empty()) {
      why = "no initdb under /usr/lib/postgresql/*/bin (apt-get install postgresql)";
      return false;
    }
    if (::geteuid() == 0) {
      const passwd* pw = ::getpwnam("postgres");
      if (!pw) {
        why = "running as root and there is no `postgres` user to run initdb as";
        return false;
      }
      m_uid = pw->pw_uid;
      m_gid = pw->pw_gid;
    }
    std::random_device rd;
    m_dir = (std::filesystem::temp_directory_path() / ("kiosk-pg-" + std::to_string(::getpid()) + "-" +
                                                        std::to_string(rd() % 100000)))
                .string();
    std::filesystem::create_directories(m_dir);
    ::chmod(m_dir.c_str(), 0755);
    if (m_uid >= 0 && ::chown(m_dir.c_str(), static_cast<uid_t>(m_uid), static_cast<gid_t>(m_gid)) != 0) {
      why = "can't hand " + m_dir + " to the postgres user";
      return false;
    }
    StartWatchdog();
    if (RunAsOwner({m_bin + "/initdb", "-D", m_dir + "/pg", "-A", "trust", "-U", "kiosk", "-E", "UTF8", "--locale=C",
                    "--no-sync"}) != 0) {
      why = "initdb failed";
      return false;
    }
    if (!Start()) {
      why = "the server did not start (see " + m_dir + "/log)";
      return false;
    }
    return true;
  }

  // Waits on a pipe that only this process holds open: when it closes (exit, crash or SIGKILL),
  // stops the server and removes the folder.
  void StartWatchdog() {
    int fds[2];
    if (::pipe(fds) != 0) return;
    const pid_t pid = ::fork();
    if (pid == 0) {
      ::close(fds[1]);
      ::setsid();  // not killed with the test's process group
      char c;
      while (::read(fds[0], &c, 1) > 0) {
      }
      RunAsOwner({m_bin + "/pg_ctl", "-D", m_dir + "/pg", "-m", "immediate", "-w", "stop"}, true);
      std::error_code ec;
      std::filesystem::remove_all(m_dir, ec);
      ::_exit(0);
    }
    ::close(fds[0]);
    ::fcntl(fds[1], F_SETFD, FD_CLOEXEC);  // children (a central under test) must not hold it open
    m_pipe = fds[1];
    m_watchdog = pid;
  }

  // Runs a PostgreSQL tool as the cluster's owner; its exit code.
  int RunAsOwner(const std::vector<std::string>& argv, bool quiet = true) const {
    const pid_t pid = ::fork();
    if (pid == 0) {
      if (quiet) {
        const int devnull = ::open("/dev/null", O_WRONLY);
        ::dup2(devnull, 1);
        ::dup2(devnull, 2);
      }
      // Never the watchdog's pipe: a server started here would keep it open for ever.
      if (m_pipe >= 0) ::close(m_pipe);
      if (m_uid >= 0) {
        if (::setgid(static_cast<gid_t>(m_gid)) != 0 || ::setuid(static_cast<uid_t>(m_uid)) != 0) ::_exit(126);
      }
      std::vector<char*> args;
      for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
      args.push_back(nullptr);
      ::execv(args[0], args.data());
      ::_exit(127);
    }
    int status = 0;
    ::waitpid(pid, &status, 0);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  }

  std::string m_bin, m_dir;
  long m_uid = -1, m_gid = -1;  // the postgres user when run as root
  int m_databases = 0;
  int m_pipe = -1;
  pid_t m_watchdog = -1;
};

}  // namespace kiosk::test
