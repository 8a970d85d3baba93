#!/usr/bin/env bash
# 04: the recipient's agent is offline; the message waits at the broker and arrives, once, when
# it comes back; the sender's agent also holds messages while the broker is away.
. "$(dirname "$0")/lib.sh"
vn_setup_pair
vn_agent_kill vt-zuid-limburg

echo "Synthetisch: melding tijdens afwezigheid." > "$T/m.txt"
"$VANGNET" send --agent "$(api ggz-mondriaan)" --to vt-zuid-limburg --subject $BSN \
    $MELD --file "$T/m.txt" | grep -q '^accepted' || fail "not accepted"
sleep 1
# The operator sees it waiting for the offline recipient, and nothing to alert on.
"$VANGNET" broker status --data "$T/broker-data" >"$T/st.txt" || fail "broker status alerted: $(cat "$T/st.txt")"
grep -qE "queue: +vt-zuid-limburg +1 waiting" "$T/st.txt" && grep -qE "warnings: +none" "$T/st.txt" \
    || fail "broker status: $(cat "$T/st.txt")"
"$VANGNET" broker status --data "$T/broker-data" --json | python3 -c "import json,sys; d=json.load(sys.stdin); assert d['queues'][0]['queued']==1 and d['warnings']==[]" \
    || fail "broker status --json"
vn_agent_start vt-zuid-limburg
"$VANGNET" inbox --agent "$(api vt-zuid-limburg)" --wait 10 | grep -q "melding tijdens afwezigheid" \
    || fail "not delivered after reconnect"

# The broker away: the sender's agent queues durably (exit 4) and delivers once it is back.
vn_broker_kill TERM
set +e
out=$("$VANGNET" send --agent "$(api ggz-mondriaan)" --to vt-zuid-limburg --subject $BSN \
      $MELD --wait 1 --file "$T/m.txt"); rc=$?
set -e
[ $rc -eq 4 ] && [[ $out == queued* ]] || fail "expected queued (4), got $rc: $out"
{ "$VANGNET" status --agent "$(api ggz-mondriaan)" || true; } | grep -q "connected=no outbox=1 " \
    || fail "outbox not holding it"
vn_broker_start_same() { "$BROKER_BIN" --config "$T/broker.conf" >>"$T/broker.log" 2>&1 & BROKER_PID=$!; VN_PIDS+=("$BROKER_PID"); }
sed -i "s|^endpoint = .*|endpoint = $BROKER_EP|" "$T/broker.conf"   # same port: agents reconnect
vn_broker_start_same
wait_for "'$VANGNET' status --agent '$(api ggz-mondriaan)' | grep -q outbox=0" 20
wait_for "'$VANGNET' inbox --agent '$(api vt-zuid-limburg)' | grep -c '^message' | grep -qx 2" 20
"$VANGNET" audit verify --data "$T/broker-data" | grep -q intact || fail "audit chain"
echo "04-offline-recipient: ok"
