// Argument checks shared by the binding's functions. Every check throws OpError with a message
// that names the operation, the argument and, for shapes, both shapes involved.
#pragma once

#include <napi.h>

#include <optional>
#include <string>
#include <vector>

#include "errors.h"
#include "storage.h"
#include "troupe_core.h"

namespace troupe {

/** A tensor argument, holding its storage alive for as long as the operation runs. */
struct Arg {
  std::string name;
  StoragePtr storage;
  Shape shape;
  float* f() const { return static_cast<float*>(storage->data); }
  int32_t* i() const { return static_cast<int32_t*>(storage->data); }
  int64_t size() const { return numel(shape); }
  int64_t dim(int64_t i) const { return shape[static_cast<size_t>(i < 0 ? shape.size() + i : i)]; }
  const Device& device() const { return storage->device; }
};

/** A tensor argument of dtype `want`, on any device (see same_device). */
Arg tensor(const Napi::CallbackInfo& info, size_t i, const std::string& op, const std::string& name,
           DType want = DType::F32);
std::optional<Arg> optional_tensor(const Napi::CallbackInfo& info, size_t i, const std::string& op,
                                   const std::string& name);
Arg tensor_value(const Napi::Value& v, const std::string& op, const std::string& name, DType want = DType::F32);
std::vector<Arg> tensor_list(const Napi::Value& v, const std::string& op, const std::string& name);

double number(const Napi::Value& v, const std::string& op, const std::string& name);
bool boolean(const Napi::Value& v, const std::string& op, const std::string& name);
std::string string(const Napi::Value& v, const std::string& op, const std::string& name);
Shape shape_arg(const Napi::Value& v, const std::string& op);

void need_rank(const Arg& a, size_t rank, const std::string& op);
void need_same_shape(const Arg& a, const Arg& b, const std::string& op);

/**
 * The one device every argument is on (nullptr entries are skipped; the CPU when there are none).
 * Throws INVALID_ARGUMENT naming the operation, both arguments and both devices otherwise.
 */
Device same_device(const std::string& op, const std::vector<const Arg*>& args);
/** Appends pointers to every entry of each list, for same_device. */
void add_all(std::vector<const Arg*>& to, const std::vector<Arg>& list);

/** A new float32 (or int32) storage on `device` for an output of `shape`. */
StoragePtr output(const Shape& shape, DType dtype = DType::F32, const Device& device = Device{});

/** True for CUDA devices: the caller runs its GPU path (on_device) instead of the CPU kernel. */
inline bool is_cuda(const Device& d) { return d.kind == Device::CUDA; }

/** GEMM sizes are int in cuBLAS; throws INVALID_ARGUMENT naming `op` for larger ones. */
int gemm_dim(int64_t v, const std::string& op);

/** Turns a core status into an OpError naming the operation. */
void check(troupe_status status, const std::string& op);

}  // namespace troupe
