// Elementwise arithmetic, activations and sums, on the CPU core or the device's CUDA kernels.
#include <vector>

#include "args.h"
#include "device.h"
#include "export.h"
#include "job.h"

namespace troupe {
namespace {

using Unary = troupe_status (*)(int64_t, const float*, float*);
using Binary = troupe_status (*)(int64_t, const float*, const float*, float*);
using CudaUnary = int (*CudaLib::*)(CudaStream*, const float*, float*, int64_t);
using CudaBinary = int (*CudaLib::*)(CudaStream*, const float*, const float*, float*, int64_t);

Napi::Value Wrap(Napi::Env env, const StoragePtr& s, const Shape& shape) { return Handle::Make(env, s, shape, true); }

Napi::Value Resolved(Napi::Env env) { return env.Undefined(); }

template <Unary F, CudaUnary G>
Napi::Value UnaryOp(const Napi::CallbackInfo& info, const std::string& op) {
  Arg x = tensor(info, 0, op, "x");
  Device dev = x.device();
  StoragePtr y = output(x.shape, DType::F32, dev);
  return Job::Queue(
      info.Env(),
      [=] {
        float* yp = static_cast<float*>(y->data);
        if (is_cuda(dev)) return on_device(dev, op, [&](const Gpu& g) { g.check((g.lib.*G)(g.stream, x.f(), yp, x.size())); });
        check(F(x.size(), x.f(), yp), op);
      },
      [=](Napi::Env env) { return Wrap(env, y, x.shape); });
}

// f(a, b) for two tensors of one shape; names are the arguments' names in messages.
template <Binary F, CudaBinary G>
Napi::Value BinaryOp(const Napi::CallbackInfo& info, const std::string& op, const char* first, const char* second) {
  Arg a = tensor(info, 0, op, first), b = tensor(info, 1, op, second);
  need_same_shape(a, b, op);
  Device dev = same_device(op, {&a, &b});
  StoragePtr y = output(a.shape, DType::F32, dev);
  return Job::Queue(
      info.Env(),
      [=] {
        float* yp = static_cast<float*>(y->data);
        if (is_cuda(dev)) return on_device(dev, op, [&](const Gpu& g) { g.check((g.lib.*G)(g.stream, a.f(), b.f(), yp, a.size())); });
        check(F(a.size(), a.f(), b.f(), yp), op);
      },
      [=](Napi::Env env) { return Wrap(env, y, a.shape); });
}

Napi::Value Add(const Napi::CallbackInfo& info) { return BinaryOp<troupe_add, &CudaLib::add>(info, "add", "a", "b"); }
Napi::Value Relu(const Napi::CallbackInfo& info) { return UnaryOp<troupe_relu, &CudaLib::relu_forward>(info, "relu"); }
Napi::Value Gelu(const Napi::CallbackInfo& info) { return UnaryOp<troupe_gelu, &CudaLib::gelu_forward>(info, "gelu"); }
Napi::Value ReluBackward(const Napi::CallbackInfo& info) {
  return BinaryOp<troupe_relu_backward, &CudaLib::relu_backward>(info, "reluBackward", "x", "dy");
}
Napi::Value GeluBackward(const Napi::CallbackInfo& info) {
  return BinaryOp<troupe_gelu_backward, &CudaLib::gelu_backward>(info, "geluBackward", "x", "dy");
}

// scale(x, s) -> x * s
Napi::Value Scale(const Napi::CallbackInfo& info) {
  Arg x = tensor(info, 0, "scale", "x");
  float s = static_cast<float>(number(info[1], "scale", "factor"));
  Device dev = x.device();
  StoragePtr y = output(x.shape, DType::F32, dev);
  return Job::Queue(
      info.Env(),
      [=] {
        float* yp = static_cast<float*>(y->data);
        if (is_cuda(dev)) return on_device(dev, "scale", [&](const Gpu& g) { g.check(g.lib.scale(g.stream, x.f(), s, yp, x.size())); });
        check(troupe_scale(x.size(), x.f(), s, yp), "scale");
      },
      [=](Napi::Env env) { return Wrap(env, y, x.shape); });
}

// accumulate(target, x): target += x in place (gradient accumulation).
Napi::Value Accumulate(const Napi::CallbackInfo& info) {
  Arg target = tensor(info, 0, "accumulate", "target"), x = tensor(info, 1, "accumulate", "x");
  need_same_shape(target, x, "accumulate");
  Device dev = same_device("accumulate", {&target, &x});
  return Job::Queue(
      info.Env(),
      [=] {
        if (is_cuda(dev)) {
          return on_device(dev, "accumulate", [&](const Gpu& g) { g.check(g.lib.add(g.stream, target.f(), x.f(), target.f(), x.size())); });
        }
        check(troupe_accumulate(x.size(), x.f(), target.f()), "accumulate");
      },
      Resolved);
}

// fill(target, value) in place.
Napi::Value Fill(const Napi::CallbackInfo& info) {
  Arg target = tensor(info, 0, "fill", "target");
  float v = static_cast<float>(number(info[1], "fill", "value"));
  Device dev = target.device();
  return Job::Queue(
      info.Env(),
      [=] {
        if (!is_cuda(dev)) return check(troupe_fill(target.size(), v, target.f()), "fill");
        // No fill kernel: zeros are a memset, other values an upload (kept alive until the stream is done).
        size_t bytes = static_cast<size_t>(target.size()) * 4;
        std::vector<float> host(v == 0.0f ? 0 : static_cast<size_t>(target.size()), v);
        on_device(dev, "fill", [&](const Gpu& g) {
          if (v == 0.0f) return g.check(g.lib.memset_async(target.f(), 0, bytes, g.stream));
          g.check(g.lib.copy_htod_async(target.f(), host.data(), bytes, g.stream));
        });
      },
      Resolved);
}

// sum(x) -> a tensor of shape [] holding the sum of every element.
Napi::Value Sum(const Napi::CallbackInfo& info) {
  Arg x = tensor(info, 0, "sum", "x");
  Device dev = x.device();
  StoragePtr y = output({}, DType::F32, dev);
  return Job::Queue(
      info.Env(),
      [=] {
        float* yp = static_cast<float*>(y->data);
        if (is_cuda(dev)) return on_device(dev, "sum", [&](const Gpu& g) { g.check(g.lib.sum(g.stream, x.f(), x.size(), yp)); });
        double total = 0;
        check(troupe_sum(x.size(), x.f(), &total), "sum");
        *yp = static_cast<float>(total);
      },
      [=](Napi::Env env) { return Wrap(env, y, {}); });
}

// sumRows(x [rows, cols]) -> [cols], the sum over the leading dimension (bias gradients).
Napi::Value SumRows(const Napi::CallbackInfo& info) {
  Arg x = tensor(info, 0, "sumRows", "x");
  need_rank(x, 2, "sumRows");
  Shape shape{x.dim(1)};
  Device dev = x.device();
  StoragePtr y = output(shape, DType::F32, dev);
  return Job::Queue(
      info.Env(),
      [=] {
        float* yp = static_cast<float*>(y->data);
        if (is_cuda(dev)) {
          return on_device(dev, "sumRows", [&](const Gpu& g) { g.check(g.lib.bias_grad(g.stream, x.f(), yp, x.dim(0), x.dim(1), 0)); });
        }
        check(troupe_sum_rows(x.dim(0), x.dim(1), x.f(), yp), "sumRows");
      },
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
