#!/usr/bin/env bash
# The system packages the test suite uses (Debian/Ubuntu, as root): `bash scripts/install-system-deps.sh`.
# Without them `npm test` still passes; it skips, with one printed line naming the package (under
# TROUPE_REQUIRE_FULL=1, which .ci/run sets, each such skip is a failure instead):
#   redis-server      the Redis state-store tests (or set REDIS_URL, or have a Docker engine)
#   libopenblas-dev   the BLAS GEMM tests (the native core then builds on its own kernel)
#   openssh-server    the `troupe cluster` tests over SSH (with iproute2, as root)
#   iproute2          the network-namespace host tests (as root)
#   git               the .troupeignore-against-git test
set -euo pipefail
PACKAGES=(redis-server libopenblas-dev openssh-server iproute2 git)
if [ "$(id -u)" != 0 ]; then
  echo "install-system-deps: not root, not installing: ${PACKAGES[*]}" >&2
  # Under TROUPE_REQUIRE_FULL=1 (CI) their tests would fail for want of them: say so here, first.
  if [ "${TROUPE_REQUIRE_FULL:-}" = 1 ]; then
    echo "install-system-deps: TROUPE_REQUIRE_FULL=1 needs them installed: run as root, or unset it to skip their tests" >&2
    exit 1
  fi
  exit 0
fi
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${PACKAGES[@]}"
