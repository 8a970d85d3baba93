#!/usr/bin/env bash
# 35: an organisation with 40 deliveries of 500 KB waiting connects, never reads, and sends hello
# after hello on the same connection. Each hello used to send everything in flight again; now a
# repeated hello changes nothing already sent, so the broker's
# memory stays bounded, and another organisation's report is still accepted and delivered.
. "$(dirname "$0")/lib.sh"
vn_small_quarantine
vn_setup_pair
vn_org vt-noord veilig-thuis
vn_agent_kill ggz-mondriaan
vn_agent_start ggz-mondriaan # with vt-noord in its directory
B_URL=$(cat "$T/broker-data/metrics-address")
head -c 500000 /dev/zero | tr '\0' 'z' > "$T/big.txt"
for i in $(seq 40); do
    "$VANGNET" send --agent "$(api ggz-mondriaan)" --to vt-noord --subject $BSN $MELD \
        --file "$T/big.txt" | grep -q '^accepted' || fail "report $i to vt-noord not accepted"
done
rss0=$(vn_rss_kb "$BROKER_PID")
hostile vt-noord --mode hello --no-read --count 60 --seconds 15 > "$T/hello.out" &
H=$!
VN_PIDS+=("$H")
sleep 2
echo "synthetic: zorgen" > "$T/m.txt"
"$VANGNET" send --agent "$(api ggz-mondriaan)" --to vt-zuid-limburg --subject $BSN $MELD \
    --file "$T/m.txt" --wait 20 | grep -q '^accepted' || fail "genuine report not accepted"
wait_for "curl -sf '$B_URL/metrics' | grep -q '^vangnet_broker_deliveries_total 1$'" 20
wait "$H"
echo "hostile: $(cat "$T/hello.out")"
[ "$(vn_field "$(cat "$T/hello.out")" sent)" -eq 60 ] || fail "not all hellos sent"
kill -0 "$BROKER_PID" || fail "broker died"
rss1=$(vn_rss_kb "$BROKER_PID")
echo "broker RSS growth $(( (rss1 - rss0) / 1024 )) MiB over 60 hellos with 20 MB in flight"
# One copy of what is in flight (20 MB) and some slack, never a copy per hello (measured: 20 MiB
# now; 47 MiB and growing with the hello that resent everything).
[ $((rss1 - rss0)) -lt $((35 << 10)) ] || fail "broker RSS grew $((rss1 - rss0)) KiB"
"$VANGNET" audit verify --data "$T/broker-data" | grep -q intact || fail "audit chain"
echo "35-hostile-hello: ok"
