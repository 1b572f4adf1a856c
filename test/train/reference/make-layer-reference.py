"""Reference values for test/train/layer-reference.test.ts, computed by PyTorch (not by Troupe).

For each op and layer of troupe/train: small fixed inputs (float32 values), the forward output,
and the gradient of sum(output * upstream) with respect to every input, for a fixed random
upstream gradient (a vector-Jacobian product, which is what backward computes). The arithmetic
is float64, so the reference carries no float32 rounding of its own; Troupe computes in float32.
Run with PyTorch 2.13 (CPU):  python make-layer-reference.py > layer-reference.json
"""
import json

import torch
import torch.nn.functional as F

gen = torch.Generator().manual_seed(13)


def rand(*shape, scale=1.0, offset=0.0):
    """float32 values (so that Troupe gets exactly these), held in float64 for the arithmetic."""
    return (torch.randn(*shape, generator=gen) * scale + offset).to(torch.float32).to(torch.float64)


def flat(t):
    # 9 significant digits: float32 inputs read back exactly; float64 results far inside the tolerance.
    return [float(f"{v:.9g}") for v in t.detach().reshape(-1).tolist()]


def case(fn, inputs, params=None):
    """Runs fn on leaf copies of inputs; returns the inputs, the output and each input's gradient."""
    leaves = {k: v.clone().requires_grad_(True) for k, v in inputs.items()}
    y = fn(**leaves)
    upstream = rand(*y.shape) if y.dim() > 0 else torch.tensor(0.7, dtype=torch.float64)
    (y * upstream).sum().backward()
    return {
        "params": params or {},
        "inputs": {k: {"shape": list(v.shape), "data": flat(v)} for k, v in inputs.items()},
        "output": {"shape": list(y.shape), "data": flat(y)},
        "upstream": flat(upstream),
        "grads": {k: flat(v.grad) for k, v in leaves.items()},
    }


def module_call(module, x, **params):
    """The torch.nn module itself, with its default settings, on the given parameters."""
    return torch.func.functional_call(module.double(), params, (x,))


def relu_input(*shape):
    x = rand(*shape)
    # Keep clear of 0, where ReLU has no derivative (both sides use 0 there; no need to test a tie).
    return torch.where(x.abs() < 1e-3, torch.full_like(x, 0.5), x)


labels = torch.tensor([0, 3, 1, 4, 4, 2], dtype=torch.int64)
label_list = [int(v) for v in labels.tolist()]

CASES = {
    # ops (src/train/ops.ts)
    "matmul": case(lambda a, b: a @ b, {"a": rand(3, 4), "b": rand(4, 5)}),
    "matmul-tall": case(lambda a, b: a @ b, {"a": rand(37, 19), "b": rand(19, 23)}),
    "linear": case(lambda x, weight, bias: F.linear(x, weight, bias), {"x": rand(4, 6), "weight": rand(5, 6), "bias": rand(5)}),
    "linear-no-bias": case(lambda x, weight: F.linear(x, weight), {"x": rand(4, 6), "weight": rand(5, 6)}),
    "linear-large": case(
        lambda x, weight, bias: F.linear(x, weight, bias), {"x": rand(17, 40), "weight": rand(33, 40), "bias": rand(33)}
    ),
    "relu": case(F.relu, {"input": relu_input(5, 7)}),
    "gelu": case(lambda input: F.gelu(input), {"input": rand(5, 7, scale=2.0)}),
    "layerNorm": case(
        lambda x, gamma, beta: F.layer_norm(x, (8,), gamma, beta, eps=1e-5),
        {"x": rand(4, 8, scale=3.0, offset=1.0), "gamma": rand(8), "beta": rand(8)},
        {"eps": 1e-5},
    ),
    # Rows of small variance: here eps matters (var 1e-4 beside eps 1e-5).
    "layerNorm-small-variance": case(
        lambda x, gamma, beta: F.layer_norm(x, (16,), gamma, beta, eps=1e-5),
        {"x": rand(3, 16, scale=0.01, offset=0.5), "gamma": rand(16), "beta": rand(16)},
        {"eps": 1e-5},
    ),
    "layerNorm-eps-1e-3": case(
        lambda x, gamma, beta: F.layer_norm(x, (16,), gamma, beta, eps=1e-3),
        {"x": rand(3, 16, scale=0.05), "gamma": rand(16), "beta": rand(16)},
        {"eps": 1e-3},
    ),
    "add": case(lambda a, b: a + b, {"a": rand(3, 5), "b": rand(3, 5)}),
    "scale": case(lambda a: a * -1.75, {"a": rand(3, 5)}, {"factor": -1.75}),
    "sum": case(lambda a: a.sum(), {"a": rand(4, 6)}),
    "mean": case(lambda a: a.mean(), {"a": rand(4, 6)}),
    "softmaxCrossEntropy": case(
        lambda logits: F.cross_entropy(logits, labels), {"logits": rand(6, 5, scale=2.0)}, {"labels": label_list}
    ),
    # layers (src/train/layers.ts), with their default settings
    "module-Linear": case(
        lambda x, weight, bias: module_call(torch.nn.Linear(6, 5), x, weight=weight, bias=bias),
        {"x": rand(4, 6), "weight": rand(5, 6), "bias": rand(5)},
    ),
    "module-LayerNorm": case(
        lambda x, gamma, beta: module_call(torch.nn.LayerNorm(12), x, weight=gamma, bias=beta),
        {"x": rand(3, 12, scale=0.01, offset=-0.2), "gamma": rand(12), "beta": rand(12)},
    ),
    "module-GELU": case(lambda input: torch.nn.GELU()(input), {"input": rand(4, 9, scale=3.0)}),
    "module-ReLU": case(lambda input: torch.nn.ReLU()(input), {"input": relu_input(4, 9)}),
}

print(json.dumps({"torch": torch.__version__.split("+")[0], "dtype": "float64", "cases": CASES}))
