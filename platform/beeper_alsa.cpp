#include <alsa/asoundlib.h>
#include <dlfcn.h>

#include <atomic>
#include <cmath>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <vector>

#include "platform/beeper.hpp"

namespace kiosk::platform {
namespace {

// ALSA prints its configuration errors to stderr ("cannot find card '0'", "Unknown PCM
// default"): on a machine without sound that is not news, and the kiosk must stay quiet.
void QuietAlsa(const char*, int, const char*, int, const char*, ...) {}

// The few ALSA calls a beep needs, resolved at run time: libasound is optional on a kiosk.
struct Alsa {
  void* lib = nullptr;
  decltype(&snd_pcm_open) open = nullptr;
  decltype(&snd_pcm_set_params) set_params = nullptr;
  decltype(&snd_pcm_writei) writei = nullptr;
  decltype(&snd_pcm_drain) drain = nullptr;
  decltype(&snd_pcm_close) close = nullptr;
  decltype(&snd_pcm_recover) recover = nullptr;
  decltype(&snd_config_update_free_global) free_config = nullptr;
  bool Load() {
    lib = dlopen("libasound.so.2", RTLD_NOW | RTLD_LOCAL);
    if (!lib) return false;
    using SetHandler = int (*)(snd_lib_error_handler_t);
    if (auto set = reinterpret_cast<SetHandler>(dlsym(lib, "snd_lib_error_set_handler"))) set(QuietAlsa);
    open = reinterpret_cast<decltype(open)>(dlsym(lib, "snd_pcm_open"));
    set_params = reinterpret_cast<decltype(set_params)>(dlsym(lib, "snd_pcm_set_params"));
    writei = reinterpret_cast<decltype(writei)>(dlsym(lib, "snd_pcm_writei"));
    drain = reinterpret_cast<decltype(drain)>(dlsym(lib, "snd_pcm_drain"));
    close = reinterpret_cast<decltype(close)>(dlsym(lib, "snd_pcm_close"));
    recover = reinterpret_cast<decltype(recover)>(dlsym(lib, "snd_pcm_recover"));
    free_config = reinterpret_cast<decltype(free_config)>(dlsym(lib, "snd_config_update_free_global"));
    return open && set_params && writei && drain && close && recover;
  }
  // ALSA keeps the configuration it read on the first open for the life of the process; it goes
  // with the library (otherwise it stays allocated, unreachable, after the dlclose).
  void Unload() {
    if (!lib) return;
    if (free_config) free_config();
    dlclose(lib);
    lib = nullptr;
  }
};

class AlsaBeeper final : public Beeper {
 public:
  AlsaBeeper() {
    if (!m_alsa.Load()) return;
    snd_pcm_t* pcm = nullptr;
    // Probe once: no device (a server, a board without sound) means quiet from now on.
    if (m_alsa.open(&pcm, "default", SND_PCM_STREAM_PLAYBACK, SND_PCM_NONBLOCK) < 0) {
      m_alsa.Unload();  // about 0.6 MB of a process that will never use it
      return;
    }
    m_alsa.close(pcm);
    m_available = true;
    m_thread = std::thread([this] { Loop(); });
  }
  ~AlsaBeeper() override {
    {
      std::lock_guard lock(m_mutex);
      m_stop = true;
    }
    m_cv.notify_all();
    if (m_thread.joinable()) m_thread.join();
    m_alsa.Unload();
  }
  bool Available() const override { return m_available; }
  void Beep(BeepKind kind) override {
    if (!m_available) return;
    {
      std::lock_guard lock(m_mutex);
      m_pending = kind;
      m_has = true;
    }
    m_cv.notify_one();
  }

 private:
  void Loop() {
    for (;;) {
      BeepKind kind;
      {
        std::unique_lock lock(m_mutex);
        m_cv.wait(lock, [&] { return m_stop || m_has; });
        if (m_stop) return;
        kind = m_pending;
        m_has = false;
      }
      Play(kind);
    }
  }
  void Play(BeepKind kind) {
    constexpr unsigned kRate = 22050;
    // Ok: one high short tone. Warning: two middle tones. Error: one long low tone.
    struct Tone { double hz; int ms; };
    std::vector<Tone> tones = kind == BeepKind::Ok        ? std::vector<Tone>{{1800, 90}}
                              : kind == BeepKind::Warning ? std::vector<Tone>{{1000, 90}, {0, 60}, {1000, 90}}
                                                          : std::vector<Tone>{{400, 350}};
    std::vector<int16_t> samples;
    for (const auto& t : tones)
      for (int i = 0; i < static_cast<int>(kRate) * t.ms / 1000; ++i)
        samples.push_back(t.hz > 0 ? static_cast<int16_t>(8000 * std::sin(2 * M_PI * t.hz * i / kRate)) : 0);
    snd_pcm_t* pcm = nullptr;
    if (m_alsa.open(&pcm, "default", SND_PCM_STREAM_PLAYBACK, 0) < 0) return;
    if (m_alsa.set_params(pcm, SND_PCM_FORMAT_S16_LE, SND_PCM_ACCESS_RW_INTERLEAVED, 1, kRate, 1, 100000) == 0) {
      snd_pcm_sframes_t n = m_alsa.writei(pcm, samples.data(), samples.size());
      if (n < 0) m_alsa.recover(pcm, static_cast<int>(n), 1);
      m_alsa.drain(pcm);
    }
    m_alsa.close(pcm);
  }

  Alsa m_alsa;
  bool m_available = false;
  std::mutex m_mutex;
  std::condition_variable m_cv;
  bool m_stop = false;
  bool m_has = false;
  BeepKind m_pending = BeepKind::Ok;
  std::thread m_thread;
};

}  // namespace

std::unique_ptr<Beeper> MakeAlsaBeeper() { return std::make_unique<AlsaBeeper>(); }

}  // namespace kiosk::platform
