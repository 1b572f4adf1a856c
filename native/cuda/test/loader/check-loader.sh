#!/usr/bin/env bash
# Checks where libtroupe_cuda looks for cuBLAS and NCCL, with stand-in libraries, on any machine
# (no GPU needed): TROUPE_CUDA_LIBS wins, Python wheels' nvidia/*/lib folders are searched, a file
# that is found but does not open is named, and a missing symbol is named.
# Usage: check-loader.sh BUILD_DIR (holding cuda_selftest; stand-ins are made under BUILD_DIR/fake).
set -euo pipefail
build=$(cd "$1" && pwd)
here=$(cd "$(dirname "$0")" && pwd)
fake="$build/fake"
cc=${CC:-cc}
rm -rf "$fake"
mkdir -p "$fake/libs" "$fake/venv/lib/python3.99/site-packages/nvidia/cublas/lib" \
  "$fake/venv/lib/python3.99/site-packages/nvidia/nccl/lib" "$fake/broken" "$fake/nosym"
so() { "$cc" -shared -fPIC -o "$1" -Wl,-soname,"$(basename "$1")" "$here/fake_libs.c" "${@:2}"; }
so "$fake/libs/libcublas.so.12" -DFAKE_CUBLAS
so "$fake/libs/libnccl.so.2" -DFAKE_NCCL
so "$fake/venv/lib/python3.99/site-packages/nvidia/cublas/lib/libcublas.so.12" -DFAKE_CUBLAS
so "$fake/venv/lib/python3.99/site-packages/nvidia/nccl/lib/libnccl.so.2" -DFAKE_NCCL
echo "not a library" > "$fake/broken/libcublas.so.13"
so "$fake/nosym/libnccl.so.2"

failures=0
expect() { # name, pattern, command...
  local name=$1 pattern=$2 out
  shift 2
  out=$(env -u TROUPE_CUDA_LIBS -u VIRTUAL_ENV -u TROUPE_PYTHON_NVIDIA_DIRS "$@" "$build/cuda_selftest" --libraries 2>&1 || true)
  if grep -qE -- "$pattern" <<<"$out"; then
    echo "  ok   $name"
  else
    echo "  FAIL $name: expected /$pattern/ in:"; sed 's/^/         /' <<<"$out"; failures=$((failures + 1))
  fi
}

echo "library search:"
expect "TROUPE_CUDA_LIBS is searched first" "cuBLAS: loaded from $fake/libs/libcublas.so.12" \
  TROUPE_CUDA_LIBS="$fake/libs"
expect "NCCL found through TROUPE_CUDA_LIBS and its version read" "NCCL version: 29999" \
  TROUPE_CUDA_LIBS="/nonexistent:$fake/libs"
expect "a file that does not open is named" "found $fake/broken/libcublas.so.13 but dlopen failed" \
  TROUPE_CUDA_LIBS="$fake/broken"
expect "a missing entry point is named" "libnccl.so.2 has no symbol ncclGetVersion" \
  TROUPE_CUDA_LIBS="$fake/nosym"
system=$(env -u TROUPE_CUDA_LIBS -u VIRTUAL_ENV "$build/cuda_selftest" --libraries 2>&1 || true)
if grep -q "cuBLAS: loaded from" <<<"$system"; then
  echo "  skip Python-folder search: this machine has a cuBLAS that is found first"
else
  expect "Python wheels' nvidia/*/lib under \$VIRTUAL_ENV" \
    "cuBLAS: loaded from $fake/venv/lib/python3.99/site-packages/nvidia/cublas/lib/libcublas.so.12" \
    VIRTUAL_ENV="$fake/venv"
  expect "TROUPE_PYTHON_NVIDIA_DIRS names a site-packages folder" \
    "NCCL: loaded from $fake/venv/lib/python3.99/site-packages/nvidia/nccl/lib/libnccl.so.2" \
    TROUPE_PYTHON_NVIDIA_DIRS="$fake/venv/lib/python3.99/site-packages"
  expect "not found lists the folders searched" "cuBLAS not found .*searched: \(dynamic loader path\)" HOME="$fake"
fi
[ "$failures" -eq 0 ] && echo "library search: all passed" || { echo "library search: $failures failed"; exit 1; }
