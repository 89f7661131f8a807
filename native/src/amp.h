// Mixed precision (native/src/amp.cc): libtorch's thread-local autocast state.
#pragma once
#include <napi.h>

namespace adaptune {

// Registers autocastState, setAutocast and autocastNesting on `exports`.
void registerAmp(Napi::Env env, Napi::Object exports);

}  // namespace adaptune
