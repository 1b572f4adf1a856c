// A one-rank NCCL communicator: allreduce (sum, max, avg; float32 and float64), broadcast,
// send/recv to itself in a group, async-error polling, destroy and abort.
#include <cstdlib>

#include "harness.h"
#include "tests.h"

namespace {

double allreduce_case(troupe_nccl_comm *comm, int dtype, int op, bool in_place) {
  const size_t n = 1 << 16;
  std::vector<double> h64(n);
  std::vector<float> h32(n);
  for (size_t i = 0; i < n; i++) h64[i] = h32[i] = float(i % 977) * 0.5f - 100.f;
  size_t bytes = n * (dtype == TROUPE_NCCL_FLOAT64 ? 8 : 4);
  const void *host = dtype == TROUPE_NCCL_FLOAT64 ? static_cast<const void *>(h64.data()) : h32.data();
  Dev send(bytes), recv(bytes);
  TRY(troupe_cuda_copy_htod(send.p, host, bytes));
  void *out = in_place ? send.p : recv.p;
  TRY(troupe_nccl_allreduce(comm, send.p, out, n, dtype, op, g_stream));
  TRY(troupe_cuda_stream_sync(g_stream));
  std::vector<char> got(bytes);
  TRY(troupe_cuda_copy_dtoh(got.data(), out, bytes));
  return memcmp(got.data(), host, bytes) == 0 ? 0 : 1;  // one rank: sum, max and avg are the input
}

}  // namespace

void run_nccl_tests() {
  char path[512];
  if (troupe_cuda_library_path(TROUPE_CUDA_LIB_NCCL, path, sizeof path) != TROUPE_CUDA_OK) {
    bool required = getenv("TROUPE_REQUIRE_NCCL") && std::string(getenv("TROUPE_REQUIRE_NCCL")) == "1";
    printf("  %-4s NCCL: %s\n", required ? "FAIL" : "skip", troupe_cuda_last_error());
    if (required) g_failures++;
    return;
  }
  int version = 0;
  troupe_nccl_version(&version);
  printf("  NCCL %d loaded from %s\n", version, path);
  troupe_nccl_comm *comm = nullptr;
  check("nccl one-rank communicator init", 0, [&] {
    uint8_t id[TROUPE_NCCL_UNIQUE_ID_BYTES];
    TRY(troupe_nccl_get_unique_id(id));
    TRY(troupe_nccl_comm_init_rank(1, id, 0, 0, &comm));
    int rank = -1, nranks = -1, device = -1;
    TRY(troupe_nccl_comm_rank(comm, &rank, &nranks, &device));
    return rank == 0 && nranks == 1 && device == 0 ? 0.0 : 1.0;
  });
  if (!comm) return;
  const struct {
    const char *name;
    int dtype, op;
    bool in_place;
  } cases[] = {{"nccl allreduce sum float32", TROUPE_NCCL_FLOAT32, TROUPE_NCCL_SUM, false},
               {"nccl allreduce sum float32 in place", TROUPE_NCCL_FLOAT32, TROUPE_NCCL_SUM, true},
               {"nccl allreduce max float64", TROUPE_NCCL_FLOAT64, TROUPE_NCCL_MAX, false},
               {"nccl allreduce avg float32", TROUPE_NCCL_FLOAT32, TROUPE_NCCL_AVG, false},
               {"nccl allreduce avg float64 in place", TROUPE_NCCL_FLOAT64, TROUPE_NCCL_AVG, true}};
  for (auto &c : cases) check(c.name, 0, [&] { return allreduce_case(comm, c.dtype, c.op, c.in_place); });
  check("nccl broadcast, send/recv to self in a group", 0, [&] {
    const size_t n = 4099;
    Rng rng(5);
    ref::Vec v = random_vec(rng, n);
    Dev a(n * 4), b(n * 4), c(n * 4);
    upload(a, v);
    TRY(troupe_nccl_broadcast(comm, a.p, b.p, n, TROUPE_NCCL_FLOAT32, 0, g_stream));
    TRY(troupe_nccl_group_start());
    TRY(troupe_nccl_send(comm, b.p, n, TROUPE_NCCL_FLOAT32, 0, g_stream));
    TRY(troupe_nccl_recv(comm, c.p, n, TROUPE_NCCL_FLOAT32, 0, g_stream));
    TRY(troupe_nccl_group_end());
    return std::fmax(error(download(b, n), v), error(download(c, n), v));
  });
  check("nccl async error is clear, destroy", 0, [&] {
    int state = -1;
    TRY(troupe_nccl_comm_async_error(comm, &state));
    troupe_nccl_comm *c = comm;
    comm = nullptr;
    TRY(troupe_nccl_comm_destroy(c));
    return state == 0 ? 0.0 : 1.0;
  });
  check("nccl abort a fresh communicator", 0, [&] {
    uint8_t id[TROUPE_NCCL_UNIQUE_ID_BYTES];
    troupe_nccl_comm *c = nullptr;
    TRY(troupe_nccl_get_unique_id(id));
    TRY(troupe_nccl_comm_init_rank(1, id, 0, 0, &c));
    TRY(troupe_nccl_comm_abort(c));
    return 0.0;
  });
}
