# The WebAssembly modules of the engine: libcairn and its C ABI (engine/include/cairn/cairn.h) as a WASI reactor,
# build/<preset>/cairn-<flavor>.wasm (its own memory, one thread) and cairn-<flavor>-mt.wasm (an imported shared
# memory, for a pool of JavaScript workers: see cairn_pool_worker in cairn.h). The engine is compiled once, with
# atomics (valid on an unshared memory too), and linked twice. Included at the end of project() by the wasm-simd and wasm-relaxed presets
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

# Atomics for the pool (thread_pool.cpp), bulk memory for the shared memory's initialization.
add_compile_options(-matomics -mbulk-memory)
list(APPEND cairn_wasm_validate_flags --enable-threads)

# The initial memory of the threaded module, which JavaScript creates (web/engine/module.ts: THREADED_MEMORY), and
# its maximum (4 GiB, the most wasm32 addresses; a shared memory cannot grow past the maximum it was made with).
set(CAIRN_WASM_SHARED_INITIAL_BYTES 16777216)
set(CAIRN_WASM_SHARED_MAXIMUM_BYTES 4294967296)

set(cairn_wasm_stub ${CMAKE_BINARY_DIR}/wasm_module_stub.cpp)
file(WRITE ${cairn_wasm_stub} "// The module's code is libcairn, linked whole; its exports are the export_name functions of cairn.h.\n")
find_program(CAIRN_WASM_VALIDATE wasm-validate REQUIRED)

# wasi-libc's malloc has no lock, and the pool's workers run engine code that allocates: every entry point of the
# allocator goes through engine/src/runtime/wasm_heap_lock.cpp, which takes a lock. In both modules, so that they
# differ only in their memory.
set(cairn_wasm_heap_lock)
foreach(entry malloc free calloc realloc aligned_alloc posix_memalign)
  list(APPEND cairn_wasm_heap_lock -Wl,--wrap=${entry})
endforeach()

function(cairn_wasm_module target)
  add_executable(${target} ${cairn_wasm_stub})
  set_target_properties(${target} PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR})
  # Whole archive: every export is an export_name function that nothing in the module calls. wasm-ld then drops what
  # the exports do not reach.
  target_link_libraries(${target} PRIVATE -Wl,--whole-archive cairn -Wl,--no-whole-archive)
  target_link_options(${target} PRIVATE
    -mexec-model=reactor
    -Wl,-z,stack-size=1048576
    -Wl,--strip-debug
    ${cairn_wasm_heap_lock}
    ${ARGN})
  if(CAIRN_WASM_FLAVOR STREQUAL "relaxed")
    # The last -O wins: with -O0 clang does not run wasm-opt, whose Debian version (108) cannot parse relaxed opcodes.
    target_link_options(${target} PRIVATE -O0)
  endif()
  add_custom_command(TARGET ${target} POST_BUILD
    COMMAND ${CAIRN_WASM_VALIDATE} ${cairn_wasm_validate_flags} $<TARGET_FILE:${target}>
    COMMENT "wasm-validate ${target}.wasm")
endfunction()

set(cairn_wasm_target cairn-${CAIRN_WASM_FLAVOR})
cairn_wasm_module(${cairn_wasm_target})
# Threaded: the memory is imported (each worker's instance gets the same one) and shared; __stack_pointer is exported
# so that each worker's instance gets its own stack. wasi-libc is built without atomics, hence --no-check-features:
# of its code, workers run the allocator (under the lock above) and the math functions, never stdio.
cairn_wasm_module(${cairn_wasm_target}-mt
  -Wl,--import-memory
  -Wl,--shared-memory
  -Wl,--initial-memory=${CAIRN_WASM_SHARED_INITIAL_BYTES}
  -Wl,--max-memory=${CAIRN_WASM_SHARED_MAXIMUM_BYTES}
  -Wl,--export=__stack_pointer
  -Wl,--no-check-features)

# engine/src/io/npy.cpp (NumPy files for the CLI and the tests) uses std::filesystem, which Debian's wasm32 libc++
# is built without; the module reads no files. Deferred to the end of the top-level CMakeLists.txt, when the
# engine's sources are known.
function(cairn_wasm_drop_file_io)
  set_source_files_properties(${CMAKE_SOURCE_DIR}/engine/src/io/npy.cpp
    DIRECTORY ${CMAKE_SOURCE_DIR}/engine PROPERTIES HEADER_FILE_ONLY TRUE)
endfunction()
cmake_language(DEFER DIRECTORY ${CMAKE_SOURCE_DIR} CALL cairn_wasm_drop_file_io)
