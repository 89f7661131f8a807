// Caching CPU allocator (see allocator.h).
#include "allocator.h"

#include <c10/core/Allocator.h>
#include <c10/core/CPUAllocator.h>
#include <torch/version.h>

#include <cstdlib>
#include <mutex>
#include <new>
#include <unordered_map>
#include <vector>

namespace adaptune {
namespace {

constexpr size_t kAlignment = 64;             // c10's gAlignment on x86-64
constexpr size_t kMinCached = 64 * 1024;      // smaller blocks: plain malloc (glibc's bins are fine)
constexpr size_t kMaxCached = size_t(1) << 32; // larger blocks are not cached
constexpr size_t kPage = 4096;

void* sysAlloc(size_t n) {
  void* p = nullptr;
  if (posix_memalign(&p, kAlignment, n == 0 ? kAlignment : n) != 0) throw std::bad_alloc();
  return p;
}

class CachingCpuAllocator final : public c10::Allocator {
 public:
  static CachingCpuAllocator& get() {
    static CachingCpuAllocator* a = new CachingCpuAllocator();  // never destroyed: tensors may outlive statics
    return *a;
  }

#if TORCH_VERSION_MAJOR > 2 || (TORCH_VERSION_MAJOR == 2 && TORCH_VERSION_MINOR >= 3)
  c10::DataPtr allocate(size_t n) override { return alloc(n); }
  void copy_data(void* dest, const void* src, std::size_t count) const override { default_copy_data(dest, src, count); }
#else
  c10::DataPtr allocate(size_t n) const override { return const_cast<CachingCpuAllocator*>(this)->alloc(n); }
#endif
  c10::DeleterFnPtr raw_deleter() const override { return &anyFree; }

  c10::DataPtr alloc(size_t n) {
    if (n < kMinCached || n > kMaxCached || limit_ == 0) {
      void* p = sysAlloc(n);
      return {p, p, &plainFree, c10::Device(c10::DeviceType::CPU)};
    }
    const size_t size = (n + kPage - 1) / kPage * kPage;
    void* p = nullptr;
    {
      std::lock_guard<std::mutex> lock(mu_);
      auto it = free_.find(size);
      if (it != free_.end() && !it->second.empty()) {
        p = it->second.back();
        it->second.pop_back();
        cached_ -= static_cast<int64_t>(size);
        ++hits_;
      } else {
        ++misses_;
      }
    }
    if (!p) p = sysAlloc(size);
    {
      std::lock_guard<std::mutex> lock(mu_);
      live_[p] = size;
      liveBytes_ += static_cast<int64_t>(size);
    }
    return {p, p, &cachedFree, c10::Device(c10::DeviceType::CPU)};
  }

  // Returns a block to its free list, or to the system when over the cap.
  void release(void* p) {
    std::unique_lock<std::mutex> lock(mu_);
    auto it = live_.find(p);
    if (it == live_.end()) {
      lock.unlock();
      std::free(p);
      return;
    }
    const size_t size = it->second;
    live_.erase(it);
    liveBytes_ -= static_cast<int64_t>(size);
    if (cached_ + static_cast<int64_t>(size) > limit_) {
      lock.unlock();
      std::free(p);
      return;
    }
    free_[size].push_back(p);
    cached_ += static_cast<int64_t>(size);
  }

  void empty() {
    std::vector<void*> out;
    {
      std::lock_guard<std::mutex> lock(mu_);
      for (auto& kv : free_) out.insert(out.end(), kv.second.begin(), kv.second.end());
      free_.clear();
      cached_ = 0;
    }
    for (void* p : out) std::free(p);
  }

  void setLimit(int64_t limit) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      limit_ = limit < 0 ? 0 : limit;
      if (cached_ <= limit_) return;
    }
    empty();
  }

  CpuCacheStats stats() {
    std::lock_guard<std::mutex> lock(mu_);
    return {cached_, liveBytes_, hits_, misses_, limit_};
  }

 private:
  static void plainFree(void* p) { std::free(p); }
  static void cachedFree(void* p) { get().release(p); }
  static void anyFree(void* p) { get().release(p); }  // looks the block up; frees plain blocks directly

  std::mutex mu_;
  std::unordered_map<size_t, std::vector<void*>> free_;
  std::unordered_map<void*, size_t> live_;
  int64_t cached_ = 0, liveBytes_ = 0, hits_ = 0, misses_ = 0;
  int64_t limit_ = 0;
};

bool g_installed = false;

}  // namespace

void installCpuCache(int64_t limitBytes) {
  auto& a = CachingCpuAllocator::get();
  a.setLimit(limitBytes);
  if (g_installed || limitBytes <= 0) return;
  // Priority 1 wins over the default CPU allocator (registered with 0). Tensors
  // allocated before keep their own deleters, so the switch is safe at any time.
  c10::SetCPUAllocator(&a, /*priority=*/1);
  g_installed = true;
}

void setCpuCacheLimit(int64_t limitBytes) { CachingCpuAllocator::get().setLimit(limitBytes); }
void emptyCpuCache() { CachingCpuAllocator::get().empty(); }
CpuCacheStats cpuCacheStats() { return CachingCpuAllocator::get().stats(); }
bool cpuCacheInstalled() { return g_installed; }

}  // namespace adaptune
