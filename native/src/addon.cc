// Addon entry: hand-written functions (data in/out, autograd, modes, RNG,
// threads, memory counters) and registration of the generated ops.
#include <malloc.h>

#include <ATen/CPUGeneratorImpl.h>
#include <ATen/Parallel.h>
#include <ATen/TracerMode.h>
#include <c10/core/GradMode.h>
#include <c10/core/InferenceMode.h>
#include <torch/csrc/autograd/autograd.h>
#include <torch/cuda.h>
#include <torch/version.h>

#include <cstring>
#include <memory>

#include "allocator.h"
#include "dist.h"
#include "generated/registry.h"
#include "jit.h"
#include "amp.h"
#include "shim.h"

namespace adaptune {
namespace {

const char* const kNoNames[] = {nullptr};

#define EXPORT(name, argnames, body)                                             \
  exports.Set(#name, Napi::Function::New(                                        \
                         env,                                                    \
                         [](const Napi::CallbackInfo& info) -> Napi::Value {     \
                           static const char* const names[] = argnames;          \
                           return guarded(info, #name, names, [&]() -> Napi::Value body); \
                         },                                                      \
                         #name))
#define NAMES(...) {__VA_ARGS__, nullptr}

thread_local std::vector<std::unique_ptr<c10::InferenceMode>> t_inference;

Napi::Value shapeOf(Napi::Env env, const at::Tensor& t) {
  Napi::Array a = Napi::Array::New(env, t.dim());
  for (int64_t d = 0; d < t.dim(); ++d) a.Set(static_cast<uint32_t>(d), Napi::Number::New(env, t.size(d)));
  return a;
}

void registerHandwritten(Napi::Env env, Napi::Object exports) {
  // --- lifetime -----------------------------------------------------------
  EXPORT(dispose, NAMES("tensor"), {
    if (info.Length() > 0) disposeHandle(info.Env(), info[0]);
    return info.Env().Undefined();
  });
  EXPORT(account, NAMES("tensor"), {
    account(info.Env(), argHandle(info, 0, "tensor"));
    return info.Env().Undefined();
  });
  EXPORT(liveTensors, NAMES(""), { return Napi::Number::New(info.Env(), g_liveTensors.load()); });
  EXPORT(liveBytes, NAMES(""), { return Napi::Number::New(info.Env(), g_liveBytes.load()); });

  // --- metadata -----------------------------------------------------------
  EXPORT(shape, NAMES("tensor"), { return shapeOf(info.Env(), argTensor(info, 0, "tensor")); });
  EXPORT(dtype, NAMES("tensor"), {
    return Napi::Number::New(info.Env(), static_cast<int>(argTensor(info, 0, "tensor").scalar_type()));
  });
  EXPORT(device, NAMES("tensor"), { return Napi::String::New(info.Env(), argTensor(info, 0, "tensor").device().str()); });
  EXPORT(numel, NAMES("tensor"), { return Napi::Number::New(info.Env(), argTensor(info, 0, "tensor").numel()); });
  EXPORT(dim, NAMES("tensor"), { return Napi::Number::New(info.Env(), argTensor(info, 0, "tensor").dim()); });
  EXPORT(isContiguous, NAMES("tensor", "memoryFormat"), {
    auto t = argTensor(info, 0, "tensor");
    auto f = argOptString(info, 1, "memoryFormat");
    return Napi::Boolean::New(info.Env(), t.is_contiguous(f ? memoryFormatOf(*f) : at::MemoryFormat::Contiguous));
  });
  EXPORT(sameData, NAMES("a", "b"), {
    return Napi::Boolean::New(info.Env(), argTensor(info, 0, "a").is_same(argTensor(info, 1, "b")));
  });

  // --- data in and out ----------------------------------------------------
  EXPORT(fromBuffer, NAMES("data", "shape", "dtype", "device"), {
    auto shape = argIntList(info, 1, "shape");
    auto dtype = argDtype(info, 2, "dtype");
    auto device = argOptDevice(info, 3, "device");
    const uint8_t* src = nullptr;
    size_t len = 0;
    if (info[0].IsTypedArray()) {
      auto ta = info[0].As<Napi::TypedArray>();
      src = static_cast<const uint8_t*>(ta.ArrayBuffer().Data()) + ta.ByteOffset();
      len = ta.ByteLength();
    } else if (info[0].IsArrayBuffer()) {
      auto ab = info[0].As<Napi::ArrayBuffer>();
      src = static_cast<const uint8_t*>(ab.Data());
      len = ab.ByteLength();
    } else {
      throw Napi::TypeError::New(info.Env(), "fromBuffer: 'data' must be a TypedArray, Buffer or ArrayBuffer");
    }
    at::Tensor t;
    {
      // While a trace runs (graph mode), data from JS is a constant of the graph: keep the
      // tracer from recording an aten::empty whose contents the memcpy below would not show.
      at::tracer::impl::NoTracerDispatchMode noTrace;
      t = at::empty(shape, at::TensorOptions().dtype(dtype));
    }
    if (static_cast<size_t>(t.nbytes()) != len) {
      throw Napi::RangeError::New(info.Env(), "fromBuffer: shape " + describeValue(info[1]) + " of " +
                                                  c10::toString(dtype) + " needs " + std::to_string(t.nbytes()) +
                                                  " bytes, the data has " + std::to_string(len));
    }
    if (len) std::memcpy(t.data_ptr(), src, len);
    if (device && !device->is_cpu()) t = t.to(*device);
    return wrap(info.Env(), t);
  });
  EXPORT(toBuffer, NAMES("tensor"), {
    refuseWhileTracing("toBuffer");
    at::Tensor t = argTensor(info, 0, "tensor").detach();
    // Autograd returns storage-less "efficient zero tensors" (e.g. the gradient of sgn): materialise them.
    if (t._is_zerotensor()) t = at::zeros(t.sizes(), t.options());
    t = t.to(at::kCPU).resolve_conj().resolve_neg().contiguous();
    auto ab = Napi::ArrayBuffer::New(info.Env(), t.nbytes());
    if (t.nbytes()) std::memcpy(ab.Data(), t.data_ptr(), t.nbytes());
    return ab;
  });
  EXPORT(item, NAMES("tensor"), {
    refuseWhileTracing("item");
    const at::Tensor& t = argTensor(info, 0, "tensor");
    at::Scalar s = t.item();
    if (s.isBoolean()) return Napi::Boolean::New(info.Env(), s.toBool());
    if (s.isComplex()) {
      auto c = s.toComplexDouble();
      Napi::Array a = Napi::Array::New(info.Env(), 2);
      a.Set(0u, c.real());
      a.Set(1u, c.imag());
      return a;
    }
    if (s.isIntegral(false)) return Napi::Number::New(info.Env(), static_cast<double>(s.toLong()));
    return Napi::Number::New(info.Env(), s.toDouble());
  });

  // --- autograd -----------------------------------------------------------
  EXPORT(requiresGrad, NAMES("tensor"), { return Napi::Boolean::New(info.Env(), argTensor(info, 0, "tensor").requires_grad()); });
  EXPORT(setRequiresGrad, NAMES("tensor", "flag"), {
    argHandle(info, 0, "tensor")->t.set_requires_grad(argBool(info, 1, "flag"));
    return info.Env().Undefined();
  });
  EXPORT(isLeaf, NAMES("tensor"), { return Napi::Boolean::New(info.Env(), argTensor(info, 0, "tensor").is_leaf()); });
  EXPORT(grad, NAMES("tensor"), { return wrap(info.Env(), argTensor(info, 0, "tensor").grad()); });
  EXPORT(setGrad, NAMES("tensor", "grad"), {
    auto g = argOptTensor(info, 1, "grad");
    argHandle(info, 0, "tensor")->t.mutable_grad() = g ? *g : at::Tensor();
    return info.Env().Undefined();
  });
  EXPORT(setData, NAMES("tensor", "data"), {
    argHandle(info, 0, "tensor")->t.set_data(argTensor(info, 1, "data"));
    return info.Env().Undefined();
  });
  EXPORT(backward, NAMES("tensor", "grad", "retainGraph", "createGraph"), {
    const at::Tensor& t = argTensor(info, 0, "tensor");
    auto g = argOptTensor(info, 1, "grad");
    auto retain = argOptBool(info, 2, "retainGraph");
    bool create = argBool(info, 3, "createGraph");
    t.backward(g ? *g : at::Tensor(), retain, create);
    return info.Env().Undefined();
  });
  EXPORT(autogradGrad, NAMES("outputs", "inputs", "gradOutputs", "retainGraph", "createGraph", "allowUnused"), {
    auto outputs = argTensorList(info, 0, "outputs");
    auto inputs = argTensorList(info, 1, "inputs");
    std::vector<at::Tensor> gradOutputs = argNullableTensorList(info, 2, "gradOutputs");
    auto retain = argOptBool(info, 3, "retainGraph");
    bool create = argBool(info, 4, "createGraph");
    bool allowUnused = argBool(info, 5, "allowUnused");
    return wrapList(info.Env(), torch::autograd::grad(outputs, inputs, gradOutputs, retain, create, allowUnused));
  });

  // --- modes --------------------------------------------------------------
  EXPORT(setGradEnabled, NAMES("enabled"), {
    c10::GradMode::set_enabled(argBool(info, 0, "enabled"));
    return info.Env().Undefined();
  });
  EXPORT(isGradEnabled, NAMES(""), { return Napi::Boolean::New(info.Env(), c10::GradMode::is_enabled()); });
  EXPORT(enterInferenceMode, NAMES(""), {
    t_inference.push_back(std::make_unique<c10::InferenceMode>());
    return info.Env().Undefined();
  });
  EXPORT(exitInferenceMode, NAMES(""), {
    if (!t_inference.empty()) t_inference.pop_back();
    return info.Env().Undefined();
  });
  EXPORT(isInferenceMode, NAMES(""), { return Napi::Boolean::New(info.Env(), c10::InferenceMode::is_enabled()); });

  // --- random -------------------------------------------------------------
  EXPORT(manualSeed, NAMES("seed"), {
    at::manual_seed(static_cast<uint64_t>(argInt(info, 0, "seed")));
    return info.Env().Undefined();
  });
  EXPORT(getRngState, NAMES(""), {
    auto gen = at::detail::getDefaultCPUGenerator();
    std::lock_guard<std::mutex> lock(gen.mutex());
    return wrap(info.Env(), gen.get_state());
  });
  EXPORT(setRngState, NAMES("state"), {
    auto gen = at::detail::getDefaultCPUGenerator();
    std::lock_guard<std::mutex> lock(gen.mutex());
    gen.set_state(argTensor(info, 0, "state"));
    return info.Env().Undefined();
  });

  // torch.Generator: an independent CPU generator (PyTorch's default seed until seeded).
  EXPORT(generatorNew, NAMES("seed"), {
    auto seed = argOptInt(info, 0, "seed");
    at::Generator g = at::make_generator<at::CPUGeneratorImpl>();
    if (seed) g.set_current_seed(static_cast<uint64_t>(*seed));
    return wrapGenerator(info.Env(), std::move(g));
  });
  EXPORT(generatorManualSeed, NAMES("generator", "seed"), {
    at::Generator& g = argGenerator(info, 0, "generator");
    int64_t seed = argInt(info, 1, "seed");
    std::lock_guard<std::mutex> lock(g.mutex());
    g.set_current_seed(static_cast<uint64_t>(seed));
    return info.Env().Undefined();
  });
  EXPORT(generatorInitialSeed, NAMES("generator"), {
    at::Generator& g = argGenerator(info, 0, "generator");
    return Napi::Number::New(info.Env(), static_cast<double>(g.current_seed()));
  });
  EXPORT(generatorGetState, NAMES("generator"), {
    at::Generator& g = argGenerator(info, 0, "generator");
    std::lock_guard<std::mutex> lock(g.mutex());
    return wrap(info.Env(), g.get_state());
  });
  EXPORT(generatorSetState, NAMES("generator", "state"), {
    at::Generator& g = argGenerator(info, 0, "generator");
    const at::Tensor& state = argTensor(info, 1, "state");
    std::lock_guard<std::mutex> lock(g.mutex());
    g.set_state(state);
    return info.Env().Undefined();
  });

  // --- the caching CPU allocator (allocator.h) ----------------------------
  EXPORT(cpuCacheInstall, NAMES("limitBytes"), {
    installCpuCache(argInt(info, 0, "limitBytes"));
    return info.Env().Undefined();
  });
  EXPORT(cpuCacheSetLimit, NAMES("limitBytes"), {
    setCpuCacheLimit(argInt(info, 0, "limitBytes"));
    return info.Env().Undefined();
  });
  EXPORT(cpuCacheEmpty, NAMES(""), {
    emptyCpuCache();
    return info.Env().Undefined();
  });
  EXPORT(cpuCacheStats, NAMES(""), {
    CpuCacheStats s = cpuCacheStats();
    Napi::Object o = Napi::Object::New(info.Env());
    o.Set("installed", cpuCacheInstalled());
    o.Set("cachedBytes", static_cast<double>(s.cachedBytes));
    o.Set("liveBytes", static_cast<double>(s.liveBytes));
    o.Set("hits", static_cast<double>(s.hits));
    o.Set("misses", static_cast<double>(s.misses));
    o.Set("limitBytes", static_cast<double>(s.limitBytes));
    return o;
  });

  // --- threads, devices, versions -----------------------------------------
  EXPORT(setNumThreads, NAMES("n"), {
    at::set_num_threads(static_cast<int>(argInt(info, 0, "n")));
    return info.Env().Undefined();
  });
  EXPORT(getNumThreads, NAMES(""), { return Napi::Number::New(info.Env(), at::get_num_threads()); });
  EXPORT(cudaIsAvailable, NAMES(""), { return Napi::Boolean::New(info.Env(), torch::cuda::is_available()); });
  EXPORT(cudaDeviceCount, NAMES(""), { return Napi::Number::New(info.Env(), static_cast<double>(torch::cuda::device_count())); });
  EXPORT(cudaSynchronize, NAMES(""), {
    if (torch::cuda::is_available()) torch::cuda::synchronize();
    return info.Env().Undefined();
  });
  EXPORT(libtorchVersion, NAMES(""), {
    return Napi::String::New(info.Env(), std::to_string(TORCH_VERSION_MAJOR) + "." + std::to_string(TORCH_VERSION_MINOR) +
                                             "." + std::to_string(TORCH_VERSION_PATCH));
  });
  EXPORT(configShow, NAMES(""), { return Napi::String::New(info.Env(), at::show_config()); });
  EXPORT(setTorchErrorClass, NAMES("ctor"), {
    if (info.Length() < 1 || !info[0].IsFunction()) {
      throw Napi::TypeError::New(info.Env(), "setTorchErrorClass: argument 'ctor' must be a constructor");
    }
    auto* data = info.Env().GetInstanceData<EnvData>();
    data->torchError = Napi::Persistent(info[0].As<Napi::Function>());
    return info.Env().Undefined();
  });
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  // Blocks of 1 MiB and more go straight to mmap and back to the OS on free;
  // without it RSS grew ~4 MiB per training step under explicit disposal
  // (glibc's dynamic threshold fragments the heap; engine.md §3.3).
  mallopt(M_MMAP_THRESHOLD, 1 << 20);
  env.SetInstanceData(new EnvData());
  registerHandwritten(env, exports);
  registerGeneratedOps(env, exports);
  registerDistributed(env, exports);
  registerJit(env, exports);
  registerAmp(env, exports);
  return exports;
}

}  // namespace
}  // namespace adaptune

static Napi::Object InitAddon(Napi::Env env, Napi::Object exports) { return adaptune::Init(env, exports); }
NODE_API_MODULE(adaptune, InitAddon)
