// Data-parallel collectives over libtorch's c10d (TCPStore + ProcessGroupGloo).
// Compiled in only with -DUSE_C10D_GLOO (binding.gyp adds it where libgloo-dev's
// headers are present); otherwise distAvailable() is false and every other
// dist* function throws "distributed support not built".
#pragma once
#include <napi.h>

namespace adaptune {

// Registers distAvailable, distInit, distAllReduce, distBroadcast, distAllGather,
// distBarrier, distDestroy, distRank, distWorldSize on `exports`.
void registerDistributed(Napi::Env env, Napi::Object exports);

}  // namespace adaptune
