#include "platform/scanner_replay.hpp"

#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <fstream>
#include <utility>

#include <nlohmann/json.hpp>

namespace kiosk::platform {

Status ReplaySource::Start(ScanQueue& queue) {
  if (m_options.format == ReplayFormat::Lines) return StartLines(queue);
  std::ifstream in(m_options.file);
  if (!in) {
    return MakeError(ErrorKind::Usage, "replay.unreadable", "cannot read the replay file " + m_options.file.string());
  }
  m_items.clear();
  std::string line;
  int n = 0;
  while (std::getline(in, line)) {
    ++n;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.find_first_not_of(" \t") == std::string::npos || line[line.find_first_not_of(" \t")] == '#') continue;
    auto where = m_options.file.string() + ":" + std::to_string(n) + ": ";
    nlohmann::json j = nlohmann::json::parse(line, nullptr, false);
    if (j.is_discarded() || !j.is_object()) {
      return MakeError(ErrorKind::Usage, "replay.invalid", where + "not a JSON object");
    }
    Item item;
    if (j.contains("delay_ms")) {
      if (!j["delay_ms"].is_number() || j["delay_ms"].get<double>() < 0) {
        return MakeError(ErrorKind::Usage, "replay.invalid", where + "delay_ms must be a number of milliseconds >= 0");
      }
      item.delay_ms = static_cast<int64_t>(j["delay_ms"].get<double>());
    }
    if (j.contains("text") && j["text"].is_string()) {
      item.text = j["text"].get<std::string>();
    } else if (j.contains("hid") && j["hid"].is_array()) {
      for (const auto& h : j["hid"]) {
        auto r = h.is_string() ? scan::ParseReportHex(h.get<std::string>()) : std::nullopt;
        if (!r) return MakeError(ErrorKind::Usage, "replay.invalid", where + "every hid report must be 16 hex digits");
        item.hid.push_back(*r);
      }
    } else {
      return MakeError(ErrorKind::Usage, "replay.invalid", where + "needs \"text\" (a string) or \"hid\" (a list of reports)");
    }
    m_items.push_back(std::move(item));
  }
  m_stop = false;
  m_finished = false;
  m_thread = std::thread([this, &queue] { Run(queue); });
  return {};
}

void ReplaySource::Run(ScanQueue& queue) {
  scan::HidDecoder decoder({.layout = m_options.layout});
  do {
    for (const Item& item : m_items) {
      {
        std::unique_lock lock(m_mu);
        auto wait = std::chrono::microseconds(static_cast<int64_t>(item.delay_ms * 1000 / std::max(m_options.speed, 0.001)));
        if (m_cv.wait_for(lock, wait, [&] { return m_stop; })) return;
      }
      std::vector<std::pair<std::string, std::string>> texts;  // text, terminator
      if (!item.hid.empty()) {
        std::vector<scan::DecodedScan> out;
        int64_t t = 0;
        for (const auto& r : item.hid) decoder.Feed(r, t++, out);
        decoder.Flush(out);
        for (auto& s : out) texts.emplace_back(std::move(s.text), std::string(scan::ToString(s.terminator)));
      } else {
        texts.emplace_back(item.text, "replay");
      }
      for (auto& [text, terminator] : texts) {
        Scan s{std::move(text), "", m_options.source_id, std::chrono::system_clock::now(), terminator};
        SplitAim(s.text, s.symbology);
        ++m_count;  // before the push: whoever drains the scan must already see it counted
        queue.Push(std::move(s));
      }
    }
  } while (m_options.loop && !m_items.empty());
  m_finished = true;
}

Status ReplaySource::StartLines(ScanQueue& queue) {
  // O_RDWR keeps the FIFO open with no writer, so a writer closing it is not an end of file.
  m_fd = ::open(m_options.file.c_str(), O_RDWR | O_NONBLOCK | O_CLOEXEC);
  if (m_fd < 0)
    return MakeError(ErrorKind::Usage, "replay.unreadable", "cannot open the scan FIFO " + m_options.file.string());
  if (Status s = m_stop_pipe.Open(); !s.ok()) {
    ::close(m_fd);
    m_fd = -1;
    return s;
  }
  m_stop = false;
  m_finished = false;
  m_thread = std::thread([this, &queue] { RunLines(queue); });
  return {};
}

void ReplaySource::RunLines(ScanQueue& queue) {
  std::string partial;
  char buf[512];
  for (;;) {
    pollfd fds[2] = {{m_stop_pipe.ReadFd(), POLLIN, 0}, {m_fd, POLLIN, 0}};
    int n = ::poll(fds, 2, -1);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 || fds[0].revents) break;
    ssize_t got = ::read(m_fd, buf, sizeof buf);
    if (got <= 0) continue;
    for (ssize_t i = 0; i < got; ++i) {
      if (buf[i] != '\n') {
        partial += buf[i];
        continue;
      }
      Scan s{std::exchange(partial, {}), "", m_options.source_id, std::chrono::system_clock::now(), "lf"};
      if (s.text.empty()) continue;
      SplitAim(s.text, s.symbology);
      ++m_count;  // before the push: whoever drains the scan must already see it counted
      queue.Push(std::move(s));
    }
  }
  m_finished = true;
}

void ReplaySource::Stop() {
  {
    std::lock_guard lock(m_mu);
    m_stop = true;
  }
  m_cv.notify_all();
  m_stop_pipe.Signal();
  if (m_thread.joinable()) m_thread.join();
  m_stop_pipe.Close();
  if (m_fd >= 0) ::close(m_fd);
  m_fd = -1;
}

std::vector<ScannerInfo> ReplaySource::Scanners() const {
  const std::string detail = m_options.format == ReplayFormat::Lines
                                 ? "one scan a line"
                                 : "layout " + std::string(scan::ToString(m_options.layout));
  return {ScannerInfo{m_options.source_id, m_options.file.string(), "replay", m_finished ? "stopped" : "reading",
                      detail, m_count.load()}};
}

}  // namespace kiosk::platform
