// NCCL communicators for the 'nccl' collective backend (src/collective/nccl.ts). The collectives
// take host TypedArrays: each call copies into a device buffer of the communicator, runs NCCL on
// the communicator's own stream and copies the result back into the same array, all on a worker
// thread. While it waits, a watcher polls NCCL's async error and the deadline and aborts the
// communicator on either, so a dead peer or a missing rank ends in an error, not a hang.
#include <napi.h>

#include <atomic>
#include <chrono>
#include <cstring>
#include <memory>
#include <mutex>
#include <thread>

#include "args.h"
#include "device.h"
#include "export.h"
#include "job.h"

namespace troupe {
namespace {

constexpr size_t kIdBytes = 128;  // TROUPE_NCCL_UNIQUE_ID_BYTES
constexpr int kFloat32 = 0, kFloat64 = 1;
constexpr int kSum = 0, kMax = 1, kAvg = 2;

struct Comm {
  const CudaLib& lib;
  Device device;
  int rank = 0, size = 0;
  std::mutex mu;                     // one operation at a time (the TS side queues them in order)
  std::mutex state;                  // guards comm: held to enqueue, to poll and to abort
  NcclComm* comm = nullptr;          // null once closed or aborted
  CudaStream* stream = nullptr;
  void* scratch = nullptr;           // device buffer, grown as needed
  size_t scratch_bytes = 0;
  std::string gone = "it was closed";  // why comm is null

  Comm(const CudaLib& l, Device d) : lib(l), device(d) {}
  ~Comm() {
    if (comm) lib.nccl_comm_abort(comm);
    if (stream) lib.stream_destroy(stream);
    if (scratch) lib.free(scratch);
  }
};

using CommPtr = std::shared_ptr<Comm>;

std::string where(const Comm& c, const std::string& op) {
  return "nccl " + op + " (rank " + std::to_string(c.rank) + " of " + std::to_string(c.size) + ")";
}

CommPtr comm_arg(const Napi::Value& v, const std::string& op) {
  if (!v.IsExternal()) fail(code::kInvalidArgument, "nccl " + op + ": comm must be a communicator from ncclInit");
  return *v.As<Napi::External<CommPtr>>().Data();
}

// A host TypedArray, kept alive (and its memory with it) until the operation settles.
struct Host {
  std::shared_ptr<Napi::ObjectReference> keep;
  void* data = nullptr;
  size_t count = 0;
  int dtype = kFloat32;
  size_t bytes() const { return count * (dtype == kFloat64 ? 8 : 4); }
};

Host host_arg(const Napi::Value& v, const std::string& op) {
  bool ok = v.IsTypedArray() && (v.As<Napi::TypedArray>().TypedArrayType() == napi_float32_array ||
                                 v.As<Napi::TypedArray>().TypedArrayType() == napi_float64_array);
  if (!ok) fail(code::kInvalidArgument, "nccl " + op + ": data must be a Float32Array or Float64Array");
  Napi::TypedArray a = v.As<Napi::TypedArray>();
  Host h;
  h.keep = std::make_shared<Napi::ObjectReference>(Napi::Persistent(a.As<Napi::Object>()));
  h.data = static_cast<uint8_t*>(a.ArrayBuffer().Data()) + a.ByteOffset();
  h.count = a.ElementLength();
  h.dtype = a.TypedArrayType() == napi_float64_array ? kFloat64 : kFloat32;
  return h;
}

// The device buffer for `bytes`; called with c.mu held.
void* scratch(Comm& c, size_t bytes, const std::string& op) {
  if (c.scratch_bytes >= bytes && c.scratch) return c.scratch;
  if (c.scratch) c.lib.free(c.scratch);
  c.scratch = nullptr;
  c.scratch_bytes = 0;
  size_t want = bytes < 256 ? 256 : bytes;
  cuda_check(c.lib.malloc(c.device.index, want, &c.scratch), where(c, op) + ": allocating " + std::to_string(want) + " bytes", c.device);
  c.scratch_bytes = want;
  return c.scratch;
}

// Aborts the communicator unless it is already gone; true when this call aborted it.
bool abort_once(Comm& c, const std::string& why) {
  std::lock_guard<std::mutex> lock(c.state);
  if (!c.comm) return false;
  c.lib.nccl_comm_abort(c.comm);
  c.comm = nullptr;
  c.gone = why;
  return true;
}

// Waits for the stream while a watcher polls the async error and the deadline; on either it
// aborts the communicator (which ends the stuck NCCL kernels) and the wait fails naming why.
void wait(Comm& c, const std::string& op, double timeout_ms) {
  std::atomic<bool> done{false};
  std::string why;
  const char* kind = code::kUnavailable;
  std::thread watcher([&] {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double, std::milli>(timeout_ms);
    while (!done.load()) {
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
      if (done.load()) return;
      std::string failure;
      {
        std::lock_guard<std::mutex> lock(c.state);
        if (!c.comm) {  // closed from the JS side meanwhile
          why = "the communicator is gone: " + c.gone;
          return;
        }
        int result = 0;
        if (c.lib.nccl_comm_async_error(c.comm, &result) != kCudaOk || result != 0) {
          failure = std::string("the communicator failed (") + c.lib.last_error() + "); it was aborted";
        }
      }
      if (failure.empty() && std::chrono::steady_clock::now() > deadline) {
        failure = "no result within " + std::to_string(static_cast<long long>(timeout_ms)) +
                  " ms (a rank may be missing or stuck); the communicator was aborted";
        kind = code::kTimeout;
      }
      if (failure.empty()) continue;
      why = abort_once(c, failure) ? failure : "the communicator is gone: " + c.gone;
      return;
    }
  });
  int rc = c.lib.stream_sync(c.stream);
  std::string sync_error = rc == kCudaOk ? "" : c.lib.last_error();
  done.store(true);
  watcher.join();
  if (!why.empty()) fail(kind, where(c, op) + " on " + c.device.name() + ": " + why);
  if (rc != kCudaOk) fail(code::kInternal, where(c, op) + " on " + c.device.name() + " failed: " + sync_error);
}

// Runs one operation: `enqueue` (under the state lock, refusing a closed or aborted
// communicator), then the wait, then `after` (copies back to pageable host memory, which block
// until the stream is done, so they must come after the watched wait). Operations on one
// communicator run one at a time.
void run_op(Comm& c, const std::string& op, double timeout_ms, const std::function<void(NcclComm*)>& enqueue,
            const std::function<void()>& after) {
  std::lock_guard<std::mutex> lock(c.mu);
  {
    std::lock_guard<std::mutex> st(c.state);
    if (!c.comm) fail(code::kUnavailable, where(c, op) + ": the communicator is gone: " + c.gone);
    enqueue(c.comm);
  }
  wait(c, op, timeout_ms);
  if (after) after();
}

void check_status(Comm& c, int rc, const std::string& op) { cuda_check(rc, where(c, op), c.device); }

double timeout_arg(const Napi::Value& v, const std::string& op) {
  double t = number(v, "nccl " + op, "timeoutMs");
  if (!(t > 0)) fail(code::kInvalidArgument, "nccl " + op + ": timeoutMs must be > 0");
  return t;
}

int rank_arg(const Napi::Value& v, const Comm& c, const std::string& op, const char* name) {
  double r = number(v, "nccl " + op, name);
  if (!(r >= 0 && r < c.size && static_cast<int>(r) == r)) {
    fail(code::kInvalidArgument, "nccl " + op + ": " + name + " must be a rank in [0, " + std::to_string(c.size) + "), got " +
                                     std::to_string(r));
  }
  return static_cast<int>(r);
}

Napi::Value Resolved(Napi::Env env) { return env.Undefined(); }

// Queues one operation on host array h: `enqueue` gets the communicator and a device buffer of
// h's size; with copy_back, the buffer is copied into h once NCCL is done. The array stays
// referenced until the promise settles.
Napi::Value queue_op(Napi::Env env, CommPtr c, Host h, std::string op, double timeout, bool copy_back,
                     std::function<void(NcclComm*, void*)> enqueue) {
  return Job::Queue(
      env,
      [=] {
        void* d = nullptr;
        run_op(
            *c, op, timeout,
            [&](NcclComm* comm) {
              d = scratch(*c, h.bytes(), op);
              enqueue(comm, d);
            },
            [&] {
              if (!copy_back) return;
              check_status(*c, c->lib.copy_dtoh_async(h.data, d, h.bytes(), c->stream), op);
              check_status(*c, c->lib.stream_sync(c->stream), op);
            });
      },
      [h](Napi::Env env) { return env.Undefined(); });
}

// ncclVersion() -> NCCL's version number; loads NCCL, so it fails naming where it was looked for.
Napi::Value Version(const Napi::CallbackInfo& info) {
  const CudaLib& lib = need_cuda_lib("ncclVersion");
  int v = 0;
  cuda_check(lib.nccl_version(&v), "ncclVersion");
  return Napi::Number::New(info.Env(), v);
}

// ncclUniqueId() -> 128 bytes for rank 0 to share with every rank.
Napi::Value UniqueId(const Napi::CallbackInfo& info) {
  const CudaLib& lib = need_cuda_lib("ncclUniqueId");
  Napi::Uint8Array id = Napi::Uint8Array::New(info.Env(), kIdBytes);
  cuda_check(lib.nccl_get_unique_id(id.Data()), "ncclUniqueId");
  return id;
}

// ncclInit(rank, size, id, device) -> Promise<comm>; blocks a worker thread until every rank joined.
Napi::Value Init(const Napi::CallbackInfo& info) {
  const std::string op = "ncclInit";
  double rank = number(info[0], op, "rank"), size = number(info[1], op, "size");
  if (!(size >= 1 && static_cast<int>(size) == size && rank >= 0 && rank < size && static_cast<int>(rank) == rank)) {
    fail(code::kInvalidArgument, op + ": rank must be an integer in [0, size) and size an integer >= 1");
  }
  if (!info[2].IsTypedArray() || info[2].As<Napi::TypedArray>().TypedArrayType() != napi_uint8_array ||
      info[2].As<Napi::Uint8Array>().ElementLength() != kIdBytes) {
    fail(code::kInvalidArgument, op + ": id must be a Uint8Array of " + std::to_string(kIdBytes) + " bytes (from ncclUniqueId)");
  }
  Napi::Uint8Array idArr = info[2].As<Napi::Uint8Array>();
  auto id = std::make_shared<std::vector<uint8_t>>(idArr.Data(), idArr.Data() + kIdBytes);
  Device device = parse_device(string(info[3], op, "device"));
  if (!is_cuda(device)) fail(code::kInvalidArgument, op + ": device must be 'cuda:N', got 'cpu'");
  auto c = std::make_shared<Comm>(need_cuda_lib(op), device);
  c->rank = static_cast<int>(rank);
  c->size = static_cast<int>(size);
  return Job::Queue(
      info.Env(),
      [=] {
        check_status(*c, c->lib.stream_create(device.index, &c->stream), "init (creating a stream)");
        check_status(*c, c->lib.nccl_comm_init_rank(c->size, id->data(), c->rank, device.index, &c->comm), "init");
      },
      [=](Napi::Env env) -> Napi::Value {
        return Napi::External<CommPtr>::New(env, new CommPtr(c), [](Napi::Env, CommPtr* p) { delete p; });
      });
}

// ncclAllreduce(comm, data, op 'sum'|'max'|'avg', timeoutMs): in place on the host array.
Napi::Value Allreduce(const Napi::CallbackInfo& info) {
  const std::string op = "allreduce";
  CommPtr c = comm_arg(info[0], op);
  Host h = host_arg(info[1], op);
  std::string red = string(info[2], "nccl allreduce", "op");
  int rop = red == "sum" ? kSum : red == "max" ? kMax : red == "avg" ? kAvg : -1;
  if (rop < 0) fail(code::kInvalidArgument, "nccl allreduce: op must be 'sum', 'max' or 'avg', got '" + red + "'");
  double timeout = timeout_arg(info[3], op);
  return queue_op(info.Env(), c, h, op, timeout, true, [=](NcclComm* comm, void* d) {
    check_status(*c, c->lib.copy_htod_async(d, h.data, h.bytes(), c->stream), op);
    check_status(*c, c->lib.nccl_allreduce(comm, d, d, h.count, h.dtype, rop, c->stream), op);
  });
}

// ncclBroadcast(comm, data, root, timeoutMs): the root's array into every rank's array (same length).
Napi::Value Broadcast(const Napi::CallbackInfo& info) {
  const std::string op = "broadcast";
  CommPtr c = comm_arg(info[0], op);
  Host h = host_arg(info[1], op);
  int root = rank_arg(info[2], *c, op, "root");
  double timeout = timeout_arg(info[3], op);
  return queue_op(info.Env(), c, h, op, timeout, c->rank != root, [=](NcclComm* comm, void* d) {
    if (c->rank == root) check_status(*c, c->lib.copy_htod_async(d, h.data, h.bytes(), c->stream), op);
    check_status(*c, c->lib.nccl_broadcast(comm, d, d, h.count, h.dtype, root, c->stream), op);
  });
}

// ncclSend(comm, data, peer, timeoutMs) / ncclRecv(comm, into, peer, timeoutMs): counts must match.
template <bool Send>
Napi::Value PointToPoint(const Napi::CallbackInfo& info) {
  const std::string op = Send ? "send" : "recv";
  CommPtr c = comm_arg(info[0], op);
  Host h = host_arg(info[1], op);
  int peer = rank_arg(info[2], *c, op, "peer");
  if (peer == c->rank) fail(code::kInvalidArgument, "nccl " + op + ": peer is this rank (" + std::to_string(peer) + ")");
  double timeout = timeout_arg(info[3], op);
  return queue_op(info.Env(), c, h, op, timeout, !Send, [=](NcclComm* comm, void* d) {
    if (Send) check_status(*c, c->lib.copy_htod_async(d, h.data, h.bytes(), c->stream), op);
    check_status(*c, Send ? c->lib.nccl_send(comm, d, h.count, h.dtype, peer, c->stream)
                          : c->lib.nccl_recv(comm, d, h.count, h.dtype, peer, c->stream), op);
  });
}

// ncclClose(comm, abort): abort stops at once, also an operation in flight (which then fails);
// otherwise wait for the operation in flight, then destroy.
Napi::Value Close(const Napi::CallbackInfo& info) {
  CommPtr c = comm_arg(info[0], "close");
  bool abort = boolean(info[1], "nccl close", "abort");
  return Job::Queue(
      info.Env(),
      [=] {
        if (abort) {
          abort_once(*c, "it was aborted");
          return;
        }
        std::lock_guard<std::mutex> lock(c->mu);
        std::lock_guard<std::mutex> st(c->state);
        if (!c->comm) return;
        NcclComm* comm = c->comm;
        c->comm = nullptr;
        c->gone = "it was closed";
        check_status(*c, c->lib.nccl_comm_destroy(comm), "close");
      },
      Resolved);
}

}  // namespace

void register_nccl(Napi::Env env, Napi::Object exports) {
  define<Version>(env, exports, "ncclVersion");
  define<UniqueId>(env, exports, "ncclUniqueId");
  define<Init>(env, exports, "ncclInit");
  define<Allreduce>(env, exports, "ncclAllreduce");
  define<Broadcast>(env, exports, "ncclBroadcast");
  define<PointToPoint<true>>(env, exports, "ncclSend");
  define<PointToPoint<false>>(env, exports, "ncclRecv");
  define<Close>(env, exports, "ncclClose");
}

}  // namespace troupe
