#!/usr/bin/env bash
# 38: credit (issue 11, bounded memory). Veilig Thuis's agent (here vn-hostile in recipient mode)
# says hello with credit 4 and first sends 50 acks for deliveries it never got: they must not
# raise its credit, so at most 4 deliveries are in flight. It then holds those 4 unacked while
# they expire at the broker, and acks them: each was really sent to it, so each returns a
# credit (it used to return none, and the session took nothing more until it reconnected). A
# genuine report from a GGZ institution is then delivered to it on the same connection.
. "$(dirname "$0")/lib.sh"
vn_setup
vn_broker_start
vn_org ggz-mondriaan ggz
vn_org vt-zuid-limburg veilig-thuis
vn_org school-de-linde onderwijs
vn_agent_start ggz-mondriaan
B_URL=$(cat "$T/broker-data/metrics-address")
hostile vt-zuid-limburg --mode recipient --credit 4 --fake-acks 50 --hold 12 --seconds 45 \
    > "$T/rcpt.out" &
R=$!
VN_PIDS+=("$R")
wait_for "grep -q 'event=session-open org=vt-zuid-limburg' '$T/broker.log'" 20
rss0=$(vn_rss_kb "$BROKER_PID")
# Eight reports that live 4 s: four go to the recipient and stay unacked, four wait; all expire.
r=$(hostile school-de-linde --mode flood --to "$T/keys/vt-zuid-limburg.public" --count 8 --ttl 4 \
    --seconds 20)
echo "sender: $r"
[ "$(vn_field "$r" receipts)" -eq 8 ] || fail "the eight reports were not accepted: $r"
wait_for "[ \$(vn_metric '$B_URL' vangnet_broker_deliveries_expired_total) -ge 8 ]" 30
# After the hold the recipient acks the four it holds; their credit comes back, so a genuine
# report reaches it on the same connection.
sleep 10
echo "synthetic: zorgen" > "$T/m.txt"
"$VANGNET" send --agent "$(api ggz-mondriaan)" --to vt-zuid-limburg --subject $BSN $MELD \
    --file "$T/m.txt" --wait 20 | grep -q '^accepted' || fail "genuine report not accepted"
# (without the credit of the four acks it stays queued: this times out)
wait_for "[ \$(vn_metric '$B_URL' vangnet_broker_deliveries_total) -ge 1 ]" 30
wait "$R"
out=$(cat "$T/rcpt.out")
echo "recipient: $out"
[ "$(vn_field "$out" first)" -eq 4 ] || fail "not exactly credit (4) deliveries in flight: $out"
[ "$(vn_field "$out" later)" -ge 1 ] || fail "nothing delivered after the acks: $out"
kill -0 "$BROKER_PID" || fail "broker died"
rss1=$(vn_rss_kb "$BROKER_PID")
echo "broker RSS growth $(( (rss1 - rss0) >> 10 )) MiB"
[ $((rss1 - rss0)) -lt $((50 << 10)) ] || fail "broker RSS grew $((rss1 - rss0)) KiB"
"$VANGNET" audit verify --data "$T/broker-data" | grep -q intact || fail "audit chain"
echo "38-hostile-credit: ok"
