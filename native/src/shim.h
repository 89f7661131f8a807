// adaptune native shim: tensor handles, argument conversion and the one
// exception barrier every exported function goes through. Hand-written; the
// op wrappers that use it are generated (native/gen/generate.mjs).
#pragma once
#include <napi.h>
#include <ATen/ATen.h>
#include <atomic>
#include <optional>
#include <string>
#include <vector>

namespace adaptune {

// One native handle per JS tensor, wrapped (napi_wrap) in a small type-tagged JS
// object. dispose() frees everything native at once: the tensor, this struct and
// the wrap's finalizer record (napi_remove_wrap), so a synchronous loop that
// disposes keeps nothing waiting for the event loop to turn (F5). A handle that
// is never disposed is freed by the finalizer when it is collected.
struct Handle {
  at::Tensor t;
  int64_t accounted = 0;  // bytes reported to V8 as external memory (see account())
  bool live = true;
  int64_t bytes = 0;      // bytes counted in g_liveBytes
};

// Per-process counters behind liveTensors()/memory().
extern std::atomic<int64_t> g_liveTensors;
extern std::atomic<int64_t> g_liveBytes;

// Wraps a tensor in a new handle (an undefined tensor becomes null).
Napi::Value wrap(Napi::Env env, at::Tensor t);
Napi::Value wrapList(Napi::Env env, const std::vector<at::Tensor>& ts);
template <typename Tuple, size_t... I>
Napi::Value wrapTupleImpl(Napi::Env env, const Tuple& tup, std::index_sequence<I...>) {
  Napi::Array out = Napi::Array::New(env, sizeof...(I));
  ((out.Set(static_cast<uint32_t>(I), wrap(env, std::get<I>(tup)))), ...);
  return out;
}
template <typename... Ts>
Napi::Value wrapTuple(Napi::Env env, const std::tuple<Ts...>& tup) {
  return wrapTupleImpl(env, tup, std::index_sequence_for<Ts...>{});
}
void release(Napi::Env env, Handle* h);
// dispose(): releases the tensor, removes the wrap (and its finalizer) and deletes
// the handle. A disposed handle object is still recognised (its type tag stays)
// and reads as a Handle with live == false.
void disposeHandle(Napi::Env env, const Napi::Value& v);
// Reports a tensor's bytes to V8 as external memory, once. The JS side calls it
// for tensors that no tidy() scope owns: scoped tensors are freed
// deterministically, and reporting them made V8 run ~2 full GCs per training step.
void account(Napi::Env env, Handle* h);

// One native handle per JS torch.Generator (a CPU generator; no dispose: the
// finalizer frees it). Tagged apart from tensor handles.
struct GenHandle {
  at::Generator g;
};
Napi::Value wrapGenerator(Napi::Env env, at::Generator g);

// Argument conversion; each throws a JS TypeError naming the argument.
Handle* argHandle(const Napi::CallbackInfo& info, size_t i, const char* name);
const at::Tensor& argTensor(const Napi::CallbackInfo& info, size_t i, const char* name);
// A live tensor handle's tensor; throws a TypeError naming `what` otherwise.
const at::Tensor& tensorOfValue(Napi::Env env, const Napi::Value& v, const char* what);
c10::optional<at::Tensor> argOptTensor(const Napi::CallbackInfo& info, size_t i, const char* name);
// a torch.Generator handle (op-table type `gen?`: null/undefined give the default generator)
at::Generator& argGenerator(const Napi::CallbackInfo& info, size_t i, const char* name);
c10::optional<at::Generator> argOptGenerator(const Napi::CallbackInfo& info, size_t i, const char* name);
std::vector<at::Tensor> argTensorList(const Napi::CallbackInfo& info, size_t i, const char* name);
// null entries become undefined tensors (as in autograd.grad's grad_outputs)
std::vector<at::Tensor> argNullableTensorList(const Napi::CallbackInfo& info, size_t i, const char* name);
at::Tensor argTensorOrScalar(const Napi::CallbackInfo& info, size_t i, const char* name);
at::Scalar argScalar(const Napi::CallbackInfo& info, size_t i, const char* name);
c10::optional<at::Scalar> argOptScalar(const Napi::CallbackInfo& info, size_t i, const char* name);
int64_t argInt(const Napi::CallbackInfo& info, size_t i, const char* name);
c10::optional<int64_t> argOptInt(const Napi::CallbackInfo& info, size_t i, const char* name);
std::vector<int64_t> argIntList(const Napi::CallbackInfo& info, size_t i, const char* name);
c10::optional<std::vector<int64_t>> argOptIntList(const Napi::CallbackInfo& info, size_t i, const char* name);
double argDouble(const Napi::CallbackInfo& info, size_t i, const char* name);
c10::optional<double> argOptDouble(const Napi::CallbackInfo& info, size_t i, const char* name);
bool argBool(const Napi::CallbackInfo& info, size_t i, const char* name);
c10::optional<bool> argOptBool(const Napi::CallbackInfo& info, size_t i, const char* name);
std::string argString(const Napi::CallbackInfo& info, size_t i, const char* name);
c10::optional<std::string> argOptString(const Napi::CallbackInfo& info, size_t i, const char* name);
at::ScalarType argDtype(const Napi::CallbackInfo& info, size_t i, const char* name);
c10::optional<at::ScalarType> argOptDtype(const Napi::CallbackInfo& info, size_t i, const char* name);
c10::optional<at::Device> argOptDevice(const Napi::CallbackInfo& info, size_t i, const char* name);
int64_t argReduction(const Napi::CallbackInfo& info, size_t i, const char* name);

inline at::OptionalIntArrayRef optRef(const c10::optional<std::vector<int64_t>>& v) {
  if (!v) return c10::nullopt;
  return at::OptionalIntArrayRef(*v);
}
inline c10::optional<c10::string_view> optSv(const c10::optional<std::string>& s) {
  if (!s) return c10::nullopt;
  return c10::string_view(*s);
}
// PyTorch's memory_format by its camelCase name: 'contiguousFormat' (torch.contiguous_format) or
// 'channelsLast' (torch.channels_last, NHWC strides for 4-D tensors).
inline at::MemoryFormat memoryFormatOf(const std::string& s) {
  if (s == "contiguousFormat") return at::MemoryFormat::Contiguous;
  if (s == "channelsLast") return at::MemoryFormat::ChannelsLast;
  throw std::invalid_argument("memoryFormat must be 'contiguousFormat' or 'channelsLast', got '" + s + "'");
}
// A one-element size list repeated to two (PyTorch's `int` for 2-D sizes).
// Op-table guards (F4): validate before calling ATen where ATen itself reads out of
// bounds. A failure throws std::invalid_argument, which guarded() turns into a TorchError.
// A positive integer small enough that its square cannot overflow (pixelShuffle's factor).
int64_t needFactor(int64_t v, const char* name);
const std::vector<int64_t>& needLen(const std::vector<int64_t>& v, size_t n, const char* name);
// RNN cells: `gates` rows per hidden unit (LSTM 4, GRU 3, tanh 1); checks ranks and
// shapes of the input, hidden state(s), weights and biases.
void checkRnnCell(const char* op, int64_t gates, const at::Tensor& input, const std::vector<at::Tensor>& hx,
                  const at::Tensor& wIh, const at::Tensor& wHh, const c10::optional<at::Tensor>& bIh,
                  const c10::optional<at::Tensor>& bHh);
inline std::vector<int64_t> square(const std::vector<int64_t>& v) {
  return v.size() == 1 ? std::vector<int64_t>{v[0], v[0]} : v;
}
at::TensorOptions opts(c10::optional<at::ScalarType> dtype, c10::optional<at::Device> device);

// The exception barrier: c10::Error and std::exception become a JS TorchError
// whose message names the op and the shapes/dtypes of its arguments.
[[noreturn]] void throwTorchError(const Napi::CallbackInfo& info, const char* op,
                                  const char* const* argNames, const std::string& what);
std::string describeValue(const Napi::Value& v);

template <typename F>
Napi::Value guarded(const Napi::CallbackInfo& info, const char* op, const char* const* argNames, F&& body) {
  try {
    return body();
  } catch (const Napi::Error&) {
    throw;
  } catch (const c10::Error& e) {
    throwTorchError(info, op, argNames, e.what_without_backtrace());
  } catch (const std::exception& e) {
    throwTorchError(info, op, argNames, e.what());
  }
}

// Per-environment state (Napi::Addon instance data), not statics: the addon may
// be loaded in worker threads.
struct EnvData {
  Napi::FunctionReference torchError;
};

}  // namespace adaptune
