#pragma once
// StopPipe: wakes a scanner thread blocked in poll() so that Stop() can join it at once, without
// a polling time-out. The thread polls ReadFd() beside its device and ends when it is readable;
// the owner calls Signal() and joins. Owned by one scanner source: Open/Signal/Close from the
// owning thread, ReadFd polled by the source's thread. Closes its ends on destruction.
#include "kiosk/core/result.hpp"

namespace kiosk::platform {

class StopPipe {
 public:
  StopPipe() = default;
  ~StopPipe() { Close(); }
  StopPipe(const StopPipe&) = delete;
  StopPipe& operator=(const StopPipe&) = delete;

  // A fresh pipe (a signalled one from an earlier run is closed first); "scanner.pipe" on failure.
  Status Open();
  int ReadFd() const { return m_fd[0]; }
  // Makes ReadFd() readable until Close(). Safe when not open.
  void Signal();
  void Close();

 private:
  int m_fd[2] = {-1, -1};
};

}  // namespace kiosk::platform
