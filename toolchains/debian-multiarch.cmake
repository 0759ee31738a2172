# Shared part of the Debian multiarch toolchain files: the including file sets
# KIOSK_CROSS_TRIPLET (GNU triplet) and KIOSK_DEB_ARCH (dpkg architecture) first.
#
# Debian's cross compilers already search /usr/include/<triplet> and /usr/lib/<triplet>, so the
# target's -dev packages installed as :<arch> are found without a sysroot. Headers that are the
# same on every architecture (nlohmann_json, doctest, CLI11) come from the host's /usr/include.
if(NOT KIOSK_CROSS_TRIPLET OR NOT KIOSK_DEB_ARCH)
  message(FATAL_ERROR "include debian-multiarch.cmake from toolchains/aarch64.cmake or armhf.cmake")
endif()

find_program(KIOSK_CROSS_CXX ${KIOSK_CROSS_TRIPLET}-g++)
if(NOT KIOSK_CROSS_CXX)
  message(FATAL_ERROR "${KIOSK_CROSS_TRIPLET}-g++ not found: run scripts/cross-test.sh once "
                      "(it installs g++-${KIOSK_CROSS_TRIPLET} and the :${KIOSK_DEB_ARCH} -dev packages)")
endif()
set(CMAKE_C_COMPILER ${KIOSK_CROSS_TRIPLET}-gcc)
set(CMAKE_CXX_COMPILER ${KIOSK_CROSS_TRIPLET}-g++)
set(CMAKE_LIBRARY_ARCHITECTURE ${KIOSK_CROSS_TRIPLET})

# Optional sysroot instead of multiarch: a folder with the target's Debian packages extracted into it
# (scripts/cross-test.sh makes one with `mmdebstrap --variant=extract` when the :<arch> packages
# cannot be co-installed with the build machine's, e.g. because the mirror lacks the target's
# security index and the host's libssl3 is newer). Given by KIOSK_CROSS_SYSROOT (cache or env).
# Without either, the one scripts/cross-test.sh made (build/cross-<name>/sysroot) if it exists.
if(NOT KIOSK_CROSS_SYSROOT AND DEFINED ENV{KIOSK_CROSS_SYSROOT})
  set(KIOSK_CROSS_SYSROOT "$ENV{KIOSK_CROSS_SYSROOT}")
endif()
get_filename_component(_kiosk_default_sysroot "${CMAKE_CURRENT_LIST_DIR}/../build/cross-${KIOSK_CROSS_NAME}/sysroot" ABSOLUTE)
if(NOT KIOSK_CROSS_SYSROOT AND KIOSK_CROSS_NAME AND EXISTS "${_kiosk_default_sysroot}/.kiosk-packages")
  set(KIOSK_CROSS_SYSROOT "${_kiosk_default_sysroot}")
endif()
# try_compile projects read this file again: hand them the sysroot too.
list(APPEND CMAKE_TRY_COMPILE_PLATFORM_VARIABLES KIOSK_CROSS_SYSROOT)
if(KIOSK_CROSS_SYSROOT)
  if(NOT EXISTS "${KIOSK_CROSS_SYSROOT}/usr/lib/${KIOSK_CROSS_TRIPLET}/libc.so")
    message(FATAL_ERROR "KIOSK_CROSS_SYSROOT=${KIOSK_CROSS_SYSROOT} holds no libc6-dev:${KIOSK_DEB_ARCH}: "
                        "run scripts/cross-test.sh ${KIOSK_DEB_ARCH} once to make it")
  endif()
  set(KIOSK_CROSS_SYSROOT "${KIOSK_CROSS_SYSROOT}" CACHE PATH "target sysroot (extracted Debian packages)")
  set(CMAKE_SYSROOT "${KIOSK_CROSS_SYSROOT}")
  # Debian's cross gcc searches <sysroot>/usr/lib/<triplet>; CMake searches the sysroot first, then
  # the host (header-only packages such as doctest are in the sysroot too, so nothing leaks in).
  set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
  set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
  set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)
  # The build machine's pkg-config, reading only the sysroot's .pc files and prefixing their paths.
  set(ENV{PKG_CONFIG_LIBDIR} "${KIOSK_CROSS_SYSROOT}/usr/lib/${KIOSK_CROSS_TRIPLET}/pkgconfig:${KIOSK_CROSS_SYSROOT}/usr/share/pkgconfig")
  set(ENV{PKG_CONFIG_SYSROOT_DIR} "${KIOSK_CROSS_SYSROOT}")
  set(ENV{PKG_CONFIG_PATH} "")
  set(KIOSK_CROSS_LIBC_PREFIX "${KIOSK_CROSS_SYSROOT}")
else()
  set(KIOSK_CROSS_LIBC_PREFIX /usr/${KIOSK_CROSS_TRIPLET})
endif()

# pkgconf:<arch> provides <triplet>-pkg-config, which reads only the target's .pc files.
if(NOT KIOSK_CROSS_SYSROOT)
  find_program(KIOSK_CROSS_PKG_CONFIG ${KIOSK_CROSS_TRIPLET}-pkg-config)
  if(KIOSK_CROSS_PKG_CONFIG)
    set(PKG_CONFIG_EXECUTABLE ${KIOSK_CROSS_PKG_CONFIG} CACHE FILEPATH "pkg-config for the target")
  else()
    message(WARNING "${KIOSK_CROSS_TRIPLET}-pkg-config not found (apt-get install pkgconf:${KIOSK_DEB_ARCH}): "
                    "pkg_check_modules would find the build machine's libraries")
  endif()
endif()

# Host programs (protoc-like tools, qemu) come from the build machine; libraries, headers and
# CMake packages from the target's multiarch paths.
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)

# Tests run through qemu-user: binfmt_misc may not exist on a build machine or in CI, so ctest
# (and doctest_discover_tests) start every test program as `qemu-<cpu> -L <libc prefix> prog`.
if(KIOSK_DEB_ARCH STREQUAL "arm64")
  set(KIOSK_QEMU qemu-aarch64)
else()
  set(KIOSK_QEMU qemu-arm)
endif()
set(CMAKE_CROSSCOMPILING_EMULATOR ${KIOSK_QEMU};-L;${KIOSK_CROSS_LIBC_PREFIX})

# cmake/packaging.cmake names the .deb after this.
set(CPACK_DEBIAN_PACKAGE_ARCHITECTURE ${KIOSK_DEB_ARCH})
