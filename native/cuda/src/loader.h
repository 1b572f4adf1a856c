// Finds and opens cuBLAS and NCCL at run time (no link-time dependency on either).
#pragma once

#include <string>

namespace troupe_cuda {

// Opens the library which (TROUPE_CUDA_LIB_CUBLAS or TROUPE_CUDA_LIB_NCCL) once per process;
// later calls return the same handle. On failure returns TROUPE_CUDA_ENOLIB with a message that
// lists the names and folders searched (and why a file that was found did not open).
int open_library(int which, void **handle, std::string *path);

// Resolves a symbol, failing with TROUPE_CUDA_ENOLIB naming the symbol and library.
int resolve(void *handle, const std::string &path, const char *name, void **fn);

// resolve, typed: binds a function pointer.
template <class F>
int bind(void *handle, const std::string &path, const char *name, F *fn) {
  void *f;
  if (int rc = resolve(handle, path, name, &f)) return rc;
  *fn = reinterpret_cast<F>(f);
  return 0;
}

// Loads the library and binds every entry point the library uses (defined in gemm.cpp for cuBLAS
// and nccl.cpp for NCCL); the status names a missing one.
int bind_cublas();
int bind_nccl();

// dlsym for an entry point that older versions lack: NULL when absent.
void *dlsym_optional(void *handle, const char *name);

}  // namespace troupe_cuda
