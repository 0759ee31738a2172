#include "platform/program_code.hpp"

#include <link.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <string>

namespace kiosk::platform {

namespace {

// A program linked with text relocations has code pages the loader wrote to: dropping them would
// map back the file's unrelocated bytes. No build of ours has them (-fPIE), but a toolchain that
// made them must not crash the kiosk.
bool HasTextRelocations(const struct dl_phdr_info* info) {
  for (int i = 0; i < info->dlpi_phnum; ++i) {
    if (info->dlpi_phdr[i].p_type != PT_DYNAMIC) continue;
    for (auto* d = reinterpret_cast<const ElfW(Dyn)*>(info->dlpi_addr + info->dlpi_phdr[i].p_vaddr); d->d_tag != DT_NULL;
         ++d)
      if (d->d_tag == DT_TEXTREL || (d->d_tag == DT_FLAGS && (d->d_un.d_val & DF_TEXTREL))) return true;
  }
  return false;
}

int ProgramSegments(struct dl_phdr_info* info, size_t, void* data) {
  auto* out = static_cast<ReleasedCode*>(data);
  // The first object dl_iterate_phdr reports is the program itself; stop after it.
  if (HasTextRelocations(info)) return 1;
  const auto page = static_cast<uintptr_t>(sysconf(_SC_PAGESIZE));
  for (int i = 0; i < info->dlpi_phnum; ++i) {
    const ElfW(Phdr)& ph = info->dlpi_phdr[i];
    if (ph.p_type != PT_LOAD || !(ph.p_flags & PF_X) || (ph.p_flags & PF_W)) continue;
    ++out->segments;
    const uintptr_t start = info->dlpi_addr + ph.p_vaddr;
    const uintptr_t end = start + ph.p_memsz;
    // Inward to whole pages: a page the segment shares with another one is left alone.
    const uintptr_t first = (start + page - 1) & ~(page - 1);
    const uintptr_t last = end & ~(page - 1);
    if (last <= first) continue;
    if (madvise(reinterpret_cast<void*>(first), last - first, MADV_DONTNEED) != 0) {
      out->error = errno;
      continue;
    }
    out->bytes += last - first;
  }
  return 1;
}

bool Traced() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line))
    if (line.rfind("TracerPid:", 0) == 0) return std::atol(line.c_str() + 10) != 0;
  return false;
}

}  // namespace

ReleasedCode ReleaseProgramCode() {
  ReleasedCode out;
  if (Traced()) {
    out.traced = true;
    return out;
  }
  dl_iterate_phdr(ProgramSegments, &out);
  return out;
}

}  // namespace kiosk::platform
