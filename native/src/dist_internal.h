// Internal to the distributed sources (dist.cc: the process group and the
// collectives; reducer.cc: the overlapped gradient reducer and the
// differentiable all-reduce): the promise worker, the export helper and, with
// Gloo, the default group and buckets.
#pragma once
#include <napi.h>

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "shim.h"

#ifdef USE_C10D_GLOO
#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#endif

namespace adaptune {
namespace dist {

// The typed rejection value: Error{name:'DistributedError', rank, worldSize, op, timedOut}.
Napi::Value distError(Napi::Env env, const std::string& op, int rank, int size, const std::string& what);

// Runs `exec` off the JS thread; `done` (JS thread) makes the resolved value.
class DistWorker : public Napi::AsyncWorker {
 public:
  DistWorker(Napi::Env env, std::string op, int rank, int size, std::function<void()> exec,
             std::function<Napi::Value(Napi::Env)> done = nullptr)
      : Napi::AsyncWorker(env), deferred_(Napi::Promise::Deferred::New(env)), op_(std::move(op)), rank_(rank),
        size_(size), exec_(std::move(exec)), done_(std::move(done)) {}
  Napi::Promise promise() const { return deferred_.Promise(); }
  void Execute() override {
    try {
      exec_();
    } catch (const c10::Error& e) {
      SetError(e.what_without_backtrace());
    } catch (const std::exception& e) {
      SetError(e.what());
    }
  }
  void OnOK() override {
    Napi::HandleScope scope(Env());
    try {
      deferred_.Resolve(done_ ? done_(Env()) : Env().Undefined());
    } catch (const Napi::Error& e) {
      deferred_.Reject(distError(Env(), op_, rank_, size_, e.Message()));
    }
  }
  void OnError(const Napi::Error& e) override {
    Napi::HandleScope scope(Env());
    deferred_.Reject(distError(Env(), op_, rank_, size_, e.Message()));
  }

 private:
  Napi::Promise::Deferred deferred_;
  std::string op_;
  int rank_, size_;
  std::function<void()> exec_;
  std::function<Napi::Value(Napi::Env)> done_;
};

inline Napi::Value queue(DistWorker* w) {
  Napi::Promise p = w->promise();
  w->Queue();
  return p;
}

inline const char* const kNoArgNames[] = {nullptr};
// Exports `fn` as `name`; C++ exceptions in it become JS errors (shim.h's barrier).
template <typename F>
void def(Napi::Env env, Napi::Object exports, const char* name, F fn) {
  exports.Set(name, Napi::Function::New(env, [fn, name](const Napi::CallbackInfo& info) -> Napi::Value {
    return guarded(info, name, kNoArgNames, [&]() -> Napi::Value { return fn(info); });
  }, name));
}

#ifdef USE_C10D_GLOO
using Work = decltype(std::declval<c10d::ProcessGroupGloo&>().barrier());

struct Group {
  c10::intrusive_ptr<c10d::Store> store;
  c10::intrusive_ptr<c10d::ProcessGroupGloo> pg;
  int rank = -1;
  int size = 0;
  std::chrono::milliseconds timeout{0};
};
// The default group (null when there is none).
std::shared_ptr<Group> defaultGroup();
// The default group; throws a JS error naming `op` when there is none.
std::shared_ptr<Group> current(Napi::Env env, const char* op);
// Waits for `work` within the group's timeout; a false return is a timeout.
void waitFor(const Work& work, const Group& g);

// The tensors of a collective as one contiguous buffer: the tensor itself when
// there is one contiguous tensor, else a flattened copy (a bucket).
struct Bucket {
  std::vector<at::Tensor> parts;
  at::Tensor flat;
  bool copied = false;
};

// reducer.cc: distReducerNew/Arm/Disarm/Finish/Wait/Release, distGradHookCount, distAllReduceSumGrad.
void registerReducer(Napi::Env env, Napi::Object exports);
#endif  // USE_C10D_GLOO

}  // namespace dist
}  // namespace adaptune
