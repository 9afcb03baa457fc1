# Profile-guided optimisation (g++ only). FULCRUM_PGO=generate builds binaries
# that write their profile under FULCRUM_PGO_DIR when they exit; FULCRUM_PGO=use
# compiles with that profile. scripts/pgo-profile.sh makes one and
# scripts/setup.sh builds the Release build with it.
set(FULCRUM_PGO "" CACHE STRING "Profile-guided optimisation: generate, use, or empty for none")
set(FULCRUM_PGO_DIR "" CACHE PATH "The profile's directory (written by generate, read by use)")
if(FULCRUM_PGO)
  if(NOT CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
    message(FATAL_ERROR "FULCRUM_PGO needs g++ (the compiler is ${CMAKE_CXX_COMPILER_ID})")
  endif()
  if(NOT FULCRUM_PGO_DIR)
    message(FATAL_ERROR "FULCRUM_PGO=${FULCRUM_PGO} needs FULCRUM_PGO_DIR")
  endif()
  # The profile's files are named by object paths relative to the build
  # directory, so a profile made in one build directory serves another.
  set(fulcrum_pgo_prefix -fprofile-prefix-path=${CMAKE_BINARY_DIR})
  if(FULCRUM_PGO STREQUAL "generate")
    add_compile_options(-fprofile-generate=${FULCRUM_PGO_DIR} -fprofile-update=atomic ${fulcrum_pgo_prefix})
    add_link_options(-fprofile-generate=${FULCRUM_PGO_DIR})
  elseif(FULCRUM_PGO STREQUAL "use")
    # Code the training run did not reach (tests, commands, error paths) is
    # optimised as without a profile; a source edited after the profile was made
    # is compiled without its part of it, not refused (-fprofile-correction: g++
    # otherwise warns, and -Werror refuses, when an edited function's calls lost
    # their counts).
    add_compile_options(-fprofile-use=${FULCRUM_PGO_DIR} -fprofile-partial-training -fprofile-correction
      ${fulcrum_pgo_prefix} -Wno-missing-profile -Wno-coverage-mismatch)
  else()
    message(FATAL_ERROR "FULCRUM_PGO must be generate, use or empty, not '${FULCRUM_PGO}'")
  endif()
endif()
