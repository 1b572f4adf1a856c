#include "device.h"

#include <dlfcn.h>

#include <cstdlib>
#include <map>
#include <memory>
#include <mutex>
#include <vector>

#include "errors.h"

namespace troupe {
namespace {

struct Loaded {
  CudaLib lib{};
  bool ok = false;
  std::string why;
};

// Where the library may be: TROUPE_CUDA_LIBRARY, the tree's own build next to this addon
// (build/Release/troupe_native.node -> native/cuda/build/libtroupe_cuda.so), then the loader path.
std::vector<std::string> candidates() {
  std::vector<std::string> out;
  if (const char* env = std::getenv("TROUPE_CUDA_LIBRARY"); env && *env) return {env};
  Dl_info self{};
  if (dladdr(reinterpret_cast<void*>(&candidates), &self) && self.dli_fname) {
    std::string addon = self.dli_fname;
    out.push_back(addon.substr(0, addon.find_last_of('/') + 1) + "../../native/cuda/build/libtroupe_cuda.so");
  }
  out.push_back("libtroupe_cuda.so");
  return out;
}

template <typename F>
bool resolve(void* handle, const char* name, F* out) {
  *out = reinterpret_cast<F>(dlsym(handle, name));
  return *out != nullptr;
}

const Loaded& loaded() {
  static Loaded state;
  static std::once_flag once;
  std::call_once(once, [] {
    std::string tried;
    void* handle = nullptr;
    for (const std::string& path : candidates()) {
      handle = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
      if (handle) break;
      const char* err = dlerror();
      tried += (tried.empty() ? "" : "; ") + std::string(err ? err : path + ": not found");
    }
    if (!handle) {
      state.why = "no CUDA library is loaded (" + tried +
                  "); build native/cuda with nvcc or point TROUPE_CUDA_LIBRARY at libtroupe_cuda.so";
      return;
    }
    CudaLib& l = state.lib;
    std::string missing;
#define TROUPE_RESOLVE(field) \
  if (!resolve(handle, "troupe_cuda_" #field, &l.field)) missing += (missing.empty() ? "" : ", ") + std::string(#field);
#define TROUPE_RESOLVE_NCCL(field) \
  if (!resolve(handle, "troupe_" #field, &l.field)) missing += (missing.empty() ? "" : ", ") + std::string(#field);
    TROUPE_RESOLVE(abi_version)
    TROUPE_RESOLVE(last_error)
    TROUPE_RESOLVE(device_count)
    TROUPE_RESOLVE(malloc)
    TROUPE_RESOLVE(free)
    TROUPE_RESOLVE(memset)
    TROUPE_RESOLVE(copy_htod)
    TROUPE_RESOLVE(copy_dtoh)
    TROUPE_RESOLVE(stream_create)
    TROUPE_RESOLVE(stream_sync)
    TROUPE_RESOLVE(stream_destroy)
    TROUPE_RESOLVE(copy_htod_async)
    TROUPE_RESOLVE(copy_dtoh_async)
    TROUPE_RESOLVE(copy_dtod_async)
    TROUPE_RESOLVE(memset_async)
    TROUPE_RESOLVE(gemm)
    TROUPE_RESOLVE(bias_add)
    TROUPE_RESOLVE(bias_grad)
    TROUPE_RESOLVE(relu_forward)
    TROUPE_RESOLVE(relu_backward)
    TROUPE_RESOLVE(gelu_forward)
    TROUPE_RESOLVE(gelu_backward)
    TROUPE_RESOLVE(layernorm_forward)
    TROUPE_RESOLVE(layernorm_backward)
    TROUPE_RESOLVE(cross_entropy_forward)
    TROUPE_RESOLVE(cross_entropy_backward)
    TROUPE_RESOLVE(add)
    TROUPE_RESOLVE(scale)
    TROUPE_RESOLVE(sum)
    TROUPE_RESOLVE(sum_squares)
    TROUPE_RESOLVE(clip_by_norm)
    TROUPE_RESOLVE(sgd_step)
    TROUPE_RESOLVE(adamw_step)
    TROUPE_RESOLVE(library_path)
    TROUPE_RESOLVE_NCCL(nccl_version)
    TROUPE_RESOLVE_NCCL(nccl_get_unique_id)
    TROUPE_RESOLVE_NCCL(nccl_comm_init_rank)
    TROUPE_RESOLVE_NCCL(nccl_allreduce)
    TROUPE_RESOLVE_NCCL(nccl_broadcast)
    TROUPE_RESOLVE_NCCL(nccl_send)
    TROUPE_RESOLVE_NCCL(nccl_recv)
    TROUPE_RESOLVE_NCCL(nccl_group_start)
    TROUPE_RESOLVE_NCCL(nccl_group_end)
    TROUPE_RESOLVE_NCCL(nccl_comm_async_error)
    TROUPE_RESOLVE_NCCL(nccl_comm_abort)
    TROUPE_RESOLVE_NCCL(nccl_comm_destroy)
#undef TROUPE_RESOLVE
#undef TROUPE_RESOLVE_NCCL
    bool all = missing.empty();
    if (!l.abi_version || l.abi_version() != kCudaAbiVersion) {
      state.why = "the CUDA library found does not have ABI version " + std::to_string(kCudaAbiVersion) +
                  "; rebuild it with `make -C native/cuda`";
      return;
    }
    if (!all) {
      state.why = "the CUDA library found lacks " + missing + "; rebuild it with `make -C native/cuda`";
      return;
    }
    state.ok = true;
  });
  return state;
}

[[noreturn]] void cuda_fail(const Device& d, const std::string& what) {
  const CudaLib* l = cuda_lib(nullptr);
  fail(code::kDeviceUnavailable, what + " on " + d.name() + " failed: " + (l ? l->last_error() : "no CUDA library"));
}

}  // namespace

const CudaLib* cuda_lib(std::string* why) {
  const Loaded& l = loaded();
  if (!l.ok && why) *why = l.why;
  return l.ok ? &l.lib : nullptr;
}

const CudaLib& need_cuda_lib(const std::string& op) {
  std::string why;
  const CudaLib* l = cuda_lib(&why);
  if (!l) fail(code::kDeviceUnavailable, op + ": " + why);
  return *l;
}

void cuda_check(int status, const std::string& op, const Device& device) {
  if (status != kCudaOk) cuda_check(status, op + " on " + device.name());
}

void cuda_check(int status, const std::string& what) {
  if (status == kCudaOk) return;
  const CudaLib* l = cuda_lib(nullptr);
  std::string why = l ? l->last_error() : "no CUDA library";
  std::string message = what + " failed: " + why;
  switch (status) {
    case 1: fail(code::kInvalidArgument, message);      // TROUPE_CUDA_EINVAL
    case 2:                                             // TROUPE_CUDA_ENODEVICE
    case 4:                                             // TROUPE_CUDA_ENOMEM
    case 5: fail(code::kDeviceUnavailable, message);    // TROUPE_CUDA_ENOLIB
    case 7: fail(code::kUnavailable, message);          // TROUPE_CUDA_ENCCL
    default: fail(code::kInternal, message + " (status " + std::to_string(status) + ")");
  }
}

namespace {

// One stream per device, made on first use and kept for the life of the process (destroying
// streams during exit races the CUDA runtime's own teardown).
struct DeviceQueue {
  std::mutex mu;
  CudaStream* stream = nullptr;
};

DeviceQueue& queue_for(int index) {
  static std::mutex mu;
  static auto* queues = new std::map<int, std::unique_ptr<DeviceQueue>>();
  std::lock_guard<std::mutex> lock(mu);
  auto& q = (*queues)[index];
  if (!q) q = std::make_unique<DeviceQueue>();
  return *q;
}

}  // namespace

void on_device(const Device& device, const std::string& op, const std::function<void(const Gpu&)>& body) {
  const CudaLib& lib = need_cuda_lib(op);
  DeviceQueue& q = queue_for(device.index);
  std::lock_guard<std::mutex> lock(q.mu);
  if (!q.stream) cuda_check(lib.stream_create(device.index, &q.stream), op + " (creating the device stream)", device);
  Gpu gpu{lib, q.stream, device, op};
  try {
    body(gpu);
  } catch (...) {
    lib.stream_sync(q.stream);  // leave nothing of this operation running on the stream
    throw;
  }
  gpu.check(lib.stream_sync(q.stream));
}

int cuda_device_count(std::string* why) {
  const CudaLib* lib = cuda_lib(why);
  if (!lib) return 0;
  int count = 0;
  if (lib->device_count(&count) != kCudaOk || count <= 0) {
    if (why) *why = std::string("no NVIDIA GPU was found (") + lib->last_error() + ")";
    return 0;
  }
  return count;
}

Device parse_device(const std::string& text) {
  if (text == "cpu") return Device{};
  const std::string rule = "device must be 'cpu', 'cuda' or 'cuda:N', got '" + text + "'";
  if (text.rfind("cuda", 0) != 0 || (text.size() > 4 && (text[4] != ':' || text.size() == 5))) {
    fail(code::kInvalidArgument, rule);
  }
  Device d{Device::CUDA, 0};
  if (text.size() > 5) {
    char* end = nullptr;
    long n = std::strtol(text.c_str() + 5, &end, 10);
    if (*end != '\0' || n < 0 || n > 1024) fail(code::kInvalidArgument, rule);
    d.index = static_cast<int>(n);
  }
  std::string why;
  int count = cuda_device_count(&why);
  if (count == 0) fail(code::kDeviceUnavailable, "device " + d.name() + " was requested, but " + why);
  if (d.index >= count) {
    fail(code::kDeviceUnavailable,
         "device " + d.name() + " was requested, but only " + std::to_string(count) + " GPU(s) are visible");
  }
  return d;
}

void* device_alloc(const Device& d, size_t bytes) {
  const CudaLib* l = cuda_lib(nullptr);
  void* p = nullptr;
  if (!l || l->malloc(d.index, bytes, &p) != kCudaOk) cuda_fail(d, "allocating " + std::to_string(bytes) + " bytes");
  return p;
}

void device_release(const Device&, void* ptr) {
  if (const CudaLib* l = cuda_lib(nullptr)) l->free(ptr);
}

void device_copy_in(const Device& d, void* dst, const void* src, size_t bytes) {
  const CudaLib* l = cuda_lib(nullptr);
  if (!l || l->copy_htod(dst, src, bytes) != kCudaOk) cuda_fail(d, "copying to the device");
}

void device_copy_out(const Device& d, void* dst, const void* src, size_t bytes) {
  const CudaLib* l = cuda_lib(nullptr);
  if (!l || l->copy_dtoh(dst, src, bytes) != kCudaOk) cuda_fail(d, "copying from the device");
}

void device_zero(const Device& d, void* dst, size_t bytes) {
  const CudaLib* l = cuda_lib(nullptr);
  if (!l || l->memset(dst, 0, bytes) != kCudaOk) cuda_fail(d, "clearing memory");
}

}  // namespace troupe
