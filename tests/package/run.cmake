# Makes the Debian package from BUILD_DIR with cpack, then checks with dpkg-deb what it holds:
# the headers, the libraries, the CMake and pkg-config files, both programs, the systemd unit.
file(REMOVE_RECURSE ${WORK_DIR})
file(MAKE_DIRECTORY ${WORK_DIR})

execute_process(COMMAND cpack -G DEB --config ${BUILD_DIR}/CPackConfig.cmake -B ${WORK_DIR}
  RESULT_VARIABLE result OUTPUT_VARIABLE output ERROR_VARIABLE output)
if(NOT result EQUAL 0)
  message(FATAL_ERROR "cpack -G DEB failed (${result}):\n${output}")
endif()
file(GLOB debs ${WORK_DIR}/herald_*.deb)
list(LENGTH debs count)
if(NOT count EQUAL 1)
  message(FATAL_ERROR "expected one herald_*.deb in ${WORK_DIR}, found: ${debs}")
endif()

execute_process(COMMAND dpkg-deb -c ${debs} OUTPUT_VARIABLE listing RESULT_VARIABLE result)
if(NOT result EQUAL 0)
  message(FATAL_ERROR "dpkg-deb -c failed")
endif()
foreach(path
    ./usr/include/herald/herald.hpp
    ./usr/include/herald/engine.hpp
    ./usr/include/herald/rest.hpp
    ./usr/include/herald/aksk.hpp
    ./usr/${LIBDIR}/libherald.a
    ./usr/${LIBDIR}/libherald_api.a
    ./usr/${LIBDIR}/cmake/herald/herald-config.cmake
    ./usr/${LIBDIR}/cmake/herald/herald-targets.cmake
    ./usr/${LIBDIR}/pkgconfig/herald.pc
    ./usr/bin/herald-server
    ./usr/bin/herald
    ./usr/lib/systemd/system/herald-server.service
    ./usr/share/doc/herald/LICENSE
    ./usr/share/doc/herald/examples/herald.toml)
  string(FIND "${listing}" " ${path}\n" at)
  if(at EQUAL -1)
    message(FATAL_ERROR "the package lacks ${path}; it holds:\n${listing}")
  endif()
endforeach()

execute_process(COMMAND dpkg-deb -f ${debs} Package Version Depends OUTPUT_VARIABLE fields)
foreach(expected "Package: herald" "Version: ${VERSION}" "libssl3" "libcurl4" "libsqlite3" "libpq5"
                 "libpq-dev" "libnats-dev")
  string(FIND "${fields}" "${expected}" at)
  if(at EQUAL -1)
    message(FATAL_ERROR "the package's control fields lack ${expected}:\n${fields}")
  endif()
endforeach()
message(STATUS "${debs}:\n${fields}")
