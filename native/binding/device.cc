#include "device.h"

#include <dlfcn.h>

#include <cstdlib>
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
    bool all = resolve(handle, "troupe_cuda_abi_version", &l.abi_version) &&
               resolve(handle, "troupe_cuda_last_error", &l.last_error) &&
               resolve(handle, "troupe_cuda_device_count", &l.device_count) &&
               resolve(handle, "troupe_cuda_malloc", &l.malloc) && resolve(handle, "troupe_cuda_free", &l.free) &&
               resolve(handle, "troupe_cuda_memset", &l.memset) &&
               resolve(handle, "troupe_cuda_copy_htod", &l.copy_htod) &&
               resolve(handle, "troupe_cuda_copy_dtoh", &l.copy_dtoh);
    if (!all || l.abi_version() != kCudaAbiVersion) {
      state.why = "the CUDA library found does not have ABI version " + std::to_string(kCudaAbiVersion);
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
