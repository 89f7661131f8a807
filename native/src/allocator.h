// A caching CPU allocator for libtorch: blocks of 64 KiB and more are kept in
// exact-size free lists when their tensor dies, and handed out again to the
// next request of the same (page-rounded) size. A training loop allocates the
// same sizes every step, so after the first step it costs no malloc, no mmap
// and no page faults; a bound on the cached bytes keeps RSS in check.
// Why: with `mallopt(M_MMAP_THRESHOLD, 1 MiB)` (needed to keep RSS flat under
// explicit disposal) every large tensor was a fresh mmap whose pages the kernel
// zero-filled on first touch, which made steps 1.4-2x slower than PyTorch's
// (docs/benchmarks.md). R torch ships a CPU block cache for the same reason.
#pragma once
#include <cstddef>
#include <cstdint>

namespace adaptune {

struct CpuCacheStats {
  int64_t cachedBytes;   // bytes held in free lists
  int64_t liveBytes;     // bytes of cached-size blocks in use by tensors
  int64_t hits;          // requests served from the cache
  int64_t misses;        // requests that went to the system allocator
  int64_t limitBytes;    // cap on cachedBytes
};

// Installs the allocator as libtorch's CPU allocator (once; idempotent).
// `limitBytes` caps the bytes kept in free lists; 0 disables caching.
void installCpuCache(int64_t limitBytes);
void setCpuCacheLimit(int64_t limitBytes);
// Returns every cached block to the system.
void emptyCpuCache();
CpuCacheStats cpuCacheStats();
bool cpuCacheInstalled();

}  // namespace adaptune
