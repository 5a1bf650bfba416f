# herald as shared libraries: configures and builds the library alone from SOURCE_DIR with
# BUILD_SHARED_LIBS=ON, installs it into a fresh prefix, then builds and runs the consumer
# against it with find_package and with pkg-config, and checks that the libraries export the
# public API and no internals (hidden visibility) and carry their SONAME.
file(REMOVE_RECURSE ${WORK_DIR})
set(prefix ${WORK_DIR}/prefix)

function(run_step)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE result OUTPUT_VARIABLE out ERROR_VARIABLE out)
  if(NOT result EQUAL 0)
    message(FATAL_ERROR "step failed (${result}): ${ARGN}\n${out}")
  endif()
  set(step_output "${out}" PARENT_SCOPE)
endfunction()

run_step(${CMAKE_COMMAND} -S ${SOURCE_DIR} -B ${WORK_DIR}/herald -G ${GENERATOR}
  -DCMAKE_BUILD_TYPE=Debug -DBUILD_SHARED_LIBS=ON -DHERALD_BUILD_TESTS=OFF
  -DHERALD_BUILD_APPS=OFF -DHERALD_BUILD_EXAMPLES=OFF -DHERALD_BUILD_BENCHMARKS=OFF
  -DHERALD_INSTALL=ON)
run_step(${CMAKE_COMMAND} --build ${WORK_DIR}/herald)
run_step(${CMAKE_COMMAND} --install ${WORK_DIR}/herald --prefix ${prefix})

file(GLOB_RECURSE libraries ${prefix}/*/libherald.so.*.*.* ${prefix}/*/libherald_api.so.*.*.*)
list(LENGTH libraries count)
if(NOT count EQUAL 2)
  message(FATAL_ERROR "expected libherald.so and libherald_api.so, found: ${libraries}")
endif()
foreach(library ${libraries})
  run_step(readelf -d ${library})
  if(NOT step_output MATCHES "SONAME[^\n]*lib(herald|herald_api)\\.so\\.${MAJOR_MINOR}\\]")
    message(FATAL_ERROR "${library}: no SONAME .so.${MAJOR_MINOR}:\n${step_output}")
  endif()
  run_step(nm -DC --defined-only ${library})
  # Internals stay inside: the registry, the dispatch layer, the record log, the timers.
  if(step_output MATCHES
     "herald::(registry::|detail::(Dispatcher|AsyncDelivery|Finisher|RecordLog|ExpiryTimers)|\\(anonymous namespace\\))")
    message(FATAL_ERROR "${library} exports internals:\n${CMAKE_MATCH_0}")
  endif()
endforeach()

run_step(${CMAKE_COMMAND} -S ${CONSUMER_SOURCE_DIR} -B ${WORK_DIR}/consumer -G ${GENERATOR}
  -DCMAKE_BUILD_TYPE=Debug -DCMAKE_PREFIX_PATH=${prefix})
run_step(${CMAKE_COMMAND} --build ${WORK_DIR}/consumer)
run_step(${WORK_DIR}/consumer/consumer)

file(GLOB_RECURSE pc_files ${prefix}/*/herald.pc)
list(GET pc_files 0 pc_file)
get_filename_component(pc_dir ${pc_file} DIRECTORY)
execute_process(
  COMMAND ${CMAKE_COMMAND} -E env PKG_CONFIG_PATH=${pc_dir} pkg-config --cflags --libs herald
  OUTPUT_VARIABLE pc_flags OUTPUT_STRIP_TRAILING_WHITESPACE)
separate_arguments(pc_flags UNIX_COMMAND "${pc_flags}")
run_step(${CXX} -std=c++20 ${CONSUMER_SOURCE_DIR}/main.cpp ${pc_flags}
  -o ${WORK_DIR}/consumer-pkg-config)
list(GET libraries 0 first_library)
get_filename_component(lib_dir ${first_library} DIRECTORY)
run_step(${CMAKE_COMMAND} -E env LD_LIBRARY_PATH=${lib_dir} ${WORK_DIR}/consumer-pkg-config)
