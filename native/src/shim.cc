// Handles, argument conversion and the error barrier (see shim.h).
#include "shim.h"

#include <sstream>

namespace adaptune {

std::atomic<int64_t> g_liveTensors{0};
std::atomic<int64_t> g_liveBytes{0};

namespace {
// Marks externals created by this addon, so a foreign external is refused.
const napi_type_tag kHandleTag = {0x6164617074756e65ULL, 0x74656e736f720001ULL};
const napi_type_tag kGenTag = {0x6164617074756e65ULL, 0x67656e6572610001ULL};

int64_t bytesOf(const at::Tensor& t) {
  return t.defined() ? static_cast<int64_t>(t.nbytes()) : 0;
}

void finalize(napi_env env, void* data, void*) {
  auto* h = static_cast<Handle*>(data);
  release(Napi::Env(env), h);
  delete h;
}

[[noreturn]] void typeError(const Napi::CallbackInfo& info, size_t i, const char* name, const char* expected) {
  std::ostringstream os;
  os << "argument '" << name << "' (position " << i << "): expected " << expected << ", got "
     << (i < info.Length() ? describeValue(info[i]) : std::string("nothing"));
  throw Napi::TypeError::New(info.Env(), os.str());
}

bool isNullish(const Napi::CallbackInfo& info, size_t i) {
  return i >= info.Length() || info[i].IsNull() || info[i].IsUndefined();
}

// What a disposed handle object reads as (live == false).
Handle g_disposed{at::Tensor(), 0, false, 0};

Handle* asHandle(const Napi::Value& v) {
  if (!v.IsObject() || v.IsArray() || v.IsFunction()) return nullptr;
  auto obj = v.As<Napi::Object>();
  if (!obj.CheckTypeTag(&kHandleTag)) return nullptr;
  void* p = nullptr;
  if (napi_unwrap(v.Env(), obj, &p) != napi_ok || p == nullptr) return &g_disposed;
  return static_cast<Handle*>(p);
}

GenHandle* asGen(const Napi::Value& v) {
  if (!v.IsExternal()) return nullptr;
  auto ext = v.As<Napi::External<GenHandle>>();
  if (!ext.CheckTypeTag(&kGenTag)) return nullptr;
  return ext.Data();
}

std::string shapeString(const at::Tensor& t) {
  std::ostringstream os;
  os << c10::toString(t.scalar_type()) << "[";
  for (int64_t d = 0; d < t.dim(); ++d) os << (d ? "," : "") << t.size(d);
  os << "]";
  if (!t.device().is_cpu()) os << "@" << t.device();
  return os.str();
}
}  // namespace

Napi::Value wrap(Napi::Env env, at::Tensor t) {
  if (!t.defined()) return env.Null();
  auto* h = new Handle{std::move(t), 0, true};
  h->bytes = bytesOf(h->t);
  g_liveTensors.fetch_add(1, std::memory_order_relaxed);
  g_liveBytes.fetch_add(h->bytes, std::memory_order_relaxed);
  Napi::Object obj = Napi::Object::New(env);
  napi_status st = napi_wrap(env, obj, h, finalize, nullptr, nullptr);
  if (st != napi_ok) {
    release(env, h);
    delete h;
    NAPI_THROW_IF_FAILED(env, st, Napi::Value());
  }
  obj.TypeTag(&kHandleTag);
  return obj;
}

void disposeHandle(Napi::Env env, const Napi::Value& v) {
  Handle* h = asHandle(v);
  if (h == nullptr || h == &g_disposed) return;
  release(env, h);
  void* p = nullptr;
  // Removing the wrap deletes its finalizer record now rather than when the
  // event loop turns (napi_remove_wrap: "the finalize callback will no longer be called").
  if (napi_remove_wrap(env, v.As<Napi::Object>(), &p) == napi_ok) delete h;
}

int64_t needFactor(int64_t v, const char* name) {
  if (v <= 0 || v > (int64_t{1} << 31)) {
    throw std::invalid_argument(std::string("'") + name + "' must be a positive integer (at most 2^31), got " + std::to_string(v));
  }
  return v;
}

Napi::Value wrapList(Napi::Env env, const std::vector<at::Tensor>& ts) {
  Napi::Array out = Napi::Array::New(env, ts.size());
  for (size_t i = 0; i < ts.size(); ++i) out.Set(static_cast<uint32_t>(i), wrap(env, ts[i]));
  return out;
}

Napi::Value wrapGenerator(Napi::Env env, at::Generator g) {
  auto ext = Napi::External<GenHandle>::New(env, new GenHandle{std::move(g)}, [](Napi::Env, GenHandle* p) { delete p; });
  ext.TypeTag(&kGenTag);
  return ext;
}

void release(Napi::Env env, Handle* h) {
  if (!h->live) return;
  h->live = false;
  h->t = at::Tensor();
  g_liveTensors.fetch_sub(1, std::memory_order_relaxed);
  g_liveBytes.fetch_sub(h->bytes, std::memory_order_relaxed);
  h->bytes = 0;
  if (h->accounted) Napi::MemoryManagement::AdjustExternalMemory(env, -h->accounted);
  h->accounted = 0;
}

void account(Napi::Env env, Handle* h) {
  if (!h->live || h->accounted || !h->bytes) return;
  h->accounted = h->bytes;
  Napi::MemoryManagement::AdjustExternalMemory(env, h->accounted);
}

std::string describeValue(const Napi::Value& v) {
  if (Handle* h = asHandle(v)) return h->live ? "Tensor " + shapeString(h->t) : "a disposed Tensor";
  if (asGen(v)) return "a Generator";
  if (v.IsNumber()) {
    std::ostringstream os;
    os << v.As<Napi::Number>().DoubleValue();
    return os.str();
  }
  if (v.IsBoolean()) return v.As<Napi::Boolean>().Value() ? "true" : "false";
  if (v.IsString()) return "'" + v.As<Napi::String>().Utf8Value() + "'";
  if (v.IsNull()) return "null";
  if (v.IsUndefined()) return "undefined";
  if (v.IsArray()) {
    auto a = v.As<Napi::Array>();
    std::ostringstream os;
    os << "[";
    for (uint32_t i = 0; i < a.Length() && i < 8; ++i) os << (i ? ", " : "") << describeValue(a.Get(i));
    if (a.Length() > 8) os << ", ...";
    os << "]";
    return os.str();
  }
  return "an object";
}

[[noreturn]] void throwTorchError(const Napi::CallbackInfo& info, const char* op, const char* const* argNames,
                                  const std::string& what) {
  Napi::Env env = info.Env();
  std::ostringstream os;
  std::string msg = what;
  while (!msg.empty() && (msg.back() == '\n' || msg.back() == ' ')) msg.pop_back();
  os << op << ": " << msg << " (arguments:";
  for (size_t i = 0; i < info.Length(); ++i) {
    const char* n = (argNames && argNames[i]) ? argNames[i] : nullptr;
    os << (i ? ", " : " ") << (n ? n : "arg" + std::to_string(i)) << "=" << describeValue(info[i]);
    if (n == nullptr && argNames) argNames = nullptr;  // past the declared names
  }
  os << ")";
  auto* data = env.GetInstanceData<EnvData>();
  if (data && !data->torchError.IsEmpty()) {
    Napi::Object err = data->torchError.New({Napi::String::New(env, os.str()), Napi::String::New(env, op)});
    throw Napi::Error(env, err);
  }
  throw Napi::Error::New(env, os.str());
}

Handle* argHandle(const Napi::CallbackInfo& info, size_t i, const char* name) {
  Handle* h = i < info.Length() ? asHandle(info[i]) : nullptr;
  if (!h) typeError(info, i, name, "a Tensor");
  if (!h->live) throw Napi::Error::New(info.Env(), std::string("argument '") + name + "': tensor used after dispose()");
  return h;
}

const at::Tensor& argTensor(const Napi::CallbackInfo& info, size_t i, const char* name) {
  return argHandle(info, i, name)->t;
}

const at::Tensor& tensorOfValue(Napi::Env env, const Napi::Value& v, const char* what) {
  Handle* h = asHandle(v);
  if (!h) throw Napi::TypeError::New(env, std::string(what) + ": expected a Tensor, got " + describeValue(v));
  if (!h->live) throw Napi::Error::New(env, std::string(what) + ": tensor used after dispose()");
  return h->t;
}

c10::optional<at::Tensor> argOptTensor(const Napi::CallbackInfo& info, size_t i, const char* name) {
  if (isNullish(info, i)) return c10::nullopt;
  return argTensor(info, i, name);
}

at::Generator& argGenerator(const Napi::CallbackInfo& info, size_t i, const char* name) {
  GenHandle* g = i < info.Length() ? asGen(info[i]) : nullptr;
  if (!g) typeError(info, i, name, "a torch.Generator");
  return g->g;
}

c10::optional<at::Generator> argOptGenerator(const Napi::CallbackInfo& info, size_t i, const char* name) {
  if (isNullish(info, i)) return c10::nullopt;
  return argGenerator(info, i, name);
}

std::vector<at::Tensor> argTensorList(const Napi::CallbackInfo& info, size_t i, const char* name) {
  if (i >= info.Length() || !info[i].IsArray()) typeError(info, i, name, "an array of Tensors");
  auto a = info[i].As<Napi::Array>();
  std::vector<at::Tensor> out;
  out.reserve(a.Length());
  for (uint32_t k = 0; k < a.Length(); ++k) {
    Handle* h = asHandle(a.Get(k));
    if (!h) typeError(info, i, name, "an array of Tensors");
    if (!h->live) throw Napi::Error::New(info.Env(), std::string("argument '") + name + "': tensor used after dispose()");
    out.push_back(h->t);
  }
  return out;
}

std::vector<at::Tensor> argNullableTensorList(const Napi::CallbackInfo& info, size_t i, const char* name) {
  if (isNullish(info, i)) return {};
  if (!info[i].IsArray()) typeError(info, i, name, "an array of Tensors or nulls");
  auto a = info[i].As<Napi::Array>();
  std::vector<at::Tensor> out;
  for (uint32_t k = 0; k < a.Length(); ++k) {
    Napi::Value v = a.Get(k);
    if (v.IsNull() || v.IsUndefined()) {
      out.emplace_back();
      continue;
    }
    Handle* h = asHandle(v);
    if (!h || !h->live) typeError(info, i, name, "an array of live Tensors or nulls");
    out.push_back(h->t);
  }
  return out;
}

at::Scalar argScalar(const Napi::CallbackInfo& info, size_t i, const char* name) {
  if (i < info.Length()) {
    if (info[i].IsBoolean()) return at::Scalar(info[i].As<Napi::Boolean>().Value());
    if (info[i].IsNumber()) {
      double d = info[i].As<Napi::Number>().DoubleValue();
      // An integral JS number acts like a Python int (keeps integer dtypes).
      if (std::isfinite(d) && d == std::floor(d) && std::fabs(d) < 9.007199254740992e15) {
        return at::Scalar(static_cast<int64_t>(d));
      }
      return at::Scalar(d);
    }
  }
  typeError(info, i, name, "a number or boolean");
}

c10::optional<at::Scalar> argOptScalar(const Napi::CallbackInfo& info, size_t i, const char* name) {
  if (isNullish(info, i)) return c10::nullopt;
  return argScalar(info, i, name);
}

at::Tensor argTensorOrScalar(const Napi::CallbackInfo& info, size_t i, const char* name) {
  if (i < info.Length() && (info[i].IsNumber() || info[i].IsBoolean())) {
    // As PyTorch's Python layer does: a number becomes a "wrapped number"
    // tensor, which takes part in type promotion like a scalar.
    at::Tensor t = at::scalar_to_tensor(argScalar(info, i, name));
    t.unsafeGetTensorImpl()->set_wrapped_number(true);
    return t;
  }
  if (i < info.Length() && asHandle(info[i]) == nullptr) typeError(info, i, name, "a Tensor or a number");
  return argTensor(info, i, name);
}

int64_t argInt(const Napi::CallbackInfo& info, size_t i, const char* name) {
  if (i >= info.Length() || !info[i].IsNumber()) typeError(info, i, name, "an integer");
  double d = info[i].As<Napi::Number>().DoubleValue();
  // (beyond +-2^63 the conversion to int64_t is undefined behaviour)
  if (d != std::floor(d) || !std::isfinite(d) || std::fabs(d) >= 9.2233720368547758e18) typeError(info, i, name, "an integer");
  return static_cast<int64_t>(d);
}

c10::optional<int64_t> argOptInt(const Napi::CallbackInfo& info, size_t i, const char* name) {
  if (isNullish(info, i)) return c10::nullopt;
  return argInt(info, i, name);
}

std::vector<int64_t> argIntList(const Napi::CallbackInfo& info, size_t i, const char* name) {
  if (i < info.Length() && info[i].IsNumber()) return {argInt(info, i, name)};
  if (i >= info.Length() || !info[i].IsArray()) typeError(info, i, name, "an array of integers");
  auto a = info[i].As<Napi::Array>();
  std::vector<int64_t> out(a.Length());
  for (uint32_t k = 0; k < a.Length(); ++k) {
    Napi::Value v = a.Get(k);
    double d = v.IsNumber() ? v.As<Napi::Number>().DoubleValue() : NAN;
    if (!std::isfinite(d) || d != std::floor(d) || std::fabs(d) >= 9.2233720368547758e18) {
      typeError(info, i, name, "an array of integers");
    }
    out[k] = static_cast<int64_t>(d);
  }
  return out;
}

c10::optional<std::vector<int64_t>> argOptIntList(const Napi::CallbackInfo& info, size_t i, const char* name) {
  if (isNullish(info, i)) return c10::nullopt;
  return argIntList(info, i, name);
}

double argDouble(const Napi::CallbackInfo& info, size_t i, const char* name) {
  if (i >= info.Length() || !info[i].IsNumber()) typeError(info, i, name, "a number");
  return info[i].As<Napi::Number>().DoubleValue();
}

c10::optional<double> argOptDouble(const Napi::CallbackInfo& info, size_t i, const char* name) {
  if (isNullish(info, i)) return c10::nullopt;
  return argDouble(info, i, name);
}

bool argBool(const Napi::CallbackInfo& info, size_t i, const char* name) {
  if (i >= info.Length() || !info[i].IsBoolean()) typeError(info, i, name, "a boolean");
  return info[i].As<Napi::Boolean>().Value();
}

c10::optional<bool> argOptBool(const Napi::CallbackInfo& info, size_t i, const char* name) {
  if (isNullish(info, i)) return c10::nullopt;
  return argBool(info, i, name);
}

std::string argString(const Napi::CallbackInfo& info, size_t i, const char* name) {
  if (i >= info.Length() || !info[i].IsString()) typeError(info, i, name, "a string");
  return info[i].As<Napi::String>().Utf8Value();
}

c10::optional<std::string> argOptString(const Napi::CallbackInfo& info, size_t i, const char* name) {
  if (isNullish(info, i)) return c10::nullopt;
  return argString(info, i, name);
}

at::ScalarType argDtype(const Napi::CallbackInfo& info, size_t i, const char* name) {
  int64_t code = argInt(info, i, name);
  if (code < 0 || code >= static_cast<int64_t>(at::ScalarType::NumOptions)) typeError(info, i, name, "a dtype code");
  return static_cast<at::ScalarType>(code);
}

c10::optional<at::ScalarType> argOptDtype(const Napi::CallbackInfo& info, size_t i, const char* name) {
  if (isNullish(info, i)) return c10::nullopt;
  return argDtype(info, i, name);
}

c10::optional<at::Device> argOptDevice(const Napi::CallbackInfo& info, size_t i, const char* name) {
  if (isNullish(info, i)) return c10::nullopt;
  return at::Device(argString(info, i, name));
}

int64_t argReduction(const Napi::CallbackInfo& info, size_t i, const char* name) {
  std::string r = argString(info, i, name);
  if (r == "none") return at::Reduction::None;
  if (r == "mean") return at::Reduction::Mean;
  if (r == "sum") return at::Reduction::Sum;
  typeError(info, i, name, "'none', 'mean' or 'sum'");
}

at::TensorOptions opts(c10::optional<at::ScalarType> dtype, c10::optional<at::Device> device) {
  at::TensorOptions o;
  if (dtype) o = o.dtype(*dtype);
  if (device) o = o.device(*device);
  return o;
}

}  // namespace adaptune
