# Cross-compiling libcairn to WebAssembly (wasm32-wasi) with Debian's clang-19, wasi-libc and libc++-19-dev-wasm32.
# Used by the wasm-simd and wasm-relaxed presets; cmake/wasm-module.cmake defines the .wasm they build.
# CMake 3.25 has no WASI platform module, so the system is Generic and the suffix is set here.
set(CMAKE_SYSTEM_NAME Generic)
set(CMAKE_SYSTEM_PROCESSOR wasm32)
set(CAIRN_WASM ON)

set(CMAKE_CXX_COMPILER clang++-19)
set(CMAKE_CXX_COMPILER_TARGET wasm32-wasi)
set(CMAKE_AR llvm-ar-19 CACHE FILEPATH "")
set(CMAKE_RANLIB llvm-ranlib-19 CACHE FILEPATH "")
set(CMAKE_EXECUTABLE_SUFFIX_CXX .wasm)

# No exceptions and no threads in this libc++ (the JS side runs the worker pool).
set(CMAKE_CXX_FLAGS_INIT "-fno-exceptions")
# The compiler check links a command (with main); the module itself is a reactor library.
set(CMAKE_TRY_COMPILE_TARGET_TYPE STATIC_LIBRARY)

# FindThreads finds no pthread.h in wasi-libc; an empty Threads::Threads keeps engine/CMakeLists.txt unchanged.
set(CMAKE_THREAD_LIBS_INIT "")
set(CMAKE_HAVE_THREADS_LIBRARY 1)
set(CMAKE_USE_PTHREADS_INIT 1)
set(CMAKE_HAVE_LIBC_PTHREAD 1)
set(Threads_FOUND TRUE)

set(CMAKE_FIND_ROOT_PATH /usr/lib/wasm32-wasi /usr/include/wasm32-wasi)
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)
