# install + export, so that find_package(herald) works for consumers.
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

install(TARGETS herald herald_api EXPORT herald-targets
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
  INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(DIRECTORY ${PROJECT_SOURCE_DIR}/include/herald DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(FILES ${PROJECT_BINARY_DIR}/include/herald/export.hpp
  ${PROJECT_BINARY_DIR}/include/herald/api_export.hpp DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/herald)

set(herald_cmake_dir ${CMAKE_INSTALL_LIBDIR}/cmake/herald)
install(EXPORT herald-targets NAMESPACE herald:: DESTINATION ${herald_cmake_dir})
configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/herald-config.cmake.in
  ${PROJECT_BINARY_DIR}/herald-config.cmake INSTALL_DESTINATION ${herald_cmake_dir})
write_basic_package_version_file(${PROJECT_BINARY_DIR}/herald-config-version.cmake
  COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/herald-config.cmake ${PROJECT_BINARY_DIR}/herald-config-version.cmake
  DESTINATION ${herald_cmake_dir})

# pkg-config: `pkg-config --cflags --libs herald` (add --static for libherald.a).
# libherald.a needs its dependencies on the consumer's link line; libherald.so has them itself.
if(BUILD_SHARED_LIBS)
  set(herald_pc_requires Requires.private)
  set(herald_pc_cflags "")
else()
  set(herald_pc_requires Requires)
  set(herald_pc_cflags " -DHERALD_STATIC_DEFINE -DHERALD_API_STATIC_DEFINE")
endif()
configure_file(${PROJECT_SOURCE_DIR}/cmake/herald.pc.in ${PROJECT_BINARY_DIR}/herald.pc @ONLY)
install(FILES ${PROJECT_BINARY_DIR}/herald.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
install(FILES ${PROJECT_SOURCE_DIR}/LICENSE DESTINATION ${CMAKE_INSTALL_DOCDIR})
