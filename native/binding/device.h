// Devices other than the CPU come from the CUDA library (native/cuda, libtroupe_cuda.so), opened
// with dlopen on first use so the addon builds and runs where there is none.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "storage.h"

namespace troupe {

/** The ABI version and success status of native/cuda/troupe_cuda.h that this binding speaks. */
constexpr int kCudaAbiVersion = 2;
constexpr int kCudaOk = 0;

struct CudaStream;  // troupe_cuda_stream
struct NcclComm;    // troupe_nccl_comm

/**
 * The entry points of libtroupe_cuda.so the binding uses, declared here (see
 * native/cuda/troupe_cuda.h for what each does) so the addon builds without the CUDA tree.
 */
struct CudaLib {
  using S = CudaStream*;
  int (*abi_version)();
  const char* (*last_error)();
  int (*device_count)(int* count);
  int (*malloc)(int device, size_t bytes, void** out);
  int (*free)(void* ptr);
  int (*memset)(void* ptr, int value, size_t bytes);
  int (*copy_htod)(void* dst, const void* host_src, size_t bytes);
  int (*copy_dtoh)(void* host_dst, const void* src, size_t bytes);
  int (*stream_create)(int device, S* out);
  int (*stream_sync)(S s);
  int (*stream_destroy)(S s);
  int (*copy_htod_async)(void* dst, const void* host_src, size_t bytes, S s);
  int (*copy_dtoh_async)(void* host_dst, const void* src, size_t bytes, S s);
  int (*copy_dtod_async)(void* dst, const void* src, size_t bytes, S s);
  int (*memset_async)(void* ptr, int value, size_t bytes, S s);
  int (*gemm)(S s, int ta, int tb, int m, int n, int k, float alpha, const float* a, const float* b, float beta, float* c);
  int (*bias_add)(S s, float* y, const float* bias, int64_t rows, int64_t cols);
  int (*bias_grad)(S s, const float* dy, float* dbias, int64_t rows, int64_t cols, int accumulate);
  int (*relu_forward)(S s, const float* x, float* y, int64_t n);
  int (*relu_backward)(S s, const float* x, const float* dy, float* dx, int64_t n);
  int (*gelu_forward)(S s, const float* x, float* y, int64_t n);
  int (*gelu_backward)(S s, const float* x, const float* dy, float* dx, int64_t n);
  int (*layernorm_forward)(S s, const float* x, const float* gamma, const float* beta, float eps, int64_t rows,
                           int64_t cols, float* y, float* mean, float* rstd);
  int (*layernorm_backward)(S s, const float* x, const float* dy, const float* mean, const float* rstd,
                            const float* gamma, int64_t rows, int64_t cols, float* dx, float* dgamma, float* dbeta);
  int (*cross_entropy_forward)(S s, const float* logits, const int32_t* labels, int64_t rows, int64_t classes,
                               float* lse, float* loss);
  int (*cross_entropy_backward)(S s, const float* logits, const int32_t* labels, const float* lse, int64_t rows,
                                int64_t classes, float grad, float* dlogits);
  int (*add)(S s, const float* a, const float* b, float* out, int64_t n);
  int (*scale)(S s, const float* x, float alpha, float* out, int64_t n);
  int (*sum)(S s, const float* x, int64_t n, float* out);
  int (*sum_squares)(S s, const float* x, int64_t n, float* out, int accumulate);
  int (*clip_by_norm)(S s, const float* sum_squares, float max_norm, float* x, int64_t n);
  int (*sgd_step)(S s, float* param, const float* grad, float* buf, int64_t n, float lr, float momentum,
                  float dampening, float weight_decay, int nesterov, int first_step);
  int (*adamw_step)(S s, float* param, const float* grad, float* m, float* v, int64_t n, float lr, float beta1,
                    float beta2, float eps, float weight_decay, int64_t step);
  int (*library_path)(int which, char* path, size_t cap);
  int (*nccl_version)(int* version);
  int (*nccl_get_unique_id)(uint8_t* id);
  int (*nccl_comm_init_rank)(int nranks, const uint8_t* id, int rank, int device, NcclComm** out);
  int (*nccl_allreduce)(NcclComm* c, const void* send, void* recv, size_t count, int dtype, int op, S s);
  int (*nccl_broadcast)(NcclComm* c, const void* send, void* recv, size_t count, int dtype, int root, S s);
  int (*nccl_send)(NcclComm* c, const void* buf, size_t count, int dtype, int peer, S s);
  int (*nccl_recv)(NcclComm* c, void* buf, size_t count, int dtype, int peer, S s);
  int (*nccl_group_start)();
  int (*nccl_group_end)();
  int (*nccl_comm_async_error)(NcclComm* c, int* nccl_result);
  int (*nccl_comm_abort)(NcclComm* c);
  int (*nccl_comm_destroy)(NcclComm* c);
};

/** Parses 'cpu', 'cuda' or 'cuda:N'; throws INVALID_ARGUMENT for anything else and
 * DEVICE_UNAVAILABLE for a CUDA device when no library is loaded, no GPU is found or N is out of range. */
Device parse_device(const std::string& text);

/** The CUDA library, or nullptr with `why` saying what was tried. */
const CudaLib* cuda_lib(std::string* why);
/** The CUDA library; throws DEVICE_UNAVAILABLE naming `op` and what is missing when there is none. */
const CudaLib& need_cuda_lib(const std::string& op);
/** Visible GPUs (0 without a library or a GPU), with the reason when 0. */
int cuda_device_count(std::string* why);

/**
 * Throws for a non-zero troupe_cuda status, with the library's last error (read on this thread):
 * EINVAL -> INVALID_ARGUMENT; no device, no library, out of memory -> DEVICE_UNAVAILABLE;
 * NCCL failures -> UNAVAILABLE (a peer or the communicator failed); CUDA/cuBLAS errors -> INTERNAL.
 */
void cuda_check(int status, const std::string& op, const Device& device);
/** The same, for calls that concern no one device; `what` starts the message. */
void cuda_check(int status, const std::string& what);

/** What a GPU operation works with: the library and the device's stream. */
struct Gpu {
  const CudaLib& lib;
  CudaStream* stream;
  Device device;
  std::string op;
  void check(int status) const { cuda_check(status, op, device); }
};

/**
 * Runs `body` on the device's own stream (made on first use, owned by the binding), then waits
 * for the stream, so the work is done (or its failure reported) when this returns. Operations on
 * one device are serialised, so an error found at the wait belongs to this one. Call it from a
 * worker thread: it blocks until the GPU is done.
 */
void on_device(const Device& device, const std::string& op, const std::function<void(const Gpu&)>& body);

void* device_alloc(const Device& device, size_t bytes);
void device_release(const Device& device, void* ptr);
void device_copy_in(const Device& device, void* dst, const void* src, size_t bytes);
void device_copy_out(const Device& device, void* dst, const void* src, size_t bytes);
void device_zero(const Device& device, void* dst, size_t bytes);

}  // namespace troupe
