#!/usr/bin/env bash
# GPU check for a machine with an NVIDIA GPU, in at most 5 minutes: prints the machine, builds the
# CUDA library and its selftest (make -C native/cuda), runs the selftest (every kernel against a
# CPU reference, cuBLAS SGEMM 4096^3, a one-rank NCCL communicator), times torch.matmul 4096^3
# float32 as the baseline where PyTorch is installed and prints the ratio, and runs the Node-level
# GPU tests where Node and the built addon exist. Without a GPU it says so and exits 2; any failed
# check exits 1.
set -euo pipefail
cd "$(dirname "$0")/.."
readonly LIMIT=290  # seconds for the whole script, under the 5-minute budget
# Node-level tests that take the GPU with TROUPE_GPU_TESTS=1: cuda.test (CUDA equals CPU), and
# against PyTorch's fixtures on CUDA too, layer-reference (every op and layer) and optim-reference
# (5 steps of SGD and AdamW).
readonly NODE_GPU_TESTS=(test/train/cuda.test.ts test/train/layer-reference.test.ts test/train/optim-reference.test.ts)
start=$SECONDS
left() { # seconds a step may take: its cap, or what is left of LIMIT if less
  local rest=$((LIMIT - (SECONDS - start)))
  ((rest < $1)) && echo $((rest > 5 ? rest : 5)) || echo "$1"
}
section() { printf '\n== %s (at %ds)\n' "$1" $((SECONDS - start)); }
status=0

section "machine"
uname -srm
echo "cpus: $(nproc)"
if ! command -v nvidia-smi >/dev/null 2>&1; then
  echo "no GPU: nvidia-smi is not installed, so there is no NVIDIA driver here"
  exit 2
fi
if ! nvidia-smi -L >/dev/null 2>&1 || [ -z "$(nvidia-smi -L 2>/dev/null)" ]; then
  echo "no GPU: nvidia-smi finds no device"
  nvidia-smi -L 2>&1 | sed 's/^/  /' || true
  exit 2
fi
nvidia-smi --query-gpu=index,name,driver_version,memory.total,compute_cap --format=csv
nvidia-smi | sed -n '1,4p' | grep -i "cuda version" || true

section "build (make -C native/cuda)"
NVCC=$(command -v nvcc || true)
[ -z "$NVCC" ] && [ -x /usr/local/cuda/bin/nvcc ] && NVCC=/usr/local/cuda/bin/nvcc
if [ -z "$NVCC" ]; then
  echo "FAIL: nvcc not found (not on PATH, not /usr/local/cuda/bin/nvcc): install the CUDA toolkit to build the kernels"
  exit 1
fi
"$NVCC" --version | tail -2
if ! timeout "$(left 170)" make -C native/cuda -j"$(nproc)" NVCC="$NVCC" >/tmp/troupe-gpu-build.log 2>&1; then
  tail -40 /tmp/troupe-gpu-build.log
  echo "FAIL: build failed or timed out (full log: /tmp/troupe-gpu-build.log)"
  exit 1
fi
echo "built native/cuda/build/libtroupe_cuda.so and cuda_selftest in $((SECONDS - start))s"

# Python's own site-packages folders, so pip's nvidia-cublas/nvidia-nccl wheels are found wherever
# this Python keeps them.
if command -v python3 >/dev/null 2>&1; then
  sites=$(python3 -c 'import site; print(":".join(site.getsitepackages() + [site.getusersitepackages()]))' 2>/dev/null || true)
  export TROUPE_PYTHON_NVIDIA_DIRS="${TROUPE_PYTHON_NVIDIA_DIRS:+$TROUPE_PYTHON_NVIDIA_DIRS:}$sites"
fi

section "selftest (native/cuda/build/cuda_selftest)"
selftest_log=$(mktemp)
set +e
timeout "$(left 150)" native/cuda/build/cuda_selftest | tee "$selftest_log"
rc=${PIPESTATUS[0]}
set -e
case $rc in
  0) echo "selftest: passed" ;;
  2) echo "FAIL: nvidia-smi sees a GPU but the CUDA runtime does not (is the driver older than nvcc's CUDA version?)"; status=1 ;;
  124) echo "FAIL: selftest timed out"; status=1 ;;
  *) echo "FAIL: selftest exited $rc"; status=1 ;;
esac
troupe_tflops=$(sed -n 's/^TROUPE_SGEMM_TFLOPS=//p' "$selftest_log" | tail -1)

section "baseline: torch.matmul 4096^3 float32"
torch_tflops=""
if command -v python3 >/dev/null 2>&1 && python3 -c 'import torch, sys; sys.exit(0 if torch.cuda.is_available() else 1)' >/dev/null 2>&1; then
  torch_out=$(timeout "$(left 90)" python3 - <<'PY' || true
import time, torch
torch.backends.cuda.matmul.allow_tf32 = False  # plain FP32, as Troupe's cuBLAS call
n, warmup, iters = 4096, 3, 20
a = torch.rand(n, n, device="cuda") * 2 - 1
b = torch.rand(n, n, device="cuda") * 2 - 1
for _ in range(warmup):
    c = torch.matmul(a, b)
torch.cuda.synchronize()
t0 = time.perf_counter()
for _ in range(iters):
    c = torch.matmul(a, b)
torch.cuda.synchronize()
s = (time.perf_counter() - t0) / iters
print(f"torch {torch.__version__} (CUDA {torch.version.cuda}) on {torch.cuda.get_device_name(0)}: "
      f"{s * 1e3:.3f} ms per call, {2 * n**3 / s / 1e12:.2f} TFLOP/s over {iters} calls, tf32 off")
print(f"TORCH_SGEMM_TFLOPS={2 * n**3 / s / 1e12:.3f}")
PY
)
  echo "$torch_out" | grep -v '^TORCH_SGEMM_TFLOPS='
  torch_tflops=$(sed -n 's/^TORCH_SGEMM_TFLOPS=//p' <<<"$torch_out" | tail -1)
  [ -z "$torch_tflops" ] && echo "torch baseline did not finish"
else
  echo "skip: PyTorch with CUDA is not importable by python3"
fi
if [ -n "$troupe_tflops" ] && [ -n "$torch_tflops" ]; then
  awk -v t="$troupe_tflops" -v p="$torch_tflops" \
    'BEGIN { printf "sgemm 4096^3: Troupe (cuBLAS) %.2f TFLOP/s, PyTorch %.2f TFLOP/s, ratio %.3f\n", t, p, t / p }'
elif [ -n "$troupe_tflops" ]; then
  echo "sgemm 4096^3: Troupe (cuBLAS) $troupe_tflops TFLOP/s; no baseline, so no ratio"
fi

section "node-level GPU tests"
if ! command -v node >/dev/null 2>&1; then
  echo "skip: node is not installed (the C++ selftest above covers the CUDA core)"
elif ! ls build/Release/*.node >/dev/null 2>&1; then
  echo "skip: the Node addon is not built (no build/Release/*.node)"
elif ! ls "${NODE_GPU_TESTS[@]}" >/dev/null 2>&1; then
  echo "skip: one of ${NODE_GPU_TESTS[*]} does not exist"
elif ! timeout "$(left 120)" env TROUPE_GPU_TESTS=1 npx vitest run "${NODE_GPU_TESTS[@]}"; then
  echo "FAIL: node-level GPU tests"
  status=1
fi

section "done in $((SECONDS - start))s"
[ "$status" -eq 0 ] && echo "gpu-check: passed" || echo "gpu-check: FAILED"
exit "$status"
