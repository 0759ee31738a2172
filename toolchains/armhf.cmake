# Cross-build for 32-bit ARM boards with a hardware FPU (older Raspberry Pi models running Debian
# armhf) with Debian's cross compiler and multiarch packages.
#   dpkg --add-architecture armhf && apt-get update
#   apt-get install g++-arm-linux-gnueabihf qemu-user pkgconf:armhf libsqlite3-dev:armhf ...
# `KIOSK_ARCH=armhf scripts/cross-test.sh` installs what is missing and runs the tests under qemu.
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR armv7l)
set(KIOSK_CROSS_TRIPLET arm-linux-gnueabihf)
set(KIOSK_DEB_ARCH armhf)

include(${CMAKE_CURRENT_LIST_DIR}/debian-multiarch.cmake)
