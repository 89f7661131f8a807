// Mixed precision (native/src/amp.cc): libtorch's autocast state, which is thread-local (the JS thread's).
// JS wraps these in torch.autocast(device, fn, { dtype }) (src/core/amp.ts), as PyTorch's context manager does:
// save the state, enable with the dtype, increment the nesting, run, and on exit decrement the nesting, clear the
// cast cache when leaving the outermost region, and restore the state.
#include <ATen/autocast_mode.h>
#include <torch/version.h>

#include "shim.h"

namespace adaptune {

namespace {

// libtorch 2.4 replaced the per-backend functions (set_cpu_enabled, get_autocast_gpu_dtype, ...) by ones that take
// the device type; the deprecated ones are gone in later 2.x releases, so pick by version.
#if TORCH_VERSION_MAJOR > 2 || (TORCH_VERSION_MAJOR == 2 && TORCH_VERSION_MINOR >= 4)
bool isEnabled(bool cuda) { return at::autocast::is_autocast_enabled(cuda ? at::kCUDA : at::kCPU); }
at::ScalarType getDtype(bool cuda) { return at::autocast::get_autocast_dtype(cuda ? at::kCUDA : at::kCPU); }
void setState(bool cuda, bool enabled, at::ScalarType dt) {
  at::autocast::set_autocast_dtype(cuda ? at::kCUDA : at::kCPU, dt);
  at::autocast::set_autocast_enabled(cuda ? at::kCUDA : at::kCPU, enabled);
}
#else
bool isEnabled(bool cuda) { return cuda ? at::autocast::is_enabled() : at::autocast::is_cpu_enabled(); }
at::ScalarType getDtype(bool cuda) { return cuda ? at::autocast::get_autocast_gpu_dtype() : at::autocast::get_autocast_cpu_dtype(); }
void setState(bool cuda, bool enabled, at::ScalarType dt) {
  if (cuda) {
    at::autocast::set_autocast_gpu_dtype(dt);
    at::autocast::set_enabled(enabled);
  } else {
    at::autocast::set_autocast_cpu_dtype(dt);
    at::autocast::set_cpu_enabled(enabled);
  }
}
#endif

// 'cpu' or 'cuda' (any other device is refused, naming it)
bool isCuda(const Napi::CallbackInfo& info, size_t i) {
  std::string d = argString(info, i, "device");
  if (d == "cpu") return false;
  if (d == "cuda") return true;
  throw std::invalid_argument("autocast: device must be 'cpu' or 'cuda', got '" + d + "'");
}

}  // namespace

void registerAmp(Napi::Env env, Napi::Object exports) {
  // autocastState(device) -> [enabled, dtypeCode]
  exports.Set("autocastState", Napi::Function::New(env, [](const Napi::CallbackInfo& info) -> Napi::Value {
    static const char* const names[] = {"device", nullptr};
    return guarded(info, "autocastState", names, [&]() -> Napi::Value {
      bool cuda = isCuda(info, 0);
      auto out = Napi::Array::New(info.Env(), 2);
      out.Set(0u, Napi::Boolean::New(info.Env(), isEnabled(cuda)));
      out.Set(1u, Napi::Number::New(info.Env(), static_cast<double>(getDtype(cuda))));
      return out;
    });
  }));
  // setAutocast(device, enabled, dtypeCode): CPU takes bfloat16 only (libtorch 1.13's CPU autocast), CUDA float16 or bfloat16
  exports.Set("setAutocast", Napi::Function::New(env, [](const Napi::CallbackInfo& info) -> Napi::Value {
    static const char* const names[] = {"device", "enabled", "dtype", nullptr};
    return guarded(info, "setAutocast", names, [&]() -> Napi::Value {
      bool cuda = isCuda(info, 0);
      bool enabled = argBool(info, 1, "enabled");
      at::ScalarType dt = argDtype(info, 2, "dtype");
      if (cuda && dt != at::kHalf && dt != at::kBFloat16) throw std::invalid_argument("on cuda the dtype must be float16 or bfloat16");
      if (!cuda && dt != at::kBFloat16) throw std::invalid_argument("on cpu the dtype must be bfloat16 (libtorch 1.13's CPU autocast has no float16)");
      setState(cuda, enabled, dt);
      return info.Env().Undefined();
    });
  }));
  // autocastNesting(delta: +1 | -1) -> the nesting level after the change; leaving the outermost region (level 0)
  // clears the cache of casted weights, as torch.autocast's __exit__ does
  exports.Set("autocastNesting", Napi::Function::New(env, [](const Napi::CallbackInfo& info) -> Napi::Value {
    static const char* const names[] = {"delta", nullptr};
    return guarded(info, "autocastNesting", names, [&]() -> Napi::Value {
      int64_t d = argInt(info, 0, "delta");
      if (d != 1 && d != -1) throw std::invalid_argument("autocastNesting: delta must be 1 or -1");
      int level = d == 1 ? at::autocast::increment_nesting() : at::autocast::decrement_nesting();
      if (d == -1 && level == 0) at::autocast::clear_cache();
      return Napi::Number::New(info.Env(), level);
    });
  }));
}

}  // namespace adaptune
