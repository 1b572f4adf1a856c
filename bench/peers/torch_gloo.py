"""PyTorch 2.13's Gloo beside `npm run bench -- collective --peers`: the same allreduce figures.

Argument: one JSON object {ranks: [n...], mib: [m...], runs}. For each group size, n processes on
127.0.0.1 (torch.distributed, backend gloo) allreduce (sum) a float32 tensor of each size: after a
warm-up, each run is a barrier then one timed all_reduce; an iteration's time is the slowest
rank's, the figure the best of `runs`; algbw = bytes / time, busbw = algbw x 2(n-1)/n, GB/s = 1e9
bytes/s, as bench/collective.ts computes them. Gloo reduces in place; Troupe's ring writes into an
output array it allocated once. Prints one JSON line {"n=2,m=16": {"algbw":..,"busbw":..}, ...}.
"""
import json
import socket
import sys
import time

import torch
import torch.distributed as dist
import torch.multiprocessing as mp

P = json.loads(sys.argv[1])
MiB = 1 << 20


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def rank_main(rank, n, port, sizes, runs, queue):
    torch.set_num_threads(1)
    dist.init_process_group("gloo", init_method=f"tcp://127.0.0.1:{port}", rank=rank, world_size=n)
    result = {}
    for m in sizes:
        t = torch.ones(m * MiB // 4, dtype=torch.float32)
        dist.all_reduce(t)  # warm-up: connections, buffers
        best = float("inf")
        for _ in range(runs):
            dist.barrier()
            t0 = torch.tensor([0.0], dtype=torch.float64)
            start = time.perf_counter()
            dist.all_reduce(t)
            t0[0] = time.perf_counter() - start
            dist.all_reduce(t0, op=dist.ReduceOp.MAX)  # the slowest rank's time
            best = min(best, t0.item())
        result[m] = best
    if rank == 0:
        queue.put(result)
    dist.destroy_process_group()


def main():
    out = {"torch": torch.__version__}
    ctx = mp.get_context("spawn")
    for n in P["ranks"]:
        queue = ctx.Queue()
        port = free_port()
        procs = [ctx.Process(target=rank_main, args=(r, n, port, P["mib"], P["runs"], queue)) for r in range(n)]
        for p in procs:
            p.start()
        times = queue.get(timeout=600)
        for p in procs:
            p.join(60)
            if p.exitcode != 0:
                raise RuntimeError(f"gloo rank exited with {p.exitcode}")
        for m, secs in times.items():
            alg = m * MiB / secs / 1e9
            out[f"n={n},m={m}"] = {"algbw": alg, "busbw": alg * 2 * (n - 1) / n}
    print(json.dumps(out), flush=True)


if __name__ == "__main__":
    main()
