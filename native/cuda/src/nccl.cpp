// NCCL communicator over libnccl.so.2 opened with dlopen: unique id, init, collectives, send/recv,
// async-error polling, abort and destroy.
#include <cstring>
#include <string>

#include "common.h"
#include "loader.h"

// The few NCCL declarations used (from the public NCCL API; no header vendored).
typedef struct ncclComm *ncclComm_t;
typedef struct {
  char internal[TROUPE_NCCL_UNIQUE_ID_BYTES];
} ncclUniqueId;
typedef int ncclResult_t;  // ncclSuccess = 0, ncclInProgress = 7
enum { ncclSuccess = 0, ncclInProgress = 7 };
enum { ncclFloat32 = 7, ncclFloat64 = 8 };
enum { ncclSum = 0, ncclMax = 2, ncclAvg = 4 };

struct troupe_nccl_comm {
  ncclComm_t comm;
  int rank, nranks, device;
};

namespace troupe_cuda {
namespace {

struct Nccl {
  ncclResult_t (*get_version)(int *);
  ncclResult_t (*get_unique_id)(ncclUniqueId *);
  ncclResult_t (*init_rank)(ncclComm_t *, int, ncclUniqueId, int);
  ncclResult_t (*all_reduce)(const void *, void *, size_t, int, int, ncclComm_t, cudaStream_t);
  ncclResult_t (*broadcast)(const void *, void *, size_t, int, int, ncclComm_t, cudaStream_t);
  ncclResult_t (*send)(const void *, size_t, int, int, ncclComm_t, cudaStream_t);
  ncclResult_t (*recv)(void *, size_t, int, int, ncclComm_t, cudaStream_t);
  ncclResult_t (*group_start)();
  ncclResult_t (*group_end)();
  ncclResult_t (*async_error)(ncclComm_t, ncclResult_t *);
  ncclResult_t (*abort)(ncclComm_t);
  ncclResult_t (*destroy)(ncclComm_t);
  const char *(*error_string)(ncclResult_t);
  const char *(*last_error)(ncclComm_t);  // optional: NCCL >= 2.13
};

std::mutex api_mu;
Nccl api_table;
bool api_ready = false;

int nccl(const Nccl **out) {
  std::lock_guard<std::mutex> lock(api_mu);
  if (!api_ready) {
    void *h;
    std::string p;
    if (int rc = open_library(TROUPE_CUDA_LIB_NCCL, &h, &p)) return rc;
    Nccl t{};
    int rc = 0;
    if (!rc) rc = bind(h, p, "ncclGetVersion", &t.get_version);
    if (!rc) rc = bind(h, p, "ncclGetUniqueId", &t.get_unique_id);
    if (!rc) rc = bind(h, p, "ncclCommInitRank", &t.init_rank);
    if (!rc) rc = bind(h, p, "ncclAllReduce", &t.all_reduce);
    if (!rc) rc = bind(h, p, "ncclBroadcast", &t.broadcast);
    if (!rc) rc = bind(h, p, "ncclSend", &t.send);
    if (!rc) rc = bind(h, p, "ncclRecv", &t.recv);
    if (!rc) rc = bind(h, p, "ncclGroupStart", &t.group_start);
    if (!rc) rc = bind(h, p, "ncclGroupEnd", &t.group_end);
    if (!rc) rc = bind(h, p, "ncclCommGetAsyncError", &t.async_error);
    if (!rc) rc = bind(h, p, "ncclCommAbort", &t.abort);
    if (!rc) rc = bind(h, p, "ncclCommDestroy", &t.destroy);
    if (!rc) rc = bind(h, p, "ncclGetErrorString", &t.error_string);
    if (rc) return rc;
    t.last_error = reinterpret_cast<decltype(t.last_error)>(dlsym_optional(h, "ncclGetLastError"));
    api_table = t;
    api_ready = true;
  }
  *out = &api_table;
  return 0;
}

int nccl_fail(const Nccl *api, const char *what, ncclResult_t r, ncclComm_t comm) {
  const char *detail = api->last_error ? api->last_error(comm) : nullptr;
  return fail(TROUPE_CUDA_ENCCL, "%s failed: %s (ncclResult %d)%s%s", what, api->error_string(r), r,
              detail && *detail ? ": " : "", detail && *detail ? detail : "");
}

int nccl_type(int dtype, int *out) {
  switch (dtype) {
    case TROUPE_NCCL_FLOAT32: *out = ncclFloat32; return 0;
    case TROUPE_NCCL_FLOAT64: *out = ncclFloat64; return 0;
  }
  return fail(TROUPE_CUDA_EINVAL, "NCCL: dtype must be 0 (float32) or 1 (float64), got %d", dtype);
}

int nccl_op(int op, int *out) {
  switch (op) {
    case TROUPE_NCCL_SUM: *out = ncclSum; return 0;
    case TROUPE_NCCL_MAX: *out = ncclMax; return 0;
    case TROUPE_NCCL_AVG: *out = ncclAvg; return 0;
  }
  return fail(TROUPE_CUDA_EINVAL, "NCCL: op must be 0 (sum), 1 (max) or 2 (avg), got %d", op);
}

// Loads NCCL, checks comm and the stream's device, makes the comm's device current.
int enter_comm(const char *fn, troupe_nccl_comm *c, troupe_cuda_stream *s, const Nccl **api, cudaStream_t *cs) {
  if (int rc = need(c, fn, "comm")) return rc;
  if (s && s->device != c->device)
    return fail(TROUPE_CUDA_EINVAL, "%s: stream is on device %d but the communicator on device %d", fn, s->device,
                c->device);
  if (int rc = nccl(api)) return rc;
  *cs = s ? s->stream : nullptr;
  return check(cudaSetDevice(c->device), "cudaSetDevice");
}

}  // namespace

int bind_nccl() {
  const Nccl *api;
  return nccl(&api);
}

}  // namespace troupe_cuda

using namespace troupe_cuda;

TROUPE_API int troupe_nccl_version(int *version) {
  if (int rc = need(version, "troupe_nccl_version", "version")) return rc;
  const Nccl *api;
  if (int rc = nccl(&api)) return rc;
  if (ncclResult_t r = api->get_version(version)) return nccl_fail(api, "ncclGetVersion", r, nullptr);
  return 0;
}

TROUPE_API int troupe_nccl_get_unique_id(uint8_t id[TROUPE_NCCL_UNIQUE_ID_BYTES]) {
  if (int rc = need(id, "troupe_nccl_get_unique_id", "id")) return rc;
  const Nccl *api;
  if (int rc = nccl(&api)) return rc;
  ncclUniqueId u;
  if (ncclResult_t r = api->get_unique_id(&u)) return nccl_fail(api, "ncclGetUniqueId", r, nullptr);
  memcpy(id, u.internal, sizeof u.internal);
  return 0;
}

TROUPE_API int troupe_nccl_comm_init_rank(int nranks, const uint8_t id[TROUPE_NCCL_UNIQUE_ID_BYTES], int rank,
                                          int device, troupe_nccl_comm **out) {
  const char *fn = "troupe_nccl_comm_init_rank";
  if (int rc = need(id, fn, "id")) return rc;
  if (int rc = need(out, fn, "out")) return rc;
  *out = nullptr;
  if (nranks < 1 || rank < 0 || rank >= nranks)
    return fail(TROUPE_CUDA_EINVAL, "%s: need 0 <= rank < nranks, got rank %d of %d", fn, rank, nranks);
  const Nccl *api;
  if (int rc = nccl(&api)) return rc;
  if (int rc = check(cudaSetDevice(device), "cudaSetDevice")) return rc;
  ncclUniqueId u;
  memcpy(u.internal, id, sizeof u.internal);
  ncclComm_t comm = nullptr;
  if (ncclResult_t r = api->init_rank(&comm, nranks, u, rank)) {
    char what[96];
    snprintf(what, sizeof what, "ncclCommInitRank (rank %d of %d, device %d)", rank, nranks, device);
    return nccl_fail(api, what, r, nullptr);
  }
  *out = new troupe_nccl_comm{comm, rank, nranks, device};
  return 0;
}

TROUPE_API int troupe_nccl_comm_rank(troupe_nccl_comm *c, int *rank, int *nranks, int *device) {
  if (int rc = need(c, "troupe_nccl_comm_rank", "comm")) return rc;
  if (rank) *rank = c->rank;
  if (nranks) *nranks = c->nranks;
  if (device) *device = c->device;
  return 0;
}

TROUPE_API int troupe_nccl_allreduce(troupe_nccl_comm *c, const void *sendbuf, void *recvbuf, size_t count,
                                     int dtype, int op, troupe_cuda_stream *s) {
  const char *fn = "troupe_nccl_allreduce";
  const Nccl *api;
  cudaStream_t cs;
  int type = 0, red = 0;
  if (int rc = nccl_type(dtype, &type)) return rc;
  if (int rc = nccl_op(op, &red)) return rc;
  if (int rc = need(sendbuf, fn, "sendbuf")) return rc;
  if (int rc = need(recvbuf, fn, "recvbuf")) return rc;
  if (int rc = enter_comm(fn, c, s, &api, &cs)) return rc;
  if (ncclResult_t r = api->all_reduce(sendbuf, recvbuf, count, type, red, c->comm, cs))
    return nccl_fail(api, "ncclAllReduce", r, c->comm);
  return 0;
}

TROUPE_API int troupe_nccl_broadcast(troupe_nccl_comm *c, const void *sendbuf, void *recvbuf, size_t count,
                                     int dtype, int root, troupe_cuda_stream *s) {
  const char *fn = "troupe_nccl_broadcast";
  const Nccl *api;
  cudaStream_t cs;
  int type = 0;
  if (int rc = nccl_type(dtype, &type)) return rc;
  if (int rc = need(recvbuf, fn, "recvbuf")) return rc;
  if (int rc = enter_comm(fn, c, s, &api, &cs)) return rc;
  if (root < 0 || root >= c->nranks)
    return fail(TROUPE_CUDA_EINVAL, "%s: root %d is not a rank of %d", fn, root, c->nranks);
  if (c->rank == root && !sendbuf) return fail(TROUPE_CUDA_EINVAL, "%s: sendbuf is NULL on the root", fn);
  if (ncclResult_t r = api->broadcast(sendbuf, recvbuf, count, type, root, c->comm, cs))
    return nccl_fail(api, "ncclBroadcast", r, c->comm);
  return 0;
}

static int point_to_point(bool send, troupe_nccl_comm *c, void *buf, size_t count, int dtype, int peer,
                          troupe_cuda_stream *s) {
  const char *fn = send ? "troupe_nccl_send" : "troupe_nccl_recv";
  const Nccl *api;
  cudaStream_t cs;
  int type = 0;
  if (int rc = nccl_type(dtype, &type)) return rc;
  if (int rc = need(buf, fn, "buf")) return rc;
  if (int rc = enter_comm(fn, c, s, &api, &cs)) return rc;
  if (peer < 0 || peer >= c->nranks) return fail(TROUPE_CUDA_EINVAL, "%s: peer %d is not a rank of %d", fn, peer, c->nranks);
  ncclResult_t r = send ? api->send(buf, count, type, peer, c->comm, cs) : api->recv(buf, count, type, peer, c->comm, cs);
  return r ? nccl_fail(api, send ? "ncclSend" : "ncclRecv", r, c->comm) : 0;
}

TROUPE_API int troupe_nccl_send(troupe_nccl_comm *c, const void *buf, size_t count, int dtype, int peer,
                                troupe_cuda_stream *s) {
  return point_to_point(true, c, const_cast<void *>(buf), count, dtype, peer, s);
}

TROUPE_API int troupe_nccl_recv(troupe_nccl_comm *c, void *buf, size_t count, int dtype, int peer,
                                troupe_cuda_stream *s) {
  return point_to_point(false, c, buf, count, dtype, peer, s);
}

TROUPE_API int troupe_nccl_group_start(void) {
  const Nccl *api;
  if (int rc = nccl(&api)) return rc;
  if (ncclResult_t r = api->group_start()) return nccl_fail(api, "ncclGroupStart", r, nullptr);
  return 0;
}

TROUPE_API int troupe_nccl_group_end(void) {
  const Nccl *api;
  if (int rc = nccl(&api)) return rc;
  if (ncclResult_t r = api->group_end()) return nccl_fail(api, "ncclGroupEnd", r, nullptr);
  return 0;
}

TROUPE_API int troupe_nccl_comm_async_error(troupe_nccl_comm *c, int *nccl_result) {
  const char *fn = "troupe_nccl_comm_async_error";
  if (int rc = need(c, fn, "comm")) return rc;
  if (int rc = need(nccl_result, fn, "nccl_result")) return rc;
  const Nccl *api;
  if (int rc = nccl(&api)) return rc;
  ncclResult_t state = ncclSuccess;
  if (ncclResult_t r = api->async_error(c->comm, &state)) return nccl_fail(api, "ncclCommGetAsyncError", r, c->comm);
  *nccl_result = state;
  if (state == ncclSuccess || state == ncclInProgress) return 0;
  char what[96];
  snprintf(what, sizeof what, "NCCL communicator (rank %d of %d)", c->rank, c->nranks);
  return nccl_fail(api, what, state, c->comm);
}

static int finish_comm(troupe_nccl_comm *c, bool abort) {
  const char *fn = abort ? "troupe_nccl_comm_abort" : "troupe_nccl_comm_destroy";
  if (int rc = need(c, fn, "comm")) return rc;
  const Nccl *api;
  int rc = nccl(&api);
  if (!rc) rc = check(cudaSetDevice(c->device), "cudaSetDevice");
  if (!rc) {
    ncclResult_t r = abort ? api->abort(c->comm) : api->destroy(c->comm);
    if (r) rc = nccl_fail(api, abort ? "ncclCommAbort" : "ncclCommDestroy", r, nullptr);
  }
  delete c;
  return rc;
}

TROUPE_API int troupe_nccl_comm_abort(troupe_nccl_comm *c) { return finish_comm(c, true); }
TROUPE_API int troupe_nccl_comm_destroy(troupe_nccl_comm *c) { return finish_comm(c, false); }
