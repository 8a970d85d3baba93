#!/usr/bin/env bash
# bench.sh -- build an optimised vangnet and run the side-by-side benchmark (vangnet vs a bare
# ZeroMQ CURVE forwarder). Extra arguments go to vn-bench (--senders, --recipients, --messages,
# --rate, --seconds). `bench.sh audit [--records N]` runs the audit log benchmark instead.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/deps.sh
vn_install_deps
vn_build_release
if [ "${1:-}" = audit ]; then
    shift
    exec build-release/bench/vn-audit-bench "$@"
fi
exec build-release/bench/vn-bench --build "$PWD/build-release" "$@"
