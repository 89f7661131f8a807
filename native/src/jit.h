// Graph mode over TorchScript (native/src/jit.cc): tracing a JS forward into a
// script module, freeze, optimize_for_inference, forward, dispose.
#pragma once
#include <napi.h>

namespace adaptune {

// Registers jitTrace, jitFreeze, jitOptimizeForInference, jitForward, jitGraph,
// jitStage, jitDispose, tensorStamps and isTracing on `exports`.
void registerJit(Napi::Env env, Napi::Object exports);

// Throws (a std::runtime_error naming `what`) while a trace is running on this
// thread: reading tensor values would bake one input's data into the graph.
void refuseWhileTracing(const char* what);

}  // namespace adaptune
