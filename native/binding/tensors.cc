// Creating, reading, writing, viewing and freeing tensors.
#include <cstring>

#include "args.h"
#include "device.h"
#include "export.h"

namespace troupe {
namespace {

DType dtype_arg(const Napi::Value& v, const std::string& op) {
  std::string s = string(v, op, "dtype");
  if (s == "float32") return DType::F32;
  if (s == "int32") return DType::I32;
  fail(code::kInvalidArgument, op + ": dtype must be 'float32' or 'int32', got '" + s + "'");
}

std::string type_name(const Napi::Value& v) {
  switch (v.Type()) {
    case napi_undefined: return "undefined";
    case napi_null: return "null";
    case napi_number: return "a number";
    case napi_string: return "a string";
    case napi_boolean: return "a boolean";
    default: break;
  }
  if (v.IsObject()) {
    Napi::Value ctor = v.As<Napi::Object>().Get("constructor");
    if (ctor.IsFunction()) return ctor.As<Napi::Object>().Get("name").ToString().Utf8Value();
  }
  return "an unsupported value";
}

DType typed_array_dtype(const Napi::Value& v, const std::string& op) {
  if (v.IsTypedArray()) {
    napi_typedarray_type t = v.As<Napi::TypedArray>().TypedArrayType();
    if (t == napi_float32_array) return DType::F32;
    if (t == napi_int32_array) return DType::I32;
  }
  fail(code::kInvalidArgument, op + ": data must be a Float32Array or Int32Array, got " + type_name(v));
}

void copy_in(Handle* h, const void* src, size_t bytes) {
  const Device& d = h->device();
  if (d.kind == Device::CPU) {
    std::memcpy(h->storage()->data, src, bytes);
    return;
  }
  device_copy_in(d, h->storage()->data, src, bytes);
}

Napi::Value Create(const Napi::CallbackInfo& info) {
  DType dtype = typed_array_dtype(info[0], "create");
  Shape shape = shape_arg(info[1], "create");
  Device device = parse_device(info[2].IsUndefined() ? "cpu" : string(info[2], "create", "device"));
  Napi::TypedArray data = info[0].As<Napi::TypedArray>();
  if (static_cast<int64_t>(data.ElementLength()) != numel(shape)) {
    fail(code::kInvalidArgument, "create: data has " + std::to_string(data.ElementLength()) + " elements but shape " +
                                     shape_str(shape) + " needs " + std::to_string(numel(shape)));
  }
  auto storage = std::make_shared<Storage>(data.ByteLength(), dtype, device);
  Napi::Object obj = Handle::Make(info.Env(), storage, shape, true);
  copy_in(Handle::Unwrap(obj), static_cast<uint8_t*>(data.ArrayBuffer().Data()) + data.ByteOffset(), data.ByteLength());
  return obj;
}

Napi::Value Zeros(const Napi::CallbackInfo& info) {
  Shape shape = shape_arg(info[0], "zeros");
  DType dtype = info[1].IsUndefined() ? DType::F32 : dtype_arg(info[1], "zeros");
  Device device = parse_device(info[2].IsUndefined() ? "cpu" : string(info[2], "zeros", "device"));
  size_t bytes = static_cast<size_t>(numel(shape)) * 4;
  auto storage = std::make_shared<Storage>(bytes, dtype, device);
  Napi::Object obj = Handle::Make(info.Env(), storage, shape, true);
  if (device.kind == Device::CPU) {
    std::memset(storage->data, 0, bytes);
  } else {
    device_zero(device, storage->data, bytes);
  }
  return obj;
}

Napi::Value Read(const Napi::CallbackInfo& info) {
  Handle* h = Handle::From(info[0], "read: tensor");
  Napi::Env env = info.Env();
  size_t bytes = static_cast<size_t>(h->size()) * 4;
  Napi::ArrayBuffer buf = Napi::ArrayBuffer::New(env, bytes);
  if (h->device().kind == Device::CPU) {
    std::memcpy(buf.Data(), h->storage()->data, bytes);
  } else {
    device_copy_out(h->device(), buf.Data(), h->storage()->data, bytes);
  }
  if (h->dtype() == DType::I32) return Napi::Int32Array::New(env, h->size(), buf, 0);
  return Napi::Float32Array::New(env, h->size(), buf, 0);
}

Napi::Value Write(const Napi::CallbackInfo& info) {
  Handle* h = Handle::From(info[0], "write: tensor");
  DType dtype = typed_array_dtype(info[1], "write");
  Napi::TypedArray data = info[1].As<Napi::TypedArray>();
  if (dtype != h->dtype()) {
    fail(code::kInvalidArgument, std::string("write: tensor is ") + dtype_name(h->dtype()) + " but data is " + dtype_name(dtype));
  }
  if (static_cast<int64_t>(data.ElementLength()) != h->size()) {
    fail(code::kInvalidArgument, "write: data has " + std::to_string(data.ElementLength()) +
                                     " elements but the tensor has shape " + shape_str(h->shape()));
  }
  copy_in(h, static_cast<uint8_t*>(data.ArrayBuffer().Data()) + data.ByteOffset(), data.ByteLength());
  return info.Env().Undefined();
}

Napi::Value View(const Napi::CallbackInfo& info) {
  Handle* h = Handle::From(info[0], "view: tensor");
  Shape shape = shape_arg(info[1], "view");
  if (numel(shape) != h->size()) {
    fail(code::kInvalidArgument, "view: cannot view shape " + shape_str(h->shape()) + " as " + shape_str(shape) +
                                     " (different element counts)");
  }
  return Handle::Make(info.Env(), h->storage(), shape, false);
}

Napi::Value Free(const Napi::CallbackInfo& info) {
  if (!Handle::Is(info[0])) fail(code::kInvalidArgument, "free: argument must be a native tensor handle");
  Handle::Unwrap(info[0].As<Napi::Object>())->Free(info.Env());
  return info.Env().Undefined();
}

Napi::Value Describe(const Napi::CallbackInfo& info) {
  if (!Handle::Is(info[0])) fail(code::kInvalidArgument, "describe: argument must be a native tensor handle");
  Handle* h = Handle::Unwrap(info[0].As<Napi::Object>());
  Napi::Env env = info.Env();
  Napi::Object out = Napi::Object::New(env);
  out.Set("freed", h->freed());
  if (!h->freed()) {
    Napi::Array shape = Napi::Array::New(env, h->shape().size());
    for (size_t i = 0; i < h->shape().size(); i++) shape.Set(static_cast<uint32_t>(i), static_cast<double>(h->shape()[i]));
    out.Set("shape", shape);
    out.Set("dtype", dtype_name(h->dtype()));
    out.Set("device", h->device().name());
  }
  return out;
}

}  // namespace

void register_tensors(Napi::Env env, Napi::Object exports) {
  define<Create>(env, exports, "create");
  define<Zeros>(env, exports, "zeros");
  define<Read>(env, exports, "read");
  define<Write>(env, exports, "write");
  define<View>(env, exports, "view");
  define<Free>(env, exports, "free");
  define<Describe>(env, exports, "describe");
}

}  // namespace troupe
