#!/usr/bin/env bash
# 16: a recipient whose queue is at its limit gets no more: the sender is refused at once with
# "recipient-queue-full" (audited, counted, warned about), and accepted again once it drains.
. "$(dirname "$0")/lib.sh"
# One sender fills the whole queue here: no per-sender share (test 31 has that).
VN_BROKER_EXTRA="max_queue_per_recipient = 3
[limits]
queue_share_percent = 100" vn_setup_pair
B_URL=$(cat "$T/broker-data/metrics-address")
vn_agent_kill vt-zuid-limburg
echo "synthetic: zorgen" > "$T/m.txt"
send() {
    "$VANGNET" send --agent "$(api ggz-mondriaan)" --to vt-zuid-limburg --subject $BSN $MELD \
        --file "$T/m.txt"
}
for i in 1 2 3; do send | grep -q '^accepted' || fail "message $i not accepted"; done
set +e
out=$(send 2>&1); rc=$?
set -e
[ $rc -eq 3 ] && [[ $out == *recipient-queue-full* ]] && [[ $out == *"another channel"* ]] \
    || fail "4th not refused as queue full: rc=$rc $out"
audit_grep -q "REFUSED.*recipient-queue-full" || fail "queue-full refusal not audited"
curl -sf "$B_URL/metrics" > "$T/m.prom"
grep -q '^vangnet_broker_queue_limit_reached{recipient="vt-zuid-limburg"} 1$' "$T/m.prom" || fail "limit gauge"
grep -q '^vangnet_broker_notifications_refused_total{code="recipient-queue-full"} 1$' "$T/m.prom" || fail "refusal counter"
set +e
"$VANGNET" status --url "$B_URL" > "$T/status.txt"; rc=$?
set -e
[ $rc -eq 1 ] && grep -q "WARNING: .*vt-zuid-limburg's queue is at its limit" "$T/status.txt" \
    || fail "no status warning: $(cat "$T/status.txt")"
# The recipient collects; its queue drains and new notifications are accepted again.
vn_agent_start vt-zuid-limburg
wait_for "curl -sf '$B_URL/metrics' | grep -q '^vangnet_broker_deliveries_total 3$'" 20
send | grep -q '^accepted' || fail "not accepted after the queue drained"
echo "16-queue-limit: ok"
