"""Ray 2.58 parameter server beside the fleet bench (issue 16): Ray's documented pattern, measured.

One ParameterServer actor holds the MLP 784-512-512-256-10 (ReLU) and a torch SGD optimizer (lr 0.05,
momentum 0.9); `workers` DataWorker actors (num_cpus 0.25 each) compute gradients on batches of `batch`.
sync: each step the server gathers one gradient from every worker and applies their average.
async: gradients are applied as they arrive; the worker that sent one gets the new weights and goes on.
Data: MNIST-shaped x float32 [N,784] in [0,1], y int64 [N] from --x/--y .npy files, else random
(synthetic, said in the output); with files, the last --test rows (2000) are held out for accuracy. Measured after one warm-up step, until --steps or --seconds ends first.

Arguments: either one JSON object {mode, workers, batch, steps, seconds, x, y} (as bench/lib/peers.ts
passes) or flags --mode sync|async --workers 4 --batch 128 --steps N --seconds S [--x F --y F].
Prints one JSON line {samples_per_s, steps, mode, workers, batch, seconds, data, ray, torch, accuracy}.
"""
import argparse
import json
import os
import sys
import time

import numpy as np
import ray
import torch
import torch.nn as nn
import torch.nn.functional as F


def parse():
    ap = argparse.ArgumentParser()
    ap.add_argument("--mode", choices=["sync", "async"], default="sync")
    ap.add_argument("--workers", type=int, default=4)
    ap.add_argument("--batch", type=int, default=128)
    ap.add_argument("--steps", type=int, default=10**9)
    ap.add_argument("--seconds", type=float, default=10.0)
    ap.add_argument("--x", default=None)
    ap.add_argument("--y", default=None)
    ap.add_argument("--synthetic-n", type=int, default=60000)
    ap.add_argument("--test", type=int, default=2000, help="rows held out from the end for accuracy (mnist)")
    if len(sys.argv) == 2 and sys.argv[1].lstrip().startswith("{"):
        d = json.loads(sys.argv[1])
        argv = []
        for k, v in d.items():
            if v is not None:
                argv += ["--" + k.replace("_", "-"), str(v)]
        return ap.parse_args(argv)
    return ap.parse_args()


def make_model():
    return nn.Sequential(
        nn.Linear(784, 512), nn.ReLU(), nn.Linear(512, 512), nn.ReLU(),
        nn.Linear(512, 256), nn.ReLU(), nn.Linear(256, 10),
    )


def load_data(a):
    if a.x and a.y:
        x = np.load(a.x).astype(np.float32).reshape(-1, 784)
        y = np.load(a.y).astype(np.int64).reshape(-1)
        if len(x) != len(y):
            raise ValueError(f"ray_ps: {a.x} has {len(x)} rows but {a.y} has {len(y)} labels")
        return x, y, "mnist"
    g = np.random.default_rng(1)
    return g.random((a.synthetic_n, 784), dtype=np.float32), g.integers(0, 10, a.synthetic_n), "synthetic"


@ray.remote(num_cpus=0.25)
class ParameterServer:
    def __init__(self, lr, momentum):
        torch.set_num_threads(1)
        self.model = make_model()
        self.optimizer = torch.optim.SGD(self.model.parameters(), lr=lr, momentum=momentum)

    def apply_gradients(self, *gradients):
        summed = [np.stack(g).sum(axis=0) for g in zip(*gradients)]
        self.optimizer.zero_grad()
        for p, g in zip(self.model.parameters(), summed):
            p.grad = torch.from_numpy(g / len(gradients))
        self.optimizer.step()
        return self.get_weights()

    def get_weights(self):
        return [p.detach().numpy().copy() for p in self.model.parameters()]


@ray.remote(num_cpus=0.25)
class DataWorker:
    def __init__(self, x, y, batch, seed):
        torch.set_num_threads(1)
        self.model = make_model()
        self.x, self.y, self.batch = torch.from_numpy(x), torch.from_numpy(y), batch
        self.g = torch.Generator().manual_seed(seed)

    def compute_gradients(self, weights):
        with torch.no_grad():
            for p, w in zip(self.model.parameters(), weights):
                p.copy_(torch.from_numpy(w))
        i = torch.randint(0, len(self.x), (self.batch,), generator=self.g)
        self.model.zero_grad()
        F.cross_entropy(self.model(self.x[i]), self.y[i]).backward()
        return [p.grad.numpy() for p in self.model.parameters()]


def accuracy(weights, x, y):
    m = make_model()
    with torch.no_grad():
        for p, w in zip(m.parameters(), weights):
            p.copy_(torch.from_numpy(w))
        return (m(torch.from_numpy(x)).argmax(1).numpy() == y).mean().item()


def main():
    a = parse()
    x, y, data = load_data(a)
    held = a.test if data == "mnist" else 0
    if held and not 0 < held < len(y):
        raise ValueError(f"ray_ps: --test {held} must be in 1..{len(y) - 1}")
    (x, tx), (y, ty) = (x[: len(x) - held], x[len(x) - held :]), (y[: len(y) - held], y[len(y) - held :])
    ray.init(num_cpus=2, include_dashboard=False, logging_level="ERROR", log_to_driver=False)
    xr, yr = ray.put(x), ray.put(y)
    ps = ParameterServer.remote(0.05, 0.9)
    workers = [DataWorker.remote(xr, yr, a.batch, i) for i in range(a.workers)]
    weights = ps.get_weights.remote()
    # warm-up: one full sync step (every actor started, every path run once)
    weights = ps.apply_gradients.remote(*[w.compute_gradients.remote(weights) for w in workers])
    ray.get(weights)
    steps, t0 = 0, time.perf_counter()
    end = t0 + a.seconds
    if a.mode == "sync":
        while steps < a.steps and time.perf_counter() < end:
            weights = ps.apply_gradients.remote(*[w.compute_gradients.remote(weights) for w in workers])
            ray.get(weights)
            steps += 1
        samples = steps * a.workers * a.batch
    else:
        current = ray.get(weights)
        grads = {w.compute_gradients.remote(current): w for w in workers}
        while steps < a.steps and time.perf_counter() < end:
            [done], _ = ray.wait(list(grads), num_returns=1)
            worker = grads.pop(done)
            weights = ps.apply_gradients.remote(done)
            grads[worker.compute_gradients.remote(weights)] = worker
            steps += 1
        ray.get(weights)
        samples = steps * a.batch
    elapsed = time.perf_counter() - t0
    final = ray.get(ps.get_weights.remote())
    out = {
        "samples_per_s": samples / elapsed, "steps": steps, "mode": a.mode, "workers": a.workers,
        "batch": a.batch, "seconds": elapsed, "data": data, "ray": ray.__version__, "torch": torch.__version__,
        "accuracy": accuracy(final, tx, ty) if held else None,
    }
    ray.shutdown()
    print(json.dumps(out))


if __name__ == "__main__":
    main()
