// Tensor storage and the opaque handle JavaScript holds. A storage is one allocation on one
// device; a handle is a shape over a storage (views share it). Freeing a handle marks the storage
// freed, so every handle on it refuses further use; the memory itself goes back to the allocator
// when the last operation in flight that uses it has finished.
#pragma once

#include <napi.h>

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace troupe {

enum class DType { F32, I32 };
const char* dtype_name(DType d);

struct Device {
  enum Kind { CPU, CUDA } kind = CPU;
  int index = 0;
  std::string name() const { return kind == CPU ? "cpu" : "cuda:" + std::to_string(index); }
};

struct Storage {
  Storage(size_t bytes, DType dtype, Device device);
  ~Storage();
  Storage(const Storage&) = delete;
  Storage& operator=(const Storage&) = delete;

  void* data = nullptr;
  size_t bytes = 0;
  DType dtype;
  Device device;
  std::atomic<bool> freed{false};
};

using StoragePtr = std::shared_ptr<Storage>;
using Shape = std::vector<int64_t>;

int64_t numel(const Shape& shape);
std::string shape_str(const Shape& shape);

/** The JavaScript-visible handle: an opaque object with no methods. */
class Handle : public Napi::ObjectWrap<Handle> {
 public:
  static void Init(Napi::Env env, Napi::Object exports);
  /** Wraps a storage in a new handle object. `owner` handles report their bytes to V8. */
  static Napi::Object Make(Napi::Env env, StoragePtr storage, Shape shape, bool owner);
  /** Unwraps args[i]; throws INVALID_ARGUMENT for a non-handle and OBJECT_FREED for a freed one. */
  static Handle* From(const Napi::Value& v, const std::string& what);
  static bool Is(const Napi::Value& v);

  explicit Handle(const Napi::CallbackInfo& info);
  ~Handle() override;

  void Free(Napi::Env env);
  bool freed() const { return !storage_ || storage_->freed.load(); }

  const StoragePtr& storage() const { return storage_; }
  const Shape& shape() const { return shape_; }
  DType dtype() const { return storage_->dtype; }
  const Device& device() const { return storage_->device; }
  int64_t size() const { return numel(shape_); }
  float* f32() const { return static_cast<float*>(storage_->data); }
  int32_t* i32() const { return static_cast<int32_t*>(storage_->data); }

 private:
  void Account(Napi::Env env, bool add);

  StoragePtr storage_;
  Shape shape_;
  bool owner_ = false;
  bool accounted_ = false;
};

/** Bytes kept by the allocator's cache of freed blocks (reused for same-size allocations). */
size_t cached_bytes();
void set_cache_limit(size_t bytes);

}  // namespace troupe
