// Elementwise arithmetic, activations and sums.
#include "args.h"
#include "export.h"
#include "job.h"

namespace troupe {
namespace {

using Unary = troupe_status (*)(int64_t, const float*, float*);
using Binary = troupe_status (*)(int64_t, const float*, const float*, float*);

Napi::Value Wrap(Napi::Env env, const StoragePtr& s, const Shape& shape) { return Handle::Make(env, s, shape, true); }

Napi::Value Resolved(Napi::Env env) { return env.Undefined(); }

template <Unary F>
Napi::Value UnaryOp(const Napi::CallbackInfo& info, const std::string& op) {
  Arg x = tensor(info, 0, op, "x");
  StoragePtr y = output(x.shape);
  return Job::Queue(
      info.Env(), [=] { check(F(x.size(), x.f(), static_cast<float*>(y->data)), op); },
      [=](Napi::Env env) { return Wrap(env, y, x.shape); });
}

// f(a, b) for two tensors of one shape; names are the arguments' names in messages.
template <Binary F>
Napi::Value BinaryOp(const Napi::CallbackInfo& info, const std::string& op, const char* first, const char* second) {
  Arg a = tensor(info, 0, op, first), b = tensor(info, 1, op, second);
  need_same_shape(a, b, op);
  StoragePtr y = output(a.shape);
  return Job::Queue(
      info.Env(), [=] { check(F(a.size(), a.f(), b.f(), static_cast<float*>(y->data)), op); },
      [=](Napi::Env env) { return Wrap(env, y, a.shape); });
}

Napi::Value Add(const Napi::CallbackInfo& info) { return BinaryOp<troupe_add>(info, "add", "a", "b"); }
Napi::Value Relu(const Napi::CallbackInfo& info) { return UnaryOp<troupe_relu>(info, "relu"); }
Napi::Value Gelu(const Napi::CallbackInfo& info) { return UnaryOp<troupe_gelu>(info, "gelu"); }
Napi::Value ReluBackward(const Napi::CallbackInfo& info) {
  return BinaryOp<troupe_relu_backward>(info, "reluBackward", "x", "dy");
}
Napi::Value GeluBackward(const Napi::CallbackInfo& info) {
  return BinaryOp<troupe_gelu_backward>(info, "geluBackward", "x", "dy");
}

// scale(x, s) -> x * s
Napi::Value Scale(const Napi::CallbackInfo& info) {
  Arg x = tensor(info, 0, "scale", "x");
  float s = static_cast<float>(number(info[1], "scale", "factor"));
  StoragePtr y = output(x.shape);
  return Job::Queue(
      info.Env(), [=] { check(troupe_scale(x.size(), x.f(), s, static_cast<float*>(y->data)), "scale"); },
      [=](Napi::Env env) { return Wrap(env, y, x.shape); });
}

// accumulate(target, x): target += x in place (gradient accumulation).
Napi::Value Accumulate(const Napi::CallbackInfo& info) {
  Arg target = tensor(info, 0, "accumulate", "target"), x = tensor(info, 1, "accumulate", "x");
  need_same_shape(target, x, "accumulate");
  return Job::Queue(info.Env(), [=] { check(troupe_accumulate(x.size(), x.f(), target.f()), "accumulate"); }, Resolved);
}

// fill(target, value) in place.
Napi::Value Fill(const Napi::CallbackInfo& info) {
  Arg target = tensor(info, 0, "fill", "target");
  float v = static_cast<float>(number(info[1], "fill", "value"));
  return Job::Queue(info.Env(), [=] { check(troupe_fill(target.size(), v, target.f()), "fill"); }, Resolved);
}

// sum(x) -> a tensor of shape [] holding the sum of every element.
Napi::Value Sum(const Napi::CallbackInfo& info) {
  Arg x = tensor(info, 0, "sum", "x");
  StoragePtr y = output({});
  return Job::Queue(
      info.Env(),
      [=] {
        double total = 0;
        check(troupe_sum(x.size(), x.f(), &total), "sum");
        *static_cast<float*>(y->data) = static_cast<float>(total);
      },
      [=](Napi::Env env) { return Wrap(env, y, {}); });
}

// sumRows(x [rows, cols]) -> [cols], the sum over the leading dimension (bias gradients).
Napi::Value SumRows(const Napi::CallbackInfo& info) {
  Arg x = tensor(info, 0, "sumRows", "x");
  need_rank(x, 2, "sumRows");
  Shape shape{x.dim(1)};
  StoragePtr y = output(shape);
  return Job::Queue(
      info.Env(), [=] { check(troupe_sum_rows(x.dim(0), x.dim(1), x.f(), static_cast<float*>(y->data)), "sumRows"); },
      [=](Napi::Env env) { return Wrap(env, y, shape); });
}

}  // namespace

void register_pointwise(Napi::Env env, Napi::Object exports) {
  define<Add>(env, exports, "add");
  define<Scale>(env, exports, "scale");
  define<Accumulate>(env, exports, "accumulate");
  define<Fill>(env, exports, "fill");
  define<Sum>(env, exports, "sum");
  define<SumRows>(env, exports, "sumRows");
  define<Relu>(env, exports, "relu");
  define<ReluBackward>(env, exports, "reluBackward");
  define<Gelu>(env, exports, "gelu");
  define<GeluBackward>(env, exports, "geluBackward");
}

}  // namespace troupe
