#!/usr/bin/env bash
# 49: an agent whose connection to the broker is full holds what it could not queue and sends it
# as soon as there is room, instead of dropping it until the next resend round. The broker is
# down while an IT system queues more notifications than libzmq's queue (1,000 messages) and the
# loopback socket buffers hold; when it comes back the agent resends its whole outbox at once.
# The resend round is set to an hour, so a notification dropped on the way would still be
# waiting at the end. Every one gets the broker's answer and reaches the recipient, and nothing
# was dropped.
. "$(dirname "$0")/lib.sh"
VN_AGENT_EXTRA="resend_seconds = 3600"
VN_BROKER_MAP_MB=1024
N=${VN_BACKPRESSURE_N:-2000}
SIZE=24576 # N of them stay below the broker's 64 MiB of envelopes in flight per organisation
vn_setup_pair
G_URL=$(cat "$T/ggz-mondriaan-data/metrics-address")

vn_broker_kill TERM
wait_for "{ '$VANGNET' status --agent '$(api ggz-mondriaan)' || true; } | grep -q 'connected=no'" 20
"$VN_SUBMITMANY" --api "$(api ggz-mondriaan)" --to vt-zuid-limburg --bsn $BSN --count "$N" \
    --size $SIZE --ref-prefix bp > "$T/many.txt" || fail "submits: $(cat "$T/many.txt")"
grep -qx "queued=$N accepted=0 refused=0 failed=0" "$T/many.txt" || fail "not all queued: $(cat "$T/many.txt")"

sed -i "s|^endpoint = .*|endpoint = $BROKER_EP|" "$T/broker.conf" # same port: the agents reconnect
"$BROKER_BIN" --config "$T/broker.conf" >>"$T/broker.log" 2>&1 &
BROKER_PID=$!
VN_PIDS+=("$BROKER_PID")
# Every one answered by the broker (nothing left in the outbox) and delivered, long before the
# hour-long resend round.
wait_for "{ '$VANGNET' status --agent '$(api ggz-mondriaan)' || true; } | grep -q ' outbox=0 '" 240
wait_for "'$VANGNET' status --agent '$(api vt-zuid-limburg)' | grep -q ' inbox=$N '" 240
held=$(vn_metric "$G_URL" vangnet_agent_broker_sends_held_total)
echo "$N resent at the reconnect; $held of them held for want of room on the connection"
[ "$held" -gt 0 ] || fail "the connection's queue never filled with $N notifications (raise VN_BACKPRESSURE_N)"
[ "$(vn_metric "$G_URL" vangnet_agent_broker_sends_dropped_total)" -eq 0 ] || fail "messages were dropped"
grep -q 'event=broker-send-dropped' "$T/ggz-mondriaan.log" && fail "the agent logged dropped sends"
grep -q "event=resent messages=$N" "$T/ggz-mondriaan.log" || fail "the resend round: $(grep resent "$T/ggz-mondriaan.log")"
accepted=$(audit_grep -c 'ACCEPTED ' || true)
[ "$accepted" -ge "$N" ] || fail "the broker accepted $accepted of $N"
"$VANGNET" audit verify --data "$T/broker-data" > /dev/null || fail "audit chain"
echo "49-broker-backpressure: ok"
