#include "storage.h"

#include <cstdlib>
#include <map>
#include <mutex>

#include "device.h"
#include "errors.h"

namespace troupe {
namespace {

// Freed CPU blocks are kept by exact size and handed out again: a training loop allocates the
// same shapes every step, and a reused block skips the page faults of fresh memory.
class BlockCache {
 public:
  void* take(size_t bytes) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      auto it = blocks_.find(bytes);
      if (it != blocks_.end()) {
        void* p = it->second;
        blocks_.erase(it);
        cached_ -= bytes;
        return p;
      }
    }
    void* p = std::aligned_alloc(64, bytes);
    if (!p) fail(code::kInternal, "out of memory allocating " + std::to_string(bytes) + " bytes");
    return p;
  }

  void give(void* p, size_t bytes) {
    std::lock_guard<std::mutex> lock(mu_);
    if (cached_ + bytes > limit_) {
      std::free(p);
      return;
    }
    blocks_.emplace(bytes, p);
    cached_ += bytes;
  }

  size_t cached() {
    std::lock_guard<std::mutex> lock(mu_);
    return cached_;
  }

  void set_limit(size_t bytes) {
    std::lock_guard<std::mutex> lock(mu_);
    limit_ = bytes;
    while (cached_ > limit_ && !blocks_.empty()) {
      auto it = blocks_.begin();
      cached_ -= it->first;
      std::free(it->second);
      blocks_.erase(it);
    }
  }

 private:
  std::mutex mu_;
  std::multimap<size_t, void*> blocks_;
  size_t cached_ = 0;
  size_t limit_ = size_t{512} << 20;
};

BlockCache& cache() {
  static BlockCache* c = new BlockCache();  // outlives every storage, even at exit
  return *c;
}

size_t round_up(size_t bytes) { return bytes == 0 ? 64 : (bytes + 63) / 64 * 64; }

}  // namespace

const char* dtype_name(DType d) { return d == DType::F32 ? "float32" : "int32"; }

Storage::Storage(size_t n, DType t, Device d) : bytes(n), dtype(t), device(d) {
  if (device.kind == Device::CPU) {
    data = cache().take(round_up(bytes));
  } else {
    data = device_alloc(device, bytes == 0 ? 4 : bytes);  // kernels refuse null pointers, even for 0 elements
  }
}

Storage::~Storage() {
  if (!data) return;
  if (device.kind == Device::CPU) {
    cache().give(data, round_up(bytes));
  } else {
    device_release(device, data);
  }
}

int64_t numel(const Shape& shape) {
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  return n;
}

std::string shape_str(const Shape& shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); i++) s += (i ? "," : "") + std::to_string(shape[i]);
  return s + "]";
}

size_t cached_bytes() { return cache().cached(); }
void set_cache_limit(size_t bytes) { cache().set_limit(bytes); }

void Handle::Init(Napi::Env env, Napi::Object exports) {
  // Per environment (main thread and each worker thread that loads the addon).
  Napi::Function ctor = DefineClass(env, "NativeTensor", {});
  env.SetInstanceData<Napi::FunctionReference>(new Napi::FunctionReference(Napi::Persistent(ctor)));
  exports.Set("NativeTensor", ctor);
}

Handle::Handle(const Napi::CallbackInfo& info) : Napi::ObjectWrap<Handle>(info) {}

Handle::~Handle() {
  if (accounted_) Account(Env(), false);
}

Napi::Object Handle::Make(Napi::Env env, StoragePtr storage, Shape shape, bool owner) {
  Napi::Object obj = env.GetInstanceData<Napi::FunctionReference>()->New({});
  Handle* h = Unwrap(obj);
  h->storage_ = std::move(storage);
  h->shape_ = std::move(shape);
  h->owner_ = owner;
  if (owner) h->Account(env, true);
  return obj;
}

void Handle::Account(Napi::Env env, bool add) {
  int64_t bytes = static_cast<int64_t>(storage_ ? storage_->bytes : 0);
  if (storage_ && storage_->device.kind != Device::CPU) return;
  Napi::MemoryManagement::AdjustExternalMemory(env, add ? bytes : -bytes);
  accounted_ = add;
}

bool Handle::Is(const Napi::Value& v) {
  return v.IsObject() && v.As<Napi::Object>().InstanceOf(v.Env().GetInstanceData<Napi::FunctionReference>()->Value());
}

Handle* Handle::From(const Napi::Value& v, const std::string& what) {
  if (!Is(v)) fail(code::kInvalidArgument, what + " must be a native tensor handle");
  Handle* h = Unwrap(v.As<Napi::Object>());
  if (h->freed()) fail(code::kObjectFreed, what + " was freed and cannot be used");
  return h;
}

void Handle::Free(Napi::Env env) {
  if (!storage_) return;
  storage_->freed.store(true);
  if (accounted_) Account(env, false);
  storage_.reset();
}

}  // namespace troupe
