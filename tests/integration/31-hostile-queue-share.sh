#!/usr/bin/env bash
# 31: one organisation floods Veilig Thuis with accepted junk while VT's agent is away: it gets only
# its share of VT's queue (queue_share_percent of max_queue_per_recipient), the rest refused
# "queue-share-full", so a genuine report from a GGZ institution is still accepted, and delivered
# when VT's agent is back. The share holds across a broker restart (counted from the store).
. "$(dirname "$0")/lib.sh"
VN_BROKER_EXTRA="max_queue_per_recipient = 20
[limits]
queue_share_percent = 25" vn_setup_pair
vn_org school-de-linde onderwijs
B_URL=$(cat "$T/broker-data/metrics-address")
vn_agent_kill vt-zuid-limburg
out=$(hostile school-de-linde --mode flood --to "$T/keys/vt-zuid-limburg.public" --count 40 \
    --window 8 --seconds 30)
echo "flood: $out"
[ "$(vn_field "$out" receipts)" -eq 5 ] || fail "the flooding sender got more than its share: $out"
[ "$(vn_field "$out" queue-share-full)" -eq 35 ] || fail "not refused queue-share-full: $out"
audit_grep -qE "REFUSED +actor=school-de-linde .*outcome=queue-share-full" || fail "share refusal not audited"
# Everyone else still gets in.
echo "synthetic: zorgen" > "$T/m.txt"
send() {
    "$VANGNET" send --agent "$(api ggz-mondriaan)" --to vt-zuid-limburg --subject $BSN $MELD \
        --file "$T/m.txt"
}
send | grep -q '^accepted' || fail "genuine report refused during the flood"
# After a restart the share is counted again from the store.
vn_broker_kill
vn_broker_start
B_URL=$(cat "$T/broker-data/metrics-address")
out=$(hostile school-de-linde --mode flood --to "$T/keys/vt-zuid-limburg.public" --count 3 --seconds 20)
[ "$(vn_field "$out" queue-share-full)" -eq 3 ] || fail "share forgotten after a restart: $out"
vn_agent_kill ggz-mondriaan
vn_agent_start ggz-mondriaan # its config names the restarted broker's new port
send | grep -q '^accepted' || fail "second genuine report refused"
# VT comes back and receives the share of junk and both genuine reports.
vn_agent_start vt-zuid-limburg
wait_for "curl -sf '$B_URL/metrics' | grep -q '^vangnet_broker_deliveries_total 7$'" 30
"$VANGNET" inbox --agent "$(api vt-zuid-limburg)" --json > "$T/inbox.json"
[ "$(grep -o '"sender":"ggz-mondriaan"' "$T/inbox.json" | wc -l)" -eq 2 ] || fail "genuine reports not delivered"
# Its share drained, the sender may queue again.
out=$(hostile school-de-linde --mode flood --to "$T/keys/vt-zuid-limburg.public" --count 1 --seconds 20)
[ "$(vn_field "$out" receipts)" -eq 1 ] || fail "not accepted after VT collected: $out"
"$VANGNET" audit verify --data "$T/broker-data" | grep -q intact || fail "audit chain"
echo "31-hostile-queue-share: ok"
