#!/usr/bin/env bash
# bench.sh -- build an optimised vangnet and run the side-by-side benchmark (vangnet vs a bare
# ZeroMQ CURVE forwarder). Extra arguments go to vn-bench (--senders, --recipients, --messages,
# --rate, --seconds). `bench.sh audit [--records N]` runs the audit log benchmark instead;
# `bench.sh api [--seconds S] [--rate N] [--callers N]` the agent's HTTP API beside its native API.
# `bench.sh signals [--signals N] [--register M] [--data DIR] [--fixed-rate R] [--cold]` the signals
# benchmark (10 million signals in the store by default: about 8 GB in TMPDIR or /var/tmp, 5-30
# minutes to fill): throughput at saturation and latency at a fixed offered rate (1000/s) side by
# side, then in the same run the notification figure beside it (vn-bench --broker-only, 20,000
# messages: receipts/s at the broker alone). `--group N` or `--rate R` run one phase only.
# `bench.sh pseudonyms [--seconds S]` the v1 keyed hash beside the VOPRF pseudonym service;
# `bench.sh --pseudonyms warm|cold` the end-to-end benchmark with agents using the service.
# `bench.sh e2e [vn-bench options]` the default benchmark, then in the same sitting the RabbitMQ
# peer (persistent messages + publisher confirms; installs rabbitmq-server and python3-pika when
# missing, runs them on their own ports and temp dir, stops them by pid).
# `bench.sh budgets [--pairs N] [vn-bench options]` the broker alone with the per-organisation
# budgets off (every [limits] value 0) and on (defaults), alternately off/on N times (default 2)
# in one sitting, then both columns side by side.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/deps.sh
vn_install_deps
vn_build_release
if [ "${1:-}" = api ]; then
    shift
    VN_BUILD="$PWD/build-release" exec python3 bench/api_bench.py "$@"
fi
if [ "${1:-}" = audit ]; then
    shift
    exec build-release/bench/vn-audit-bench "$@"
fi
if [ "${1:-}" = pseudonyms ] || [ "${1:-}" = pseudonym ]; then
    shift
    exec build-release/bench/vn-pseudonym-bench --build "$PWD/build-release" "$@"
fi
if [ "${1:-}" = signals ]; then
    shift
    status=0
    build-release/bench/vn-signal-bench --policy config/policy.conf \
        --vocabulary config/vocabulary.conf "$@" || status=$?
    # Beside it, the notification figure of the same broker build and sitting.
    echo
    echo "notifications beside them (vn-bench --broker-only --messages 20000):"
    build-release/bench/vn-bench --build "$PWD/build-release" --broker-only --messages 20000 |
        grep '^receipts/s at the broker alone' || status=$?
    exit $status
fi
if [ "${1:-}" = budgets ]; then
    shift
    pairs=2
    if [ "${1:-}" = --pairs ]; then pairs=$2; shift 2; fi
    declare -a off on
    for ((i = 1; i <= pairs; i++)); do
        for mode in off on; do
            line=$(build-release/bench/vn-bench --build "$PWD/build-release" --broker-only \
                       --budgets $mode "$@" | grep '^receipts/s at the broker alone')
            r=$(sed -E 's/.*pre-sealed\): ([0-9]+);.*/\1/' <<<"$line")
            echo "pair $i budgets $mode: $line"
            if [ $mode = off ]; then off+=("$r"); else on+=("$r"); fi
        done
    done
    printf '\n%-6s %14s %14s %8s\n' pair "budgets off" "budgets on" "on/off"
    for ((i = 0; i < pairs; i++)); do
        awk -v p=$((i + 1)) -v a="${off[$i]}" -v b="${on[$i]}" \
            'BEGIN { printf "%-6s %14d %14d %8.3f\n", p, a, b, b / a }'
    done
    awk -v a="${off[*]}" -v b="${on[*]}" 'BEGIN {
        n = split(a, x, " "); split(b, y, " "); sx = sy = 0
        for (i = 1; i <= n; i++) { sx += x[i]; sy += y[i] }
        printf "%-6s %14d %14d %8.3f   (receipts/s at the broker alone)\n", "mean", sx / n, sy / n, sy / sx }'
    exit 0
fi
if [ "${1:-}" = e2e ]; then
    shift
    vn_install_deps $VN_BENCH_PACKAGES
    status=0
    build-release/bench/vn-bench --build "$PWD/build-release" "$@" || status=$?
    echo
    # Debian's python3 (python3-pika is a Debian package), whatever python3 is first on PATH.
    /usr/bin/python3 bench/rabbitmq_bench.py "$@" || status=$?
    exit $status
fi
exec build-release/bench/vn-bench --build "$PWD/build-release" "$@"
