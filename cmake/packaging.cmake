# Debian packages (CPack DEB, one package per component):
#   kiosk          the `kiosk` app + CLI, assets, udev rules, systemd unit, /etc/kiosk/kiosk.json
#   kiosk-central  the reference central server and its unit
# Built for the build's target architecture: amd64 natively, arm64/armhf with a toolchain file
# from toolchains/ (it sets CPACK_DEBIAN_PACKAGE_ARCHITECTURE). scripts/package.sh builds them.
#
# Runtime Depends are declared here rather than computed by dpkg-shlibdeps, which cannot run for
# a cross build; tests/packaging checks that every NEEDED library of the packaged binaries comes
# from a package listed here.
include(GNUInstallDirs)

option(KIOSK_TEST_PACKAGING "Register the .deb build/install/upgrade/purge test with ctest (needs dpkg-deb)" ON)
message(STATUS "KIOSK_TEST_PACKAGING = ${KIOSK_TEST_PACKAGING}")

set(KIOSK_PKG_DIR ${PROJECT_SOURCE_DIR}/packaging)
set(KIOSK_SHARE_DIR share/showroom-kiosk)  # kiosk::AssetsDir() looks in /usr/share/showroom-kiosk

# ---- kiosk ------------------------------------------------------------------------------------
install(TARGETS kiosk RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR} COMPONENT kiosk)
install(DIRECTORY ${PROJECT_SOURCE_DIR}/assets/ DESTINATION ${KIOSK_SHARE_DIR} COMPONENT kiosk
        PATTERN "udev" EXCLUDE
        PATTERN "*.py" EXCLUDE)
file(GLOB KIOSK_UDEV_RULES CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/assets/udev/*.rules)
if(KIOSK_UDEV_RULES)
  install(FILES ${KIOSK_UDEV_RULES} DESTINATION lib/udev/rules.d COMPONENT kiosk)
endif()
install(FILES ${KIOSK_PKG_DIR}/systemd/kiosk.service DESTINATION lib/systemd/system COMPONENT kiosk)
install(FILES ${KIOSK_PKG_DIR}/tmpfiles/kiosk.conf DESTINATION lib/tmpfiles.d COMPONENT kiosk)
install(FILES ${KIOSK_PKG_DIR}/etc/kiosk.json DESTINATION /etc/kiosk COMPONENT kiosk)
install(PROGRAMS ${KIOSK_PKG_DIR}/kiosk-session-setup.sh DESTINATION ${CMAKE_INSTALL_SBINDIR}
        RENAME kiosk-session-setup COMPONENT kiosk)
install(FILES ${PROJECT_SOURCE_DIR}/docs/deployment.md DESTINATION share/doc/kiosk COMPONENT kiosk)

# ---- kiosk-central ------------------------------------------------------------------------------
set(KIOSK_PACKAGE_COMPONENTS kiosk)
if(TARGET kiosk-central)
  install(TARGETS kiosk-central RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR} COMPONENT central)
  install(FILES ${KIOSK_PKG_DIR}/systemd/kiosk-central.service DESTINATION lib/systemd/system COMPONENT central)
  list(APPEND KIOSK_PACKAGE_COMPONENTS central)
endif()

# ---- CPack ----------------------------------------------------------------------------------------
set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME showroom-kiosk)
set(CPACK_PACKAGE_VENDOR "Showroom Kiosk")
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_CONTACT "Showroom Kiosk maintainers <kiosk@example.invalid>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "${PROJECT_DESCRIPTION}")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_STRIP_FILES ON)
set(CPACK_DEB_COMPONENT_INSTALL ON)
set(CPACK_COMPONENTS_ALL ${KIOSK_PACKAGE_COMPONENTS})
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION misc)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
if(NOT CPACK_DEBIAN_PACKAGE_ARCHITECTURE)  # a toolchain file sets it for a cross build
  find_program(KIOSK_DPKG dpkg)
  if(KIOSK_DPKG)
    execute_process(COMMAND ${KIOSK_DPKG} --print-architecture OUTPUT_VARIABLE CPACK_DEBIAN_PACKAGE_ARCHITECTURE
                    OUTPUT_STRIP_TRAILING_WHITESPACE)
  endif()
endif()

# Libraries every binary needs (zlib: kiosk_core's PNG writer for signatures), then per package.
# Versions are Debian 12's (bookworm).
set(KIOSK_DEB_BASE_DEPENDS "libc6 (>= 2.36), libstdc++6 (>= 12), libgcc-s1 (>= 3.0), zlib1g (>= 1:1.2.0)")
set(KIOSK_DEB_KIOSK_DEPENDS
    "${KIOSK_DEB_BASE_DEPENDS}, libsqlite3-0 (>= 3.40), libssl3 (>= 3.0.0), libcurl4 (>= 7.88), libusb-1.0-0 (>= 2:1.0.26)")
if(KIOSK_BUILD_GUI)
  string(APPEND KIOSK_DEB_KIOSK_DEPENDS ", libglfw3 (>= 3.3), libgl1, libopengl0, libstb0, fonts-dejavu-core")
endif()
if(TARGET kiosk_labels)  # `kiosk labels`: libzint draws the symbols, cairo writes the PDF sheets
  string(APPEND KIOSK_DEB_KIOSK_DEPENDS ", libzint2.11 (>= 2.11), libcairo2 (>= 1.16)")
endif()

set(CPACK_DEBIAN_KIOSK_PACKAGE_NAME kiosk)
set(CPACK_DEBIAN_KIOSK_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_KIOSK_PACKAGE_DEPENDS "${KIOSK_DEB_KIOSK_DEPENDS}, passwd")
# cage is the recommended session; a site may use X11 instead (docs/deployment.md). Debian's
# libglfw3 is built for X11, so under cage the app runs through Xwayland.
# The beeper loads libasound with dlopen: without it the kiosk runs silently.
set(CPACK_DEBIAN_KIOSK_PACKAGE_RECOMMENDS "cage, xwayland, libgl1-mesa-dri, libasound2")
set(CPACK_DEBIAN_KIOSK_PACKAGE_SUGGESTS "kiosk-central")
set(CPACK_DEBIAN_KIOSK_DESCRIPTION
    "Showroom Kiosk touchscreen app and command line\nTouchscreen kiosk for hardware resellers' showrooms: demo equipment\ncheck-out, loyalty points, sell-out reports and deal registration,\nworking offline and syncing with a central server.")
set(CPACK_DEBIAN_KIOSK_PACKAGE_CONTROL_EXTRA
    ${KIOSK_PKG_DIR}/debian/kiosk/postinst ${KIOSK_PKG_DIR}/debian/kiosk/prerm
    ${KIOSK_PKG_DIR}/debian/kiosk/postrm ${KIOSK_PKG_DIR}/debian/kiosk/conffiles)

set(CPACK_DEBIAN_CENTRAL_PACKAGE_NAME kiosk-central)
set(CPACK_DEBIAN_CENTRAL_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_CENTRAL_PACKAGE_DEPENDS
    "${KIOSK_DEB_BASE_DEPENDS}, libsqlite3-0 (>= 3.40), libssl3 (>= 3.0.0), libevent-core-2.1-7 (>= 2.1.12), libevent-extra-2.1-7, libevent-openssl-2.1-7, libevent-pthreads-2.1-7, libpq5 (>= 15)")
set(CPACK_DEBIAN_CENTRAL_DESCRIPTION
    "Showroom Kiosk central sync server\nReceives the kiosks' signed journal batches and USB-stick imports,\nkeeps authoritative balances and publishes reference data.")
set(CPACK_DEBIAN_CENTRAL_PACKAGE_CONTROL_EXTRA
    ${KIOSK_PKG_DIR}/debian/kiosk-central/postinst ${KIOSK_PKG_DIR}/debian/kiosk-central/prerm
    ${KIOSK_PKG_DIR}/debian/kiosk-central/postrm)

include(CPack)
