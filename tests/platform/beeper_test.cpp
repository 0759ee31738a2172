// The scan beep through ALSA: with a sound device it is written, without one every Beep() is a
// quiet no-op. Real ALSA (libasound from Debian) with ALSA_CONFIG_PATH pointing at a small config
// of our own: "default" is a `type file` PCM writing raw samples to a file, or is not defined at
// all. Each doctest case runs in its own process under ctest, so each reads its own config.
#include <doctest/doctest.h>

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <thread>
#include <vector>

#include "platform/beeper.hpp"

namespace fs = std::filesystem;
using kiosk::platform::BeepKind;

namespace {

struct AlsaConfig {
  fs::path dir;
  fs::path raw;
  explicit AlsaConfig(bool with_default) {
    std::random_device rd;
    dir = fs::temp_directory_path() / ("kiosk-beep-" + std::to_string(rd()));
    fs::create_directories(dir);
    raw = dir / "beep.raw";
    std::ofstream conf(dir / "asound.conf");
    conf << "pcm.null { type null }\n";  // truncate false: every beep adds to the file
    if (with_default)
      conf << "pcm.!default { type file slave { pcm \"null\" } file \"" << raw.string() << "\" format \"raw\" truncate false }\n";
    conf.close();
    setenv("ALSA_CONFIG_PATH", (dir / "asound.conf").c_str(), 1);
  }
  ~AlsaConfig() {
    unsetenv("ALSA_CONFIG_PATH");
    std::error_code ec;
    fs::remove_all(dir, ec);
  }
  // Samples written so far (S16 mono).
  std::vector<int16_t> Samples() const {
    std::ifstream in(raw, std::ios::binary);
    std::vector<char> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    std::vector<int16_t> out(bytes.size() / 2);
    if (!out.empty()) std::memcpy(out.data(), bytes.data(), out.size() * 2);  // memcpy of nothing from null is UB
    return out;
  }
  std::vector<int16_t> WaitForSamples(size_t at_least) const {
    auto until = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    std::vector<int16_t> s;
    while ((s = Samples()).size() < at_least && std::chrono::steady_clock::now() < until)
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    return s;
  }
};

int Peak(const std::vector<int16_t>& s) {
  int peak = 0;
  for (int16_t v : s) peak = std::max(peak, std::abs(int{v}));
  return peak;
}

// Beeps `kind` on a fresh beeper whose sound device is a file; at least `samples` samples of a
// tone (not silence) must arrive.
void CheckBeepWritten(BeepKind kind, size_t samples) {
  AlsaConfig alsa(true);
  auto beeper = kiosk::platform::MakeAlsaBeeper();
  REQUIRE(beeper->Available());
  beeper->Beep(kind);
  auto s = alsa.WaitForSamples(samples);
  CHECK(s.size() >= samples);
  CHECK(Peak(s) > 4000);
}

}  // namespace

TEST_CASE("with a sound device, a scan's beep is written to it") {
  CheckBeepWritten(BeepKind::Ok, 1984);  // 90 ms at 22,050 Hz of a 1.8 kHz tone
}

TEST_CASE("an error beep is written too, all 350 ms of it") {
  CheckBeepWritten(BeepKind::Error, 7717);  // 350 ms
}

TEST_CASE("without a sound device, beeping is a quiet no-op") {
  AlsaConfig alsa(false);  // no "default" PCM at all, like a server or a board without sound
  // Quiet means quiet: ALSA's own complaints must not reach stderr either.
  fs::path err = alsa.dir / "stderr.txt";
  std::fflush(stderr);
  int saved = dup(2);
  int fd = open(err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  REQUIRE(fd >= 0);
  dup2(fd, 2);
  auto beeper = kiosk::platform::MakeAlsaBeeper();
  std::fflush(stderr);
  dup2(saved, 2);
  close(fd);
  close(saved);
  CHECK_MESSAGE(fs::file_size(err) == 0, "stderr got: " << std::ifstream(err).rdbuf());
  CHECK_FALSE(beeper->Available());
  beeper->Beep(BeepKind::Ok);
  beeper->Beep(BeepKind::Error);
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  CHECK_FALSE(fs::exists(alsa.raw));
  beeper.reset();  // and it shuts down cleanly
}
