#!/usr/bin/env bash
# 36: an organisation sends consent list requests as fast as it can (each one page on the
# broker's main thread, test 37): beyond its request budget they are answered at once with
# "rate-limited" in a ConsentResponse, so the main thread stays shared: another organisation
# registers a consent and sends a genuine report meanwhile, accepted and delivered.
. "$(dirname "$0")/lib.sh"
VN_BROKER_EXTRA="[limits]
request_rate = 20
request_burst = 20" vn_setup_pair
vn_org school-de-linde onderwijs
B_URL=$(cat "$T/broker-data/metrics-address")
hostile school-de-linde --mode consents --count 3000 --seconds 10 --window 64 > "$T/req.out" &
H=$!
VN_PIDS+=("$H")
sleep 1
id=$(vn_consent ggz-mondriaan vt-zuid-limburg melding)
[ -n "$id" ] || fail "consent registration failed during the flood"
echo "synthetic: zorgen" > "$T/m.txt"
"$VANGNET" send --agent "$(api ggz-mondriaan)" --to vt-zuid-limburg --subject $BSN $MELD \
    --file "$T/m.txt" --wait 20 | grep -q '^accepted' || fail "report not accepted during the flood"
wait "$H"
r=$(cat "$T/req.out")
echo "requests: $r"
[ "$(vn_field "$r" answers)" = "$(vn_field "$r" sent)" ] || fail "not every request answered: $r"
[ "$(vn_field "$r" rate-limited)" -gt 0 ] || fail "requests not limited: $r"
# At most the burst plus the rate over the flood's ~10 s were served.
[ "$(vn_field "$r" listed)" -le $((20 + 20 * 12)) ] || fail "too many lists served: $r"
wait_for "curl -sf '$B_URL/metrics' | grep -q '^vangnet_broker_deliveries_total 1$'" 20
grep -qE '^vangnet_broker_budget_exceeded_total\{org="school-de-linde",budget="request"\} [1-9]' <(curl -sf "$B_URL/metrics") \
    || fail "request budget metric missing"
kill -0 "$BROKER_PID" || fail "broker died"
"$VANGNET" audit verify --data "$T/broker-data" | grep -q intact || fail "audit chain"
echo "36-hostile-requests: ok"
