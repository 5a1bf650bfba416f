# `cpack -G DEB` in a build directory makes herald_VERSION_ARCH.deb: the libraries, headers, CMake
# and pkg-config files, both programs, the systemd unit and an example configuration.
install(FILES ${PROJECT_SOURCE_DIR}/packaging/herald-server.service
  DESTINATION lib/systemd/system)
install(FILES ${PROJECT_SOURCE_DIR}/packaging/herald.toml
  DESTINATION ${CMAKE_INSTALL_DOCDIR}/examples)

set(CPACK_PACKAGE_NAME herald)
set(CPACK_PACKAGE_VENDOR "herald")
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "${PROJECT_DESCRIPTION}")
set(CPACK_PACKAGE_CONTACT "herald maintainers <herald@localhost>")
set(CPACK_RESOURCE_FILE_LICENSE ${PROJECT_SOURCE_DIR}/LICENSE)
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION libs)
# The shared libraries the programs and libherald link, found by dpkg-shlibdeps.
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
# What find_package(herald) and herald.pc need to link the static libraries (the programs'
# shared libraries come from shlibdeps).
set(CPACK_DEBIAN_PACKAGE_DEPENDS
    "libboost1.81-dev, libfmt-dev, libsqlite3-dev, libssl-dev, libcurl4-openssl-dev | libcurl-dev, libnats-dev, libpq-dev")
set(CPACK_GENERATOR DEB)
include(CPack)
