# Builds the fuzzer TARGET with clang (in BUILD_DIR) and runs it for SECONDS over a copy of the
# seed corpus CORPUS (a folder beside this file). A crash, leak or sanitizer report fails the test.
find_program(CLANGXX clang++)
if(NOT CLANGXX)
  message(FATAL_ERROR "clang++ is needed for the fuzz test (scripts/setup.sh installs it)")
endif()
execute_process(COMMAND ${CMAKE_COMMAND} -S ${FUZZ_SOURCE_DIR} -B ${BUILD_DIR} -G Ninja
                  -DCMAKE_CXX_COMPILER=${CLANGXX} -DCMAKE_BUILD_TYPE=RelWithDebInfo
                  -DHERALD_SOURCE_DIR=${HERALD_SOURCE_DIR}
                RESULT_VARIABLE result OUTPUT_QUIET)
if(NOT result EQUAL 0)
  message(FATAL_ERROR "configuring the fuzz build failed")
endif()
execute_process(COMMAND ${CMAKE_COMMAND} --build ${BUILD_DIR} --target ${TARGET}
                RESULT_VARIABLE result)
if(NOT result EQUAL 0)
  message(FATAL_ERROR "building the fuzzer failed")
endif()
set(work ${BUILD_DIR}/${TARGET}-corpus)
file(REMOVE_RECURSE ${work})
file(COPY ${FUZZ_SOURCE_DIR}/${CORPUS}/ DESTINATION ${work})
execute_process(COMMAND ${BUILD_DIR}/${TARGET} -max_total_time=${SECONDS} -rss_limit_mb=2048
                        -max_len=4096 -print_final_stats=1
                        -artifact_prefix=${BUILD_DIR}/${TARGET}- ${work}
                RESULT_VARIABLE result)
if(NOT result EQUAL 0)
  message(FATAL_ERROR "the fuzzer found a problem (exit ${result}); see the output above")
endif()
