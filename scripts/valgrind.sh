#!/usr/bin/env bash
# valgrind.sh -- run the broker and two agents under valgrind through a real exchange (sends, a
# refusal, inbox, acks, a revocation) and fail on any memory error or definite/indirect leak.
# Also runs the unit tests under valgrind (an unsanitized build: ASan and valgrind exclude each other).
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/deps.sh
vn_install_deps valgrind
[ -f build-vg/build.ninja ] || meson setup build-vg -Dtests=enabled --buildtype=debug >/dev/null
ninja -C build-vg >/dev/null
meson test -C build-vg --setup valgrind --suite unit --print-errorlogs | grep -E "^(Ok|Fail):"
D=$(mktemp -d "${TMPDIR:-/tmp}/vn-valgrind-XXXXXX")
PIDS=()
trap 'for p in "${PIDS[@]}"; do kill -KILL "$p" 2>/dev/null || true; done; rm -rf "$D"' EXIT
V=build-vg/cli/vangnet
VG="valgrind --leak-check=full --show-leak-kinds=definite,indirect --errors-for-leak-kinds=definite,indirect --error-exitcode=9"
"$V" keygen --org broker --sector broker --out "$D" >/dev/null
"$V" keygen --pseudonym-key "$D/p.key" >/dev/null
for o in ggz-a:ggz vt-b:veilig-thuis; do
    "$V" keygen --org "${o%%:*}" --sector "${o##*:}" --out "$D" >/dev/null
    "$V" org add --data "$D/bd" "$D/${o%%:*}.public" >/dev/null
done
printf '[broker]\nendpoint = tcp://127.0.0.1:*\ndata = %s/bd\nkeys = %s/broker.secret\npolicy = %s/config/policy.conf\n[metrics]\nlisten = 127.0.0.1:0\n' "$D" "$D" "$PWD" > "$D/b.conf"
$VG --log-file="$D/vg-broker.txt" build-vg/broker/vangnet-broker --config "$D/b.conf" 2>/dev/null & PIDS+=($!)
for _ in $(seq 100); do [ -s "$D/bd/endpoint" ] && break; sleep 0.2; done
EP=$(cat "$D/bd/endpoint")
for o in ggz-a vt-b; do
    printf '[agent]\nkeys = %s/%s.secret\ndata = %s/%s\napi = ipc://%s/%s.sock\npseudonym_key = %s/p.key\n[broker]\nendpoint = %s\npublic = %s/broker.public\n[metrics]\nlisten = 127.0.0.1:0\n' \
        "$D" $o "$D" $o "$D" $o "$D" "$EP" "$D" > "$D/$o.conf"
    $VG --log-file="$D/vg-$o.txt" build-vg/agent/vangnet-agent --config "$D/$o.conf" 2>/dev/null & PIDS+=($!)
done
for o in ggz-a vt-b; do
    for _ in $(seq 100); do
        "$V" status --agent "ipc://$D/$o.sock" 2>/dev/null | grep -q "connected=yes.*orgs=2" && break
        sleep 0.3
    done
done
for i in 1 2 3; do
    echo "bericht $i" | "$V" send --agent "ipc://$D/ggz-a.sock" --to vt-b --subject 111222333 --user vg-1 --role tester \
        --basis meldrecht --category melding --afweging 1=ja,2=ja,3=nvt,4=nvt,5=nvt \
        --onveiligheid acuut --consultatie "$(date -u +%F)" --client-geinformeerd ja --file - >/dev/null
done
echo x | "$V" send --agent "ipc://$D/ggz-a.sock" --to vt-b --subject 111222333 --user vg-1 --role tester \
    --category zorgsignaal --basis bogus --file - >/dev/null || true
"$V" inbox --agent "ipc://$D/vt-b.sock" --wait 10 >/dev/null
ref=$("$V" consent add --agent "ipc://$D/ggz-a.sock" --subject 111222333 --given-by client \
    --to vt-b --categories zorgsignaal --purpose test --days 5 | sed -n 's/^consent \(c[0-9a-f]*\) .*/\1/p')
"$V" consent list --agent "ipc://$D/ggz-a.sock" >/dev/null
"$V" consent withdraw --agent "ipc://$D/ggz-a.sock" "$ref" >/dev/null
for id in $("$V" inbox --agent "ipc://$D/vt-b.sock" --json | sed -n 's/.*"messageId":"\([0-9a-f]*\)".*/\1/p'); do
    "$V" ack --agent "ipc://$D/vt-b.sock" "$id" >/dev/null
done
# The HTTP endpoint's thread reads the stores while the daemons run.
for d in bd ggz-a vt-b; do
    for path in metrics status readyz healthz; do curl -sf "$(cat "$D/$d/metrics-address")/$path" >/dev/null; done
done
"$V" org revoke --data "$D/bd" ggz-a >/dev/null
sleep 2
status=0
for p in "${PIDS[@]}"; do kill -TERM "$p"; done
for p in "${PIDS[@]}"; do wait "$p" || status=$?; done
for f in "$D"/vg-*.txt; do echo "$(basename "$f"): $(grep -h 'ERROR SUMMARY' "$f" | sed 's/==[0-9]*== //')"; done
[ $status -eq 0 ] && echo "valgrind: clean" || { echo "valgrind: errors (exit $status)"; exit 1; }
