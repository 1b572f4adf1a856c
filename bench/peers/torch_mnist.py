"""PyTorch 2.13 (CPU) single-process reference for the fleet bench (issue 16): the same training, no actors.

The MLP 784-512-512-256-10 (ReLU), softmax cross-entropy, SGD lr 0.05 momentum 0.9, batches of `batch`
(128) drawn at random, with `threads` intra-op threads (1 by default). Data as bench/peers/ray_ps.py:
--x/--y .npy files (last --test rows held out for accuracy), else random of the same shape.
Measured after one warm-up step, until --steps or --seconds ends first.

Arguments: one JSON object {batch, threads, steps, seconds, x, y} (as bench/lib/peers.ts passes) or
the same as flags. Prints one JSON line {samples_per_s, steps, batch, threads, seconds, data, torch, accuracy}.
"""
import argparse
import json
import sys
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F


def parse():
    ap = argparse.ArgumentParser()
    ap.add_argument("--batch", type=int, default=128)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--steps", type=int, default=10**9)
    ap.add_argument("--seconds", type=float, default=10.0)
    ap.add_argument("--x", default=None)
    ap.add_argument("--y", default=None)
    ap.add_argument("--test", type=int, default=2000)
    ap.add_argument("--synthetic-n", type=int, default=60000)
    if len(sys.argv) == 2 and sys.argv[1].lstrip().startswith("{"):
        argv = []
        for k, v in json.loads(sys.argv[1]).items():
            if v is not None:
                argv += ["--" + k.replace("_", "-"), str(v)]
        return ap.parse_args(argv)
    return ap.parse_args()


def main():
    a = parse()
    torch.set_num_threads(a.threads)
    torch.manual_seed(1)
    if a.x and a.y:
        x = np.load(a.x).astype(np.float32).reshape(-1, 784)
        y = np.load(a.y).astype(np.int64).reshape(-1)
        if len(x) != len(y) or not 0 < a.test < len(y):
            raise ValueError(f"torch_mnist: {len(x)} rows, {len(y)} labels, --test {a.test}: need equal counts and 0 < test < rows")
        data, held = "mnist", a.test
    else:
        g = np.random.default_rng(1)
        x, y = g.random((a.synthetic_n, 784), dtype=np.float32), g.integers(0, 10, a.synthetic_n)
        data, held = "synthetic", 0
    x, y = torch.from_numpy(x), torch.from_numpy(y)
    (x, tx), (y, ty) = (x[: len(x) - held], x[len(x) - held :]), (y[: len(y) - held], y[len(y) - held :])
    model = nn.Sequential(
        nn.Linear(784, 512), nn.ReLU(), nn.Linear(512, 512), nn.ReLU(),
        nn.Linear(512, 256), nn.ReLU(), nn.Linear(256, 10),
    )
    opt = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)

    def step():
        i = torch.randint(0, len(x), (a.batch,))
        opt.zero_grad()
        F.cross_entropy(model(x[i]), y[i]).backward()
        opt.step()

    step()  # warm-up
    steps, t0 = 0, time.perf_counter()
    end = t0 + a.seconds
    while steps < a.steps and time.perf_counter() < end:
        step()
        steps += 1
    elapsed = time.perf_counter() - t0
    acc = None
    if held:
        with torch.no_grad():
            acc = (model(tx).argmax(1) == ty).float().mean().item()
    print(json.dumps({
        "samples_per_s": steps * a.batch / elapsed, "steps": steps, "batch": a.batch,
        "threads": torch.get_num_threads(), "seconds": elapsed, "data": data, "torch": torch.__version__,
        "accuracy": acc,
    }))


if __name__ == "__main__":
    main()
