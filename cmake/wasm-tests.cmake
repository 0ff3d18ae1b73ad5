# The engine's kernel tests (engine/tests/kernels_*_test.cpp: every micro-kernel and transform of this build
# against the reference, Winograd, the direct convolutions) as a WebAssembly command module,
# cairn-kernel-tests-<flavor>.wasm, run in Node's WASI (cmake/wasi-run.mjs) by ctest in the wasm build directory:
#   ctest --test-dir build/wasm-relaxed -L wasm --output-on-failure
# The first of the two tests builds the module (it is not among the presets' build targets). googletest is
# compiled for wasm32-wasi from Debian's sources (/usr/src/googletest, package googletest) without exceptions,
# threads or stream redirection (wasi-libc has no dup). Included after project() by the wasm presets (from
# cmake/wasm-module.cmake); the targets are defined at the end of the top-level CMakeLists.txt, once the engine's
# targets and warning flags exist.
include_guard(GLOBAL)
set(cairn_wasm_gtest_dir /usr/src/googletest/googletest)
find_program(CAIRN_NODE node)

function(cairn_wasm_kernel_tests)
  if(NOT EXISTS ${cairn_wasm_gtest_dir}/src/gtest-all.cc OR NOT CAIRN_NODE)
    message(STATUS "WebAssembly kernel tests off: they need /usr/src/googletest (googletest) and node")
    return()
  endif()
  add_library(cairn_wasm_gtest STATIC EXCLUDE_FROM_ALL
    ${cairn_wasm_gtest_dir}/src/gtest-all.cc ${cairn_wasm_gtest_dir}/src/gtest_main.cc)
  target_include_directories(cairn_wasm_gtest SYSTEM PUBLIC ${cairn_wasm_gtest_dir}/include)
  target_include_directories(cairn_wasm_gtest PRIVATE ${cairn_wasm_gtest_dir})
  target_compile_definitions(cairn_wasm_gtest PUBLIC GTEST_HAS_EXCEPTIONS=0 GTEST_HAS_PTHREAD=0
                             GTEST_HAS_STREAM_REDIRECTION=0)

  set(target cairn-kernel-tests-${CAIRN_WASM_FLAVOR})
  file(GLOB sources CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/engine/tests/kernels_*_test.cpp)
  add_executable(${target} EXCLUDE_FROM_ALL ${sources})
  set_target_properties(${target} PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR})
  target_compile_options(${target} PRIVATE ${CAIRN_WARNINGS})
  target_link_libraries(${target} PRIVATE cairn_internal cairn_wasm_gtest)
  # -O0: no wasm-opt at link (Debian's cannot parse relaxed opcodes; the code is optimized by clang already).
  target_link_options(${target} PRIVATE -Wl,-z,stack-size=1048576 -O0)
  add_custom_command(TARGET ${target} POST_BUILD
    COMMAND ${CAIRN_WASM_VALIDATE} ${cairn_wasm_validate_flags} $<TARGET_FILE:${target}>
    COMMENT "wasm-validate ${target}.wasm")

  # Node 20 runs relaxed SIMD only with this flag; later versions have it on (and may not know the flag).
  set(node_flags)
  if(CAIRN_WASM_FLAVOR STREQUAL "relaxed")
    execute_process(COMMAND ${CAIRN_NODE} --experimental-wasm-relaxed-simd -e 0 RESULT_VARIABLE flag_unknown
                    OUTPUT_QUIET ERROR_QUIET)
    if(NOT flag_unknown)
      set(node_flags --experimental-wasm-relaxed-simd)
    endif()
  endif()

  add_test(NAME wasm_kernels_build_${CAIRN_WASM_FLAVOR}
           COMMAND ${CMAKE_COMMAND} --build ${CMAKE_BINARY_DIR} --target ${target})
  add_test(NAME wasm_kernels_${CAIRN_WASM_FLAVOR}
           COMMAND ${CAIRN_NODE} ${node_flags} ${CMAKE_SOURCE_DIR}/cmake/wasi-run.mjs $<TARGET_FILE:${target}>)
  set_tests_properties(wasm_kernels_build_${CAIRN_WASM_FLAVOR} PROPERTIES
                       LABELS wasm FIXTURES_SETUP wasm_kernels_module_${CAIRN_WASM_FLAVOR} TIMEOUT 1200)
  set_tests_properties(wasm_kernels_${CAIRN_WASM_FLAVOR} PROPERTIES
                       LABELS wasm FIXTURES_REQUIRED wasm_kernels_module_${CAIRN_WASM_FLAVOR} TIMEOUT 600)
endfunction()
# Here, not in the function: enable_testing() sets a variable of the scope it is called in.
enable_testing()
cmake_language(DEFER DIRECTORY ${CMAKE_SOURCE_DIR} CALL cairn_wasm_kernel_tests)
