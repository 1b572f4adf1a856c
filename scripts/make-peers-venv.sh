#!/usr/bin/env bash
# Makes a Python venv with the peers `npm run bench -- NAME --peers` measures beside Troupe:
#   bash scripts/make-peers-venv.sh DIR        (DIR outside the repository, e.g. ~/.cache/troupe-peers)
# then run benchmarks with TROUPE_PEERS_PYTHON=DIR/bin/python. Never needed by npm test or CI.
# The index is pip's configured one; on a machine whose default index is unreachable, pass the
# local one in PIP_INDEX_URL (see `pip config list`).
set -euo pipefail
dir="${1:?usage: make-peers-venv.sh DIR}"
python3 -m venv "$dir"
"$dir/bin/pip" install --quiet 'ray==2.58.0' 'torch==2.13.0' numpy
"$dir/bin/python" -c 'import ray, torch; print("ray", ray.__version__, "torch", torch.__version__)'
echo "now: TROUPE_PEERS_PYTHON=$dir/bin/python npm run bench -- calls --peers"
