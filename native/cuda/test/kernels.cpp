// Every kernel of the library against the CPU reference, on random inputs.
#include "harness.h"
#include "tests.h"

namespace {

void gemm_tests(Rng &rng) {
  const int shapes[][3] = {{67, 45, 33}, {512, 384, 256}, {1, 300, 7}};
  for (auto &sh : shapes)
    for (int ta = 0; ta < 2; ta++)
      for (int tb = 0; tb < 2; tb++) {
        int m = sh[0], n = sh[1], k = sh[2];
        char name[96];
        snprintf(name, sizeof name, "gemm %dx%dx%d%s%s alpha 1.5 beta 0.5", m, n, k, ta ? " A^T" : "", tb ? " B^T" : "");
        check(name, 1e-4, [&] {
          ref::Vec a = random_vec(rng, size_t(m) * k), b = random_vec(rng, size_t(k) * n), c = random_vec(rng, size_t(m) * n);
          Dev da(a.size() * 4), db(b.size() * 4), dc(c.size() * 4);
          upload(da, a), upload(db, b), upload(dc, c);
          TRY(troupe_cuda_gemm(g_stream, ta, tb, m, n, k, 1.5f, da.f(), db.f(), 0.5f, dc.f()));
          ref::gemm(ta, tb, m, n, k, 1.5, a, b, 0.5, c);
          return error(download(dc, c.size()), c);
        });
      }
  check("gemm on the default stream (beta 0, C uninitialised)", 1e-4, [&] {
    int m = 33, n = 17, k = 9;
    ref::Vec a = random_vec(rng, m * k), b = random_vec(rng, k * n), c(m * n, 0.0);
    Dev da(a.size() * 4), db(b.size() * 4), dc(c.size() * 4);
    upload(da, a), upload(db, b);
    TRY(troupe_cuda_memset(dc.p, 0xff, c.size() * 4));  // NaN bits: beta 0 must not read them
    TRY(troupe_cuda_set_device(0));
    TRY(troupe_cuda_gemm(nullptr, 0, 0, m, n, k, 1.f, da.f(), db.f(), 0.f, dc.f()));
    TRY(troupe_cuda_device_sync());
    ref::gemm(false, false, m, n, k, 1, a, b, 0, c);
    return error(download(dc, c.size()), c);
  });
}

void elementwise_tests(Rng &rng) {
  const int64_t n = 100003;
  ref::Vec x = random_vec(rng, n, -4, 4), dy = random_vec(rng, n);
  auto unary = [&](const char *name, int (*fn)(troupe_cuda_stream *, const float *, float *, int64_t),
                   double (*f)(double)) {
    check(name, 1e-5, [&] {
      Dev dx(n * 4), dout(n * 4);
      upload(dx, x);
      TRY(fn(g_stream, dx.f(), dout.f(), n));
      ref::Vec want(n);
      for (int64_t i = 0; i < n; i++) want[i] = f(x[i]);
      return error(download(dout, n), want);
    });
  };
  auto backward = [&](const char *name, int (*fn)(troupe_cuda_stream *, const float *, const float *, float *, int64_t),
                      double (*f)(double)) {
    check(name, 1e-5, [&] {
      Dev dx(n * 4), ddy(n * 4), dout(n * 4);
      upload(dx, x), upload(ddy, dy);
      TRY(fn(g_stream, dx.f(), ddy.f(), dout.f(), n));
      ref::Vec want(n);
      for (int64_t i = 0; i < n; i++) want[i] = dy[i] * f(x[i]);
      return error(download(dout, n), want);
    });
  };
  unary("relu forward", troupe_cuda_relu_forward, ref::relu);
  backward("relu backward", troupe_cuda_relu_backward, ref::relu_grad);
  unary("gelu forward (exact, erf)", troupe_cuda_gelu_forward, ref::gelu);
  backward("gelu backward (exact, erf)", troupe_cuda_gelu_backward, ref::gelu_grad);

  check("add, scale (in place)", 1e-6, [&] {
    Dev da(n * 4), db(n * 4);
    upload(da, x), upload(db, dy);
    TRY(troupe_cuda_add(g_stream, da.f(), db.f(), da.f(), n));
    TRY(troupe_cuda_scale(g_stream, da.f(), -0.75f, da.f(), n));
    ref::Vec want(n);
    for (int64_t i = 0; i < n; i++) want[i] = -0.75 * double(float(x[i] + dy[i]));
    return error(download(da, n), want);
  });

  const int64_t rows = 129, cols = 77;
  check("bias add, bias grad (and accumulate)", 1e-5, [&] {
    ref::Vec y = random_vec(rng, rows * cols), bias = random_vec(rng, cols), acc = random_vec(rng, cols);
    Dev dyb(y.size() * 4), db(cols * 4), dg(cols * 4), dacc(cols * 4);
    upload(dyb, y), upload(db, bias), upload(dacc, acc);
    TRY(troupe_cuda_bias_grad(g_stream, dyb.f(), dg.f(), rows, cols, 0));
    TRY(troupe_cuda_bias_grad(g_stream, dyb.f(), dacc.f(), rows, cols, 1));
    ref::Vec sums = ref::column_sums(y, rows, cols), acc_want(cols);
    for (int64_t c = 0; c < cols; c++) acc_want[c] = acc[c] + sums[c];
    TRY(troupe_cuda_bias_add(g_stream, dyb.f(), db.f(), rows, cols));
    ref::bias_add(y, bias, rows, cols);
    return std::fmax(std::fmax(error(download(dg, cols), sums), error(download(dacc, cols), acc_want)),
                     error(download(dyb, y.size()), y));
  });
}

void layernorm_tests(Rng &rng) {
  const int64_t shapes[][2] = {{64, 1000}, {7, 37}, {3, 4096}};
  for (auto &sh : shapes)
    for (int affine = 0; affine < 2; affine++) {
      int64_t rows = sh[0], cols = sh[1];
      char name[96];
      snprintf(name, sizeof name, "layernorm fwd+bwd %lldx%lld%s", (long long)rows, (long long)cols,
               affine ? " gamma/beta" : " no affine");
      check(name, 1e-4, [&] {
        const float eps = 1e-5f;
        ref::Vec x = random_vec(rng, rows * cols, -3, 3), dy = random_vec(rng, rows * cols);
        ref::Vec gamma = affine ? random_vec(rng, cols) : ref::Vec(), beta = affine ? random_vec(rng, cols) : ref::Vec();
        Dev dx(x.size() * 4), ddy(x.size() * 4), dyo(x.size() * 4), dmean(rows * 4), drstd(rows * 4),
            dgx(x.size() * 4), dgam(cols * 4), dbet(cols * 4), dgg(cols * 4), dgb(cols * 4);
        upload(dx, x), upload(ddy, dy);
        if (affine) upload(dgam, gamma), upload(dbet, beta);
        const float *g = affine ? dgam.f() : nullptr, *b = affine ? dbet.f() : nullptr;
        TRY(troupe_cuda_layernorm_forward(g_stream, dx.f(), g, b, eps, rows, cols, dyo.f(), dmean.f(), drstd.f()));
        TRY(troupe_cuda_layernorm_backward(g_stream, dx.f(), ddy.f(), dmean.f(), drstd.f(), g, rows, cols, dgx.f(),
                                           dgg.f(), dgb.f()));
        ref::LayerNormOut f = ref::layernorm(x, gamma, beta, eps, rows, cols);
        ref::LayerNormGrad gr = ref::layernorm_backward(x, dy, gamma, eps, rows, cols);
        double e = error(download(dyo, x.size()), f.y);
        e = std::fmax(e, error(download(dmean, rows), f.mean));
        e = std::fmax(e, error(download(drstd, rows), f.rstd));
        e = std::fmax(e, error(download(dgx, x.size()), gr.dx));
        e = std::fmax(e, error(download(dgg, cols), gr.dgamma));
        return std::fmax(e, error(download(dgb, cols), gr.dbeta));
      });
    }
}

void cross_entropy_tests(Rng &rng) {
  const int64_t shapes[][2] = {{100, 1000}, {256, 10}, {5, 3000}};
  for (auto &sh : shapes) {
    int64_t rows = sh[0], classes = sh[1];
    char name[96];
    snprintf(name, sizeof name, "softmax cross-entropy fwd+bwd %lldx%lld", (long long)rows, (long long)classes);
    check(name, 1e-5, [&] {
      ref::Vec logits = random_vec(rng, rows * classes, -8, 8);
      std::vector<int32_t> labels(rows);
      for (auto &l : labels) l = int32_t(rng.next() % classes);
      Dev dl(logits.size() * 4), dy(rows * 4), dlse(rows * 4), dloss(4), dd(logits.size() * 4);
      upload(dl, logits);
      TRY(troupe_cuda_copy_htod(dy.p, labels.data(), rows * 4));
      TRY(troupe_cuda_cross_entropy_forward(g_stream, dl.f(), dy.i(), rows, classes, dlse.f(), dloss.f()));
      TRY(troupe_cuda_cross_entropy_backward(g_stream, dl.f(), dy.i(), dlse.f(), rows, classes, 2.f, dd.f()));
      ref::Vec lse(rows);
      double loss = ref::cross_entropy(logits, labels, rows, classes, &lse);
      double e = error(download(dloss, 1), {loss});
      e = std::fmax(e, error(download(dlse, rows), lse));
      // Gradients are O(1/rows): compare them scaled by rows.
      ref::Vec got = download(dd, logits.size()), want = ref::cross_entropy_backward(logits, labels, rows, classes, 2.0);
      for (size_t i = 0; i < got.size(); i++) got[i] *= rows, want[i] *= rows;
      return std::fmax(e, error(got, want));
    });
  }
  check("cross-entropy with a label out of range gives NaN", 0, [&] {
    ref::Vec logits = random_vec(rng, 2 * 3);
    std::vector<int32_t> labels{1, 3};
    Dev dl(6 * 4), dy(2 * 4), dlse(2 * 4), dloss(4);
    upload(dl, logits);
    TRY(troupe_cuda_copy_htod(dy.p, labels.data(), 8));
    TRY(troupe_cuda_cross_entropy_forward(g_stream, dl.f(), dy.i(), 2, 3, dlse.f(), dloss.f()));
    return std::isnan(download(dloss, 1)[0]) ? 0.0 : 1.0;
  });
}

void reduction_tests(Rng &rng) {
  const int64_t n = 1000003;
  ref::Vec x = random_vec(rng, n);
  check("sum, sum of squares (+accumulate), deterministic", 1e-5, [&] {
    Dev dx(n * 4), dsum(4), dsq(4), dsq2(4);
    upload(dx, x);
    TRY(troupe_cuda_sum(g_stream, dx.f(), n, dsum.f()));
    TRY(troupe_cuda_sum_squares(g_stream, dx.f(), n, dsq.f(), 0));
    TRY(troupe_cuda_sum_squares(g_stream, dx.f(), n, dsq.f(), 1));
    TRY(troupe_cuda_sum_squares(g_stream, dx.f(), n, dsq2.f(), 0));
    TRY(troupe_cuda_sum_squares(g_stream, dx.f(), n, dsq2.f(), 1));
    double s = 0, q = 0;
    for (double v : x) s += v, q += v * v;
    float a, b;
    TRY(troupe_cuda_stream_sync(g_stream));
    TRY(troupe_cuda_copy_dtoh(&a, dsq.p, 4));
    TRY(troupe_cuda_copy_dtoh(&b, dsq2.p, 4));
    if (memcmp(&a, &b, 4) != 0) throw Failure("two identical sum-of-squares runs differ in their bits");
    return std::fmax(std::fabs(download(dsum, 1)[0] - s) / std::fabs(s), std::fabs(a - 2 * q) / (2 * q));
  });
  check("clip by global norm (device-side norm)", 1e-5, [&] {
    const int64_t m = 5000;
    ref::Vec g1 = random_vec(rng, m), g2 = random_vec(rng, m);
    Dev d1(m * 4), d2(m * 4), dss(4);
    upload(d1, g1), upload(d2, g2);
    TRY(troupe_cuda_sum_squares(g_stream, d1.f(), m, dss.f(), 0));
    TRY(troupe_cuda_sum_squares(g_stream, d2.f(), m, dss.f(), 1));
    const float max_norm = 2.f;
    TRY(troupe_cuda_clip_by_norm(g_stream, dss.f(), max_norm, d1.f(), m));
    TRY(troupe_cuda_clip_by_norm(g_stream, dss.f(), max_norm, d2.f(), m));
    double q = 0;
    for (int64_t i = 0; i < m; i++) q += g1[i] * g1[i] + g2[i] * g2[i];
    double f = max_norm / (std::sqrt(q) + 1e-6);
    for (int64_t i = 0; i < m; i++) g1[i] *= f, g2[i] *= f;
    return std::fmax(error(download(d1, m), g1), error(download(d2, m), g2));
  });
}

void optimizer_tests(Rng &rng) {
  const int64_t n = 10007;
  // PyTorch semantics: the buffer is the first gradient (its old contents, here garbage, ignored),
  // and later steps damp the new gradient; Nesterov runs with dampening 0.
  struct Case {
    const char *name;
    float dampening;
    int nesterov;
  };
  for (Case c : {Case{"sgd momentum weight decay, 3 steps", 0.f, 0}, Case{"sgd momentum dampening 0.3, 3 steps", 0.3f, 0},
                 Case{"sgd momentum nesterov weight decay, 3 steps", 0.f, 1}}) {
    check(c.name, 1e-5, [&] {
      ref::Vec p = random_vec(rng, n), buf(n, 0.0);
      Dev dp(n * 4), dg(n * 4), db(n * 4);
      upload(dp, p);
      upload(db, random_vec(rng, n));
      for (int step = 0; step < 3; step++) {
        ref::Vec g = random_vec(rng, n);
        upload(dg, g);
        TRY(troupe_cuda_sgd_step(g_stream, dp.f(), dg.f(), db.f(), n, 0.1f, 0.9f, c.dampening, 0.01f, c.nesterov,
                                 step == 0));
        TRY(troupe_cuda_stream_sync(g_stream));
        ref::sgd(p, g, buf, 0.1, 0.9, c.dampening, 0.01, c.nesterov, step == 0);
      }
      return std::fmax(error(download(dp, n), p), error(download(db, n), buf));
    });
  }
  check("adamw, 3 steps", 1e-5, [&] {
    ref::Vec p = random_vec(rng, n), m(n, 0.0), v(n, 0.0);
    Dev dp(n * 4), dg(n * 4), dm(n * 4), dv(n * 4);
    upload(dp, p);
    TRY(troupe_cuda_memset(dm.p, 0, n * 4));
    TRY(troupe_cuda_memset(dv.p, 0, n * 4));
    for (int step = 1; step <= 3; step++) {
      ref::Vec g = random_vec(rng, n);
      upload(dg, g);
      TRY(troupe_cuda_adamw_step(g_stream, dp.f(), dg.f(), dm.f(), dv.f(), n, 1e-3f, 0.9f, 0.999f, 1e-8f, 0.01f, step));
      TRY(troupe_cuda_stream_sync(g_stream));
      ref::adamw(p, g, m, v, 1e-3, 0.9, 0.999, 1e-8, 0.01, step);
    }
    return std::fmax(error(download(dp, n), p), std::fmax(error(download(dm, n), m), error(download(dv, n), v)));
  });
}

void copy_tests(Rng &rng) {
  check("pinned host memory, async copies round trip", 0, [&] {
    const size_t n = 1 << 20;
    void *h1, *h2;
    TRY(troupe_cuda_host_alloc(n * 4, &h1));
    TRY(troupe_cuda_host_alloc(n * 4, &h2));
    float *a = static_cast<float *>(h1), *b = static_cast<float *>(h2);
    for (size_t i = 0; i < n; i++) a[i] = float(rng.uniform(-1, 1)), b[i] = 0;
    Dev d1(n * 4), d2(n * 4);
    TRY(troupe_cuda_copy_htod_async(d1.p, a, n * 4, g_stream));
    TRY(troupe_cuda_copy_dtod_async(d2.p, d1.p, n * 4, g_stream));
    TRY(troupe_cuda_copy_dtoh_async(b, d2.p, n * 4, g_stream));
    TRY(troupe_cuda_stream_sync(g_stream));
    double e = memcmp(a, b, n * 4) == 0 ? 0 : 1;
    TRY(troupe_cuda_host_free(h1));
    TRY(troupe_cuda_host_free(h2));
    return e;
  });
}

}  // namespace

void run_kernel_tests() {
  Rng rng(2024);
  copy_tests(rng);
  gemm_tests(rng);
  elementwise_tests(rng);
  layernorm_tests(rng);
  cross_entropy_tests(rng);
  reduction_tests(rng);
  optimizer_tests(rng);
}
