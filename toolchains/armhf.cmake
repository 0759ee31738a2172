# Cross-build for 32-bit ARM boards with a hardware FPU (older Raspberry Pi models running Debian
# armhf) with Debian's cross compiler and Debian's armhf packages.
#   scripts/cross-test.sh armhf    installs g++-arm-linux-gnueabihf and qemu-user, then either the
#                                  :armhf -dev packages (multiarch) or, when apt cannot co-install
#                                  them with the build machine's packages, extracts them into the
#                                  sysroot build/cross-armhf/sysroot (mmdebstrap --variant=extract)
# The build uses that sysroot when it exists (or the one KIOSK_CROSS_SYSROOT names), else multiarch.
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR armv7l)
set(KIOSK_CROSS_TRIPLET arm-linux-gnueabihf)
set(KIOSK_DEB_ARCH armhf)
set(KIOSK_CROSS_NAME armhf)  # scripts/cross-test.sh armhf, build/cross-armhf
# GCC notes every std::map iterator passed by value that its ABI changed in GCC 7.1 (-Wpsabi):
# nothing here links against code built by GCC 6, so the notes are noise.
string(APPEND CMAKE_CXX_FLAGS_INIT " -Wno-psabi")

include(${CMAKE_CURRENT_LIST_DIR}/debian-multiarch.cmake)
