// Devices, memory, streams and copies over the (statically linked) CUDA runtime; last-error text.
#include <dlfcn.h>

#include <cstdarg>
#include <cstdio>
#include <cstring>
#include <string>

#include "common.h"
#include "gemm.h"

namespace troupe_cuda {

static thread_local std::string last_error;

int fail(int code, const char *fmt, ...) {
  char buf[2048];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(buf, sizeof buf, fmt, ap);
  va_end(ap);
  last_error = buf;
  return code;
}

int cuda_fail(cudaError_t err, const char *what) {
  int code = TROUPE_CUDA_ECUDA;
  switch (err) {
    case cudaErrorMemoryAllocation: code = TROUPE_CUDA_ENOMEM; break;
    case cudaErrorNoDevice:
    case cudaErrorInsufficientDriver:
    case cudaErrorInvalidDevice: code = TROUPE_CUDA_ENODEVICE; break;
    default: break;
  }
  cudaGetLastError();  // clear a non-sticky error so the next call starts clean
  return fail(code, "%s failed: %s (%s)", what, cudaGetErrorName(err), cudaGetErrorString(err));
}

int enter(troupe_cuda_stream *s, cudaStream_t *out) {
  if (!s) {
    *out = nullptr;
    return 0;
  }
  *out = s->stream;
  return check(cudaSetDevice(s->device), "cudaSetDevice");
}

int need(const void *p, const char *fn, const char *name) {
  return p ? 0 : fail(TROUPE_CUDA_EINVAL, "%s: %s is NULL", fn, name);
}

int need_count(int64_t n, const char *fn, const char *name) {
  return n >= 0 ? 0 : fail(TROUPE_CUDA_EINVAL, "%s: %s must be >= 0, got %lld", fn, name, (long long)n);
}

int prologue(const char *fn, troupe_cuda_stream *s, cudaStream_t *cs, int64_t n,
             std::initializer_list<std::pair<const void *, const char *>> ptrs) {
  if (int rc = need_count(n, fn, "n")) return rc;
  for (auto &p : ptrs)
    if (int rc = need(p.first, fn, p.second)) return rc;
  return enter(s, cs);
}

}  // namespace troupe_cuda

using namespace troupe_cuda;

TROUPE_API int troupe_cuda_abi_version(void) { return TROUPE_CUDA_ABI_VERSION; }

TROUPE_API const char *troupe_cuda_last_error(void) { return last_error.c_str(); }

TROUPE_API int troupe_cuda_device_count(int *count) {
  if (int rc = need(count, "troupe_cuda_device_count", "count")) return rc;
  *count = 0;
  int n = 0;
  cudaError_t err = cudaGetDeviceCount(&n);
  if (err != cudaSuccess) {
    int rc = cuda_fail(err, "cudaGetDeviceCount");
    void *driver = dlopen("libcuda.so.1", RTLD_LAZY | RTLD_LOCAL);
    if (driver) {
      dlclose(driver);
      return rc;
    }
    return fail(TROUPE_CUDA_ENODEVICE, "no NVIDIA driver: libcuda.so.1 not found (%s)", troupe_cuda_last_error());
  }
  *count = n;
  if (n == 0) return fail(TROUPE_CUDA_ENODEVICE, "no CUDA device found");
  return 0;
}

TROUPE_API int troupe_cuda_device_name(int device, char *name, size_t cap, int *compute_capability) {
  if (int rc = need(name, "troupe_cuda_device_name", "name")) return rc;
  cudaDeviceProp prop;
  if (int rc = check(cudaGetDeviceProperties(&prop, device), "cudaGetDeviceProperties")) return rc;
  if (cap > 0) snprintf(name, cap, "%s", prop.name);
  if (compute_capability) *compute_capability = prop.major * 10 + prop.minor;
  return 0;
}

TROUPE_API int troupe_cuda_device_memory(int device, size_t *free_bytes, size_t *total_bytes) {
  if (int rc = need(free_bytes, "troupe_cuda_device_memory", "free_bytes")) return rc;
  if (int rc = need(total_bytes, "troupe_cuda_device_memory", "total_bytes")) return rc;
  if (int rc = check(cudaSetDevice(device), "cudaSetDevice")) return rc;
  return check(cudaMemGetInfo(free_bytes, total_bytes), "cudaMemGetInfo");
}

TROUPE_API int troupe_cuda_set_device(int device) { return check(cudaSetDevice(device), "cudaSetDevice"); }

TROUPE_API int troupe_cuda_device_sync(void) { return check(cudaDeviceSynchronize(), "cudaDeviceSynchronize"); }

TROUPE_API int troupe_cuda_malloc(int device, size_t bytes, void **out) {
  if (int rc = need(out, "troupe_cuda_malloc", "out")) return rc;
  *out = nullptr;
  if (int rc = check(cudaSetDevice(device), "cudaSetDevice")) return rc;
  cudaError_t err = cudaMalloc(out, bytes ? bytes : 1);
  if (err == cudaErrorMemoryAllocation) {
    cudaGetLastError();
    return fail(TROUPE_CUDA_ENOMEM, "cudaMalloc of %zu bytes on device %d failed: out of memory", bytes, device);
  }
  return check(err, "cudaMalloc");
}

TROUPE_API int troupe_cuda_free(void *ptr) { return ptr ? check(cudaFree(ptr), "cudaFree") : 0; }

TROUPE_API int troupe_cuda_memset(void *ptr, int value, size_t bytes) {
  if (int rc = need(ptr, "troupe_cuda_memset", "ptr")) return rc;
  return check(cudaMemset(ptr, value, bytes), "cudaMemset");
}

TROUPE_API int troupe_cuda_host_alloc(size_t bytes, void **out) {
  if (int rc = need(out, "troupe_cuda_host_alloc", "out")) return rc;
  *out = nullptr;
  return check(cudaMallocHost(out, bytes ? bytes : 1), "cudaMallocHost");
}

TROUPE_API int troupe_cuda_host_free(void *ptr) { return ptr ? check(cudaFreeHost(ptr), "cudaFreeHost") : 0; }

static int copy(void *dst, const void *src, size_t bytes, cudaMemcpyKind kind, const char *fn) {
  if (int rc = need(dst, fn, "dst")) return rc;
  if (int rc = need(src, fn, "src")) return rc;
  return check(cudaMemcpy(dst, src, bytes, kind), fn);
}

TROUPE_API int troupe_cuda_copy_htod(void *dst, const void *host_src, size_t bytes) {
  return copy(dst, host_src, bytes, cudaMemcpyHostToDevice, "cudaMemcpy host->device");
}
TROUPE_API int troupe_cuda_copy_dtoh(void *host_dst, const void *src, size_t bytes) {
  return copy(host_dst, src, bytes, cudaMemcpyDeviceToHost, "cudaMemcpy device->host");
}
TROUPE_API int troupe_cuda_copy_dtod(void *dst, const void *src, size_t bytes) {
  return copy(dst, src, bytes, cudaMemcpyDeviceToDevice, "cudaMemcpy device->device");
}

TROUPE_API int troupe_cuda_stream_create(int device, troupe_cuda_stream **out) {
  if (int rc = need(out, "troupe_cuda_stream_create", "out")) return rc;
  *out = nullptr;
  if (int rc = check(cudaSetDevice(device), "cudaSetDevice")) return rc;
  cudaStream_t s;
  if (int rc = check(cudaStreamCreateWithFlags(&s, cudaStreamNonBlocking), "cudaStreamCreateWithFlags")) return rc;
  auto *ts = new troupe_cuda_stream();
  ts->stream = s;
  ts->device = device;
  *out = ts;
  return 0;
}

TROUPE_API int troupe_cuda_stream_destroy(troupe_cuda_stream *s) {
  if (!s) return 0;
  cudaStream_t cs;
  int rc = enter(s, &cs);
  if (!rc) rc = check(cudaStreamSynchronize(cs), "cudaStreamSynchronize");
  int rc_blas = destroy_blas_handle(s);
  int rc_destroy = check(cudaStreamDestroy(cs), "cudaStreamDestroy");
  delete s;
  return rc ? rc : rc_blas ? rc_blas : rc_destroy;
}

TROUPE_API int troupe_cuda_stream_sync(troupe_cuda_stream *s) {
  cudaStream_t cs;
  if (int rc = enter(s, &cs)) return rc;
  return check(cudaStreamSynchronize(cs), "cudaStreamSynchronize");
}

TROUPE_API void *troupe_cuda_stream_handle(troupe_cuda_stream *s) { return s ? s->stream : nullptr; }

static int copy_async(void *dst, const void *src, size_t bytes, cudaMemcpyKind kind, troupe_cuda_stream *s,
                      const char *fn) {
  if (int rc = need(dst, fn, "dst")) return rc;
  if (int rc = need(src, fn, "src")) return rc;
  cudaStream_t cs;
  if (int rc = enter(s, &cs)) return rc;
  return check(cudaMemcpyAsync(dst, src, bytes, kind, cs), fn);
}

TROUPE_API int troupe_cuda_copy_htod_async(void *dst, const void *host_src, size_t bytes, troupe_cuda_stream *s) {
  return copy_async(dst, host_src, bytes, cudaMemcpyHostToDevice, s, "cudaMemcpyAsync host->device");
}
TROUPE_API int troupe_cuda_copy_dtoh_async(void *host_dst, const void *src, size_t bytes, troupe_cuda_stream *s) {
  return copy_async(host_dst, src, bytes, cudaMemcpyDeviceToHost, s, "cudaMemcpyAsync device->host");
}
TROUPE_API int troupe_cuda_copy_dtod_async(void *dst, const void *src, size_t bytes, troupe_cuda_stream *s) {
  return copy_async(dst, src, bytes, cudaMemcpyDeviceToDevice, s, "cudaMemcpyAsync device->device");
}

TROUPE_API int troupe_cuda_memset_async(void *ptr, int value, size_t bytes, troupe_cuda_stream *s) {
  if (int rc = need(ptr, "troupe_cuda_memset_async", "ptr")) return rc;
  cudaStream_t cs;
  if (int rc = enter(s, &cs)) return rc;
  return check(cudaMemsetAsync(ptr, value, bytes, cs), "cudaMemsetAsync");
}
