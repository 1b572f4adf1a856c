"""Reference values for test/train/optim-reference.test.ts, computed by PyTorch (not by Troupe).

An MLP 16-32-32-10 with LayerNorm and GELU (exact, erf), softmax cross-entropy (mean), 5 steps
on 5 batches of 32, for each optimizer case: the loss at every step and every parameter after
the 5th step. Run with PyTorch 2.13 (CPU):  python make-optim-reference.py > optim-reference.json
"""
import json

import torch

torch.manual_seed(0)
torch.set_default_dtype(torch.float32)

SIZES = (16, 32, 32, 10)
STEPS, BATCH = 5, 32


def model():
    torch.manual_seed(1)
    return torch.nn.Sequential(
        torch.nn.Linear(SIZES[0], SIZES[1]),
        torch.nn.LayerNorm(SIZES[1], eps=1e-5),
        torch.nn.GELU(),
        torch.nn.Linear(SIZES[1], SIZES[2]),
        torch.nn.GELU(),
        torch.nn.Linear(SIZES[2], SIZES[3]),
    )


gen = torch.Generator().manual_seed(2)
xs = torch.randn(STEPS, BATCH, SIZES[0], generator=gen)
ys = torch.randint(0, SIZES[3], (STEPS, BATCH), generator=gen)
initial = [p.detach().clone() for p in model().parameters()]

CASES = {
    "sgd": ("sgd", dict(lr=0.1), None),
    "sgd-momentum": ("sgd", dict(lr=0.1, momentum=0.9), None),
    "sgd-dampening": ("sgd", dict(lr=0.1, momentum=0.9, dampening=0.5), None),
    "sgd-nesterov": ("sgd", dict(lr=0.1, momentum=0.9, nesterov=True), None),
    "sgd-weight-decay": ("sgd", dict(lr=0.1, momentum=0.9, weight_decay=0.01), None),
    "sgd-momentum-clip": ("sgd", dict(lr=0.1, momentum=0.9), 0.1),
    "adamw": ("adamw", dict(lr=0.01, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.01), None),
    "adamw-clip": ("adamw", dict(lr=0.01, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.01), 0.05),
}


def run(kind, hyper, clip):
    m = model()
    with torch.no_grad():
        for p, v in zip(m.parameters(), initial):
            p.copy_(v)
    opt = torch.optim.SGD(m.parameters(), **hyper) if kind == "sgd" else torch.optim.AdamW(m.parameters(), **hyper)
    losses = []
    for t in range(STEPS):
        opt.zero_grad()
        loss = torch.nn.functional.cross_entropy(m(xs[t]), ys[t])
        loss.backward()
        if clip is not None:
            torch.nn.utils.clip_grad_norm_(m.parameters(), clip)
        opt.step()
        losses.append(loss.item())
    return {"losses": losses, "final": [p.detach().flatten().tolist() for p in m.parameters()]}


out = {
    "torch": torch.__version__,
    "sizes": list(SIZES),
    "x": xs.flatten().tolist(),
    "y": ys.flatten().tolist(),
    "initial": [p.flatten().tolist() for p in initial],
    "shapes": [list(p.shape) for p in initial],
    "cases": {
        name: {"optimizer": kind, "hyper": hyper, "clip": clip, **run(kind, hyper, clip)}
        for name, (kind, hyper, clip) in CASES.items()
    },
}


def short(v):
    """float32 values with 8 significant digits: enough to round-trip them, and a smaller file."""
    if isinstance(v, float):
        return float(f"{v:.8g}")
    if isinstance(v, dict):
        return {k: short(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [short(x) for x in v]
    return v


print(json.dumps(short(out), separators=(",", ":")))
