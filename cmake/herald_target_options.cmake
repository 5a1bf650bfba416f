# Warnings and sanitizers, applied per target (never globally), so that a project that adds
# herald with add_subdirectory keeps its own flags.
function(herald_target_options target)
  target_compile_features(${target} PUBLIC cxx_std_20)
  if(CMAKE_CXX_COMPILER_ID MATCHES "GNU|Clang")
    target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic -Wshadow -Wconversion
                                             -Wno-sign-conversion -Wnon-virtual-dtor
                                             # C++20 designated initializers leave fields out by design.
                                             -Wno-missing-field-initializers)
    if(HERALD_WARNINGS_AS_ERRORS)
      target_compile_options(${target} PRIVATE -Werror)
    endif()
  endif()
  herald_target_sanitizers(${target})
endfunction()

function(herald_target_sanitizers target)
  if(HERALD_SANITIZE)
    list(JOIN HERALD_SANITIZE "," sanitizers)
    target_compile_options(${target} PRIVATE -fsanitize=${sanitizers} -fno-omit-frame-pointer
                                             -fno-sanitize-recover=all)
    target_link_options(${target} PRIVATE -fsanitize=${sanitizers})
    if("thread" IN_LIST HERALD_SANITIZE AND CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
      # GCC warns that TSan does not model atomic_thread_fence (used inside Boost.Asio);
      # ThreadSanitizer still checks everything else.
      target_compile_options(${target} PRIVATE -Wno-tsan)
    endif()
  endif()
endfunction()
