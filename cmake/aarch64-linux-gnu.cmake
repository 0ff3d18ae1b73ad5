# Cross-compiling Cairn for 64-bit ARM Linux with Debian's g++-aarch64-linux-gnu; the binaries run here under
# qemu-user (CMAKE_CROSSCOMPILING_EMULATOR, so ctest and gtest_discover_tests go through it). NEON and FMA are
# baseline on AArch64: no ISA flags. Used by scripts/test-aarch64.sh, which also builds googletest for the target
# (Debian's libgtest-dev is x86-64 only) and passes its prefix in CMAKE_FIND_ROOT_PATH.
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR aarch64)

set(CMAKE_C_COMPILER aarch64-linux-gnu-gcc)
set(CMAKE_CXX_COMPILER aarch64-linux-gnu-g++)

set(CAIRN_AARCH64_SYSROOT /usr/aarch64-linux-gnu)
list(APPEND CMAKE_FIND_ROOT_PATH ${CAIRN_AARCH64_SYSROOT})
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)

find_program(CAIRN_QEMU_AARCH64 qemu-aarch64)
if(CAIRN_QEMU_AARCH64)
  set(CMAKE_CROSSCOMPILING_EMULATOR ${CAIRN_QEMU_AARCH64} -L ${CAIRN_AARCH64_SYSROOT})
endif()
