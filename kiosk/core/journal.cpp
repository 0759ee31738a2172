#include "kiosk/core/journal.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <mutex>
#include <nlohmann/json.hpp>

#include "kiosk/core/atomic_file.hpp"
#include "kiosk/core/crypto.hpp"

namespace kiosk {
namespace {

void AppendField(std::string& out, std::string_view v) {
  out += std::to_string(v.size());
  out += ':';
  out += v;
  out += ',';
}

void BuildCanonical(const Event& e, std::string& out) {
  out.clear();
  out += "ske1";
  AppendField(out, std::to_string(e.seq));
  AppendField(out, e.event_id);
  AppendField(out, e.kiosk_id);
  AppendField(out, e.type);
  AppendField(out, e.payload);
  AppendField(out, e.actor);
  AppendField(out, e.wall_time);
  AppendField(out, std::to_string(e.mono_ms));
  AppendField(out, e.boot_id);
  AppendField(out, e.prev_hash);
}

Error Broken(int64_t seq, std::string what) {
  return MakeError(ErrorKind::Integrity, "journal.broken", "seq " + std::to_string(seq) + ": " + std::move(what));
}

}  // namespace

std::string CanonicalBytes(const Event& e) {
  std::string out;
  BuildCanonical(e, out);
  return out;
}

std::string GenesisHash(std::string_view kiosk_id) {
  return crypto::Sha256Hex("showroom-kiosk/genesis/v1|" + std::string(kiosk_id));
}

std::string ComputeEventHash(const JournalKey& key, const Event& e) {
  return crypto::HmacSha256Hex(key.bytes, CanonicalBytes(e));
}

struct EventHasher::State {
  explicit State(const JournalKey& key) : ctx(key.bytes) {}
  crypto::HmacSha256Ctx ctx;
};

EventHasher::EventHasher(const JournalKey& key) : m_state(new State(key)) {}
EventHasher::~EventHasher() { delete m_state; }

std::string EventHasher::Hash(const Event& e) {
  BuildCanonical(e, m_buffer);
  return m_state->ctx.MacHex(m_buffer);
}

Status EventHasher::Verify(const Event& e, int64_t expected_seq, std::string_view expected_prev_hash) {
  if (e.seq != expected_seq) {
    if (e.seq > expected_seq)
      return Broken(expected_seq, "missing: the journal jumps from seq " + std::to_string(expected_seq - 1) +
                                      " to " + std::to_string(e.seq) + " (events deleted)");
    return Broken(e.seq, "out of order or duplicated: expected seq " + std::to_string(expected_seq));
  }
  if (e.prev_hash != expected_prev_hash)
    return Broken(e.seq, "does not chain to the event before it (prev_hash differs: an event was inserted, deleted "
                         "or reordered)");
  if (!crypto::ConstantTimeEqual(Hash(e), e.hash))
    return Broken(e.seq, "its HMAC does not match its contents (the event was edited, or signed with another key)");
  return {};
}

Status VerifyLink(const JournalKey& key, const Event& e, int64_t expected_seq, std::string_view expected_prev_hash) {
  EventHasher h(key);
  return h.Verify(e, expected_seq, expected_prev_hash);
}

nlohmann::json ToJson(const Event& e) {
  return nlohmann::json{{"seq", e.seq},           {"event_id", e.event_id}, {"kiosk_id", e.kiosk_id},
                        {"type", e.type},         {"payload", e.payload},   {"actor", e.actor},
                        {"wall_time", e.wall_time}, {"mono_ms", e.mono_ms}, {"boot_id", e.boot_id},
                        {"prev_hash", e.prev_hash}, {"hash", e.hash}};
}

Result<Event> EventFromJson(const nlohmann::json& j) {
  if (!j.is_object()) return MakeError(ErrorKind::Usage, "event.malformed", "an event must be a JSON object");
  Event e;
  auto text = [&](const char* name, std::string& out) -> bool {
    auto it = j.find(name);
    if (it == j.end() || !it->is_string()) return false;
    out = it->get<std::string>();
    return true;
  };
  auto integer = [&](const char* name, int64_t& out) -> bool {
    auto it = j.find(name);
    if (it == j.end() || !it->is_number_integer()) return false;
    out = it->get<int64_t>();
    return true;
  };
  const char* missing = nullptr;
  if (!integer("seq", e.seq)) missing = "seq";
  else if (!text("event_id", e.event_id)) missing = "event_id";
  else if (!text("kiosk_id", e.kiosk_id)) missing = "kiosk_id";
  else if (!text("type", e.type)) missing = "type";
  else if (!text("payload", e.payload)) missing = "payload";
  else if (!text("actor", e.actor)) missing = "actor";
  else if (!text("wall_time", e.wall_time)) missing = "wall_time";
  else if (!integer("mono_ms", e.mono_ms)) missing = "mono_ms";
  else if (!text("boot_id", e.boot_id)) missing = "boot_id";
  else if (!text("prev_hash", e.prev_hash)) missing = "prev_hash";
  else if (!text("hash", e.hash)) missing = "hash";
  if (missing)
    return MakeError(ErrorKind::Usage, "event.malformed",
                     std::string("event field '") + missing + "' is missing or has the wrong type");
  return e;
}

// ---- Key file ------------------------------------------------------------------------------

Status WriteKeyFile(const std::string& path, const JournalKey& key) {
  // A power cut leaves the old key or the new one (atomic_file.hpp), never half a key.
  return WriteFileAtomically(path, crypto::Hex(key.bytes) + "\n", {.mode = 0600, .error_code = "key.write_failed"});
}

Status CreateKeyFile(const std::string& path, JournalKey& out) {
  if (::access(path.c_str(), F_OK) == 0)
    return MakeError(ErrorKind::Refused, "key.exists",
                     "A key file already exists at " + path + "; refusing to replace it.");
  crypto::RandomBytes(out.bytes);
  return WriteKeyFile(path, out);
}

Result<JournalKey> LoadKeyFile(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0)
    return MakeError(ErrorKind::Integrity, "key.missing",
                     "The kiosk key file " + path +
                         " is missing. Without it the journal can't be signed or verified. Restore it from the "
                         "kiosk's backup (it is never sent anywhere in clear), or re-enrol the kiosk.");
  if (st.st_mode & (S_IRWXG | S_IRWXO)) {
    char mode[8];
    std::snprintf(mode, sizeof mode, "%03o", static_cast<unsigned>(st.st_mode & 0777));
    return MakeError(ErrorKind::Integrity, "key.exposed",
                     "The kiosk key file " + path + " can be read by other users (mode " + mode +
                         "). Refusing to use it. Fix it with: chmod 600 " + path);
  }
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return MakeError(ErrorKind::Integrity, "key.unreadable",
                     "Can't read the kiosk key file " + path + ": " + std::strerror(errno));
  char buf[130] = {};
  ssize_t n = ::read(fd, buf, sizeof buf - 1);
  ::close(fd);
  std::string_view text(buf, n > 0 ? static_cast<size_t>(n) : 0);
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r' || text.back() == ' ')) text.remove_suffix(1);
  std::vector<unsigned char> bytes;
  if (!crypto::FromHex(text, bytes) || bytes.size() != 32)
    return MakeError(ErrorKind::Integrity, "key.malformed",
                     "The kiosk key file " + path + " is malformed (expected 64 hex digits). Restore it from backup.");
  JournalKey key;
  std::memcpy(key.bytes, bytes.data(), 32);
  return key;
}

// ---- UUIDv7 --------------------------------------------------------------------------------

std::string NewUuidV7(int64_t unix_ms) {
  // 48-bit ms | ver 7 | 12-bit counter (rand_a) | variant | 62 random bits. The counter keeps ids
  // strictly increasing within one millisecond of this process.
  static std::mutex mu;
  static int64_t last_ms = -1;
  static uint16_t counter = 0;
  uint16_t seq;
  {
    std::lock_guard lock(mu);
    if (unix_ms <= last_ms) {
      unix_ms = last_ms;
      if (++counter > 0x0fff) {
        ++unix_ms;
        counter = 0;
      }
    } else {
      unsigned char r[2];
      crypto::RandomBytes(r);
      counter = static_cast<uint16_t>((r[0] << 8 | r[1]) & 0x03ff);  // leave room to count up
    }
    last_ms = unix_ms;
    seq = counter;
  }
  unsigned char b[16];
  crypto::RandomBytes(std::span(b + 8, 8));
  for (int i = 0; i < 6; ++i) b[i] = static_cast<unsigned char>(static_cast<uint64_t>(unix_ms) >> (40 - 8 * i));
  b[6] = static_cast<unsigned char>(0x70 | (seq >> 8));
  b[7] = static_cast<unsigned char>(seq & 0xff);
  b[8] = static_cast<unsigned char>(0x80 | (b[8] & 0x3f));
  std::string h = crypto::Hex(b);
  return h.substr(0, 8) + "-" + h.substr(8, 4) + "-" + h.substr(12, 4) + "-" + h.substr(16, 4) + "-" + h.substr(20);
}

}  // namespace kiosk
