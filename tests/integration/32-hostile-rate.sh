#!/usr/bin/env bash
# 32: one organisation submits valid reports as fast as it can: beyond its submit rate and its
# submissions in flight it is answered "rate-limited" / "too-many-in-flight" before any signature
# is checked for it, so the main thread, the workers and the store stay shared: a genuine report
# from a GGZ institution is accepted within a bounded time during the flood, and delivered. The
# budgets and their use show in metrics and `vangnet status`, with a warning.
. "$(dirname "$0")/lib.sh"
vn_small_quarantine
VN_BROKER_EXTRA="[limits]
submit_rate = 50
submit_burst = 50
submit_in_flight = 16" vn_setup_pair
vn_org school-de-linde onderwijs
B_URL=$(cat "$T/broker-data/metrics-address")
used0=$(vn_metric "$B_URL" vangnet_broker_store_used_bytes)
hostile school-de-linde --mode flood --to "$T/keys/vt-zuid-limburg.public" --count 1000000 \
    --window 256 --seconds 12 > "$T/flood.out" &
H=$!
VN_PIDS+=("$H")
sleep 2
echo "synthetic: zorgen" > "$T/m.txt"
for i in 1 2 3; do
    t0=$(date +%s%N)
    out=$("$VANGNET" send --agent "$(api ggz-mondriaan)" --to vt-zuid-limburg --subject $BSN $MELD \
        --file "$T/m.txt" --wait 30)
    ms=$(( ($(date +%s%N) - t0) / 1000000 ))
    [[ $out == accepted* ]] || fail "genuine report $i not accepted during the flood: $out"
    echo "genuine report $i accepted in $ms ms during the flood"
    [ "$ms" -lt 5000 ] || fail "genuine report $i took $ms ms"
    sleep 1
done
kill -0 "$H" || fail "the flood ended before the genuine reports were sent"
wait "$H"
f=$(cat "$T/flood.out")
echo "flood: $f"
kill -0 "$BROKER_PID" || fail "broker died"
sent=$(vn_field "$f" sent) receipts=$(vn_field "$f" receipts)
limited=$(( $(vn_field "$f" rate-limited) + $(vn_field "$f" too-many-in-flight) ))
[ "$limited" -gt 0 ] || fail "flood not limited: $f"
# Accepted: at most the burst plus the rate over the flood's ~14 s.
[ "$receipts" -le $((50 + 50 * 16)) ] || fail "$receipts accepted: over the submit rate"
[ $((receipts + limited)) -eq "$(vn_field "$f" answers)" ] || fail "answers other than receipts and limits: $f"
wait_for "curl -sf '$B_URL/metrics' | grep -q '^vangnet_broker_deliveries_total $((receipts + 3))$'" 30
curl -sf "$B_URL/metrics" > "$T/m.prom"
grep -qE '^vangnet_broker_budget_exceeded_total\{org="school-de-linde",budget="(submit|in-flight)"\} [1-9]' "$T/m.prom" \
    || fail "budget metric missing"
grep -q '^vangnet_broker_submits_in_flight{org="school-de-linde"} 0$' "$T/m.prom" || fail "in-flight not back to 0"
set +e
"$VANGNET" status --url "$B_URL" > "$T/status.txt"
set -e
grep -q "WARNING: .*school-de-linde is over its budget" "$T/status.txt" || fail "no warning: $(cat "$T/status.txt")"
grep -q "^limits: *submit 50/s (burst 50, 16 in flight)" "$T/status.txt" || fail "limits not shown"
! grep -q "WARNING: .*ggz-mondriaan is over" "$T/status.txt" || fail "the genuine sender was limited"
# The limited submissions cost the audit log its budget, not one record each.
used1=$(vn_metric "$B_URL" vangnet_broker_store_used_bytes)
echo "store growth $(( (used1 - used0) / 1024 )) KiB for $sent submissions ($receipts accepted)"
"$VANGNET" audit verify --data "$T/broker-data" | grep -q intact || fail "audit chain"
echo "32-hostile-rate: ok"
