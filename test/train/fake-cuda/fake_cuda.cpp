// A stand-in for libtroupe_cuda.so that runs the C ABI of native/cuda/troupe_cuda.h on the CPU:
// one "GPU" whose memory is host memory (tracked, so a host pointer handed to a kernel is caught),
// kernels as plain loops following the header's formulas, and a one-rank "NCCL". It lets the
// binding's CUDA paths (argument order, transposes, shapes, streams, errors) run where there is no
// GPU; it says nothing about the real kernels, which native/cuda's selftest checks on a GPU.
#include <cmath>
#include <cstdarg>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <mutex>
#include <string>

extern "C" {
struct troupe_cuda_stream {
  int device;
};
struct troupe_nccl_comm {
  int rank, nranks, device;
};
}

namespace {

thread_local std::string g_error;
std::mutex g_mu;
std::map<const char*, size_t> g_blocks;  // device allocations: start -> bytes

int fail(int code, const char* fmt, ...) {
  char buf[512];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(buf, sizeof buf, fmt, ap);
  va_end(ap);
  g_error = buf;
  return code;
}

// True when [p, p+bytes) lies inside one device allocation.
bool on_device(const void* p, size_t bytes) {
  std::lock_guard<std::mutex> lock(g_mu);
  auto c = static_cast<const char*>(p);
  auto it = g_blocks.upper_bound(c);
  if (it == g_blocks.begin()) return false;
  --it;
  return c >= it->first && c + bytes <= it->first + it->second;
}

#define DEV(p, n, what) \
  if (!(p) || !on_device((p), (n))) return fail(1, "%s: %s is not device memory of %zu bytes", __func__, what, size_t(n))
#define STREAM(s) \
  if (!(s)) return fail(1, "%s: the fake library wants an explicit stream", __func__)

}  // namespace

#define API extern "C" __attribute__((visibility("default")))

API int troupe_cuda_abi_version(void) { return 2; }
API const char* troupe_cuda_last_error(void) { return g_error.c_str(); }
API int troupe_cuda_device_count(int* count) {
  *count = 1;
  return 0;
}
API int troupe_cuda_malloc(int device, size_t bytes, void** out) {
  if (device != 0) return fail(2, "fake: no device %d", device);
  void* p = std::calloc(bytes ? bytes : 1, 1);
  std::memset(p, 0x7f, bytes);  // like cudaMalloc: not zeroed (0x7f7f7f7f is a large float)
  std::lock_guard<std::mutex> lock(g_mu);
  g_blocks[static_cast<const char*>(p)] = bytes;
  *out = p;
  return 0;
}
API int troupe_cuda_free(void* p) {
  if (!p) return 0;
  std::lock_guard<std::mutex> lock(g_mu);
  g_blocks.erase(static_cast<const char*>(p));
  std::free(p);
  return 0;
}
API int troupe_cuda_memset(void* p, int v, size_t n) {
  DEV(p, n, "ptr");
  std::memset(p, v, n);
  return 0;
}
API int troupe_cuda_copy_htod(void* d, const void* h, size_t n) {
  DEV(d, n, "dst");
  std::memcpy(d, h, n);
  return 0;
}
API int troupe_cuda_copy_dtoh(void* h, const void* d, size_t n) {
  DEV(d, n, "src");
  std::memcpy(h, d, n);
  return 0;
}
API int troupe_cuda_stream_create(int device, troupe_cuda_stream** out) {
  *out = new troupe_cuda_stream{device};
  return 0;
}
API int troupe_cuda_stream_sync(troupe_cuda_stream*) { return 0; }
API int troupe_cuda_stream_destroy(troupe_cuda_stream* s) {
  delete s;
  return 0;
}
API int troupe_cuda_copy_htod_async(void* d, const void* h, size_t n, troupe_cuda_stream* s) {
  STREAM(s);
  return troupe_cuda_copy_htod(d, h, n);
}
API int troupe_cuda_copy_dtoh_async(void* h, const void* d, size_t n, troupe_cuda_stream* s) {
  STREAM(s);
  return troupe_cuda_copy_dtoh(h, d, n);
}
API int troupe_cuda_copy_dtod_async(void* d, const void* src, size_t n, troupe_cuda_stream* s) {
  STREAM(s);
  DEV(d, n, "dst");
  DEV(src, n, "src");
  std::memmove(d, src, n);
  return 0;
}
API int troupe_cuda_memset_async(void* p, int v, size_t n, troupe_cuda_stream* s) {
  STREAM(s);
  return troupe_cuda_memset(p, v, n);
}

API int troupe_cuda_gemm(troupe_cuda_stream* s, int ta, int tb, int m, int n, int k, float alpha, const float* a,
                         const float* b, float beta, float* c) {
  STREAM(s);
  if (m < 0 || n < 0 || k < 0) return fail(1, "gemm: negative size");
  DEV(a, size_t(m) * k * 4, "a");
  DEV(b, size_t(k) * n * 4, "b");
  DEV(c, size_t(m) * n * 4, "c");
  for (int i = 0; i < m; i++)
    for (int j = 0; j < n; j++) {
      double acc = 0;
      for (int p = 0; p < k; p++) acc += double(ta ? a[p * m + i] : a[i * k + p]) * (tb ? b[j * k + p] : b[p * n + j]);
      c[i * n + j] = float(alpha * acc + (beta == 0.f ? 0.0 : double(beta) * c[i * n + j]));
    }
  return 0;
}
API int troupe_cuda_bias_add(troupe_cuda_stream* s, float* y, const float* bias, int64_t rows, int64_t cols) {
  STREAM(s);
  DEV(y, rows * cols * 4, "y");
  DEV(bias, cols * 4, "bias");
  for (int64_t i = 0; i < rows * cols; i++) y[i] += bias[i % cols];
  return 0;
}
API int troupe_cuda_bias_grad(troupe_cuda_stream* s, const float* dy, float* db, int64_t rows, int64_t cols, int acc) {
  STREAM(s);
  DEV(dy, rows * cols * 4, "dy");
  DEV(db, cols * 4, "dbias");
  for (int64_t c = 0; c < cols; c++) {
    double t = 0;
    for (int64_t r = 0; r < rows; r++) t += dy[r * cols + c];
    db[c] = float(acc ? db[c] + t : t);
  }
  return 0;
}

#define UNARY(name, expr)                                                                   \
  API int name(troupe_cuda_stream* s, const float* x, float* y, int64_t n) {                \
    STREAM(s);                                                                              \
    DEV(x, n * 4, "x");                                                                     \
    DEV(y, n * 4, "y");                                                                     \
    for (int64_t i = 0; i < n; i++) {                                                       \
      double v = x[i];                                                                      \
      y[i] = float(expr);                                                                   \
    }                                                                                       \
    return 0;                                                                               \
  }
#define BACKWARD(name, expr)                                                                \
  API int name(troupe_cuda_stream* s, const float* x, const float* dy, float* dx, int64_t n) { \
    STREAM(s);                                                                              \
    DEV(x, n * 4, "x");                                                                     \
    DEV(dy, n * 4, "dy");                                                                   \
    DEV(dx, n * 4, "dx");                                                                   \
    for (int64_t i = 0; i < n; i++) {                                                       \
      double v = x[i];                                                                      \
      dx[i] = float(dy[i] * (expr));                                                        \
    }                                                                                       \
    return 0;                                                                               \
  }
UNARY(troupe_cuda_relu_forward, v > 0 ? v : 0)
BACKWARD(troupe_cuda_relu_backward, v > 0 ? 1 : 0)
UNARY(troupe_cuda_gelu_forward, 0.5 * v * (1 + std::erf(v / std::sqrt(2.0))))
BACKWARD(troupe_cuda_gelu_backward,
         0.5 * (1 + std::erf(v / std::sqrt(2.0))) + v * std::exp(-0.5 * v * v) / std::sqrt(2 * M_PI))

API int troupe_cuda_layernorm_forward(troupe_cuda_stream* s, const float* x, const float* gamma, const float* beta,
                                      float eps, int64_t rows, int64_t cols, float* y, float* mean, float* rstd) {
  STREAM(s);
  DEV(x, rows * cols * 4, "x");
  DEV(y, rows * cols * 4, "y");
  DEV(mean, rows * 4, "mean");
  DEV(rstd, rows * 4, "rstd");
  for (int64_t r = 0; r < rows; r++) {
    const float* xr = x + r * cols;
    double m = 0, v = 0;
    for (int64_t c = 0; c < cols; c++) m += xr[c];
    m /= cols;
    for (int64_t c = 0; c < cols; c++) v += (xr[c] - m) * (xr[c] - m);
    double rs = 1 / std::sqrt(v / cols + eps);
    mean[r] = float(m);
    rstd[r] = float(rs);
    for (int64_t c = 0; c < cols; c++) y[r * cols + c] = float((xr[c] - m) * rs * (gamma ? gamma[c] : 1) + (beta ? beta[c] : 0));
  }
  return 0;
}
API int troupe_cuda_layernorm_backward(troupe_cuda_stream* s, const float* x, const float* dy, const float* mean,
                                       const float* rstd, const float* gamma, int64_t rows, int64_t cols, float* dx,
                                       float* dgamma, float* dbeta) {
  STREAM(s);
  DEV(x, rows * cols * 4, "x");
  DEV(dy, rows * cols * 4, "dy");
  DEV(dx, rows * cols * 4, "dx");
  DEV(mean, rows * 4, "mean");
  DEV(rstd, rows * 4, "rstd");
  if (dgamma) std::memset(dgamma, 0, cols * 4);
  if (dbeta) std::memset(dbeta, 0, cols * 4);
  for (int64_t r = 0; r < rows; r++) {
    double a = 0, b = 0;
    for (int64_t c = 0; c < cols; c++) {
      double xhat = (x[r * cols + c] - mean[r]) * rstd[r];
      double g = dy[r * cols + c] * (gamma ? gamma[c] : 1);
      a += g;
      b += g * xhat;
      if (dgamma) dgamma[c] += float(dy[r * cols + c] * xhat);
      if (dbeta) dbeta[c] += dy[r * cols + c];
    }
    for (int64_t c = 0; c < cols; c++) {
      double xhat = (x[r * cols + c] - mean[r]) * rstd[r];
      double g = dy[r * cols + c] * (gamma ? gamma[c] : 1);
      dx[r * cols + c] = float(rstd[r] * (g - a / cols - xhat * b / cols));
    }
  }
  return 0;
}

API int troupe_cuda_cross_entropy_forward(troupe_cuda_stream* s, const float* logits, const int32_t* labels,
                                          int64_t rows, int64_t classes, float* lse, float* loss) {
  STREAM(s);
  DEV(logits, rows * classes * 4, "logits");
  DEV(labels, rows * 4, "labels");
  DEV(lse, rows * 4, "lse");
  DEV(loss, 4, "loss");
  double total = 0;
  for (int64_t r = 0; r < rows; r++) {
    const float* l = logits + r * classes;
    double mx = l[0], acc = 0;
    for (int64_t j = 1; j < classes; j++) mx = std::fmax(mx, l[j]);
    for (int64_t j = 0; j < classes; j++) acc += std::exp(l[j] - mx);
    lse[r] = float(mx + std::log(acc));
    total += lse[r] - l[labels[r]];
  }
  *loss = float(total / rows);
  return 0;
}
API int troupe_cuda_cross_entropy_backward(troupe_cuda_stream* s, const float* logits, const int32_t* labels,
                                           const float* lse, int64_t rows, int64_t classes, float grad, float* d) {
  STREAM(s);
  DEV(logits, rows * classes * 4, "logits");
  DEV(d, rows * classes * 4, "dlogits");
  DEV(lse, rows * 4, "lse");
  for (int64_t r = 0; r < rows; r++)
    for (int64_t j = 0; j < classes; j++)
      d[r * classes + j] = float((std::exp(logits[r * classes + j] - lse[r]) - (j == labels[r])) * grad / rows);
  return 0;
}

API int troupe_cuda_add(troupe_cuda_stream* s, const float* a, const float* b, float* out, int64_t n) {
  STREAM(s);
  DEV(a, n * 4, "a");
  DEV(b, n * 4, "b");
  DEV(out, n * 4, "out");
  for (int64_t i = 0; i < n; i++) out[i] = a[i] + b[i];
  return 0;
}
API int troupe_cuda_scale(troupe_cuda_stream* s, const float* x, float alpha, float* out, int64_t n) {
  STREAM(s);
  DEV(x, n * 4, "x");
  DEV(out, n * 4, "out");
  for (int64_t i = 0; i < n; i++) out[i] = alpha * x[i];
  return 0;
}
API int troupe_cuda_sum(troupe_cuda_stream* s, const float* x, int64_t n, float* out) {
  STREAM(s);
  DEV(x, n * 4, "x");
  DEV(out, 4, "out");
  double t = 0;
  for (int64_t i = 0; i < n; i++) t += x[i];
  *out = float(t);
  return 0;
}
API int troupe_cuda_sum_squares(troupe_cuda_stream* s, const float* x, int64_t n, float* out, int acc) {
  STREAM(s);
  DEV(x, n * 4, "x");
  DEV(out, 4, "out");
  double t = 0;
  for (int64_t i = 0; i < n; i++) t += double(x[i]) * x[i];
  *out = float(acc ? *out + t : t);
  return 0;
}
API int troupe_cuda_clip_by_norm(troupe_cuda_stream* s, const float* ss, float max_norm, float* x, int64_t n) {
  STREAM(s);
  DEV(ss, 4, "sum_squares");
  DEV(x, n * 4, "x");
  float norm = std::sqrt(*ss);
  if (!(norm > max_norm)) return 0;
  float f = max_norm / (norm + 1e-6f);
  for (int64_t i = 0; i < n; i++) x[i] *= f;
  return 0;
}
API int troupe_cuda_sgd_step(troupe_cuda_stream* s, float* p, const float* g, float* buf, int64_t n, float lr,
                             float mu, float damp, float wd, int nesterov, int first) {
  STREAM(s);
  DEV(p, n * 4, "param");
  DEV(g, n * 4, "grad");
  if (mu != 0) DEV(buf, n * 4, "momentum_buf");
  for (int64_t i = 0; i < n; i++) {
    float gi = g[i] + wd * p[i];
    if (mu != 0) {
      float b = first ? gi : mu * buf[i] + (1 - damp) * gi;
      buf[i] = b;
      gi = nesterov ? gi + mu * b : b;
    }
    p[i] -= lr * gi;
  }
  return 0;
}
API int troupe_cuda_adamw_step(troupe_cuda_stream* s, float* p, const float* g, float* m, float* v, int64_t n,
                               float lr, float b1, float b2, float eps, float wd, int64_t step) {
  STREAM(s);
  DEV(p, n * 4, "param");
  DEV(g, n * 4, "grad");
  DEV(m, n * 4, "m");
  DEV(v, n * 4, "v");
  if (step < 1) return fail(1, "adamw: step counts from 1");
  double bc1 = 1 - std::pow(double(b1), double(step)), bc2 = 1 - std::pow(double(b2), double(step));
  for (int64_t i = 0; i < n; i++) {
    p[i] *= 1 - lr * wd;
    m[i] = b1 * m[i] + (1 - b1) * g[i];
    v[i] = b2 * v[i] + (1 - b2) * g[i] * g[i];
    p[i] -= float(lr * (m[i] / bc1) / (std::sqrt(v[i] / bc2) + eps));
  }
  return 0;
}
API int troupe_cuda_library_path(int, char* path, size_t cap) {
  std::snprintf(path, cap, "(fake)");
  return 0;
}

// ---- one-rank NCCL ----
API int troupe_nccl_version(int* v) {
  *v = 99999;
  return 0;
}
API int troupe_nccl_get_unique_id(uint8_t id[128]) {
  for (int i = 0; i < 128; i++) id[i] = uint8_t(i * 7 + 3);
  return 0;
}
API int troupe_nccl_comm_init_rank(int nranks, const uint8_t id[128], int rank, int device, troupe_nccl_comm** out) {
  if (nranks != 1) return fail(7, "fake NCCL: only one rank");
  if (id[5] != uint8_t(5 * 7 + 3)) return fail(7, "fake NCCL: not the id made by troupe_nccl_get_unique_id");
  *out = new troupe_nccl_comm{rank, nranks, device};
  return 0;
}
static size_t width(int dtype) { return dtype == 1 ? 8 : 4; }
API int troupe_nccl_allreduce(troupe_nccl_comm* c, const void* send, void* recv, size_t count, int dtype, int op,
                              troupe_cuda_stream* s) {
  if (!c) return fail(1, "no comm");
  STREAM(s);
  DEV(send, count * width(dtype), "sendbuf");
  DEV(recv, count * width(dtype), "recvbuf");
  std::memmove(recv, send, count * width(dtype));  // sum, max and avg of one rank
  return op >= 0 && op <= 2 ? 0 : fail(1, "op");
}
API int troupe_nccl_broadcast(troupe_nccl_comm* c, const void* send, void* recv, size_t count, int dtype, int root,
                              troupe_cuda_stream* s) {
  if (!c || root != 0) return fail(1, "bad comm or root");
  STREAM(s);
  DEV(send, count * width(dtype), "sendbuf");
  DEV(recv, count * width(dtype), "recvbuf");
  std::memmove(recv, send, count * width(dtype));
  return 0;
}
API int troupe_nccl_send(troupe_nccl_comm*, const void*, size_t, int, int, troupe_cuda_stream*) {
  return fail(1, "fake NCCL: no peers");
}
API int troupe_nccl_recv(troupe_nccl_comm*, void*, size_t, int, int, troupe_cuda_stream*) {
  return fail(1, "fake NCCL: no peers");
}
API int troupe_nccl_group_start(void) { return 0; }
API int troupe_nccl_group_end(void) { return 0; }
API int troupe_nccl_comm_async_error(troupe_nccl_comm*, int* r) {
  *r = 0;
  return 0;
}
API int troupe_nccl_comm_abort(troupe_nccl_comm* c) {
  delete c;
  return 0;
}
API int troupe_nccl_comm_destroy(troupe_nccl_comm* c) {
  delete c;
  return 0;
}
