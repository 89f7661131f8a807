// The overlapped gradient reducer (GradientReducer in src/core/distributed.ts)
// and the differentiable blocking all-reduce (allReduceSumGrad, SyncBatchNorm).
// Compiled only with -DUSE_C10D_GLOO, like dist.cc's collectives.
#include "dist_internal.h"

#ifdef USE_C10D_GLOO
#include <mutex>
#include <unordered_map>
#include <unordered_set>

#include <torch/csrc/autograd/custom_function.h>
#include <torch/csrc/autograd/function.h>
#include <torch/csrc/autograd/function_hook.h>
#include <torch/csrc/autograd/variable.h>

namespace adaptune {
namespace dist {
namespace {

// ---- Overlapped gradient reduction (what c10d's Reducer does for PyTorch's DDP) ----
// A post hook on each parameter's gradient accumulator (AccumulateGrad) marks
// the parameter ready; once every parameter of bucket i is ready and buckets
// 0..i-1 are launched, bucket i's all-reduce (a sum) is issued from inside the
// backward pass (the JS thread, which runs the CPU autograd engine). Buckets are
// fixed at creation and identical on every rank, so every rank issues them in
// the same order. Hooks only act between arm() and finish().
struct ReducerState {
  std::mutex mu;
  std::vector<at::Tensor> params;
  std::vector<std::shared_ptr<torch::autograd::Node>> accs;  // kept alive so the hooked accumulator is the one backward uses
  std::vector<uintptr_t> keys;                               // hook keys (del_post_hook), parallel to accs
  std::vector<std::vector<size_t>> buckets;                  // parameter indices, in launch order
  std::vector<int64_t> bucketOf;                             // -1: in no bucket
  std::unordered_map<const torch::autograd::Node*, size_t> paramOfAcc;  // accumulator -> parameter index
  // one cycle
  bool armed = false;  // hooks act (between arm and disarm/finish)
  bool open = false;   // arm() was called and finish() not yet
  std::vector<char> ready;
  std::vector<char> unused;     // marked ready at arm(): not reachable from the pass's roots
  std::vector<char> zeroed;     // given a zero gradient by this cycle (reported as having none)
  std::vector<size_t> pending;  // unready parameters per bucket
  size_t next = 0;              // the first bucket not launched
  std::vector<std::shared_ptr<Bucket>> flats;
  std::vector<Work> works;
  std::shared_ptr<Group> group;  // the group the cycle's buckets went to
  std::string error;             // a failure inside a hook, reported by finish()
  int launchedInBackward = 0;   // launched before backward returned (by arm() or a hook)

  void reset() {
    armed = false;
    open = false;
    ready.assign(params.size(), 0);
    unused.assign(params.size(), 0);
    zeroed.assign(params.size(), 0);
    pending.clear();
    for (auto& b : buckets) pending.push_back(b.size());
    next = 0;
    flats.clear();  // a cycle abandoned mid-way: Gloo's work keeps its own tensors alive
    works.clear();
    group.reset();
    error.clear();
    launchedInBackward = 0;
  }

  // Issues bucket `b`'s all-reduce (mu held). Every parameter has a gradient here.
  void launch(size_t b) {
    c10::NoGradGuard ng;
    if (!group) {
      group = defaultGroup();
    }
    if (!group) throw std::runtime_error("no process group (destroyed before the gradients were reduced)");
    auto bk = std::make_shared<Bucket>();
    for (size_t i : buckets[b]) {
      if (!params[i].grad().defined() && unused[i]) {
        params[i].mutable_grad() = at::zeros_like(params[i], at::MemoryFormat::Contiguous);
        zeroed[i] = 1;
      }
      const at::Tensor& g = params[i].grad();
      if (!g.defined()) throw std::runtime_error("parameter " + std::to_string(i) + " has no gradient at its bucket's launch");
      if (!g.device().is_cpu() || g.layout() != at::kStrided)
        throw std::runtime_error("parameter " + std::to_string(i) + ": Gloo needs dense CPU gradients, got " + g.device().str() + (g.is_sparse() ? " sparse" : ""));
      if (g.scalar_type() != params[buckets[b][0]].scalar_type())
        throw std::runtime_error("parameter " + std::to_string(i) + ": gradient dtype " + std::string(c10::toString(g.scalar_type())) + " differs from its bucket's");
      bk->parts.push_back(g.detach());
    }
    if (bk->parts.size() == 1 && bk->parts[0].is_contiguous()) {
      bk->flat = bk->parts[0];
    } else {
      std::vector<at::Tensor> flat;
      for (auto& t : bk->parts) flat.push_back(t.reshape({-1}));
      bk->flat = at::cat(flat);
      bk->copied = true;
    }
    c10d::AllreduceOptions o;
    o.reduceOp = c10d::ReduceOp::SUM;
    o.timeout = group->timeout;
    std::vector<at::Tensor> v{bk->flat};
    works.push_back(group->pg->allreduce(v, o));
    flats.push_back(bk);
    next = b + 1;
  }

  // A parameter's gradient is final for this backward pass (the accumulator's post hook).
  void markReady(size_t i) {
    std::lock_guard<std::mutex> lock(mu);
    if (!armed) return;
    int64_t b = bucketOf[i];
    if (b < 0 || ready[i]) {
      if (b >= 0 && static_cast<size_t>(b) < next && error.empty())
        error = "parameter " + std::to_string(i) + (unused[i] ? " got a gradient in the backward pass, but it is not reachable from the roots given to arm()"
                                                             : " was made ready twice in one backward pass after its bucket was launched");
      return;
    }
    ready[i] = 1;
    --pending[b];
    try {
      launchReady();
    } catch (const std::exception& e) {
      if (error.empty()) error = e.what();
      armed = false;  // no further launches this cycle; finish() reports it
      throw;
    }
  }

  void removeHooks() {
    for (size_t k = 0; k < accs.size(); ++k)
      if (accs[k]) accs[k]->del_post_hook(keys[k]);
    accs.clear();
    keys.clear();
    paramOfAcc.clear();
  }

  // find_unused_parameters: parameters whose accumulator the roots' graph does not reach get no
  // gradient in this pass, so they are ready now (mu held; after reset()). Launches what is ready.
  void markUnreachable(const std::vector<at::Tensor>& roots) {
    std::unordered_set<const torch::autograd::Node*> seen;
    std::vector<torch::autograd::Node*> stack;
    for (const auto& r : roots) {
      auto fn = r.defined() ? r.grad_fn() : nullptr;
      if (!fn && r.defined() && r.requires_grad()) fn = torch::autograd::impl::try_get_grad_accumulator(r);
      if (fn && seen.insert(fn.get()).second) stack.push_back(fn.get());
    }
    while (!stack.empty()) {
      torch::autograd::Node* n = stack.back();
      stack.pop_back();
      for (const auto& e : n->next_edges())
        if (e.function && seen.insert(e.function.get()).second) stack.push_back(e.function.get());
    }
    for (const auto& [acc, i] : paramOfAcc) {
      if (seen.count(acc)) continue;
      unused[i] = 1;
      ready[i] = 1;
      --pending[bucketOf[i]];
    }
    launchReady();
  }

  // Launches, in order, every bucket from `next` on whose parameters are all ready (mu held).
  void launchReady() {
    while (next < buckets.size() && pending[next] == 0) {
      launch(next);
      ++launchedInBackward;
    }
  }
};

struct ReadyHook : torch::autograd::FunctionPostHook {
  std::weak_ptr<ReducerState> state;
  size_t index;
  ReadyHook(std::weak_ptr<ReducerState> s, size_t i) : state(std::move(s)), index(i) {}
  torch::autograd::variable_list operator()(const torch::autograd::variable_list& outputs,
                                            const torch::autograd::variable_list& /*inputs*/) override {
    if (auto s = state.lock()) s->markReady(index);
    return outputs;
  }
};

// The JS handle: released by distReducerRelease or, failing that, by the finalizer.
struct ReducerBox {
  std::shared_ptr<ReducerState> s;
  void release() {
    std::shared_ptr<ReducerState> st;
    st.swap(s);
    if (!st) return;
    std::lock_guard<std::mutex> lock(st->mu);
    st->removeHooks();
    st->reset();
    st->params.clear();
  }
  ~ReducerBox() { release(); }
};

// Tags reducer handles apart from every other external (generators, ...).
const napi_type_tag kReducerTag = {0x6164617074756e65ULL, 0x7265647563650001ULL};

ReducerBox* boxArg(const Napi::CallbackInfo& info, const char* op) {
  if (info.Length() < 1 || !info[0].IsExternal() || !info[0].As<Napi::External<ReducerBox>>().CheckTypeTag(&kReducerTag))
    throw Napi::TypeError::New(info.Env(), std::string(op) + ": argument 0 must be a reducer");
  return info[0].As<Napi::External<ReducerBox>>().Data();
}

std::shared_ptr<ReducerState> reducerArg(const Napi::CallbackInfo& info, const char* op) {
  auto* box = boxArg(info, op);
  if (!box->s) throw Napi::Error::New(info.Env(), std::string(op) + ": the reducer was released");
  return box->s;
}

// ---- A differentiable, blocking all-reduce (sum) for SyncBatchNorm ----
// Runs on the calling thread and waits there (inside a forward or backward pass,
// which must not continue without the result); backward sums the gradients over
// ranks (torch.distributed.nn.functional.all_reduce).
at::Tensor blockingSum(const at::Tensor& t) {
  std::shared_ptr<Group> g = defaultGroup();
  if (!g) throw std::runtime_error("no process group: call initProcessGroup() first");
  if (!t.device().is_cpu() || t.layout() != at::kStrided) throw std::runtime_error("Gloo needs a dense CPU tensor, got " + t.device().str());
  at::Tensor y = t.detach().clone(at::MemoryFormat::Contiguous);
  c10d::AllreduceOptions o;
  o.reduceOp = c10d::ReduceOp::SUM;
  o.timeout = g->timeout;
  std::vector<at::Tensor> v{y};
  waitFor(g->pg->allreduce(v, o), *g);
  return y;
}

struct AllReduceSumFn : public torch::autograd::Function<AllReduceSumFn> {
  static at::Tensor forward(torch::autograd::AutogradContext* /*ctx*/, const at::Tensor& x) { return blockingSum(x); }
  static torch::autograd::variable_list backward(torch::autograd::AutogradContext* /*ctx*/, torch::autograd::variable_list g) {
    return {blockingSum(g[0])};
  }
};

}  // namespace

void registerReducer(Napi::Env env, Napi::Object exports) {
  // distReducerNew(params, buckets: number[][]): hooks every parameter named by a bucket.
  def(env, exports, "distReducerNew", [](const Napi::CallbackInfo& info) -> Napi::Value {
    Napi::Env env = info.Env();
    auto s = std::make_shared<ReducerState>();
    s->params = argTensorList(info, 0, "params");
    s->bucketOf.assign(s->params.size(), -1);
    if (info.Length() < 2 || !info[1].IsArray()) throw Napi::TypeError::New(env, "distReducerNew: argument 1 (buckets) must be an array of index arrays");
    Napi::Array bs = info[1].As<Napi::Array>();
    for (uint32_t b = 0; b < bs.Length(); ++b) {
      Napi::Value bv = bs.Get(b);
      if (!bv.IsArray()) throw Napi::TypeError::New(env, "distReducerNew: bucket " + std::to_string(b) + " must be an array of parameter indices");
      Napi::Array ia = bv.As<Napi::Array>();
      std::vector<size_t> idx;
      for (uint32_t k = 0; k < ia.Length(); ++k) {
        Napi::Value iv = ia.Get(k);
        if (!iv.IsNumber()) throw Napi::TypeError::New(env, "distReducerNew: bucket " + std::to_string(b) + " entry " + std::to_string(k) + " must be a parameter index");
        int64_t i = iv.As<Napi::Number>().Int64Value();
        if (i < 0 || i >= static_cast<int64_t>(s->params.size()) || s->bucketOf[i] != -1)
          throw Napi::RangeError::New(env, "distReducerNew: bucket " + std::to_string(b) + " names parameter " + std::to_string(i) + ", out of range or already in a bucket");
        if (!s->params[i].requires_grad() || !s->params[i].is_leaf())
          throw Napi::RangeError::New(env, "distReducerNew: parameter " + std::to_string(i) + " is not a leaf that requires grad");
        s->bucketOf[i] = b;
        idx.push_back(static_cast<size_t>(i));
      }
      if (idx.empty()) throw Napi::RangeError::New(env, "distReducerNew: bucket " + std::to_string(b) + " is empty");
      s->buckets.push_back(std::move(idx));
    }
    for (size_t i = 0; i < s->params.size(); ++i) {
      if (s->bucketOf[i] < 0) continue;
      auto acc = torch::autograd::impl::grad_accumulator(s->params[i]);
      if (!acc) throw Napi::Error::New(env, "distReducerNew: parameter " + std::to_string(i) + " has no gradient accumulator");
      s->keys.push_back(acc->add_post_hook(std::make_unique<ReadyHook>(s, i)));
      s->paramOfAcc[acc.get()] = i;
      s->accs.push_back(std::move(acc));
    }
    s->reset();
    auto ext = Napi::External<ReducerBox>::New(env, new ReducerBox{s}, [](Napi::Env, ReducerBox* b) { delete b; });
    ext.TypeTag(&kReducerTag);
    return ext;
  });

  // Starts a cycle: the next backward pass launches buckets as they become ready. With
  // roots (the tensors that pass starts from), parameters their graph does not reach are
  // ready at once (PyTorch's find_unused_parameters), so they hold no bucket back.
  def(env, exports, "distReducerArm", [](const Napi::CallbackInfo& info) -> Napi::Value {
    auto s = reducerArg(info, "distReducerArm");
    std::vector<at::Tensor> roots;
    bool search = info.Length() > 1 && !info[1].IsUndefined() && !info[1].IsNull();
    if (search) roots = argTensorList(info, 1, "roots");
    std::lock_guard<std::mutex> lock(s->mu);
    s->reset();
    s->armed = true;
    s->open = true;
    if (search) {
      try {
        s->markUnreachable(roots);
      } catch (...) {
        s->reset();
        throw;
      }
    }
    return info.Env().Undefined();
  });

  // After the armed backward pass: the hooks stop acting. failed: the pass threw,
  // so this cycle's issued buckets hold partial gradients; finish() refuses it.
  def(env, exports, "distReducerDisarm", [](const Napi::CallbackInfo& info) -> Napi::Value {
    auto s = reducerArg(info, "distReducerDisarm");
    bool failed = argBool(info, 1, "failed");
    std::lock_guard<std::mutex> lock(s->mu);
    if (s->armed && failed && s->error.empty())
      s->error = "the backward pass failed after " + std::to_string(s->next) + " of " + std::to_string(s->buckets.size()) + " buckets were issued";
    s->armed = false;
    return info.Env().Undefined();
  });

  // After backward: returns which parameters had a gradient (1/0, before any
  // zero-filling), gives missing bucketed gradients zeros and launches every
  // bucket not launched yet, in order. Returns { have: number[], early: number }.
  def(env, exports, "distReducerFinish", [](const Napi::CallbackInfo& info) -> Napi::Value {
    Napi::Env env = info.Env();
    auto s = reducerArg(info, "distReducerFinish");
    std::lock_guard<std::mutex> lock(s->mu);
    if (!s->error.empty()) {
      std::string e = s->error;
      s->reset();
      throw Napi::Error::New(env, "gradient reduction: " + e);
    }
    if (!s->open) s->reset();  // no armed backward pass (e.g. it was skipped): every bucket goes now
    s->armed = false;
    s->open = false;
    Napi::Array have = Napi::Array::New(env, s->params.size());
    c10::NoGradGuard ng;
    for (size_t i = 0; i < s->params.size(); ++i) {
      bool h = s->params[i].grad().defined() && !s->zeroed[i];
      have.Set(static_cast<uint32_t>(i), Napi::Number::New(env, h ? 1 : 0));
      if (!s->params[i].grad().defined() && s->bucketOf[i] >= 0) s->params[i].mutable_grad() = at::zeros_like(s->params[i], at::MemoryFormat::Contiguous);
    }
    while (s->next < s->buckets.size()) s->launch(s->next);
    Napi::Object out = Napi::Object::New(env);
    out.Set("have", have);
    out.Set("early", Napi::Number::New(env, s->launchedInBackward));
    return out;
  });

  // Waits (off the JS thread) for the cycle's buckets, divides by the world size
  // and copies the averages into the gradients; resolves when all are done.
  def(env, exports, "distReducerWait", [](const Napi::CallbackInfo& info) -> Napi::Value {
    Napi::Env env = info.Env();
    auto s = reducerArg(info, "distReducerWait");
    std::vector<std::shared_ptr<Bucket>> flats;
    std::vector<Work> works;
    std::shared_ptr<Group> g;
    {
      std::lock_guard<std::mutex> lock(s->mu);
      if (s->next < s->buckets.size()) throw Napi::Error::New(env, "distReducerWait: call distReducerFinish first (" + std::to_string(s->buckets.size() - s->next) + " buckets not launched)");
      flats.swap(s->flats);
      works.swap(s->works);
      g = s->group;
      s->reset();
    }
    if (!g) g = current(env, "allReduce");
    return queue(new DistWorker(env, "allReduce", g->rank, g->size, [g, flats, works]() {
      for (size_t b = 0; b < works.size(); ++b) {
        waitFor(works[b], *g);
        c10::NoGradGuard ng;
        Bucket& bk = *flats[b];
        if (!bk.copied) {
          bk.flat.div_(g->size);
          continue;
        }
        // the average straight into each gradient (one pass; the same division as div_ then copy_)
        at::Tensor w = at::scalar_tensor(g->size, bk.flat.options());
        int64_t off = 0;
        for (auto& t : bk.parts) {
          at::div_out(t, bk.flat.narrow(0, off, t.numel()).view(t.sizes()), w);
          off += t.numel();
        }
      }
    }));
  });

  // How many post hooks the gradient accumulator of `t` has (0 when it has none alive); for the tests.
  def(env, exports, "distGradHookCount", [](const Napi::CallbackInfo& info) -> Napi::Value {
    auto acc = torch::autograd::impl::try_get_grad_accumulator(argTensor(info, 0, "tensor"));
    return Napi::Number::New(info.Env(), acc ? static_cast<double>(acc->post_hooks().size()) : 0.0);
  });

  def(env, exports, "distReducerRelease", [](const Napi::CallbackInfo& info) -> Napi::Value {
    boxArg(info, "distReducerRelease")->release();
    return info.Env().Undefined();
  });

  // distAllReduceSumGrad(t): a new tensor, the sum of t over ranks; differentiable; blocks until done.
  def(env, exports, "distAllReduceSumGrad", [](const Napi::CallbackInfo& info) -> Napi::Value {
    return wrap(info.Env(), AllReduceSumFn::apply(argTensor(info, 0, "tensor")));
  });
}

}  // namespace dist
}  // namespace adaptune
#endif  // USE_C10D_GLOO
