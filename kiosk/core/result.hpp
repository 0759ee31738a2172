#pragma once
// Result<T>: the return type of every operation whose failure is expected (a rule refuses, a
// barcode is unknown, the disk is full). Failures that make start-up impossible throw instead.
#include <optional>
#include <string>
#include <utility>
#include <variant>
#include <vector>

namespace kiosk {

// What kind of failure it is decides the CLI exit code and the banner colour.
enum class ErrorKind {
  Refused,    // a rule of the partner program said no (exit 1)
  NotFound,   // unknown barcode, badge, partner... (exit 1)
  Usage,      // malformed input from the person or a file (exit 2)
  Storage,    // disk full, read-only, busy, I/O error (exit 3)
  Integrity,  // corrupted database, broken journal chain, bad key file (exit 3)
  Network,    // central unreachable, timed out (exit 3 in the CLI; retried by sync)
};

// The values a reason's message was made of, by name ({"tag", "DEMO-00007"}): a touchscreen
// shows the reason in its own language from the translation of "reason.<code>" with {tag} filled
// in, and falls back to `message` where it has no such translation.
using ReasonArgs = std::vector<std::pair<std::string, std::string>>;

struct Error {
  ErrorKind kind = ErrorKind::Refused;
  std::string code;     // stable machine reason code, e.g. "device.already_out"
  std::string message;  // English, one or two sentences a person can act on (CLI, logs, fallback)
  ReasonArgs args;      // named values for the translations of `code`
  std::string variant;  // "" or which wording of `code`: translated as "reason.<code>.<variant>"
};

inline Error MakeError(ErrorKind kind, std::string code, std::string message, ReasonArgs args = {},
                       std::string variant = {}) {
  return Error{kind, std::move(code), std::move(message), std::move(args), std::move(variant)};
}

// A soft limit an action crossed but still went through (shown amber): said as
// "warning.<code>" with `args` filled in, like a reason.
struct Warning {
  std::string code;     // stable, e.g. "redeem.soft_limit"
  std::string message;  // English (CLI, logs, fallback)
  ReasonArgs args;      // named values for the translations of `code`
};

// "reason.device.already_out" or "reason.admin.wrong_pin.tries_left": the translation key.
std::string ReasonKey(const Error& e);

int ExitCodeFor(ErrorKind kind);
const char* ToString(ErrorKind kind);

template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : m_v(std::in_place_index<0>, std::move(value)) {}
  Result(Error error) : m_v(std::in_place_index<1>, std::move(error)) {}

  bool ok() const { return m_v.index() == 0; }
  explicit operator bool() const { return ok(); }

  T& value() & { return std::get<0>(m_v); }
  const T& value() const& { return std::get<0>(m_v); }
  // By value from a temporary, so `for (auto& x : *Fetch())` can't dangle into a dead Result.
  T value() && { return std::get<0>(std::move(m_v)); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T operator*() && { return std::move(*this).value(); }

  const Error& error() const { return std::get<1>(m_v); }

 private:
  std::variant<T, Error> m_v;
};

template <>
class [[nodiscard]] Result<void> {
 public:
  Result() = default;
  Result(Error error) : m_error(std::move(error)) {}
  bool ok() const { return !m_error.has_value(); }
  explicit operator bool() const { return ok(); }
  const Error& error() const { return *m_error; }

 private:
  std::optional<Error> m_error;
};

using Status = Result<void>;

}  // namespace kiosk

// Propagates the error of an expression returning Result<...> from the enclosing function.
#define KIOSK_TRY(expr)                               \
  do {                                                \
    auto&& kiosk_try_result_ = (expr);                \
    if (!kiosk_try_result_.ok()) return kiosk_try_result_.error(); \
  } while (0)
