"""Ray 2.58 beside `npm run bench -- dataplane --peers`: the same object workloads as the Troupe rows.

Argument: one JSON object {small_ops, cross_ops, floats, runs}. Prints one JSON line: put/s, get/s,
cross-process get/s (an actor reading a driver-owned value passed by ref), and GB/s of a 64 MiB
float32 array made by one actor and passed by ref to another (best of `runs`). Run by bench/lib/peers.ts.
"""
import json
import sys
import time

import numpy as np
import ray

P = json.loads(sys.argv[1])


@ray.remote
class Blob:
    def __init__(self):
        self.kept = {}

    def make(self, n):
        if n not in self.kept:
            self.kept[n] = np.full(n, 1.5, dtype=np.float32)
        return self.kept[n]

    def length(self, a):
        return len(a)

    def step(self, x):
        return x["step"]


def main():
    ray.init(num_cpus=4, include_dashboard=False, logging_level="ERROR", log_to_driver=False)
    out = {"ray": ray.__version__}
    refs = []
    t0 = time.perf_counter()
    for i in range(P["small_ops"]):
        refs.append(ray.put({"step": i, "loss": 0.5}))
    out["put"] = P["small_ops"] / (time.perf_counter() - t0)
    t0 = time.perf_counter()
    for r in refs:
        ray.get(r)
    out["get"] = P["small_ops"] / (time.perf_counter() - t0)

    a, b = Blob.remote(), Blob.remote()
    for i in range(200):  # connections, warm-up
        ray.get(b.step.remote(refs[i]))
    t0 = time.perf_counter()
    for i in range(P["cross_ops"]):
        j = P["small_ops"] - 1 - i
        if ray.get(b.step.remote(refs[j])) != j:
            raise RuntimeError("the actor read the wrong step")
    out["cross_get"] = P["cross_ops"] / (time.perf_counter() - t0)

    n = P["floats"]
    ray.get(b.length.remote(a.make.remote(n)))  # warm-up: the array exists, workers connected
    best = 0.0
    for _ in range(P["runs"]):
        t0 = time.perf_counter()
        ref = a.make.remote(n)
        if ray.get(b.length.remote(ref)) != n:
            raise RuntimeError("the reader got the wrong length")
        best = max(best, n * 4 / (time.perf_counter() - t0) / 1e9)
        del ref
    out["ref_64mib_gbps"] = best
    print(json.dumps(out), flush=True)
    ray.shutdown()


main()
