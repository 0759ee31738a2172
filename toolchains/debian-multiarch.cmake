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

# pkgconf:<arch> provides <triplet>-pkg-config, which reads only the target's .pc files.
find_program(KIOSK_CROSS_PKG_CONFIG ${KIOSK_CROSS_TRIPLET}-pkg-config)
if(KIOSK_CROSS_PKG_CONFIG)
  set(PKG_CONFIG_EXECUTABLE ${KIOSK_CROSS_PKG_CONFIG} CACHE FILEPATH "pkg-config for the target")
else()
  message(WARNING "${KIOSK_CROSS_TRIPLET}-pkg-config not found (apt-get install pkgconf:${KIOSK_DEB_ARCH}): "
                  "pkg_check_modules would find the build machine's libraries")
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
set(CMAKE_CROSSCOMPILING_EMULATOR ${KIOSK_QEMU};-L;/usr/${KIOSK_CROSS_TRIPLET})

# cmake/packaging.cmake names the .deb after this.
set(CPACK_DEBIAN_PACKAGE_ARCHITECTURE ${KIOSK_DEB_ARCH})
