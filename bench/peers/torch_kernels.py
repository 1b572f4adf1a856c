"""PyTorch 2.13 (CPU) beside `npm run bench -- kernels --peers`: the same matmul and MLP step.

Argument: one JSON object {threads, reps, steps, sizes: [784, 1024, 1024, 10], batch}. Prints one
JSON line: GFLOP/s of a 1024x1024x1024 float32 matmul (best of `reps`), and MLP training steps/s
(Linear+ReLU layers of `sizes`, batch `batch`, softmax cross-entropy, SGD lr 0.01 momentum 0.9,
after 3 warm-up steps), with `threads` intra-op threads, as bench/kernels.ts measures Troupe.
"""
import json
import sys
import time

import torch

P = json.loads(sys.argv[1])


def main():
    torch.set_num_threads(P["threads"])
    out = {"torch": torch.__version__, "threads": torch.get_num_threads()}
    g = torch.Generator().manual_seed(1)
    a = torch.rand(1024, 1024, generator=g) * 2 - 1
    b = torch.rand(1024, 1024, generator=g) * 2 - 1
    torch.mm(a, b)
    best = float("inf")
    for _ in range(P["reps"]):
        t0 = time.perf_counter()
        torch.mm(a, b)
        best = min(best, time.perf_counter() - t0)
    out["matmul_gflops"] = 2 * 1024**3 / best / 1e9

    sizes = P["sizes"]
    layers = []
    for i in range(len(sizes) - 1):
        layers.append(torch.nn.Linear(sizes[i], sizes[i + 1]))
        if i < len(sizes) - 2:
            layers.append(torch.nn.ReLU())
    model = torch.nn.Sequential(*layers)
    opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    x = torch.rand(P["batch"], sizes[0], generator=g)
    labels = torch.arange(P["batch"]) % sizes[-1]
    loss_fn = torch.nn.CrossEntropyLoss()

    def step():
        opt.zero_grad()
        loss = loss_fn(model(x), labels)
        loss.backward()
        opt.step()

    for _ in range(3):
        step()
    t0 = time.perf_counter()
    for _ in range(P["steps"]):
        step()
    out["mlp_steps"] = P["steps"] / (time.perf_counter() - t0)
    print(json.dumps(out), flush=True)


main()
