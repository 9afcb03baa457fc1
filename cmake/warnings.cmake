# Warnings for our own targets only (never for system headers).
function(fulcrum_warnings target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor
    -Wcast-align -Woverloaded-virtual -Wimplicit-fallthrough
    # g++ 12 reports false positives inside Asio's recycling allocator when inlined at -O2+.
    -Wno-mismatched-new-delete)
  if(FULCRUM_SANITIZE)
    # Sanitizer instrumentation makes g++ 12 report maybe-uninitialized inside Beast/Boost.Optional.
    target_compile_options(${target} PRIVATE -Wno-maybe-uninitialized)
  endif()
  if(FULCRUM_WERROR)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
endfunction()
