#!/usr/bin/env bash
# 34: hundreds of CURVE handshakes with unregistered keys: every one is refused by ZAP, but the log
# gets at most 10 lines of its own per 10 s and one summary line with the count of the rest; a
# genuine report is accepted and delivered meanwhile. Then a registered organisation's own key
# reconnecting in a loop: beyond handshake_rate/_burst its handshakes are refused at ZAP (each
# admitted one would open a new session that resends everything unacked), counted in the budget
# metric, while another organisation's agent keeps working.
. "$(dirname "$0")/lib.sh"
vn_setup_pair
vn_org school-de-linde onderwijs
B_URL=$(cat "$T/broker-data/metrics-address")
hostile school-de-linde --mode handshake --count 400 --seconds 20 > "$T/hs.out" &
H=$!
VN_PIDS+=("$H")
sleep 1
echo "synthetic: zorgen" > "$T/m.txt"
"$VANGNET" send --agent "$(api ggz-mondriaan)" --to vt-zuid-limburg --subject $BSN $MELD \
    --file "$T/m.txt" --wait 20 | grep -q '^accepted' || fail "report not accepted during the flood"
wait "$H"
n=$(sed -n 's/^handshakes=//p' "$T/hs.out")
echo "handshakes tried: $n"
[ "$n" -ge 100 ] || fail "too few handshakes: $n"
kill -0 "$BROKER_PID" || fail "broker died"
wait_for "curl -sf '$B_URL/metrics' | grep -q '^vangnet_broker_deliveries_total 1$'" 20
# Own lines at most 10 per window; the summaries count the rest (each refusal counted once).
count_refused() {
    own=$(grep -c "event=auth-refused .*reason=unregistered" "$T/broker.log" || true)
    summed=$(grep -oE "event=auth-refused-summary count=[0-9]+" "$T/broker.log" | cut -d= -f3 |
             awk '{s += $1} END {print s + 0}')
    # a connection closed before its handshake reached ZAP is never refused: under a doubly
    # loaded machine only about half of them get there (198 of 400 seen), so a quarter at least
    [ "$summed" -gt 0 ] && [ $((own + summed)) -ge $((n / 4)) ] && [ $((own + summed)) -le "$n" ]
}
wait_for count_refused 15
count_refused
echo "refused handshakes logged: $own on their own line, $summed in summaries"
windows=$(( ($(grep -c "event=auth-refused-summary" "$T/broker.log") + 1) ))
[ "$own" -le $((10 * (windows + 1))) ] || fail "$own refusals logged one by one"

hostile school-de-linde --mode reconnect --count 300 --seconds 10 > "$T/rc.out"
n=$(sed -n 's/^handshakes=//p' "$T/rc.out")
echo "reconnects tried with a registered key: $n"
wait_for "curl -sf '$B_URL/metrics' | grep -qE '^vangnet_broker_budget_exceeded_total\{org=\"school-de-linde\",budget=\"handshake\"\} [1-9]'" 20
limited=$(curl -sf "$B_URL/metrics" | sed -n 's/^vangnet_broker_budget_exceeded_total{org="school-de-linde",budget="handshake"} //p')
echo "handshakes refused over the budget (burst 30, 2/s): $limited"
[ "$limited" -le "$n" ] || fail "more refused than tried"
"$VANGNET" send --agent "$(api ggz-mondriaan)" --to vt-zuid-limburg --subject $BSN $MELD \
    --file "$T/m.txt" --wait 20 | grep -q '^accepted' || fail "report not accepted after the reconnects"
wait_for "curl -sf '$B_URL/metrics' | grep -q '^vangnet_broker_deliveries_total 2$'" 20
kill -0 "$BROKER_PID" || fail "broker died"
echo "34-hostile-handshakes: ok"
