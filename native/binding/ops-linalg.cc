// matmul and Linear, forward and backward: on the CPU through the selected GEMM backend, on a
// GPU through cuBLAS (troupe_cuda_gemm) on the device's stream.
#include "args.h"
#include "device.h"
#include "export.h"
#include "job.h"

namespace troupe {
namespace {

using Gemm = troupe_status (*)(int, int, int64_t, int64_t, int64_t, float, const float*, int64_t, const float*,
                               int64_t, float, float*, int64_t);

// The GEMM for an optional per-call backend ('blas' | 'fallback'); the global choice otherwise.
Gemm gemm_for(const Napi::Value& v, const std::string& op) {
  if (v.IsUndefined() || v.IsNull()) return troupe_sgemm;
  std::string name = string(v, op, "backend");
  if (name == "fallback") return troupe_sgemm_fallback;
  if (name != "blas") fail(code::kInvalidArgument, op + ": backend must be 'blas' or 'fallback', got '" + name + "'");
  if (!troupe_have_blas()) fail(code::kInvalidArgument, op + ": backend 'blas' is not available: this build found no CBLAS");
  return troupe_sgemm_blas;
}

Napi::Value Wrap(Napi::Env env, const StoragePtr& s, const Shape& shape) { return Handle::Make(env, s, shape, true); }

// matmul(a, b, transA, transB, backend?) -> op(a) @ op(b)
Napi::Value Matmul(const Napi::CallbackInfo& info) {
  const std::string op = "matmul";
  Arg a = tensor(info, 0, op, "a"), b = tensor(info, 1, op, "b");
  bool ta = info[2].IsUndefined() ? false : boolean(info[2], op, "transA");
  bool tb = info[3].IsUndefined() ? false : boolean(info[3], op, "transB");
  Device dev = same_device(op, {&a, &b});
  if (is_cuda(dev) && !info[4].IsUndefined() && !info[4].IsNull()) {
    fail(code::kInvalidArgument, op + ": backend '" + string(info[4], op, "backend") + "' is a CPU GEMM; tensors on " +
                                     dev.name() + " always use cuBLAS (leave backend out)");
  }
  Gemm gemm = is_cuda(dev) ? nullptr : gemm_for(info[4], op);
  need_rank(a, 2, op);
  need_rank(b, 2, op);
  int64_t m = ta ? a.dim(1) : a.dim(0), k = ta ? a.dim(0) : a.dim(1);
  int64_t kb = tb ? b.dim(1) : b.dim(0), n = tb ? b.dim(0) : b.dim(1);
  if (k != kb) {
    fail(code::kInvalidArgument, op + ": inner dimensions differ: a is " + shape_str(a.shape) + (ta ? " (transposed)" : "") +
                                     " and b is " + shape_str(b.shape) + (tb ? " (transposed)" : ""));
  }
  Shape shape{m, n};
  StoragePtr c = output(shape, DType::F32, dev);
  return Job::Queue(
      info.Env(),
      [=] {
        float* cp = static_cast<float*>(c->data);
        if (is_cuda(dev)) {
          on_device(dev, op, [&](const Gpu& g) {
            g.check(g.lib.gemm(g.stream, ta, tb, gemm_dim(m, op), gemm_dim(n, op), gemm_dim(k, op), 1.0f, a.f(), b.f(), 0.0f, cp));
          });
          return;
        }
        check(gemm(ta, tb, m, n, k, 1.0f, a.f(), a.dim(1), b.f(), b.dim(1), 0.0f, cp, n), op);
      },
      [=](Napi::Env env) { return Wrap(env, c, shape); });
}

struct LinearArgs {
  Arg x, w;
  int64_t batch, in, out;
};

LinearArgs linear_args(const Napi::CallbackInfo& info, const std::string& op) {
  LinearArgs l{tensor(info, 0, op, "x"), tensor(info, 1, op, "weight"), 0, 0, 0};
  need_rank(l.x, 2, op);
  need_rank(l.w, 2, op);
  if (l.x.dim(1) != l.w.dim(1)) {
    fail(code::kInvalidArgument, op + ": x is " + shape_str(l.x.shape) + " but weight is " + shape_str(l.w.shape) +
                                     " (weight is [out, in]; x's last dimension must equal in)");
  }
  l.batch = l.x.dim(0);
  l.in = l.x.dim(1);
  l.out = l.w.dim(0);
  return l;
}

// linear(x [N,in], weight [out,in], bias [out] | null) -> x @ weight^T + bias
Napi::Value Linear(const Napi::CallbackInfo& info) {
  const std::string op = "linear";
  LinearArgs l = linear_args(info, op);
  std::optional<Arg> bias = optional_tensor(info, 2, op, "bias");
  if (bias && bias->shape != Shape{l.out}) {
    fail(code::kInvalidArgument, op + ": bias is " + shape_str(bias->shape) + " but weight is " + shape_str(l.w.shape) +
                                     " (bias must be [out])");
  }
  Device dev = same_device(op, {&l.x, &l.w, bias ? &*bias : nullptr});
  Shape shape{l.batch, l.out};
  StoragePtr y = output(shape, DType::F32, dev);
  return Job::Queue(
      info.Env(),
      [=] {
        float* yp = static_cast<float*>(y->data);
        if (is_cuda(dev)) {
          on_device(dev, op, [&](const Gpu& g) {
            g.check(g.lib.gemm(g.stream, 0, 1, gemm_dim(l.batch, op), gemm_dim(l.out, op), gemm_dim(l.in, op), 1.0f,
                               l.x.f(), l.w.f(), 0.0f, yp));
            if (bias) g.check(g.lib.bias_add(g.stream, yp, bias->f(), l.batch, l.out));
          });
          return;
        }
        if (bias) troupe_broadcast_rows(l.batch, l.out, bias->f(), yp);
        check(troupe_sgemm(0, 1, l.batch, l.out, l.in, 1.0f, l.x.f(), l.in, l.w.f(), l.in, bias ? 1.0f : 0.0f, yp, l.out), op);
      },
      [=](Napi::Env env) { return Wrap(env, y, shape); });
}

// linearBackward(x, weight, dy, needDx, hasBias) -> { dx | null, dweight, dbias | null }
Napi::Value LinearBackward(const Napi::CallbackInfo& info) {
  const std::string op = "linearBackward";
  LinearArgs l = linear_args(info, op);
  Arg dy = tensor(info, 2, op, "dy");
  bool need_dx = boolean(info[3], op, "needDx"), has_bias = boolean(info[4], op, "hasBias");
  if (dy.shape != Shape{l.batch, l.out}) {
    fail(code::kInvalidArgument, op + ": dy is " + shape_str(dy.shape) + " but the output of x " + shape_str(l.x.shape) +
                                     " and weight " + shape_str(l.w.shape) + " is " + shape_str({l.batch, l.out}));
  }
  Device dev = same_device(op, {&l.x, &l.w, &dy});
  StoragePtr dx = need_dx ? output(l.x.shape, DType::F32, dev) : nullptr;
  StoragePtr dw = output(l.w.shape, DType::F32, dev);
  StoragePtr db = has_bias ? output({l.out}, DType::F32, dev) : nullptr;
  return Job::Queue(
      info.Env(),
      [=] {
        if (is_cuda(dev)) {
          on_device(dev, op, [&](const Gpu& g) {
            int batch = gemm_dim(l.batch, op), in = gemm_dim(l.in, op), out = gemm_dim(l.out, op);
            // dweight [out,in] = dy^T x; dbias = column sums of dy; dx [batch,in] = dy weight.
            g.check(g.lib.gemm(g.stream, 1, 0, out, in, batch, 1.0f, dy.f(), l.x.f(), 0.0f, static_cast<float*>(dw->data)));
            if (db) g.check(g.lib.bias_grad(g.stream, dy.f(), static_cast<float*>(db->data), l.batch, l.out, 0));
            if (dx) g.check(g.lib.gemm(g.stream, 0, 0, batch, in, out, 1.0f, dy.f(), l.w.f(), 0.0f, static_cast<float*>(dx->data)));
          });
          return;
        }
        check(troupe_sgemm(1, 0, l.out, l.in, l.batch, 1.0f, dy.f(), l.out, l.x.f(), l.in, 0.0f,
                           static_cast<float*>(dw->data), l.in), op);
        if (db) troupe_sum_rows(l.batch, l.out, dy.f(), static_cast<float*>(db->data));
        if (dx) {
          check(troupe_sgemm(0, 0, l.batch, l.in, l.out, 1.0f, dy.f(), l.out, l.w.f(), l.in, 0.0f,
                             static_cast<float*>(dx->data), l.in), op);
        }
      },
      [=](Napi::Env env) -> Napi::Value {
        Napi::Object out = Napi::Object::New(env);
        out.Set("dx", dx ? Wrap(env, dx, l.x.shape) : env.Null());
        out.Set("dweight", Wrap(env, dw, l.w.shape));
        out.Set("dbias", db ? Wrap(env, db, {l.out}) : env.Null());
        return out;
      });
}

}  // namespace

void register_linalg(Napi::Env env, Napi::Object exports) {
  define<Matmul>(env, exports, "matmul");
  define<Linear>(env, exports, "linear");
  define<LinearBackward>(env, exports, "linearBackward");
}

}  // namespace troupe
