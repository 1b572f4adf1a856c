#include "args.h"

#include <cmath>

#include "device.h"

namespace troupe {

Arg tensor_value(const Napi::Value& v, const std::string& op, const std::string& name, DType want) {
  Handle* h = Handle::From(v, op + ": " + name);
  if (h->dtype() != want) {
    fail(code::kInvalidArgument,
         op + ": " + name + " must be " + dtype_name(want) + ", got " + dtype_name(h->dtype()));
  }
  return Arg{name, h->storage(), h->shape()};
}

Arg tensor(const Napi::CallbackInfo& info, size_t i, const std::string& op, const std::string& name, DType want) {
  return tensor_value(info[i], op, name, want);
}

std::optional<Arg> optional_tensor(const Napi::CallbackInfo& info, size_t i, const std::string& op,
                                   const std::string& name) {
  if (info[i].IsNull() || info[i].IsUndefined()) return std::nullopt;
  return tensor(info, i, op, name);
}

std::vector<Arg> tensor_list(const Napi::Value& v, const std::string& op, const std::string& name) {
  if (!v.IsArray()) fail(code::kInvalidArgument, op + ": " + name + " must be an array of tensors");
  Napi::Array arr = v.As<Napi::Array>();
  std::vector<Arg> out;
  for (uint32_t i = 0; i < arr.Length(); i++) {
    out.push_back(tensor_value(arr.Get(i), op, name + "[" + std::to_string(i) + "]"));
  }
  return out;
}

double number(const Napi::Value& v, const std::string& op, const std::string& name) {
  if (!v.IsNumber()) fail(code::kInvalidArgument, op + ": " + name + " must be a number");
  double d = v.As<Napi::Number>().DoubleValue();
  if (std::isnan(d)) fail(code::kInvalidArgument, op + ": " + name + " must be a number, got NaN");
  return d;
}

bool boolean(const Napi::Value& v, const std::string& op, const std::string& name) {
  if (!v.IsBoolean()) fail(code::kInvalidArgument, op + ": " + name + " must be a boolean");
  return v.As<Napi::Boolean>().Value();
}

std::string string(const Napi::Value& v, const std::string& op, const std::string& name) {
  if (!v.IsString()) fail(code::kInvalidArgument, op + ": " + name + " must be a string");
  return v.As<Napi::String>().Utf8Value();
}

Shape shape_arg(const Napi::Value& v, const std::string& op) {
  const std::string rule = op + ": shape must be an array of non-negative integers";
  if (!v.IsArray()) fail(code::kInvalidArgument, rule);
  Napi::Array arr = v.As<Napi::Array>();
  Shape shape;
  for (uint32_t i = 0; i < arr.Length(); i++) {
    Napi::Value d = arr.Get(i);
    double x = d.IsNumber() ? d.As<Napi::Number>().DoubleValue() : -1;
    if (!(x >= 0 && x <= 9007199254740991.0 && std::floor(x) == x)) fail(code::kInvalidArgument, rule);
    shape.push_back(static_cast<int64_t>(x));
  }
  if (numel(shape) > (int64_t{1} << 40)) fail(code::kInvalidArgument, op + ": shape " + shape_str(shape) + " is too large");
  return shape;
}

void need_rank(const Arg& a, size_t rank, const std::string& op) {
  if (a.shape.size() != rank) {
    fail(code::kInvalidArgument,
         op + ": " + a.name + " must be " + std::to_string(rank) + "-D, got shape " + shape_str(a.shape));
  }
}

void need_same_shape(const Arg& a, const Arg& b, const std::string& op) {
  if (a.shape != b.shape) {
    fail(code::kInvalidArgument, op + ": shapes differ: " + a.name + " is " + shape_str(a.shape) + " and " + b.name +
                                     " is " + shape_str(b.shape));
  }
}

Device same_device(const std::string& op, const std::vector<const Arg*>& args) {
  const Arg* first = nullptr;
  for (const Arg* a : args) {
    if (!a) continue;
    if (!first) {
      first = a;
      continue;
    }
    const Device &d0 = first->device(), &d = a->device();
    if (d.kind != d0.kind || d.index != d0.index) {
      fail(code::kInvalidArgument, op + ": " + first->name + " is on " + d0.name() + " but " + a->name + " is on " +
                                       d.name() + "; move them to one device first (Tensor.to)");
    }
  }
  return first ? first->device() : Device{};
}

void add_all(std::vector<const Arg*>& to, const std::vector<Arg>& list) {
  for (const Arg& a : list) to.push_back(&a);
}

StoragePtr output(const Shape& shape, DType dtype, const Device& device) {
  return std::make_shared<Storage>(static_cast<size_t>(numel(shape)) * 4, dtype, device);
}

int gemm_dim(int64_t v, const std::string& op) {
  if (v > 2147483647) fail(code::kInvalidArgument, op + ": dimension " + std::to_string(v) + " is too large for cuBLAS (at most 2^31-1)");
  return static_cast<int>(v);
}

void check(troupe_status status, const std::string& op) {
  if (status == TROUPE_OK) return;
  const char* c = status == TROUPE_INVALID_ARGUMENT ? code::kInvalidArgument
                  : status == TROUPE_UNAVAILABLE    ? code::kDeviceUnavailable
                                                    : code::kInternal;
  fail(c, op + ": the native core reported status " + std::to_string(status));
}

}  // namespace troupe
