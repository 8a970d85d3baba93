#!/usr/bin/env bash
# fuzz.sh [SECONDS] -- build the libFuzzer targets with clang and run each for SECONDS (default 120).
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/deps.sh
vn_install_deps clang-14 libclang-rt-14-dev
SECONDS_EACH=${1:-120}
if [ ! -f build-fuzz/build.ninja ]; then
    CC=clang-14 meson setup build-fuzz -Dfuzz=true -Dtests=disabled \
        -Db_sanitize=address,undefined -Db_lundef=false >/dev/null
fi
ninja -C build-fuzz >/dev/null
mkdir -p fuzz-corpus/envelope fuzz-corpus/wire fuzz-corpus/keyfile fuzz-corpus/config fuzz-corpus/content fuzz-corpus/policy fuzz-corpus/pseudonymd fuzz-corpus/consent fuzz-corpus/inflight fuzz-corpus/signal
build-fuzz/tests/fuzz/fuzz_seed fuzz-corpus/envelope fuzz-corpus/wire fuzz-corpus/signal
printf '[vangnet-key]\nversion = 1\nkind = public\norg = abc\nsector = ggz\n' > fuzz-corpus/keyfile/seed
cp config/broker.conf config/agent.conf fuzz-corpus/config/
cp config/policy.conf fuzz-corpus/policy/
python3 -c "import sys; sys.stdout.buffer.write(b'VNP1\x01' + bytes(7) + b'\x01\x06signal\x00\x01' + bytes.fromhex('863f330cc1a1259ed5a5998a23acfd37fb4351a793a5b3c090b642ddc439b945'))" > fuzz-corpus/pseudonymd/seed
# Consent requests: list all, list one subject, list all after a cursor with a limit.
printf '\x28\x01' > fuzz-corpus/consent/list-all
python3 -c "import sys; sys.stdout.buffer.write(b'\x22\x20' + bytes([1]) * 32)" > fuzz-corpus/consent/list-subject
python3 -c "import sys; sys.stdout.buffer.write(b'\x28\x01\x32\x11c' + b'0' * 16 + b'\x38\x05')" > fuzz-corpus/consent/list-after
for t in envelope wire keyfile config content policy pseudonymd consent inflight signal; do
    echo "== fuzz_$t for ${SECONDS_EACH}s"
    build-fuzz/tests/fuzz/fuzz_$t -max_total_time="$SECONDS_EACH" -print_final_stats=1 \
        fuzz-corpus/$t 2>&1 | grep -E "^(stat::number_of_executed_units|stat::peak_rss|#[0-9]+ *DONE)|ERROR|SUMMARY" || true
done
