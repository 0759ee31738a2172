#pragma once
// Beeper: the short sound that answers a scan. Owned by the app loop; Beep() may be called from
// the main thread and returns at once (the sound plays on the beeper's own thread). Where there is
// no sound device or no ALSA library, every Beep() is a quiet no-op: the banner still shows.
#include <memory>

namespace kiosk::platform {

enum class BeepKind { Ok, Warning, Error };

class Beeper {
 public:
  virtual ~Beeper() = default;
  virtual void Beep(BeepKind kind) = 0;
  virtual bool Available() const = 0;
};

// ALSA's "default" device, loaded with dlopen so that a machine without libasound still runs.
std::unique_ptr<Beeper> MakeAlsaBeeper();

}  // namespace kiosk::platform
