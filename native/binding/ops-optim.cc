// Fused optimizer steps over lists of parameters, and global-norm gradient clipping, on the CPU
// core or the device's CUDA kernels (every tensor of one call on one device).
#include <cmath>

#include "args.h"
#include "device.h"
#include "export.h"
#include "job.h"

namespace troupe {
namespace {

double option(const Napi::Object& o, const char* key, const std::string& op) {
  return number(o.Get(key), op, std::string("options.") + key);
}

Napi::Object options(const Napi::Value& v, const std::string& op) {
  if (!v.IsObject()) fail(code::kInvalidArgument, op + ": options must be an object");
  return v.As<Napi::Object>();
}

// Every list has the length of params and each entry the shape of its parameter.
void need_matching(const std::vector<Arg>& params, const std::vector<Arg>& other, const std::string& op) {
  if (other.size() != params.size()) {
    fail(code::kInvalidArgument, op + ": got " + std::to_string(params.size()) + " parameters but " +
                                     std::to_string(other.size()) + " entries in another list");
  }
  for (size_t i = 0; i < params.size(); i++) need_same_shape(params[i], other[i], op);
}

// sgdStep(params, grads, momentumBuffers | null, { lr, momentum, dampening, weightDecay, nesterov, first })
Napi::Value SgdStep(const Napi::CallbackInfo& info) {
  const std::string op = "sgdStep";
  std::vector<Arg> params = tensor_list(info[0], op, "params"), grads = tensor_list(info[1], op, "grads");
  need_matching(params, grads, op);
  std::vector<Arg> bufs;
  if (!info[2].IsNull() && !info[2].IsUndefined()) {
    bufs = tensor_list(info[2], op, "momentumBuffers");
    need_matching(params, bufs, op);
  }
  Napi::Object o = options(info[3], op);
  troupe_sgd_params p{};
  p.lr = static_cast<float>(option(o, "lr", op));
  p.momentum = static_cast<float>(option(o, "momentum", op));
  p.dampening = static_cast<float>(option(o, "dampening", op));
  p.weight_decay = static_cast<float>(option(o, "weightDecay", op));
  p.nesterov = boolean(o.Get("nesterov"), op, "options.nesterov");
  p.first = boolean(o.Get("first"), op, "options.first");
  if (p.momentum != 0.0f && bufs.empty()) fail(code::kInvalidArgument, op + ": momentum needs momentumBuffers");
  std::vector<const Arg*> all;
  add_all(all, params);
  add_all(all, grads);
  add_all(all, bufs);
  Device dev = same_device(op, all);
  return Job::Queue(
      info.Env(),
      [=] {
        if (is_cuda(dev)) {
          return on_device(dev, op, [&](const Gpu& g) {
            for (size_t i = 0; i < params.size(); i++) {
              g.check(g.lib.sgd_step(g.stream, params[i].f(), grads[i].f(), bufs.empty() ? nullptr : bufs[i].f(), params[i].size(),
                                     p.lr, p.momentum, p.dampening, p.weight_decay, p.nesterov, p.first));
            }
          });
        }
        for (size_t i = 0; i < params.size(); i++) {
          check(troupe_sgd_step(params[i].size(), params[i].f(), grads[i].f(), bufs.empty() ? nullptr : bufs[i].f(), &p), op);
        }
      },
      [](Napi::Env env) { return env.Undefined(); });
}

// adamwStep(params, grads, m, v, { lr, beta1, beta2, eps, weightDecay, step })
Napi::Value AdamwStep(const Napi::CallbackInfo& info) {
  const std::string op = "adamwStep";
  std::vector<Arg> params = tensor_list(info[0], op, "params"), grads = tensor_list(info[1], op, "grads");
  std::vector<Arg> m = tensor_list(info[2], op, "m"), v = tensor_list(info[3], op, "v");
  need_matching(params, grads, op);
  need_matching(params, m, op);
  need_matching(params, v, op);
  Napi::Object o = options(info[4], op);
  troupe_adamw_params p{};
  p.lr = static_cast<float>(option(o, "lr", op));
  p.beta1 = static_cast<float>(option(o, "beta1", op));
  p.beta2 = static_cast<float>(option(o, "beta2", op));
  p.eps = static_cast<float>(option(o, "eps", op));
  p.weight_decay = static_cast<float>(option(o, "weightDecay", op));
  double step = option(o, "step", op);
  if (!(step >= 1 && std::floor(step) == step)) fail(code::kInvalidArgument, op + ": options.step must be an integer >= 1");
  p.step = static_cast<int64_t>(step);
  std::vector<const Arg*> all;
  for (const auto* list : {&params, &grads, &m, &v}) add_all(all, *list);
  Device dev = same_device(op, all);
  return Job::Queue(
      info.Env(),
      [=] {
        if (is_cuda(dev)) {
          return on_device(dev, op, [&](const Gpu& g) {
            for (size_t i = 0; i < params.size(); i++) {
              g.check(g.lib.adamw_step(g.stream, params[i].f(), grads[i].f(), m[i].f(), v[i].f(), params[i].size(), p.lr, p.beta1,
                                       p.beta2, p.eps, p.weight_decay, p.step));
            }
          });
        }
        for (size_t i = 0; i < params.size(); i++) {
          check(troupe_adamw_step(params[i].size(), params[i].f(), grads[i].f(), m[i].f(), v[i].f(), &p), op);
        }
      },
      [](Napi::Env env) { return env.Undefined(); });
}

// clipGradNorm(grads, maxNorm) -> the global L2 norm before clipping; scales every gradient by
// maxNorm / (norm + 1e-6) in place when the norm exceeds maxNorm (maxNorm = Infinity only measures).
Napi::Value ClipGradNorm(const Napi::CallbackInfo& info) {
  const std::string op = "clipGradNorm";
  std::vector<Arg> grads = tensor_list(info[0], op, "grads");
  double max_norm = number(info[1], op, "maxNorm");
  if (!(max_norm > 0)) fail(code::kInvalidArgument, op + ": maxNorm must be > 0");
  auto norm = std::make_shared<double>(0.0);
  std::vector<const Arg*> all;
  add_all(all, grads);
  Device dev = same_device(op, all);
  return Job::Queue(
      info.Env(),
      [=] {
        if (is_cuda(dev)) {
          // The sum of squares stays on the device for clipping; one float comes back for the result.
          StoragePtr sumsq = output({}, DType::F32, dev);
          float* ss = static_cast<float*>(sumsq->data);
          float host = 0;
          on_device(dev, op, [&](const Gpu& g) {
            g.check(g.lib.memset_async(ss, 0, 4, g.stream));
            for (const Arg& x : grads) g.check(g.lib.sum_squares(g.stream, x.f(), x.size(), ss, 1));
            g.check(g.lib.copy_dtoh_async(&host, ss, 4, g.stream));
            if (std::isfinite(max_norm)) {
              for (const Arg& x : grads) g.check(g.lib.clip_by_norm(g.stream, ss, static_cast<float>(max_norm), x.f(), x.size()));
            }
          });
          *norm = std::sqrt(static_cast<double>(host));
          return;
        }
        double total = 0;
        for (const Arg& g : grads) {
          double s = 0;
          check(troupe_sumsq(g.size(), g.f(), &s), op);
          total += s;
        }
        *norm = std::sqrt(total);
        if (*norm > max_norm) {
          float factor = static_cast<float>(max_norm / (*norm + 1e-6));
          for (const Arg& g : grads) check(troupe_scale(g.size(), g.f(), factor, g.f()), op);
        }
      },
      [=](Napi::Env env) { return Napi::Number::New(env, *norm); });
}

}  // namespace

void register_optim(Napi::Env env, Napi::Object exports) {
  define<SgdStep>(env, exports, "sgdStep");
  define<AdamwStep>(env, exports, "adamwStep");
  define<ClipGradNorm>(env, exports, "clipGradNorm");
}

}  // namespace troupe
