# Cross-build for 64-bit ARM boards (Raspberry Pi 3/4/5 and similar running Debian arm64) with
# Debian's cross compiler and multiarch packages; no sysroot, no downloaded toolchain.
#   dpkg --add-architecture arm64 && apt-get update
#   apt-get install g++-aarch64-linux-gnu qemu-user pkgconf:arm64 libsqlite3-dev:arm64 ...
# scripts/cross-test.sh installs exactly what is missing and runs the tests under qemu.
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR aarch64)
set(KIOSK_CROSS_TRIPLET aarch64-linux-gnu)
set(KIOSK_DEB_ARCH arm64)
set(KIOSK_CROSS_NAME aarch64)  # scripts/cross-test.sh aarch64, build/cross-aarch64  # Debian's name for it: the package architecture CPack writes

include(${CMAKE_CURRENT_LIST_DIR}/debian-multiarch.cmake)
