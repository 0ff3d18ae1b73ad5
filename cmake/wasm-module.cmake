# The WebAssembly module of the engine: libcairn and its C ABI (engine/include/cairn/cairn.h) as a WASI reactor,
# build/<preset>/cairn-<flavor>.wasm. Included at the end of project() by the wasm-simd and wasm-relaxed presets
# (CMAKE_PROJECT_INCLUDE), so the native build files stay as they are.
set(CAIRN_WASM_FLAVOR "simd" CACHE STRING "simd (SIMD128) or relaxed (SIMD128 + relaxed SIMD)")
set_property(CACHE CAIRN_WASM_FLAVOR PROPERTY STRINGS simd relaxed)

if(CAIRN_WASM_FLAVOR STREQUAL "simd")
  add_compile_options(-msimd128)
  set(cairn_wasm_validate_flags)
elseif(CAIRN_WASM_FLAVOR STREQUAL "relaxed")
  add_compile_options(-msimd128 -mrelaxed-simd)
  set(cairn_wasm_validate_flags --enable-relaxed-simd)
else()
  message(FATAL_ERROR "CAIRN_WASM_FLAVOR must be simd or relaxed, not '${CAIRN_WASM_FLAVOR}'")
endif()

set(cairn_wasm_target cairn-${CAIRN_WASM_FLAVOR})
set(cairn_wasm_stub ${CMAKE_BINARY_DIR}/wasm_module_stub.cpp)
file(WRITE ${cairn_wasm_stub} "// The module's code is libcairn, linked whole; its exports are the export_name functions of cairn.h.\n")
add_executable(${cairn_wasm_target} ${cairn_wasm_stub})
set_target_properties(${cairn_wasm_target} PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR})
# Whole archive: every export is an export_name function that nothing in the module calls. wasm-ld then drops what
# the exports do not reach.
target_link_libraries(${cairn_wasm_target} PRIVATE -Wl,--whole-archive cairn -Wl,--no-whole-archive)
target_link_options(${cairn_wasm_target} PRIVATE
  -mexec-model=reactor
  -Wl,-z,stack-size=1048576
  -Wl,--strip-debug)
if(CAIRN_WASM_FLAVOR STREQUAL "relaxed")
  # The last -O wins: with -O0 clang does not run wasm-opt, whose Debian version (108) cannot parse relaxed opcodes.
  target_link_options(${cairn_wasm_target} PRIVATE -O0)
endif()
find_program(CAIRN_WASM_VALIDATE wasm-validate REQUIRED)
add_custom_command(TARGET ${cairn_wasm_target} POST_BUILD
  COMMAND ${CAIRN_WASM_VALIDATE} ${cairn_wasm_validate_flags} $<TARGET_FILE:${cairn_wasm_target}>
  COMMENT "wasm-validate ${cairn_wasm_target}.wasm")

# engine/src/io/npy.cpp (NumPy files for the CLI and the tests) uses std::filesystem, which Debian's wasm32 libc++
# is built without; the module reads no files. Deferred to the end of the top-level CMakeLists.txt, when the
# engine's sources are known.
function(cairn_wasm_drop_file_io)
  set_source_files_properties(${CMAKE_SOURCE_DIR}/engine/src/io/npy.cpp
    DIRECTORY ${CMAKE_SOURCE_DIR}/engine PROPERTIES HEADER_FILE_ONLY TRUE)
endfunction()
cmake_language(DEFER DIRECTORY ${CMAKE_SOURCE_DIR} CALL cairn_wasm_drop_file_io)
