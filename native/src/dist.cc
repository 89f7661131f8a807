// Data-parallel collectives over c10d: one default process group per process
// (TCPStore rendezvous + ProcessGroupGloo). Collectives are issued on the JS
// thread (so every rank enqueues them in program order) and waited for on a
// libuv worker thread (Napi::AsyncWorker), which settles a promise. Failures
// reject with an Error named 'DistributedError' carrying rank, worldSize, op
// and timedOut; src/core/distributed.ts turns it into its typed class. The
// overlapped gradient reducer and the differentiable all-reduce are in
// reducer.cc (shared declarations: dist_internal.h).
#include "dist.h"

#include <cstdlib>
#include <mutex>

#include "dist_internal.h"

#ifdef USE_C10D_GLOO
#include <torch/csrc/distributed/c10d/TCPStore.hpp>
#endif

namespace adaptune {
namespace dist {

// The typed rejection value: Error{name:'DistributedError', rank, worldSize, op, timedOut}.
Napi::Value distError(Napi::Env env, const std::string& op, int rank, int size, const std::string& what) {
  std::string where = rank >= 0 ? "rank " + std::to_string(rank) + " of " + std::to_string(size) : "this process";
  Napi::Error e = Napi::Error::New(env, where + ": " + op + ": " + what);
  Napi::Object o = e.Value();
  o.Set("name", "DistributedError");
  o.Set("rank", Napi::Number::New(env, rank));
  o.Set("worldSize", Napi::Number::New(env, size));
  o.Set("op", op);
  bool timedOut = what.find("imed out") != std::string::npos || what.find("imeout") != std::string::npos ||
                  what.find("timeout") != std::string::npos;
  o.Set("timedOut", Napi::Boolean::New(env, timedOut));
  return o;
}

#ifdef USE_C10D_GLOO
namespace {
std::mutex g_mu;
std::shared_ptr<Group> g_group;  // the default group; set by distInit, cleared by distDestroy

}  // namespace

std::shared_ptr<Group> defaultGroup() {
  std::lock_guard<std::mutex> lock(g_mu);
  return g_group;
}

std::shared_ptr<Group> current(Napi::Env env, const char* op) {
  std::lock_guard<std::mutex> lock(g_mu);
  if (!g_group) throw Napi::Error::New(env, std::string(op) + ": no process group: call initProcessGroup() first");
  return g_group;
}

namespace {
bool isLoopback(const std::string& host) {
  return host == "localhost" || host.rfind("127.", 0) == 0 || host == "::1";
}

}  // namespace

void waitFor(const Work& work, const Group& g) {
  if (!work->wait(g.timeout)) throw std::runtime_error("timed out after " + std::to_string(g.timeout.count()) + " ms");
}

namespace {
Bucket makeBucket(Napi::Env env, const char* op, std::vector<at::Tensor> ts) {
  if (ts.empty()) throw Napi::Error::New(env, std::string(op) + ": needs at least one tensor");
  for (size_t i = 0; i < ts.size(); ++i) {
    if (!ts[i].defined()) throw Napi::Error::New(env, std::string(op) + ": tensor " + std::to_string(i) + " is undefined");
    if (!ts[i].device().is_cpu() || ts[i].layout() != at::kStrided)
      throw Napi::Error::New(env, std::string(op) + ": Gloo needs dense CPU tensors; tensor " + std::to_string(i) + " is on " + ts[i].device().str());
    if (ts[i].scalar_type() != ts[0].scalar_type())
      throw Napi::Error::New(env, std::string(op) + ": all tensors of a bucket need one dtype; tensor " + std::to_string(i) + " is " +
                                      c10::toString(ts[i].scalar_type()) + ", tensor 0 is " + c10::toString(ts[0].scalar_type()));
  }
  Bucket b;
  for (auto& t : ts) b.parts.push_back(t.detach());
  if (b.parts.size() == 1 && b.parts[0].is_contiguous()) {
    b.flat = b.parts[0];
  } else {
    std::vector<at::Tensor> flat;
    for (auto& t : b.parts) flat.push_back(t.reshape({-1}));
    b.flat = at::cat(flat);
    b.copied = true;
  }
  return b;
}
// Copies a reduced bucket back into its tensors (worker thread).
void unbucket(Bucket& b) {
  if (!b.copied) return;
  int64_t off = 0;
  for (auto& t : b.parts) {
    t.copy_(b.flat.narrow(0, off, t.numel()).view(t.sizes()));
    off += t.numel();
  }
}

void registerGloo(Napi::Env env, Napi::Object exports) {
  registerReducer(env, exports);

  def(env, exports, "distInit", [](const Napi::CallbackInfo& info) -> Napi::Value {
    std::string host = argString(info, 0, "masterAddr");
    int64_t port = argInt(info, 1, "masterPort");
    int rank = static_cast<int>(argInt(info, 2, "rank"));
    int size = static_cast<int>(argInt(info, 3, "worldSize"));
    int64_t timeoutMs = argInt(info, 4, "timeoutMs");
    int64_t initTimeoutMs = argInt(info, 5, "initTimeoutMs");
    Napi::Env env = info.Env();
    if (port < 1 || port > 65535) throw Napi::RangeError::New(env, "initProcessGroup: masterPort must be in [1, 65535], got " + std::to_string(port));
    if (size < 1 || rank < 0 || rank >= size)
      throw Napi::RangeError::New(env, "initProcessGroup: rank must be in [0, worldSize), got rank " + std::to_string(rank) + ", worldSize " + std::to_string(size));
    {
      std::lock_guard<std::mutex> lock(g_mu);
      if (g_group) throw Napi::Error::New(env, "initProcessGroup: a process group exists already (rank " + std::to_string(g_group->rank) + "); call destroyProcessGroup() first");
    }
    std::string ifname = std::getenv("GLOO_SOCKET_IFNAME") ? std::getenv("GLOO_SOCKET_IFNAME") : "";
    auto* w = new DistWorker(env, "initProcessGroup(" + host + ":" + std::to_string(port) + ")", rank, size, [=]() {
      auto g = std::make_shared<Group>();
      g->rank = rank;
      g->size = size;
      g->timeout = std::chrono::milliseconds(timeoutMs);
      c10d::TCPStoreOptions so;
      so.port = static_cast<std::uint16_t>(port);
      so.isServer = rank == 0;
      so.numWorkers = static_cast<std::size_t>(size);
      so.waitWorkers = true;
      so.timeout = std::chrono::milliseconds(initTimeoutMs);  // the rendezvous: waits for every rank to start
      g->store = c10::make_intrusive<c10d::TCPStore>(host, so);
      auto opts = c10d::ProcessGroupGloo::Options::create(g->timeout);
      if (!ifname.empty()) opts->devices.push_back(c10d::ProcessGroupGloo::createDeviceForInterface(ifname));
      else if (isLoopback(host)) opts->devices.push_back(c10d::ProcessGroupGloo::createDeviceForHostname("127.0.0.1"));
      else opts->devices.push_back(c10d::ProcessGroupGloo::createDefaultDevice());
      opts->threads = 2;
      g->pg = c10::make_intrusive<c10d::ProcessGroupGloo>(g->store, rank, size, opts);
      std::lock_guard<std::mutex> lock(g_mu);
      g_group = g;
    });
    return queue(w);
  });

  def(env, exports, "distAllReduce", [](const Napi::CallbackInfo& info) -> Napi::Value {
    Napi::Env env = info.Env();
    auto g = current(env, "allReduce");
    std::string op = argString(info, 1, "op");
    auto bucket = std::make_shared<Bucket>(makeBucket(env, "allReduce", argTensorList(info, 0, "tensors")));
    c10d::AllreduceOptions o;
    o.timeout = g->timeout;
    bool avg = op == "avg";
    if (op == "sum" || avg) o.reduceOp = c10d::ReduceOp::SUM;  // Gloo has no AVG: sum, then divide
    else if (op == "max") o.reduceOp = c10d::ReduceOp::MAX;
    else if (op == "min") o.reduceOp = c10d::ReduceOp::MIN;
    else throw Napi::RangeError::New(env, "allReduce: op must be 'sum', 'avg', 'max' or 'min', got '" + op + "'");
    if (avg && !at::isFloatingType(bucket->flat.scalar_type()))
      throw Napi::TypeError::New(env, "allReduce: op 'avg' needs floating-point tensors, got " + std::string(c10::toString(bucket->flat.scalar_type())));
    std::vector<at::Tensor> v{bucket->flat};
    Work work = g->pg->allreduce(v, o);
    return queue(new DistWorker(env, "allReduce", g->rank, g->size, [g, bucket, work, avg]() {
      waitFor(work, *g);
      c10::NoGradGuard ng;
      if (avg) bucket->flat.div_(g->size);
      unbucket(*bucket);
    }));
  });

  def(env, exports, "distBroadcast", [](const Napi::CallbackInfo& info) -> Napi::Value {
    Napi::Env env = info.Env();
    auto g = current(env, "broadcast");
    int64_t src = argInt(info, 1, "src");
    if (src < 0 || src >= g->size) throw Napi::RangeError::New(env, "broadcast: src must be in [0, " + std::to_string(g->size) + "), got " + std::to_string(src));
    auto bucket = std::make_shared<Bucket>(makeBucket(env, "broadcast", argTensorList(info, 0, "tensors")));
    c10d::BroadcastOptions o;
    o.rootRank = src;
    o.rootTensor = 0;
    o.timeout = g->timeout;
    std::vector<at::Tensor> v{bucket->flat};
    Work work = g->pg->broadcast(v, o);
    return queue(new DistWorker(env, "broadcast", g->rank, g->size, [g, bucket, work]() {
      waitFor(work, *g);
      c10::NoGradGuard ng;
      unbucket(*bucket);
    }));
  });

  def(env, exports, "distAllGather", [](const Napi::CallbackInfo& info) -> Napi::Value {
    Napi::Env env = info.Env();
    auto g = current(env, "allGather");
    at::Tensor t = makeBucket(env, "allGather", {argTensor(info, 0, "tensor")}).parts[0].contiguous();
    auto out = std::make_shared<std::vector<std::vector<at::Tensor>>>(1);
    for (int r = 0; r < g->size; ++r) (*out)[0].push_back(at::empty_like(t));
    std::vector<at::Tensor> in{t};
    c10d::AllgatherOptions o;
    o.timeout = g->timeout;
    Work work = g->pg->allgather(*out, in, o);
    return queue(new DistWorker(env, "allGather", g->rank, g->size, [g, work]() { waitFor(work, *g); },
                                [out](Napi::Env e) { return wrapList(e, (*out)[0]); }));
  });

  def(env, exports, "distBarrier", [](const Napi::CallbackInfo& info) -> Napi::Value {
    Napi::Env env = info.Env();
    auto g = current(env, "barrier");
    c10d::BarrierOptions o;
    o.timeout = g->timeout;
    Work work = g->pg->barrier(o);
    return queue(new DistWorker(env, "barrier", g->rank, g->size, [g, work]() { waitFor(work, *g); }));
  });

  def(env, exports, "distDestroy", [](const Napi::CallbackInfo& info) -> Napi::Value {
    std::shared_ptr<Group> g;
    {
      std::lock_guard<std::mutex> lock(g_mu);
      g.swap(g_group);
    }
    g.reset();  // joins Gloo's threads, closes the store connection
    return info.Env().Undefined();
  });

  def(env, exports, "distRank", [](const Napi::CallbackInfo& info) -> Napi::Value {
    std::lock_guard<std::mutex> lock(g_mu);
    return Napi::Number::New(info.Env(), g_group ? g_group->rank : -1);
  });
  def(env, exports, "distWorldSize", [](const Napi::CallbackInfo& info) -> Napi::Value {
    std::lock_guard<std::mutex> lock(g_mu);
    return Napi::Number::New(info.Env(), g_group ? g_group->size : -1);
  });
}
}  // namespace
#endif  // USE_C10D_GLOO

}  // namespace dist

void registerDistributed(Napi::Env env, Napi::Object exports) {
  using dist::def;
#ifdef USE_C10D_GLOO
  def(env, exports, "distAvailable", [](const Napi::CallbackInfo& info) -> Napi::Value {
    return Napi::Boolean::New(info.Env(), true);
  });
  dist::registerGloo(env, exports);
#else
  def(env, exports, "distAvailable", [](const Napi::CallbackInfo& info) -> Napi::Value {
    return Napi::Boolean::New(info.Env(), false);
  });
#endif
}

}  // namespace adaptune
