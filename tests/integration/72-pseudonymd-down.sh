#!/usr/bin/env bash
# 72: the pseudonym service down (killed -9): a submit that needs a new pseudonym is held in the
# agent's outbox (queued, code pseudonym-unavailable, in its status and its outcome), never sent
# without a pseudonym, and sent by itself, once, when the service is back; a subject already
# cached still goes; a delivery the recipient cannot check yet is held, not lost, and arrives
# once the service is back.
VN_PSEUDONYMS=own # this test starts the pseudonym service itself
. "$(dirname "$0")/lib.sh"
vn_setup
vn_broker_start
vn_org ggz-mondriaan ggz
vn_org vt-zuid-limburg veilig-thuis
vn_pseudonymd_start
VN_PSEUDONYMD_CLIENT_EXTRA="timeout_ms = 1000" vn_agent_start ggz-mondriaan
VN_PSEUDONYMD_CLIENT_EXTRA="timeout_ms = 1000" vn_agent_start vt-zuid-limburg
echo "synthetisch" > "$T/m.txt"
send() { "$VANGNET" send --agent "$(api ggz-mondriaan)" --to vt-zuid-limburg --subject "$1" $MELD --wait 10 --file "$T/m.txt"; }
OTHER=123456782 THIRD=456789017 FOURTH=100000009
send $BSN > /dev/null || fail "first send"
"$VANGNET" inbox --agent "$(api vt-zuid-limburg)" --wait 10 > "$T/in1.txt"
grep -q "$BSN" "$T/in1.txt" || fail "not delivered: $(cat "$T/in1.txt")"

# 1. Killed -9: a new subject is accepted into the outbox, held, in about the configured timeout.
vn_pseudonymd_kill KILL
start=$(date +%s%N)
rc=0; send $OTHER > "$T/s.out" 2> "$T/s.err" || rc=$?
took=$(( ($(date +%s%N) - start) / 1000000 ))
[ "$rc" = 4 ] || fail "not queued (exit $rc): $(cat "$T/s.out" "$T/s.err")"
grep -q "^queued message=[0-9a-f]\{32\} code=pseudonym-unavailable: .*held in the agent's outbox" "$T/s.out" \
    || fail "unclear status: $(cat "$T/s.out")"
[ "$took" -lt 4000 ] || fail "took $took ms"
held_id=$(sed -n 's/^queued message=\([0-9a-f]*\).*/\1/p' "$T/s.out")
"$VANGNET" status --agent "$(api ggz-mondriaan)" | grep -q "outbox=0 held=1 " || fail "not held: $("$VANGNET" status --agent "$(api ggz-mondriaan)")"
"$VANGNET" outcome --agent "$(api ggz-mondriaan)" --id "$held_id" --json > "$T/o.json" || true
python3 -c "
import json, sys
o = json.load(open('$T/o.json'))
assert o['outcome'] == 'queued' and o['code'] == 'pseudonym-unavailable', o
" || fail "outcome: $(cat "$T/o.json")"
grep -q "event=held msg=$held_id reason=pseudonym-unavailable" "$T/ggz-mondriaan.log" || fail "not logged"
# A second new subject while it is down: held at once, without waiting for another timeout.
start=$(date +%s%N)
rc=0; send $FOURTH > "$T/s4.out" 2>&1 || rc=$?
took=$(( ($(date +%s%N) - start) / 1000000 ))
[ "$rc" = 4 ] && grep -q "code=pseudonym-unavailable" "$T/s4.out" || fail "second: $(cat "$T/s4.out")"
[ "$took" -lt 900 ] || fail "a second held submit waited $took ms"
# 2. A cached subject needs no service: sent, and the recipient (which cached it too) takes it.
send $BSN > /dev/null || fail "a cached subject was refused while the service is down"
wait_for "'$VANGNET' inbox --agent '$(api vt-zuid-limburg)' | grep -c '$BSN' | grep -qx 2"
! "$VANGNET" inbox --agent "$(api vt-zuid-limburg)" | grep -q "$OTHER" || fail "sent without a pseudonym"

# 3. Back (same address, same keys, same state): the held submits go by themselves, each once,
#    under the id they were given, without the IT system trying again.
PSEUDONYMD_LISTEN=$PSEUDONYMD_EP vn_pseudonymd_start
"$VANGNET" outcome --agent "$(api ggz-mondriaan)" --id "$held_id" --wait 20 > "$T/o2.txt" \
    || fail "not sent after the service came back: $(cat "$T/o2.txt")"
grep -q "^accepted message=$held_id" "$T/o2.txt" || fail "outcome: $(cat "$T/o2.txt")"
wait_for "'$VANGNET' inbox --agent '$(api vt-zuid-limburg)' | grep -q '$FOURTH'"
"$VANGNET" inbox --agent "$(api vt-zuid-limburg)" > "$T/in2.txt"
[ "$(grep -c "$OTHER" "$T/in2.txt")" = 1 ] && [ "$(grep -c "$FOURTH" "$T/in2.txt")" = 1 ] \
    || fail "not delivered exactly once: $(cat "$T/in2.txt")"
wait_for "'$VANGNET' status --agent '$(api ggz-mondriaan)' | grep -q 'outbox=0 held=0 '"

# 4. The recipient cannot check a new subject while the service is down: the delivery is held
#    unacknowledged (not stored unchecked, not rejected) and arrives once the service is back.
vn_agent_kill vt-zuid-limburg
send $THIRD > /dev/null || fail "third send"  # ggz evaluates THIRD while the service is up ...
vn_pseudonymd_kill KILL                       # ... vt comes back to it while it is down
VN_PSEUDONYMD_CLIENT_EXTRA="timeout_ms = 1000" vn_agent_start vt-zuid-limburg
wait_for "grep -q 'event=delivery-held .*reason=pseudonym-unavailable' '$T/vt-zuid-limburg.log'" 15
! "$VANGNET" inbox --agent "$(api vt-zuid-limburg)" | grep -q "$THIRD" || fail "stored unchecked"
audit_grep -q "REJECTED" && fail "rejected instead of held"
PSEUDONYMD_LISTEN=$PSEUDONYMD_EP vn_pseudonymd_start
vn_agent_kill vt-zuid-limburg   # unacknowledged deliveries come again in the next session
VN_PSEUDONYMD_CLIENT_EXTRA="timeout_ms = 1000" vn_agent_start vt-zuid-limburg
wait_for "'$VANGNET' inbox --agent '$(api vt-zuid-limburg)' | grep -q '$THIRD'" 15
echo ok
