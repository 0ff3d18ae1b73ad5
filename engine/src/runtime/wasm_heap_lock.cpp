// The WebAssembly modules' heap, safe to use from the pool's threads (thread_pool.cpp). wasi-libc's malloc
// (dlmalloc) is built without locks, yet engine code run by pool workers allocates (a std::vector in a kernel's
// parallel loop): two threads in dlmalloc at once corrupt the heap, which showed as out-of-bounds traps and hangs.
// cmake/wasm-module.cmake links the modules with -Wl,--wrap for each entry point of the allocator, so that every
// call, from the engine, libc++ or libc, runs under one lock. A spin lock: the caller may be a page's main thread,
// where waiting traps, and the allocator's critical sections are short. Only linked into the modules (nothing else
// refers to the __wrap_ functions).
#if defined(__wasi__)
#include <cstddef>
#include <cstdint>

extern "C" {
void* __real_malloc(size_t size);
void __real_free(void* pointer);
void* __real_calloc(size_t count, size_t size);
void* __real_realloc(void* pointer, size_t size);
void* __real_aligned_alloc(size_t alignment, size_t size);
int __real_posix_memalign(void** pointer, size_t alignment, size_t size);
}

namespace {

int32_t heap_locked = 0;

class HeapLock {
 public:
  HeapLock() {
    while (__atomic_exchange_n(&heap_locked, 1, __ATOMIC_ACQUIRE) != 0) {
      while (__atomic_load_n(&heap_locked, __ATOMIC_RELAXED) != 0) {
      }
    }
  }
  ~HeapLock() { __atomic_store_n(&heap_locked, 0, __ATOMIC_RELEASE); }
  HeapLock(const HeapLock&) = delete;
  HeapLock& operator=(const HeapLock&) = delete;
};

}  // namespace

extern "C" {

void* __wrap_malloc(size_t size) {
  HeapLock lock;
  return __real_malloc(size);
}

void __wrap_free(void* pointer) {
  if (pointer == nullptr) return;
  HeapLock lock;
  __real_free(pointer);
}

void* __wrap_calloc(size_t count, size_t size) {
  HeapLock lock;
  return __real_calloc(count, size);
}

void* __wrap_realloc(void* pointer, size_t size) {
  HeapLock lock;
  return __real_realloc(pointer, size);
}

void* __wrap_aligned_alloc(size_t alignment, size_t size) {
  HeapLock lock;
  return __real_aligned_alloc(alignment, size);
}

int __wrap_posix_memalign(void** pointer, size_t alignment, size_t size) {
  HeapLock lock;
  return __real_posix_memalign(pointer, alignment, size);
}

}  // extern "C"
#endif
