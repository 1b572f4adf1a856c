// matmul and Linear, forward and backward, on the selected GEMM backend.
#include "args.h"
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
  Gemm gemm = gemm_for(info[4], op);
  need_rank(a, 2, op);
  need_rank(b, 2, op);
  int64_t m = ta ? a.dim(1) : a.dim(0), k = ta ? a.dim(0) : a.dim(1);
  int64_t kb = tb ? b.dim(1) : b.dim(0), n = tb ? b.dim(0) : b.dim(1);
  if (k != kb) {
    fail(code::kInvalidArgument, op + ": inner dimensions differ: a is " + shape_str(a.shape) + (ta ? " (transposed)" : "") +
                                     " and b is " + shape_str(b.shape) + (tb ? " (transposed)" : ""));
  }
  Shape shape{m, n};
  StoragePtr c = output(shape);
  return Job::Queue(
      info.Env(),
      [=] { check(gemm(ta, tb, m, n, k, 1.0f, a.f(), a.dim(1), b.f(), b.dim(1), 0.0f, static_cast<float*>(c->data), n), op); },
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
  Shape shape{l.batch, l.out};
  StoragePtr y = output(shape);
  return Job::Queue(
      info.Env(),
      [=] {
        float* yp = static_cast<float*>(y->data);
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
  StoragePtr dx = need_dx ? output(l.x.shape) : nullptr;
  StoragePtr dw = output(l.w.shape);
  StoragePtr db = has_bias ? output({l.out}) : nullptr;
  return Job::Queue(
      info.Env(),
      [=] {
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
