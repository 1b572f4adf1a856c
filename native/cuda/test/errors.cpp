// Bad calls return a status and name what failed; none aborts, and the library still works after.
#include <cstdlib>

#include "harness.h"
#include "tests.h"

namespace {

// Expects call to return status, with a last-error message that contains needle.
void expect(const char *name, int got, int status, const char *needle) {
  std::string msg = troupe_cuda_last_error();
  bool ok = got == status && msg.find(needle) != std::string::npos;
  printf("  %-4s %-44s status %d, \"%.160s%s\"\n", ok ? "ok" : "FAIL", name, got, msg.c_str(),
         msg.size() > 160 ? "..." : "");
  g_failures += !ok;
}

}  // namespace

void run_error_tests(bool have_gpu) {
  float *none = nullptr;
  expect("negative gemm size is refused", troupe_cuda_gemm(nullptr, 0, 0, -1, 2, 2, 1, none, none, 0, none),
         TROUPE_CUDA_EINVAL, "troupe_cuda_gemm: sizes must be >= 0");
  expect("null pointer is refused", troupe_cuda_relu_forward(nullptr, none, none, 4), TROUPE_CUDA_EINVAL,
         "x is NULL");
  expect("unknown NCCL dtype is refused", troupe_nccl_allreduce(nullptr, none, none, 1, 9, 0, nullptr),
         TROUPE_CUDA_EINVAL, "dtype must be");
  if (!have_gpu) {
    int count = -1;
    expect("device count without a GPU", troupe_cuda_device_count(&count), TROUPE_CUDA_ENODEVICE, "");
    return;
  }
  int count = 0;
  TRY(troupe_cuda_device_count(&count));
  expect("device index out of range", troupe_cuda_set_device(count), TROUPE_CUDA_ENODEVICE, "cudaSetDevice");
  void *p = nullptr;
  expect("a 1 PiB allocation reports out of memory", troupe_cuda_malloc(0, size_t(1) << 50, &p), TROUPE_CUDA_ENOMEM,
         "out of memory");
  check("library still works after the errors", 0, [] {
    Dev d(16);
    TRY(troupe_cuda_memset(d.p, 0, 16));
    TRY(troupe_cuda_stream_sync(g_stream));
    return 0.0;
  });
}
