// Graph mode: TorchScript modules built by tracing a JS forward (never loaded
// from files: no torch::jit::load anywhere in adaptune).
//
// jitTrace(name, entries, inputs, fn) builds a torch::jit::Module whose
// attributes are the JS module's parameters and buffers (submodules mirror the
// dotted names), starts libtorch's tracer with that module as `self` and the
// inputs as graph inputs, calls the JS function fn(inputHandles) on this same
// thread (the tracer state is thread-local, so every op the JS forward runs is
// recorded), and ends the trace with the tensor(s) fn returns. The result is a
// script-module handle (napi_wrap'd, like tensor handles: jitDispose frees it
// at once, the finalizer otherwise).
#include "jit.h"

#include <torch/csrc/jit/api/module.h>
#include <torch/csrc/jit/frontend/tracer.h>
#include <torch/csrc/jit/passes/freeze_module.h>
#include <torch/csrc/jit/passes/frozen_graph_optimizations.h>
#include <c10/core/GradMode.h>

#include <cctype>
#include <map>
#include <memory>
#include <sstream>

#include "shim.h"

namespace adaptune {
namespace {

const napi_type_tag kScriptTag = {0x6164617074756e65ULL, 0x7363726970740001ULL};

struct ScriptHandle {
  torch::jit::Module m;
  std::string name;   // the JS module's class name (for messages)
  int stage = 0;      // 0 traced, 1 frozen, 2 optimized for inference
  size_t inputs = 1;  // graph inputs (without self)
};

void finalizeScript(napi_env, void* data, void*) { delete static_cast<ScriptHandle*>(data); }

Napi::Value wrapScript(Napi::Env env, std::unique_ptr<ScriptHandle> s) {
  Napi::Object obj = Napi::Object::New(env);
  ScriptHandle* p = s.release();
  napi_status st = napi_wrap(env, obj, p, finalizeScript, nullptr, nullptr);
  if (st != napi_ok) {
    delete p;
    NAPI_THROW_IF_FAILED(env, st, Napi::Value());
  }
  obj.TypeTag(&kScriptTag);
  return obj;
}

ScriptHandle* argScript(const Napi::CallbackInfo& info, size_t i, const char* name) {
  if (i >= info.Length() || !info[i].IsObject() || !info[i].As<Napi::Object>().CheckTypeTag(&kScriptTag)) {
    throw Napi::TypeError::New(info.Env(), std::string("argument '") + name + "': expected a script module handle, got " +
                                               (i < info.Length() ? describeValue(info[i]) : std::string("nothing")));
  }
  void* p = nullptr;
  if (napi_unwrap(info.Env(), info[i].As<Napi::Object>(), &p) != napi_ok || p == nullptr) {
    throw Napi::Error::New(info.Env(), std::string("argument '") + name + "': script module used after dispose()");
  }
  return static_cast<ScriptHandle*>(p);
}

// A tree of submodules built from dotted attribute names ('layer1.0.conv1.weight').
struct Node {
  std::vector<std::pair<std::string, std::pair<at::Tensor, bool>>> attrs;  // name -> (tensor, isBuffer)
  std::vector<std::string> order;                                           // child order
  std::map<std::string, std::unique_ptr<Node>> kids;
};

std::string sanitize(const std::string& s) {
  std::string out;
  for (char c : s) out += (std::isalnum(static_cast<unsigned char>(c)) || c == '_') ? c : '_';
  if (out.empty() || std::isdigit(static_cast<unsigned char>(out[0]))) out = "m" + out;
  return out;
}

torch::jit::Module build(const Node& n, const std::string& qual, const std::shared_ptr<torch::jit::CompilationUnit>& cu) {
  torch::jit::Module m(c10::QualifiedName(qual), cu, /*shouldMangle=*/true);
  m.register_attribute("training", c10::BoolType::get(), false);
  for (const auto& a : n.attrs) {
    if (a.second.second) m.register_buffer(a.first, a.second.first);
    else m.register_parameter(a.first, a.second.first, /*is_buffer=*/false);
  }
  for (const auto& k : n.order) m.register_module(k, build(*n.kids.at(k), qual + "." + sanitize(k), cu));
  return m;
}

std::vector<at::Tensor> tensorsOf(Napi::Env env, const Napi::Value& v, const char* what) {
  std::vector<at::Tensor> out;
  if (v.IsArray()) {
    auto a = v.As<Napi::Array>();
    for (uint32_t i = 0; i < a.Length(); ++i) out.push_back(tensorOfValue(env, a.Get(i), what));
  } else {
    out.push_back(tensorOfValue(env, v, what));
  }
  return out;
}

}  // namespace

void registerJit(Napi::Env env, Napi::Object exports) {
  // jitTrace(name, entries: [dottedName, tensor, isBuffer][], inputs: Tensor[], fn) -> script handle
  exports.Set("jitTrace", Napi::Function::New(env, [](const Napi::CallbackInfo& info) -> Napi::Value {
    static const char* const names[] = {"name", "entries", "inputs", "fn", nullptr};
    return guarded(info, "jitTrace", names, [&]() -> Napi::Value {
      Napi::Env env = info.Env();
      std::string name = argString(info, 0, "name");
      if (info.Length() < 2 || !info[1].IsArray()) throw Napi::TypeError::New(env, "jitTrace: 'entries' must be an array");
      if (info.Length() < 4 || !info[3].IsFunction()) throw Napi::TypeError::New(env, "jitTrace: 'fn' must be a function");
      if (torch::jit::tracer::isTracing()) {
        throw std::runtime_error("a trace is already running on this thread (graph mode cannot trace inside a trace)");
      }
      Node root;
      auto entries = info[1].As<Napi::Array>();
      for (uint32_t i = 0; i < entries.Length(); ++i) {
        Napi::Value e = entries.Get(i);
        if (!e.IsArray() || e.As<Napi::Array>().Length() != 3) throw Napi::TypeError::New(env, "jitTrace: each entry must be [name, tensor, isBuffer]");
        auto ea = e.As<Napi::Array>();
        std::string path = ea.Get(0u).As<Napi::String>().Utf8Value();
        at::Tensor t = tensorOfValue(env, ea.Get(1u), "entries");
        bool isBuffer = ea.Get(2u).ToBoolean().Value();
        Node* n = &root;
        size_t start = 0;
        for (size_t dot; (dot = path.find('.', start)) != std::string::npos; start = dot + 1) {
          std::string part = path.substr(start, dot - start);
          auto it = n->kids.find(part);
          if (it == n->kids.end()) {
            n->order.push_back(part);
            it = n->kids.emplace(part, std::make_unique<Node>()).first;
          }
          n = it->second.get();
        }
        n->attrs.push_back({path.substr(start), {t, isBuffer}});
      }
      auto cu = std::make_shared<torch::jit::CompilationUnit>();
      auto s = std::make_unique<ScriptHandle>();
      s->name = name;
      s->m = build(root, "__torch__.adaptune." + sanitize(name), cu);
      std::vector<at::Tensor> inputs = argTensorList(info, 2, "inputs");
      s->inputs = inputs.size();
      torch::jit::Stack in(inputs.begin(), inputs.end());
      Napi::Function fn = info[3].As<Napi::Function>();
      auto traced = torch::jit::tracer::trace(
          std::move(in),
          [&](torch::jit::Stack args) -> torch::jit::Stack {
            Napi::Array handles = Napi::Array::New(env, args.size());
            for (size_t i = 0; i < args.size(); ++i) handles.Set(static_cast<uint32_t>(i), wrap(env, args[i].toTensor()));
            Napi::Value r = fn.Call({handles});  // a JS exception comes back as Napi::Error (trace abandons)
            bool many = r.IsArray();
            std::vector<at::Tensor> outs = tensorsOf(env, r, "the forward's result");
            for (uint32_t i = 0; i < handles.Length(); ++i) disposeHandle(env, handles.Get(i));
            if (outs.empty()) throw std::runtime_error("the forward returned no tensor");
            if (!many) return {outs[0]};
            std::vector<c10::IValue> elems(outs.begin(), outs.end());
            return {c10::ivalue::Tuple::create(std::move(elems))};
          },
          [](const at::Tensor&) { return std::string(); }, /*strict=*/true, /*force_outplace=*/false, &s->m);
      auto graph = traced.first->graph;
      auto fnq = c10::QualifiedName(*s->m.type()->name(), "forward");
      torch::jit::Function* f = s->m._ivalue()->compilation_unit()->create_function(fnq, graph);
      s->m.type()->addMethod(f);
      return wrapScript(env, std::move(s));
    });
  }, "jitTrace"));

  // jitFreeze(handle) -> a new frozen handle (torch.jit.freeze: freeze_module + frozen-graph optimisations)
  exports.Set("jitFreeze", Napi::Function::New(env, [](const Napi::CallbackInfo& info) -> Napi::Value {
    static const char* const names[] = {"module", nullptr};
    return guarded(info, "jitFreeze", names, [&]() -> Napi::Value {
      ScriptHandle* s = argScript(info, 0, "module");
      if (s->stage >= 1) throw std::runtime_error(s->name + ": the script module is already frozen");
      auto out = std::make_unique<ScriptHandle>();
      out->m = torch::jit::freeze(s->m, c10::nullopt, /*optimize_numerics=*/true);
      out->name = s->name;
      out->stage = 1;
      out->inputs = s->inputs;
      return wrapScript(info.Env(), std::move(out));
    });
  }, "jitFreeze"));

  // jitOptimizeForInference(handle) -> a new handle (torch.jit.optimize_for_inference; freezes first if needed)
  exports.Set("jitOptimizeForInference", Napi::Function::New(env, [](const Napi::CallbackInfo& info) -> Napi::Value {
    static const char* const names[] = {"module", nullptr};
    return guarded(info, "jitOptimizeForInference", names, [&]() -> Napi::Value {
      ScriptHandle* s = argScript(info, 0, "module");
      if (s->stage >= 2) throw std::runtime_error(s->name + ": the script module is already optimized for inference");
      auto out = std::make_unique<ScriptHandle>();
      torch::jit::Module src = s->m;
      if (s->stage == 0) src = torch::jit::freeze(s->m, c10::nullopt, true);
      out->m = torch::jit::optimize_for_inference(src);
      out->name = s->name;
      out->stage = 2;
      out->inputs = s->inputs;
      return wrapScript(info.Env(), std::move(out));
    });
  }, "jitOptimizeForInference"));

  // jitForward(handle, inputs: Tensor[]) -> Tensor | Tensor[] (no grad)
  exports.Set("jitForward", Napi::Function::New(env, [](const Napi::CallbackInfo& info) -> Napi::Value {
    static const char* const names[] = {"module", "inputs", nullptr};
    return guarded(info, "jitForward", names, [&]() -> Napi::Value {
      ScriptHandle* s = argScript(info, 0, "module");
      std::vector<at::Tensor> inputs = argTensorList(info, 1, "inputs");
      if (inputs.size() != s->inputs) {
        throw std::invalid_argument(s->name + " (graph mode) takes " + std::to_string(s->inputs) + " input(s), got " +
                                    std::to_string(inputs.size()));
      }
      std::vector<c10::IValue> args(inputs.begin(), inputs.end());
      c10::IValue r;
      {
        c10::NoGradGuard ng;
        r = s->m.forward(std::move(args));
      }
      if (r.isTensor()) return wrap(info.Env(), r.toTensor());
      if (r.isTuple()) {
        std::vector<at::Tensor> outs;
        for (const auto& e : r.toTupleRef().elements()) outs.push_back(e.toTensor());
        return wrapList(info.Env(), outs);
      }
      if (r.isTensorList()) return wrapList(info.Env(), r.toTensorVector());
      throw std::runtime_error(s->name + " (graph mode): the graph returned " + r.tagKind() + ", not tensors");
    });
  }, "jitForward"));

  // jitGraph(handle) -> the forward graph's text (for tests and debugging)
  exports.Set("jitGraph", Napi::Function::New(env, [](const Napi::CallbackInfo& info) -> Napi::Value {
    static const char* const names[] = {"module", nullptr};
    return guarded(info, "jitGraph", names, [&]() -> Napi::Value {
      ScriptHandle* s = argScript(info, 0, "module");
      return Napi::String::New(info.Env(), s->m.get_method("forward").graph()->toString());
    });
  }, "jitGraph"));

  exports.Set("jitStage", Napi::Function::New(env, [](const Napi::CallbackInfo& info) -> Napi::Value {
    static const char* const names[] = {"module", nullptr};
    return guarded(info, "jitStage", names, [&]() -> Napi::Value {
      return Napi::Number::New(info.Env(), argScript(info, 0, "module")->stage);
    });
  }, "jitStage"));

  // jitDispose(handle): frees the module now (idempotent).
  exports.Set("jitDispose", Napi::Function::New(env, [](const Napi::CallbackInfo& info) -> Napi::Value {
    if (info.Length() > 0 && info[0].IsObject() && info[0].As<Napi::Object>().CheckTypeTag(&kScriptTag)) {
      void* p = nullptr;
      if (napi_remove_wrap(info.Env(), info[0].As<Napi::Object>(), &p) == napi_ok && p) delete static_cast<ScriptHandle*>(p);
    }
    return info.Env().Undefined();
  }, "jitDispose"));

  // tensorStamps(tensors) -> [version, dataPtr] per tensor: in-place updates bump the version,
  // setData changes the data pointer (graph mode uses it to notice stale frozen weights).
  exports.Set("tensorStamps", Napi::Function::New(env, [](const Napi::CallbackInfo& info) -> Napi::Value {
    static const char* const names[] = {"tensors", nullptr};
    return guarded(info, "tensorStamps", names, [&]() -> Napi::Value {
      std::vector<at::Tensor> ts = argTensorList(info, 0, "tensors");
      Napi::Array out = Napi::Array::New(info.Env(), ts.size() * 2);
      for (size_t i = 0; i < ts.size(); ++i) {
        out.Set(static_cast<uint32_t>(2 * i), static_cast<double>(ts[i]._version()));
        out.Set(static_cast<uint32_t>(2 * i + 1),
                static_cast<double>(reinterpret_cast<uintptr_t>(ts[i].has_storage() ? ts[i].data_ptr() : nullptr)));
      }
      return out;
    });
  }, "tensorStamps"));

  exports.Set("isTracing", Napi::Function::New(env, [](const Napi::CallbackInfo& info) -> Napi::Value {
    return Napi::Boolean::New(info.Env(), torch::jit::tracer::isTracing());
  }, "isTracing"));
}

void refuseWhileTracing(const char* what) {
  if (torch::jit::tracer::isTracing()) {
    throw std::runtime_error(std::string(what) +
                             " reads tensor values during tracing: a forward whose result depends on tensor values "
                             "(item(), toArray(), data-dependent control flow) cannot run in graph mode; run it eagerly");
  }
}

}  // namespace adaptune
