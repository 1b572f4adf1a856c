// Test harness for cuda_selftest: device buffers, float conversions, and the ok/FAIL report.
#pragma once

#include <cmath>
#include <cstdio>
#include <cstring>
#include <functional>
#include <stdexcept>
#include <string>
#include <vector>

#include "reference.h"
#include "rng.h"
#include "troupe_cuda.h"

// A failed ABI call: carries the call's text, its status and the library's message.
struct Failure : std::runtime_error {
  explicit Failure(const std::string &what) : std::runtime_error(what) {}
};

#define TRY(call)                                                                                        \
  do {                                                                                                   \
    int rc_ = (call);                                                                                    \
    if (rc_) throw Failure(std::string(#call) + " -> status " + std::to_string(rc_) + ": " + troupe_cuda_last_error()); \
  } while (0)

inline troupe_cuda_stream *g_stream = nullptr;
inline int g_failures = 0;

// Device memory freed on scope exit.
struct Dev {
  void *p = nullptr;
  explicit Dev(size_t bytes) { TRY(troupe_cuda_malloc(0, bytes, &p)); }
  ~Dev() { troupe_cuda_free(p); }
  Dev(const Dev &) = delete;
  Dev &operator=(const Dev &) = delete;
  float *f() const { return static_cast<float *>(p); }
  int32_t *i() const { return static_cast<int32_t *>(p); }
};

// Random doubles that are exactly representable as float, so CPU and GPU see the same inputs.
inline ref::Vec random_vec(Rng &rng, size_t n, double lo = -1, double hi = 1) {
  ref::Vec v(n);
  for (auto &e : v) e = static_cast<float>(rng.uniform(lo, hi));
  return v;
}

inline void upload(const Dev &d, const ref::Vec &v) {
  std::vector<float> f(v.begin(), v.end());
  TRY(troupe_cuda_copy_htod(d.p, f.data(), f.size() * sizeof(float)));
}

inline ref::Vec download(const Dev &d, size_t n) {
  TRY(troupe_cuda_stream_sync(g_stream));
  std::vector<float> f(n);
  TRY(troupe_cuda_copy_dtoh(f.data(), d.p, n * sizeof(float)));
  return ref::Vec(f.begin(), f.end());
}

// Largest |got - want| / max(1, |want|); NaN counts as infinite error unless both are NaN.
inline double error(const ref::Vec &got, const ref::Vec &want) {
  double w = 0;
  for (size_t i = 0; i < want.size(); i++) {
    if (std::isnan(got[i]) && std::isnan(want[i])) continue;
    double e = std::fabs(got[i] - want[i]) / std::fmax(1.0, std::fabs(want[i]));
    w = std::isnan(e) ? INFINITY : std::fmax(w, e);
  }
  return w;
}

// Runs body (which returns its worst error) and prints one line: ok or FAIL.
inline void check(const char *name, double tol, const std::function<double()> &body) {
  try {
    double err = body();
    bool ok = err <= tol;
    printf("  %-4s %-44s worst error %.2e (tolerance %.0e)\n", ok ? "ok" : "FAIL", name, err, tol);
    g_failures += !ok;
  } catch (const std::exception &e) {
    printf("  FAIL %-44s %s\n", name, e.what());
    g_failures++;
  }
  fflush(stdout);
}
