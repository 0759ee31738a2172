#pragma once
// Runs a program with arguments (no shell), capturing stdout and the exit code.
#include <sys/wait.h>
#include <unistd.h>

#include <string>
#include <vector>

namespace kiosk::test {

struct ProcessResult {
  int exit_code = -1;  // -1: killed by a signal
  std::string out;
  std::string err;
};

// In a forked child: adds `env` (NAME=value) to the environment and runs argv[0] (looked up in
// PATH when it holds no '/'); exits 127 when it can't.
[[noreturn]] inline void ExecChild(const std::vector<std::string>& argv, const std::vector<std::string>& env = {}) {
  for (const auto& e : env) ::putenv(const_cast<char*>(e.c_str()));
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  ::execvp(args[0], args.data());
  ::_exit(127);
}

inline ProcessResult RunProcess(const std::vector<std::string>& argv, const std::vector<std::string>& env = {}) {
  int out_pipe[2], err_pipe[2];
  ProcessResult r;
  if (::pipe(out_pipe) != 0 || ::pipe(err_pipe) != 0) return r;
  pid_t pid = ::fork();
  if (pid == 0) {
    ::dup2(out_pipe[1], 1);
    ::dup2(err_pipe[1], 2);
    ::close(out_pipe[0]);
    ::close(err_pipe[0]);
    ExecChild(argv, env);
  }
  ::close(out_pipe[1]);
  ::close(err_pipe[1]);
  // Drain both pipes; the outputs here are small, so reading stdout then stderr can't deadlock
  // on anything but a huge stderr, which these programs don't write.
  char buf[4096];
  ssize_t n;
  while ((n = ::read(out_pipe[0], buf, sizeof buf)) > 0) r.out.append(buf, static_cast<size_t>(n));
  while ((n = ::read(err_pipe[0], buf, sizeof buf)) > 0) r.err.append(buf, static_cast<size_t>(n));
  ::close(out_pipe[0]);
  ::close(err_pipe[0]);
  int status = 0;
  ::waitpid(pid, &status, 0);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

inline std::string KioskBinary() { return std::string(KIOSK_BINARY_DIR) + "/kiosk"; }

}  // namespace kiosk::test
