// Devices other than the CPU come from the CUDA library (native/cuda, libtroupe_cuda.so), opened
// with dlopen on first use so the addon builds and runs where there is none.
#pragma once

#include <string>

#include "storage.h"

namespace troupe {

/** The ABI version and success status of native/cuda/troupe_cuda.h that this binding speaks. */
constexpr int kCudaAbiVersion = 2;
constexpr int kCudaOk = 0;

/**
 * The entry points of libtroupe_cuda.so the binding uses, declared here (see
 * native/cuda/troupe_cuda.h) so the addon builds without the CUDA tree.
 */
struct CudaLib {
  int (*abi_version)();
  const char* (*last_error)();
  int (*device_count)(int* count);
  int (*malloc)(int device, size_t bytes, void** out);
  int (*free)(void* ptr);
  int (*memset)(void* ptr, int value, size_t bytes);
  int (*copy_htod)(void* dst, const void* host_src, size_t bytes);
  int (*copy_dtoh)(void* host_dst, const void* src, size_t bytes);
};

/** Parses 'cpu', 'cuda' or 'cuda:N'; throws INVALID_ARGUMENT for anything else and
 * DEVICE_UNAVAILABLE for a CUDA device when no library is loaded, no GPU is found or N is out of range. */
Device parse_device(const std::string& text);

/** The CUDA library, or nullptr with `why` saying what was tried. */
const CudaLib* cuda_lib(std::string* why);
/** Visible GPUs (0 without a library or a GPU), with the reason when 0. */
int cuda_device_count(std::string* why);

void* device_alloc(const Device& device, size_t bytes);
void device_release(const Device& device, void* ptr);
void device_copy_in(const Device& device, void* dst, const void* src, size_t bytes);
void device_copy_out(const Device& device, void* dst, const void* src, size_t bytes);
void device_zero(const Device& device, void* dst, size_t bytes);

}  // namespace troupe
