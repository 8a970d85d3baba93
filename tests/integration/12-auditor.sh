#!/usr/bin/env bash
# 12: agents audit the broker's log. Receipts carry a signed checkpoint, the sender's own record and
# its inclusion proof; agents check consistency between checkpoints. A broker that rewrites an old
# record and re-signs everything (so its own disk verifies) is caught by the agent that held an
# earlier checkpoint: a loud alarm, in its status, kept across restarts.
. "$(dirname "$0")/lib.sh"
vn_setup_pair
sed -i "s|^endpoint = .*|endpoint = $BROKER_EP|" "$T/broker.conf"
echo "synthetisch" > "$T/m.txt"
send() { "$VANGNET" send --agent "$(api ggz-mondriaan)" --to vt-zuid-limburg --subject $BSN $MELD --file "$T/m.txt"; }
checkpoint() { "$VANGNET" status --agent "$(api ggz-mondriaan)" | sed -n 's/.*checkpoint=\([0-9]*\).*/\1/p'; }

send | grep -q '^accepted' || fail "send 1"
first=$(checkpoint)
[ "$first" -ge 3 ] || fail "no checkpoint held after a receipt: '$first'"
send | grep -q '^accepted' || fail "send 2"
wait_for "[ \$(checkpoint) -gt $first ]"   # a newer checkpoint, adopted after a consistency proof
"$VANGNET" status --agent "$(api ggz-mondriaan)" | grep -q "audit-log=consistent" || fail "not consistent"

# The broker turns malicious: it rewrites record 3 (the first disclosure) and re-signs.
vn_broker_kill TERM
"$VN_FORGE" "$T/broker-data" "$T/keys/broker.secret" 3
# Its own disk now verifies, signatures included: only an auditor can tell.
"$VANGNET" audit verify --data "$T/broker-data" --broker-public "$T/keys/broker.public" | grep -q intact \
    || fail "the forged log should verify on the broker's own disk"
"$BROKER_BIN" --config "$T/broker.conf" >>"$T/broker.log" 2>&1 & BROKER_PID=$!; VN_PIDS+=("$BROKER_PID")
wait_for "'$VANGNET' status --agent '$(api ggz-mondriaan)' | grep -q connected=yes" 20
send | grep -q '^accepted' || fail "send 3"
wait_for "{ '$VANGNET' status --agent '$(api ggz-mondriaan)' || true; } | grep -q audit-log=INCONSISTENT"
grep -q "event=AUDIT-LOG-ALARM.*history was rewritten" "$T/ggz-mondriaan.log" || fail "no loud alarm"
# The alarm survives a restart of the agent.
vn_agent_kill ggz-mondriaan
"$AGENT_BIN" --config "$T/ggz-mondriaan.conf" >>"$T/ggz-mondriaan.log" 2>&1 & VN_PIDS+=($!)
wait_for "{ '$VANGNET' status --agent '$(api ggz-mondriaan)' || true; } | grep -q audit-log=INCONSISTENT"
echo "12-auditor: ok"
