#pragma once
// Files outside SQLite (the key file, USB export batches and manifests, receipts) are replaced
// whole or not at all: written to NAME.tmp, fsync'd, renamed over NAME, then the folder is
// fsync'd so the rename itself survives a power cut. A cut at any point leaves the old file or
// the new one, never a torn one. Used from any thread; each call is independent.
#include <sys/types.h>

#include <filesystem>
#include <functional>
#include <string>
#include <string_view>

#include "kiosk/core/result.hpp"

namespace kiosk {

// The steps of one atomic write, in order.
enum class AtomicStep { kCreate, kWrite, kSyncFile, kRename, kSyncDir };

struct AtomicWriteOptions {
  mode_t mode = 0644;
  std::string error_code = "file.write";  // the Error's code on failure
  std::string hint;                       // appended to the message: what the person can do
  // Tests: called before each step; false stops the write there as a power cut would (nothing
  // cleaned up; at kWrite, half the data has been written to NAME.tmp).
  std::function<bool(AtomicStep)> before_step;
};

// Replaces `path` with `data`. On error, `path` is untouched and NAME.tmp removed.
Status WriteFileAtomically(const std::filesystem::path& path, std::string_view data,
                           const AtomicWriteOptions& options = {});

}  // namespace kiosk
