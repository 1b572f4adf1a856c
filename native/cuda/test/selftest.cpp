// cuda_selftest: checks libtroupe_cuda.so through its C ABI. Exit status: 0 all passed, 1 a check
// failed, 2 no GPU (the checks that need none passed).
// cuda_selftest --libraries: only finds cuBLAS and NCCL and says where (0 both found, 3 not).
#include <cstdlib>
#include <cstring>

#include "gradcheck.h"
#include "harness.h"
#include "tests.h"

namespace {

bool report_library(int which, const char *label) {
  char path[512];
  bool ok = troupe_cuda_library_path(which, path, sizeof path) == TROUPE_CUDA_OK;
  printf("%s: %s%s\n", label, ok ? "loaded from " : "", ok ? path : troupe_cuda_last_error());
  return ok;
}

int libraries() {
  bool blas = report_library(TROUPE_CUDA_LIB_CUBLAS, "cuBLAS");
  bool nccl = report_library(TROUPE_CUDA_LIB_NCCL, "NCCL");
  int version = 0;
  if (nccl && troupe_nccl_version(&version) == TROUPE_CUDA_OK) printf("NCCL version: %d\n", version);
  return blas && nccl ? 0 : 3;
}

}  // namespace

int main(int argc, char **argv) {
  setvbuf(stdout, nullptr, _IOLBF, 0);
  if (argc > 1 && strcmp(argv[1], "--libraries") == 0) return libraries();
  printf("troupe cuda selftest (ABI %d)\n", troupe_cuda_abi_version());
  printf("CPU references:\n");
  g_failures += gradcheck::run();

  int count = 0;
  bool have_gpu = troupe_cuda_device_count(&count) == TROUPE_CUDA_OK && count > 0;
  std::string why = troupe_cuda_last_error();
  printf("argument and error checks:\n");
  run_error_tests(have_gpu);
  report_library(TROUPE_CUDA_LIB_CUBLAS, "cuBLAS");
  if (!have_gpu) {
    printf("no GPU: %s\n", why.c_str());
    printf("GPU checks skipped; %d failure(s) in the checks that need no GPU\n", g_failures);
    return g_failures ? 1 : 2;
  }

  char name[256];
  int cc = 0;
  size_t free_b = 0, total_b = 0;
  if (troupe_cuda_device_name(0, name, sizeof name, &cc) || troupe_cuda_device_memory(0, &free_b, &total_b) ||
      troupe_cuda_stream_create(0, &g_stream)) {
    printf("FAIL device setup: %s\n", troupe_cuda_last_error());
    return 1;
  }
  printf("device 0 of %d: %s, compute capability %d.%d, %.1f GiB (%.1f free)\n", count, name, cc / 10, cc % 10,
         total_b / 1073741824.0, free_b / 1073741824.0);
  printf("kernels against the CPU reference:\n");
  run_kernel_tests();
  printf("cuBLAS SGEMM:\n");
  run_sgemm_bench();
  printf("NCCL:\n");
  run_nccl_tests();
  if (troupe_cuda_stream_destroy(g_stream)) {
    printf("FAIL stream destroy: %s\n", troupe_cuda_last_error());
    g_failures++;
  }
  printf("%s: %d failure(s)\n", g_failures ? "FAILED" : "PASSED", g_failures);
  return g_failures ? 1 : 0;
}
