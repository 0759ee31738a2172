#pragma once
// Hands back the pages of this program's own code that start-up touched, the way a kernel frees its
// init sections after boot. A kiosk's start-up (command line, configuration, migrations check,
// catalogues, reference data, scanners) runs code from all over the binary, and the kernel maps
// code in 64 KiB runs around each page touched, so after start-up most of the program's code stays
// in the kiosk's resident set although the idle touchscreen runs a small part of it.
//
// ReleaseProgramCode() drops this process's page-table entries for the executable segments of the
// program itself (not of shared libraries, and never a writable or relocated page: only segments
// that are executable and not writable, trimmed inward to whole pages of their own, and nothing
// for a program with text relocations, whose code pages the loader wrote to). The pages
// stay in the page cache, so the code that runs again is mapped back by minor page faults, without
// a disk read while the file stays cached. Linux only (madvise MADV_DONTNEED on a private file
// mapping); call it from one thread once start-up is over. Under a debugger (TracerPid in
// /proc/self/status) it does nothing: a breakpoint is a private copy of a code page, and dropping
// it would lose the breakpoint.
#include <cstddef>

namespace kiosk::platform {

struct ReleasedCode {
  size_t segments = 0;  // executable segments of the program found
  size_t bytes = 0;     // bytes whose mappings were dropped (0: nothing was done)
  int error = 0;        // errno of a failed madvise; the process keeps running either way
  bool traced = false;  // a debugger is attached: nothing was done
};

ReleasedCode ReleaseProgramCode();

}  // namespace kiosk::platform
