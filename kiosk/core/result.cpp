#include "kiosk/core/result.hpp"

namespace kiosk {

int ExitCodeFor(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::Refused:
    case ErrorKind::NotFound: return 1;
    case ErrorKind::Usage: return 2;
    case ErrorKind::Storage:
    case ErrorKind::Integrity:
    case ErrorKind::Network: return 3;
  }
  return 3;
}

std::string ReasonKey(const Error& e) {
  return "reason." + e.code + (e.variant.empty() ? "" : "." + e.variant);
}

const char* ToString(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::Refused: return "refused";
    case ErrorKind::NotFound: return "not_found";
    case ErrorKind::Usage: return "usage";
    case ErrorKind::Storage: return "storage";
    case ErrorKind::Integrity: return "integrity";
    case ErrorKind::Network: return "network";
  }
  return "unknown";
}

}  // namespace kiosk
