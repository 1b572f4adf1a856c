// The Node-API module: registers the tensor handle, the operations and the configuration calls.
#include <napi.h>

#include <cstdlib>
#include <thread>

#include "args.h"
#include "device.h"
#include "export.h"
#include "thread-pool.h"

namespace troupe {
namespace {

Napi::Value Info(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Object out = Napi::Object::New(env);
  out.Set("blas", troupe_have_blas() ? Napi::Value(Napi::String::New(env, "openblas")) : env.Null());
  out.Set("backend", troupe_gemm_backend_get() == TROUPE_GEMM_BLAS ? "blas" : "fallback");
  out.Set("threads", troupe_threads());
  out.Set("fallbackIsa", troupe_fallback_isa());
  out.Set("cachedBytes", static_cast<double>(cached_bytes()));
  std::string why;
  int devices = cuda_device_count(&why);
  Napi::Object cuda = Napi::Object::New(env);
  cuda.Set("loaded", cuda_lib(nullptr) != nullptr);
  cuda.Set("devices", devices);
  cuda.Set("reason", devices > 0 ? env.Null() : Napi::Value(Napi::String::New(env, why)));
  out.Set("cuda", cuda);
  return out;
}

Napi::Value SetThreads(const Napi::CallbackInfo& info) {
  double n = number(info[0], "setThreads", "threads");
  if (!(n >= 1 && n <= kMaxThreads && static_cast<int>(n) == n)) {
    fail(code::kInvalidArgument, "setThreads: threads must be an integer in [1, " + std::to_string(kMaxThreads) + "]");
  }
  check(troupe_set_threads(static_cast<int>(n)), "setThreads");
  return info.Env().Undefined();
}

Napi::Value SetBackend(const Napi::CallbackInfo& info) {
  std::string name = string(info[0], "setBackend", "backend");
  if (name != "blas" && name != "fallback") {
    fail(code::kInvalidArgument, "setBackend: backend must be 'blas' or 'fallback', got '" + name + "'");
  }
  if (troupe_set_gemm_backend(name == "blas" ? TROUPE_GEMM_BLAS : TROUPE_GEMM_FALLBACK) != TROUPE_OK) {
    fail(code::kInvalidArgument, "setBackend: backend 'blas' is not available: this build found no CBLAS");
  }
  return info.Env().Undefined();
}

Napi::Value SetCacheLimit(const Napi::CallbackInfo& info) {
  double bytes = number(info[0], "setCacheLimit", "bytes");
  if (!(bytes >= 0)) fail(code::kInvalidArgument, "setCacheLimit: bytes must be >= 0");
  set_cache_limit(static_cast<size_t>(bytes));
  return info.Env().Undefined();
}

// TROUPE_NUM_THREADS, else every hardware thread.
int default_threads() {
  const char* env = std::getenv("TROUPE_NUM_THREADS");
  int n = env ? std::atoi(env) : 0;
  if (n < 1) n = static_cast<int>(std::thread::hardware_concurrency());
  return n < 1 ? 1 : (n > kMaxThreads ? kMaxThreads : n);
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  troupe_set_threads(default_threads());
  Handle::Init(env, exports);
  define<Info>(env, exports, "info");
  define<SetThreads>(env, exports, "setThreads");
  define<SetBackend>(env, exports, "setBackend");
  define<SetCacheLimit>(env, exports, "setCacheLimit");
  register_tensors(env, exports);
  register_linalg(env, exports);
  register_pointwise(env, exports);
  register_norm_loss(env, exports);
  register_optim(env, exports);
  register_nccl(env, exports);
  return exports;
}

}  // namespace
}  // namespace troupe

static Napi::Object InitModule(Napi::Env env, Napi::Object exports) { return troupe::Init(env, exports); }

NODE_API_MODULE(troupe_native, InitModule)
