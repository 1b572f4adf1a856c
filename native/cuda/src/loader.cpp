// Search order (documented in troupe_cuda.h): TROUPE_CUDA_LIBS, the dynamic loader's own search,
// CUDA and system library folders, then Python wheels' nvidia/*/lib (and torch/lib) folders.
#include "loader.h"

#include <dlfcn.h>
#include <glob.h>
#include <link.h>
#include <sys/stat.h>

#include <cstdlib>
#include <mutex>
#include <vector>

#include "common.h"

namespace troupe_cuda {
namespace {

struct Candidate {
  const char *name;
  const char *companion;  // opened first from the same folder: a dependency the wheel keeps beside it
};

struct Spec {
  const char *label;
  std::vector<Candidate> names;
};

const Spec &spec(int which) {
  static const Spec cublas{"cuBLAS",
                           {{"libcublas.so.13", "libcublasLt.so.13"},
                            {"libcublas.so.12", "libcublasLt.so.12"},
                            {"libcublas.so.11", "libcublasLt.so.11"},
                            {"libcublas.so", "libcublasLt.so"}}};
  static const Spec nccl{"NCCL", {{"libnccl.so.2", nullptr}, {"libnccl.so", nullptr}}};
  return which == TROUPE_CUDA_LIB_NCCL ? nccl : cublas;
}

struct State {
  std::mutex mu;
  void *handle = nullptr;
  std::string path;
};

State &state(int which) {
  static State s[2];
  return s[which == TROUPE_CUDA_LIB_NCCL ? 1 : 0];
}

void split(const char *value, std::vector<std::string> *out) {
  if (!value) return;
  std::string s(value);
  size_t start = 0;
  while (start <= s.size()) {
    size_t end = s.find(':', start);
    if (end == std::string::npos) end = s.size();
    if (end > start) out->push_back(s.substr(start, end - start));
    start = end + 1;
  }
}

void expand(const std::string &pattern, std::vector<std::string> *out) {
  glob_t g;
  if (glob(pattern.c_str(), GLOB_NOSORT | GLOB_ONLYDIR, nullptr, &g) == 0) {
    for (size_t i = 0; i < g.gl_pathc; i++) out->push_back(g.gl_pathv[i]);
  }
  globfree(&g);
}

std::string env(const char *name) {
  const char *v = getenv(name);
  return v ? v : "";
}

// Python site-packages folders where pip puts NVIDIA's wheels.
std::vector<std::string> python_sites() {
  std::vector<std::string> sites;
  split(getenv("TROUPE_PYTHON_NVIDIA_DIRS"), &sites);
  std::vector<std::string> roots;
  for (const char *var : {"VIRTUAL_ENV", "CONDA_PREFIX"})
    if (!env(var).empty()) roots.push_back(env(var));
  if (!env("HOME").empty()) roots.push_back(env("HOME") + "/.local");
  for (const char *r : {"/usr/local", "/usr", "/opt/conda"}) roots.push_back(r);
  for (const auto &root : roots) {
    expand(root + "/lib/python3*/site-packages", &sites);
    expand(root + "/lib/python3*/dist-packages", &sites);
  }
  sites.push_back("/usr/lib/python3/dist-packages");
  return sites;
}

std::vector<std::string> folders() {
  std::vector<std::string> dirs;
  split(getenv("TROUPE_CUDA_LIBS"), &dirs);
  dirs.push_back("");  // the dynamic loader's own search
  for (const char *d : {"/usr/local/cuda/lib64", "/usr/local/cuda/targets/x86_64-linux/lib",
                        "/usr/local/cuda/targets/sbsa-linux/lib", "/usr/lib/x86_64-linux-gnu",
                        "/usr/lib/aarch64-linux-gnu", "/usr/lib64", "/usr/local/lib", "/usr/lib"})
    dirs.push_back(d);
  expand("/usr/local/cuda-*/lib64", &dirs);
  if (!env("CONDA_PREFIX").empty()) dirs.push_back(env("CONDA_PREFIX") + "/lib");
  for (const auto &site : python_sites()) {
    expand(site + "/nvidia/*/lib", &dirs);
    expand(site + "/torch/lib", &dirs);
  }
  return dirs;
}

bool exists(const std::string &p) {
  struct stat st;
  return stat(p.c_str(), &st) == 0;
}

}  // namespace

int open_library(int which, void **handle, std::string *path) {
  const Spec &sp = spec(which);
  State &st = state(which);
  std::lock_guard<std::mutex> lock(st.mu);
  if (st.handle) {
    *handle = st.handle;
    if (path) *path = st.path;
    return 0;
  }
  std::string searched, broken;
  for (const auto &dir : folders()) {
    searched += searched.empty() ? "" : ", ";
    searched += dir.empty() ? "(dynamic loader path)" : dir;
    for (const auto &c : sp.names) {
      std::string full = dir.empty() ? c.name : dir + "/" + c.name;
      if (!dir.empty() && !exists(full)) continue;
      if (!dir.empty() && c.companion && exists(dir + "/" + c.companion))
        dlopen((dir + "/" + c.companion).c_str(), RTLD_NOW | RTLD_LOCAL);
      void *h = dlopen(full.c_str(), RTLD_NOW | RTLD_LOCAL);
      if (h) {
        st.handle = h;
        st.path = full;
        struct link_map *lm = nullptr;  // the file the loader really picked, for a bare name
        if (dir.empty() && dlinfo(h, RTLD_DI_LINKMAP, &lm) == 0 && lm && lm->l_name && *lm->l_name)
          st.path = lm->l_name;
        *handle = h;
        if (path) *path = st.path;
        return 0;
      }
      if (!dir.empty() && broken.empty()) {
        const char *e = dlerror();
        broken = std::string("; found ") + full + " but dlopen failed: " + (e ? e : "unknown error");
      }
    }
  }
  std::string names;
  for (const auto &c : sp.names) names += (names.empty() ? "" : "/") + std::string(c.name);
  return fail(TROUPE_CUDA_ENOLIB,
              "%s not found (%s); searched: %s%s. Set TROUPE_CUDA_LIBS to the folder that holds it",
              sp.label, names.c_str(), searched.c_str(), broken.c_str());
}

int resolve(void *handle, const std::string &path, const char *name, void **fn) {
  dlerror();
  *fn = dlsym(handle, name);
  if (*fn) return 0;
  return fail(TROUPE_CUDA_ENOLIB, "%s has no symbol %s (library too old?)", path.c_str(), name);
}

void *dlsym_optional(void *handle, const char *name) { return dlsym(handle, name); }

}  // namespace troupe_cuda

TROUPE_API int troupe_cuda_library_path(int which, char *path, size_t cap) {
  using namespace troupe_cuda;
  if (which != TROUPE_CUDA_LIB_CUBLAS && which != TROUPE_CUDA_LIB_NCCL)
    return fail(TROUPE_CUDA_EINVAL, "troupe_cuda_library_path: which must be 0 (cuBLAS) or 1 (NCCL), got %d", which);
  if (int rc = need(path, "troupe_cuda_library_path", "path")) return rc;
  if (int rc = which == TROUPE_CUDA_LIB_NCCL ? bind_nccl() : bind_cublas()) return rc;
  void *h;
  std::string p;
  if (int rc = open_library(which, &h, &p)) return rc;
  if (cap > 0) snprintf(path, cap, "%s", p.c_str());
  return 0;
}
