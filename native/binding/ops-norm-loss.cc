// LayerNorm and softmax cross-entropy, on the CPU core or the device's CUDA kernels.
#include <vector>

#include "args.h"
#include "device.h"
#include "export.h"
#include "job.h"

namespace troupe {
namespace {

Napi::Value Wrap(Napi::Env env, const StoragePtr& s, const Shape& shape) { return Handle::Make(env, s, shape, true); }

struct NormShape {
  int64_t rows, cols;
};

// x is [..., cols]; gamma (and beta) are [cols].
NormShape norm_shape(const Arg& x, const Arg& gamma, const std::string& op) {
  need_rank(gamma, 1, op);
  if (x.shape.empty() || x.dim(-1) != gamma.dim(0)) {
    fail(code::kInvalidArgument, op + ": x is " + shape_str(x.shape) + " but " + gamma.name + " is " +
                                     shape_str(gamma.shape) + " (the last dimension of x is normalised)");
  }
  int64_t cols = gamma.dim(0);
  return {cols > 0 ? x.size() / cols : 0, cols};
}

// layerNorm(x, gamma, beta, eps) -> { y, mean [rows], rstd [rows] }
Napi::Value LayerNorm(const Napi::CallbackInfo& info) {
  const std::string op = "layerNorm";
  Arg x = tensor(info, 0, op, "x"), gamma = tensor(info, 1, op, "gamma"), beta = tensor(info, 2, op, "beta");
  float eps = static_cast<float>(number(info[3], op, "eps"));
  NormShape s = norm_shape(x, gamma, op);
  need_same_shape(gamma, beta, op);
  Device dev = same_device(op, {&x, &gamma, &beta});
  StoragePtr y = output(x.shape, DType::F32, dev), mean = output({s.rows}, DType::F32, dev), rstd = output({s.rows}, DType::F32, dev);
  return Job::Queue(
      info.Env(),
      [=] {
        if (is_cuda(dev)) {
          return on_device(dev, op, [&](const Gpu& g) {
            g.check(g.lib.layernorm_forward(g.stream, x.f(), gamma.f(), beta.f(), eps, s.rows, s.cols, static_cast<float*>(y->data),
                                            static_cast<float*>(mean->data), static_cast<float*>(rstd->data)));
          });
        }
        check(troupe_layernorm(s.rows, s.cols, x.f(), gamma.f(), beta.f(), eps, static_cast<float*>(y->data),
                               static_cast<float*>(mean->data), static_cast<float*>(rstd->data)), op);
      },
      [=](Napi::Env env) -> Napi::Value {
        Napi::Object out = Napi::Object::New(env);
        out.Set("y", Wrap(env, y, x.shape));
        out.Set("mean", Wrap(env, mean, {s.rows}));
        out.Set("rstd", Wrap(env, rstd, {s.rows}));
        return out;
      });
}

// layerNormBackward(x, gamma, mean, rstd, dy) -> { dx, dgamma, dbeta }
Napi::Value LayerNormBackward(const Napi::CallbackInfo& info) {
  const std::string op = "layerNormBackward";
  Arg x = tensor(info, 0, op, "x"), gamma = tensor(info, 1, op, "gamma");
  Arg mean = tensor(info, 2, op, "mean"), rstd = tensor(info, 3, op, "rstd"), dy = tensor(info, 4, op, "dy");
  NormShape s = norm_shape(x, gamma, op);
  need_same_shape(x, dy, op);
  if (mean.size() != s.rows || rstd.size() != s.rows) {
    fail(code::kInvalidArgument, op + ": mean is " + shape_str(mean.shape) + " and rstd is " + shape_str(rstd.shape) +
                                     ", but x " + shape_str(x.shape) + " has " + std::to_string(s.rows) + " rows");
  }
  Device dev = same_device(op, {&x, &gamma, &mean, &rstd, &dy});
  StoragePtr dx = output(x.shape, DType::F32, dev), dg = output(gamma.shape, DType::F32, dev), db = output(gamma.shape, DType::F32, dev);
  return Job::Queue(
      info.Env(),
      [=] {
        if (is_cuda(dev)) {
          return on_device(dev, op, [&](const Gpu& g) {
            g.check(g.lib.layernorm_backward(g.stream, x.f(), dy.f(), mean.f(), rstd.f(), gamma.f(), s.rows, s.cols,
                                             static_cast<float*>(dx->data), static_cast<float*>(dg->data),
                                             static_cast<float*>(db->data)));
          });
        }
        check(troupe_layernorm_backward(s.rows, s.cols, x.f(), gamma.f(), mean.f(), rstd.f(), dy.f(),
                                        static_cast<float*>(dx->data), static_cast<float*>(dg->data),
                                        static_cast<float*>(db->data)), op);
      },
      [=](Napi::Env env) -> Napi::Value {
        Napi::Object out = Napi::Object::New(env);
        out.Set("dx", Wrap(env, dx, x.shape));
        out.Set("dgamma", Wrap(env, dg, gamma.shape));
        out.Set("dbeta", Wrap(env, db, gamma.shape));
        return out;
      });
}

// softmaxCrossEntropy(logits [N, C], labels int32 [N]) -> { loss [], dlogits [N, C] }: the mean
// loss over rows and its gradient with respect to the logits, in one pass.
Napi::Value SoftmaxCrossEntropy(const Napi::CallbackInfo& info) {
  const std::string op = "softmaxCrossEntropy";
  Arg logits = tensor(info, 0, op, "logits"), labels = tensor(info, 1, op, "labels", DType::I32);
  need_rank(logits, 2, op);
  if (labels.shape != Shape{logits.dim(0)}) {
    fail(code::kInvalidArgument, op + ": logits are " + shape_str(logits.shape) + " but labels are " +
                                     shape_str(labels.shape) + " (labels must be [N], one class index per row)");
  }
  if (logits.dim(0) == 0 || logits.dim(1) == 0) {
    fail(code::kInvalidArgument, op + ": logits " + shape_str(logits.shape) + " must have at least one row and one class");
  }
  Device dev = same_device(op, {&logits, &labels});
  StoragePtr loss = output({}, DType::F32, dev), grad = output(logits.shape, DType::F32, dev);
  auto label_error = [=](int32_t label, int64_t row) {
    fail(code::kInvalidArgument, op + ": label " + std::to_string(label) + " at row " + std::to_string(row) + " is outside [0, " +
                                     std::to_string(logits.dim(1)) + ")");
  };
  return Job::Queue(
      info.Env(),
      [=] {
        int64_t bad = -1, rows = logits.dim(0), cols = logits.dim(1);
        if (is_cuda(dev)) {
          // The kernels turn a bad label into NaN: read the labels back and check them first.
          std::vector<int32_t> host(static_cast<size_t>(rows));
          auto lse = output({rows}, DType::F32, dev);
          on_device(dev, op, [&](const Gpu& g) {
            g.check(g.lib.copy_dtoh_async(host.data(), labels.i(), host.size() * 4, g.stream));
            g.check(g.lib.stream_sync(g.stream));
            for (int64_t r = 0; r < rows; r++) {
              if (host[r] < 0 || host[r] >= cols) label_error(host[r], r);
            }
            float* lp = static_cast<float*>(lse->data);
            g.check(g.lib.cross_entropy_forward(g.stream, logits.f(), labels.i(), rows, cols, lp, static_cast<float*>(loss->data)));
            g.check(g.lib.cross_entropy_backward(g.stream, logits.f(), labels.i(), lp, rows, cols, 1.0f,
                                                 static_cast<float*>(grad->data)));
          });
          return;
        }
        troupe_status st = troupe_softmax_xent(rows, cols, logits.f(), labels.i(), static_cast<float*>(loss->data),
                                               static_cast<float*>(grad->data), &bad);
        if (st == TROUPE_INVALID_ARGUMENT && bad >= 0) label_error(labels.i()[bad], bad);
        check(st, op);
      },
      [=](Napi::Env env) -> Napi::Value {
        Napi::Object out = Napi::Object::New(env);
        out.Set("loss", Wrap(env, loss, {}));
        out.Set("dlogits", Wrap(env, grad, logits.shape));
        return out;
      });
}

}  // namespace

void register_norm_loss(Napi::Env env, Napi::Object exports) {
  define<LayerNorm>(env, exports, "layerNorm");
  define<LayerNormBackward>(env, exports, "layerNormBackward");
  define<SoftmaxCrossEntropy>(env, exports, "softmaxCrossEntropy");
}

}  // namespace troupe
